//! Fidelity levels and what to do with skills outside the codebook.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a `.sz` file keeps of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Every byte comes back (lossless), whatever the input.
    #[default]
    Exact,
    /// Each text's skills in order; decode renders them separated by spaces, one text a line.
    Sequence,
    /// Each text's skill set; decode renders it in canonical order, one text a line.
    Set,
    /// All three in one file: the sets as a base layer, then the order and the exact
    /// bytes as refinement layers, each coded given the layers below (decode picks a level).
    Layered,
}

impl Level {
    /// All single levels, from the most faithful to the smallest (not [`Level::Layered`],
    /// which holds the three).
    pub const ALL: [Level; 3] = [Level::Exact, Level::Sequence, Level::Set];

    /// The 2-bit code of the level in the header flags.
    pub fn code(self) -> u16 {
        match self {
            Level::Exact => 0,
            Level::Sequence => 1,
            Level::Set => 2,
            Level::Layered => 3,
        }
    }

    /// The level with header code `c`.
    pub fn from_code(c: u16) -> Result<Level> {
        match c {
            0 => Ok(Level::Exact),
            1 => Ok(Level::Sequence),
            2 => Ok(Level::Set),
            3 => Ok(Level::Layered),
            _ => Err(Error::corrupt(format!(
                "unrecognized fidelity level code {c} in the .sz header (0 exact, 1 sequence, 2 set, 3 layered)"
            ))),
        }
    }

    /// True for the lossy levels, which code skills rather than bytes.
    pub fn is_lossy(self) -> bool {
        matches!(self, Level::Sequence | Level::Set)
    }

    /// Rank by fidelity: set 0, sequence 1, exact 2 (layered: its top, exact).
    pub fn rank(self) -> u8 {
        match self {
            Level::Set => 0,
            Level::Sequence => 1,
            Level::Exact | Level::Layered => 2,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Exact => "exact",
            Level::Sequence => "sequence",
            Level::Set => "set",
            Level::Layered => "layered",
        })
    }
}

impl FromStr for Level {
    type Err = Error;
    fn from_str(s: &str) -> Result<Level> {
        match s {
            "exact" => Ok(Level::Exact),
            "sequence" => Ok(Level::Sequence),
            "set" => Ok(Level::Set),
            "layered" => Ok(Level::Layered),
            _ => Err(Error::parameter(
                "level",
                s,
                "unrecognized level: use exact, sequence, set or layered",
            )),
        }
    }
}

/// What the lossy levels do with a skill that is not in the codebook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unlearned {
    /// Send it literally (an escape): nothing is lost, at a cost in bits.
    #[default]
    Escape,
    /// Leave it out: the decoded text lacks it.
    Drop,
}

impl fmt::Display for Unlearned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unlearned::Escape => "escape",
            Unlearned::Drop => "drop",
        })
    }
}

impl FromStr for Unlearned {
    type Err = Error;
    fn from_str(s: &str) -> Result<Unlearned> {
        match s {
            "escape" => Ok(Unlearned::Escape),
            "drop" => Ok(Unlearned::Drop),
            _ => Err(Error::parameter(
                "unlearned",
                s,
                "unrecognized policy: use escape or drop",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip() {
        for l in Level::ALL {
            assert_eq!(l.to_string().parse::<Level>().unwrap(), l);
            assert_eq!(Level::from_code(l.code()).unwrap(), l);
        }
        assert_eq!(Level::from_code(3).unwrap(), Level::Layered);
        assert_eq!("layered".parse::<Level>().unwrap(), Level::Layered);
        assert!(Level::from_code(4).is_err());
        assert!("lossless".parse::<Level>().is_err());
        for u in [Unlearned::Escape, Unlearned::Drop] {
            assert_eq!(u.to_string().parse::<Unlearned>().unwrap(), u);
        }
        assert!("keep".parse::<Unlearned>().is_err());
    }
}
