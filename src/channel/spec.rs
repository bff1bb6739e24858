//! Channel, protection and sweep specs as the user writes them (`erasure:0.1`,
//! `burst:0.1,4`, `bsc:1e-3`, `awgn:3`, `irsa:0.6,fixed:3`, `lt:0.3`, `0:0.5:0.05`).

use crate::ensemble::DegreeSpec;
use crate::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// A modeled channel between sender and receiver, acting on whole packets.
#[derive(Debug, Clone, PartialEq)]
pub enum Channel {
    /// Each packet lost independently with probability `p`.
    Erasure {
        /// Loss probability.
        p: f64,
    },
    /// Gilbert-Elliott losses: a two-state chain, every packet lost in the bad state.
    Burst {
        /// Average loss probability (stationary share of the bad state).
        p: f64,
        /// Mean burst length in packets (mean stay in the bad state).
        burst: f64,
    },
    /// Each bit flipped independently with probability `p`.
    Bsc {
        /// Bit error probability.
        p: f64,
    },
    /// BPSK over AWGN with hard decisions: a BSC with `p = Q(sqrt(2 Es/N0))`.
    Awgn {
        /// Es/N0 in dB.
        snr_db: f64,
    },
    /// Irregular repetition slotted ALOHA: packets are sent in several slots of a frame
    /// and recovered by successive interference cancellation.
    Irsa {
        /// Packets per slot G.
        load: f64,
        /// How many slots each packet is sent in.
        degrees: DegreeSpec,
    },
}

impl Channel {
    /// The kind's name (`erasure`, `burst`, `bsc`, `awgn`, `irsa`).
    pub fn kind(&self) -> &'static str {
        match self {
            Channel::Erasure { .. } => "erasure",
            Channel::Burst { .. } => "burst",
            Channel::Bsc { .. } => "bsc",
            Channel::Awgn { .. } => "awgn",
            Channel::Irsa { .. } => "irsa",
        }
    }

    /// The swept parameter: P, P, P, the SNR in dB, or the load.
    pub fn param(&self) -> f64 {
        match self {
            Channel::Erasure { p } | Channel::Burst { p, .. } | Channel::Bsc { p } => *p,
            Channel::Awgn { snr_db } => *snr_db,
            Channel::Irsa { load, .. } => *load,
        }
    }

    /// The name of the swept parameter, for axes and tables.
    pub fn param_name(&self) -> &'static str {
        match self {
            Channel::Erasure { .. } | Channel::Burst { .. } => "loss P",
            Channel::Bsc { .. } => "bit error P",
            Channel::Awgn { .. } => "SNR (dB)",
            Channel::Irsa { .. } => "load G",
        }
    }

    /// The same channel with its main parameter set to `v`, checked.
    pub fn with_param(&self, v: f64) -> Result<Channel> {
        let mut c = self.clone();
        match &mut c {
            Channel::Erasure { p } | Channel::Burst { p, .. } | Channel::Bsc { p } => *p = v,
            Channel::Awgn { snr_db } => *snr_db = v,
            Channel::Irsa { load, .. } => *load = v,
        }
        c.validate()
            .map_err(|e| Error::invalid(format!("{} at swept value {v}: {e}", self.kind())))?;
        Ok(c)
    }

    /// The bit error probability of a bit-level channel (`None` for packet channels).
    pub fn bit_error(&self) -> Option<f64> {
        match self {
            Channel::Bsc { p } => Some(*p),
            Channel::Awgn { snr_db } => Some(awgn_bit_error(*snr_db)),
            _ => None,
        }
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let prob = |p: f64| {
            if (0.0..=1.0).contains(&p) {
                Ok(())
            } else {
                Err(format!("P = {p} is outside [0, 1]"))
            }
        };
        match self {
            Channel::Erasure { p } | Channel::Bsc { p } => prob(*p),
            Channel::Burst { p, burst } => {
                prob(*p)?;
                if !(*burst >= 1.0 && burst.is_finite()) {
                    return Err(format!(
                        "the mean burst length L = {burst} must be at least 1"
                    ));
                }
                if *p >= 1.0 {
                    return Err("P must be below 1 for bursts".into());
                }
                Ok(())
            }
            Channel::Awgn { snr_db } => {
                if snr_db.is_finite() && snr_db.abs() <= 100.0 {
                    Ok(())
                } else {
                    Err(format!("the SNR {snr_db} dB must be within -100..100"))
                }
            }
            Channel::Irsa { load, .. } => {
                if load.is_finite() && *load > 0.0 && *load <= 100.0 {
                    Ok(())
                } else {
                    Err(format!("the load {load} must be in (0, 100]"))
                }
            }
        }
    }
}

/// `Q(sqrt(2 · 10^(snr_db/10)))`: the bit error rate of hard-decision BPSK.
pub fn awgn_bit_error(snr_db: f64) -> f64 {
    let es_n0 = 10f64.powf(snr_db / 10.0);
    q_function((2.0 * es_n0).sqrt())
}

/// The Gaussian tail `Q(x) = P[N(0,1) > x] = 1 - Φ(x)`.
pub fn q_function(x: f64) -> f64 {
    crate::theory::finite::normal_cdf(-x)
}

fn number(spec: &str, what: &str, s: &str) -> Result<f64> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            Error::invalid(format!(
                "channel spec '{spec}': {what} '{s}' is not a number"
            ))
        })
}

impl FromStr for Channel {
    type Err = Error;

    fn from_str(spec: &str) -> Result<Channel> {
        let s = spec.trim();
        let bad = |why: String| Error::invalid(format!("channel spec '{spec}': {why}"));
        let (kind, body) = s.split_once(':').ok_or_else(|| {
            bad("expected erasure:P, burst:P,L, bsc:P, awgn:SNR_DB or irsa:LOAD,DEGREES".into())
        })?;
        let c = match kind {
            "erasure" => Channel::Erasure {
                p: number(spec, "P", body)?,
            },
            "bsc" => Channel::Bsc {
                p: number(spec, "P", body)?,
            },
            "awgn" => Channel::Awgn {
                snr_db: number(spec, "the SNR", body)?,
            },
            "burst" => {
                let (p, l) = body
                    .split_once(',')
                    .ok_or_else(|| bad("expected burst:P,L".into()))?;
                Channel::Burst {
                    p: number(spec, "P", p)?,
                    burst: number(spec, "L", l)?,
                }
            }
            "irsa" => {
                let (g, d) = body.split_once(',').ok_or_else(|| {
                    bad("expected irsa:LOAD,DEGREES (e.g. irsa:0.6,fixed:3)".into())
                })?;
                let degrees: DegreeSpec = d.parse().map_err(|e| bad(format!("{e}")))?;
                if degrees.distribution().prob(0) > 0.0 {
                    return Err(bad(
                        "every packet must be sent at least once (no degree 0)".into()
                    ));
                }
                Channel::Irsa {
                    load: number(spec, "LOAD", g)?,
                    degrees,
                }
            }
            other => {
                return Err(bad(format!(
                    "unrecognized channel '{other}': use erasure, burst, bsc, awgn or irsa"
                )));
            }
        };
        c.validate().map_err(bad)?;
        Ok(c)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Channel::Erasure { p } => write!(f, "erasure:{p}"),
            Channel::Burst { p, burst } => write!(f, "burst:{p},{burst}"),
            Channel::Bsc { p } => write!(f, "bsc:{p}"),
            Channel::Awgn { snr_db } => write!(f, "awgn:{snr_db}"),
            Channel::Irsa { load, degrees } => write!(f, "irsa:{load},{degrees}"),
        }
    }
}

/// A packet-level erasure code the sender adds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Protect {
    /// Source packets only.
    #[default]
    None,
    /// Systematic LT: `overhead · K` repair packets, XORs of robust-soliton many
    /// source packets.
    Lt {
        /// Repair packets per source packet.
        overhead: f64,
    },
}

/// A protection spec, or why it is not one.
fn protect_of(s: &str) -> std::result::Result<Protect, &'static str> {
    let s = s.trim();
    if s == "none" {
        return Ok(Protect::None);
    }
    let body = s
        .strip_prefix("lt:")
        .ok_or("expected none or lt:OVERHEAD")?;
    let overhead: f64 = body
        .trim()
        .parse()
        .map_err(|_| "OVERHEAD is not a number")?;
    if !(overhead.is_finite() && (0.0..=10.0).contains(&overhead)) {
        return Err("OVERHEAD must be in [0, 10]");
    }
    Ok(Protect::Lt { overhead })
}

impl FromStr for Protect {
    type Err = Error;

    fn from_str(spec: &str) -> Result<Protect> {
        protect_of(spec).map_err(|why| Error::invalid(format!("protect spec '{spec}': {why}")))
    }
}

impl fmt::Display for Protect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protect::None => write!(f, "none"),
            Protect::Lt { overhead } => write!(f, "lt:{overhead}"),
        }
    }
}

/// The layers of a layered file, in sending and decoding order.
pub const LAYER_NAMES: [&str; 3] = ["base", "order", "exact"];

/// How a layered file's packets are protected.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shield {
    /// Each layer's packets by their own code (base, order, exact).
    PerLayer([Protect; 3]),
    /// One code over every layer's packets.
    Joint(Protect),
}

impl fmt::Display for Shield {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shield::PerLayer(l) if l[0] == l[1] && l[1] == l[2] => write!(f, "{}", l[0]),
            Shield::PerLayer(l) => write!(f, "base={},order={},exact={}", l[0], l[1], l[2]),
            Shield::Joint(p) => write!(f, "joint={p}"),
        }
    }
}

/// Protection as the user asks for it (`--protect`): one for every layer, one per
/// layer of a layered file, one code over all layers, or one LT overhead matched to
/// another spec's bits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ProtectSpec {
    /// Every packet alike (`none`, `lt:0.5`); a layered file: each layer its own code.
    All(Protect),
    /// Per layer of a layered file: base (sets), order, exact (`base=lt:1,order=lt:0.2`;
    /// a layer not named is sent unprotected).
    Layers([Protect; 3]),
    /// One code over all of a layered file's packets (`joint=lt:0.5`).
    Joint(Protect),
    /// LT with one overhead, solved so the bits sent equal those under the first spec:
    /// on every layer alike (`lt:match`) or over all layers at once (`joint=lt:match`).
    MatchBits {
        /// One code over all layers.
        joint: bool,
    },
}

impl ProtectSpec {
    /// A layered file's protection; `None` for [`ProtectSpec::MatchBits`].
    pub fn shield(&self) -> Option<Shield> {
        match self {
            ProtectSpec::All(p) => Some(Shield::PerLayer([*p; 3])),
            ProtectSpec::Layers(l) => Some(Shield::PerLayer(*l)),
            ProtectSpec::Joint(p) => Some(Shield::Joint(*p)),
            ProtectSpec::MatchBits { .. } => None,
        }
    }

    /// The protection of a single-layer codec, if this spec gives one.
    pub fn single(&self) -> Option<Protect> {
        match self {
            ProtectSpec::All(p) => Some(*p),
            _ => None,
        }
    }
}

impl FromStr for ProtectSpec {
    type Err = Error;

    fn from_str(spec: &str) -> Result<ProtectSpec> {
        let s = spec.trim();
        match s {
            "lt:match" => return Ok(ProtectSpec::MatchBits { joint: false }),
            "joint=lt:match" => return Ok(ProtectSpec::MatchBits { joint: true }),
            _ => {}
        }
        if !s.contains('=') {
            return match protect_of(s) {
                Ok(p) => Ok(ProtectSpec::All(p)),
                Err(_) if !s.starts_with("lt:") => Err(Error::invalid(format!(
                    "protect spec '{spec}': expected none, lt:OVERHEAD, lt:match, LAYER=SPEC,... (layers base, order, exact) or joint=SPEC"
                ))),
                Err(why) => Err(Error::invalid(format!("protect spec '{spec}': {why}"))),
            };
        }
        let bad = |why: String| Error::invalid(format!("protect spec '{spec}': {why}"));
        if let Some(p) = s.strip_prefix("joint=") {
            if p.contains('=') {
                return Err(bad(
                    "joint=SPEC is one code over every layer: give it alone".into(),
                ));
            }
            return protect_of(p)
                .map(ProtectSpec::Joint)
                .map_err(|why| bad(format!("joint: {why}")));
        }
        let mut layers = [Protect::None; 3];
        let mut seen = [false; 3];
        for part in s.split(',') {
            let (name, p) = part
                .split_once('=')
                .ok_or_else(|| bad(format!("'{part}' is not LAYER=SPEC")))?;
            let i = LAYER_NAMES
                .iter()
                .position(|&n| n == name.trim())
                .ok_or_else(|| {
                    bad(format!(
                        "unknown layer '{}': use base, order or exact (or joint=SPEC alone)",
                        name.trim()
                    ))
                })?;
            if seen[i] {
                return Err(bad(format!("layer {} given twice", LAYER_NAMES[i])));
            }
            seen[i] = true;
            layers[i] = protect_of(p).map_err(|why| bad(format!("{}: {why}", LAYER_NAMES[i])))?;
        }
        Ok(ProtectSpec::Layers(layers))
    }
}

impl fmt::Display for ProtectSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtectSpec::All(p) => write!(f, "{p}"),
            ProtectSpec::Layers(l) => write!(f, "{}", Shield::PerLayer(*l)),
            ProtectSpec::Joint(p) => write!(f, "joint={p}"),
            ProtectSpec::MatchBits { joint: false } => write!(f, "lt:match"),
            ProtectSpec::MatchBits { joint: true } => write!(f, "joint=lt:match"),
        }
    }
}

/// Parses `FROM:TO:STEP` into the values from FROM to TO (inclusive up to rounding).
pub fn parse_sweep(spec: &str) -> Result<Vec<f64>> {
    let bad = |why: &str| Error::invalid(format!("sweep '{spec}': {why}"));
    let parts: Vec<&str> = spec.trim().split(':').collect();
    if parts.len() != 3 {
        return Err(bad("expected FROM:TO:STEP"));
    }
    let v: Vec<f64> = parts
        .iter()
        .map(|p| p.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| bad("FROM, TO and STEP must be numbers"))?;
    let (from, to, step) = (v[0], v[1], v[2]);
    if step <= 0.0 || to < from {
        return Err(bad("needs STEP > 0 and TO >= FROM"));
    }
    let n = ((to - from) / step + 1e-9).floor() as usize + 1;
    if n > 1000 {
        return Err(bad("more than 1000 points"));
    }
    // Round to the step's precision so 0.1 + 0.2 prints as 0.3.
    Ok((0..n)
        .map(|i| ((from + i as f64 * step) * 1e9).round() / 1e9)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print() {
        for s in [
            "erasure:0.1",
            "burst:0.1,4",
            "bsc:0.001",
            "awgn:3",
            "irsa:0.6,fixed:3",
        ] {
            let c: Channel = s.parse().unwrap();
            assert_eq!(c.to_string().parse::<Channel>().unwrap(), c);
        }
        assert_eq!(
            "lt:0.25".parse::<Protect>().unwrap(),
            Protect::Lt { overhead: 0.25 }
        );
        assert_eq!("none".parse::<Protect>().unwrap(), Protect::None);
    }

    #[test]
    fn malformed_specs_quote_the_spec() {
        for s in [
            "erasure:1.5",
            "erasure:-0.1",
            "burst:0.1,0.5",
            "irsa:0,fixed:3",
            "irsa:-1,fixed:3",
            "awgn:loud",
            "fading:0.1",
            "erasure",
            "bsc:nan",
        ] {
            let e = s.parse::<Channel>().unwrap_err();
            assert!(e.to_string().contains(&format!("'{s}'")), "{e}");
            assert_eq!(e.exit_code(), 2);
        }
        assert!("lt:x".parse::<Protect>().is_err());
        assert!("raptor:1".parse::<Protect>().is_err());
    }

    #[test]
    fn per_layer_specs_parse_print_and_refuse_bad_ones() {
        let p: ProtectSpec = "base=lt:1,order=lt:0.2".parse().unwrap();
        assert_eq!(
            p,
            ProtectSpec::Layers([
                Protect::Lt { overhead: 1.0 },
                Protect::Lt { overhead: 0.2 },
                Protect::None
            ])
        );
        assert_eq!(p.to_string(), "base=lt:1,order=lt:0.2,exact=none");
        assert_eq!(p.to_string().parse::<ProtectSpec>().unwrap(), p);
        assert_eq!(
            "lt:0.5".parse::<ProtectSpec>().unwrap().shield(),
            Some(Shield::PerLayer([Protect::Lt { overhead: 0.5 }; 3]))
        );
        assert_eq!(
            "lt:match".parse::<ProtectSpec>().unwrap(),
            ProtectSpec::MatchBits { joint: false }
        );
        assert_eq!(
            "joint=lt:match".parse::<ProtectSpec>().unwrap(),
            ProtectSpec::MatchBits { joint: true }
        );
        let j: ProtectSpec = "joint=lt:0.4".parse().unwrap();
        assert_eq!(
            j.shield(),
            Some(Shield::Joint(Protect::Lt { overhead: 0.4 }))
        );
        assert_eq!(j.to_string(), "joint=lt:0.4");
        assert_eq!(p.single(), None);
        for s in [
            "base=lt:1,base=none",
            "top=lt:1",
            "base=lt:x",
            "base=lt:11",
            "base",
            "base=lt:1,",
            "order=raptor:1",
            "joint=lt:1,base=none",
            "joint=lt:x",
        ] {
            let e = s.parse::<ProtectSpec>().unwrap_err();
            let m = e.to_string();
            assert!(m.contains(&format!("'{s}'")), "{m}");
            assert_eq!(m.lines().count(), 1, "{m}");
            assert_eq!(e.exit_code(), 2);
        }
    }

    #[test]
    fn awgn_matches_known_bpsk_error_rates() {
        // Eb/N0 = 9.6 dB gives 1e-5 for BPSK; 0 dB gives 0.0786.
        assert!((awgn_bit_error(0.0) - 0.078_650).abs() < 1e-5);
        assert!((awgn_bit_error(9.6) / 1.0e-5 - 1.0).abs() < 0.1);
        assert!(awgn_bit_error(-2.0) > awgn_bit_error(8.0));
    }

    #[test]
    fn sweeps_include_both_ends() {
        assert_eq!(parse_sweep("0:0.5:0.05").unwrap().len(), 11);
        assert_eq!(
            parse_sweep("-2:8:1").unwrap(),
            (-2..=8).map(f64::from).collect::<Vec<_>>()
        );
        assert!(parse_sweep("1:0:0.1").is_err());
        assert!(parse_sweep("0:1").is_err());
    }
}
