//! Ratio sweeps: the one parser behind every command that takes ratios R.
//!
//! A sweep is written one of three ways:
//! - `R`: one ratio;
//! - `a,b,c`: a list, in the order given;
//! - `FROM:TO:STEP`: FROM, FROM+STEP, ... up to TO (inclusive, within rounding).

use crate::{Error, Result};

/// Largest ratio a sweep may contain.
pub const MAX_RATIO: f64 = 1e5;
/// Most points a sweep may contain.
pub const MAX_POINTS: usize = 10_000;

/// Parses a sweep of ratios (see the module documentation). `name` is the
/// parameter named in errors (`ratio`, `foundation_ratio`).
pub fn parse_ratios(spec: &str, name: &str) -> Result<Vec<f64>> {
    let bad = |why: String| Error::parameter(name, spec, why);
    let num = |s: &str, what: &str| -> Result<f64> {
        let r = s
            .trim()
            .parse::<f64>()
            .map_err(|_| bad(format!("{what} '{}' is not a number", s.trim())))?;
        if !r.is_finite() || r <= 0.0 || r > MAX_RATIO {
            return Err(bad(format!(
                "{what} {r} is out of range (texts per skill must be in (0, {MAX_RATIO}])"
            )));
        }
        Ok(r)
    };
    if spec.contains(',') {
        let ratios = spec
            .split(',')
            .map(|s| num(s, "ratio"))
            .collect::<Result<Vec<_>>>()?;
        if ratios.len() > MAX_POINTS {
            return Err(bad(format!("more than {MAX_POINTS} ratios")));
        }
        return Ok(ratios);
    }
    let parts: Vec<&str> = spec.split(':').collect();
    match parts.as_slice() {
        [r] => Ok(vec![num(r, "ratio")?]),
        [from, to, step] => {
            let (from, to) = (num(from, "FROM")?, num(to, "TO")?);
            let step = step
                .trim()
                .parse::<f64>()
                .map_err(|_| bad(format!("STEP '{}' is not a number", step.trim())))?;
            if from > to {
                return Err(bad(format!("FROM {from} is above TO {to}")));
            }
            if !step.is_finite() || step <= 0.0 {
                return Err(bad(format!("STEP must be positive, got {step}")));
            }
            let span = (to - from) / step;
            if span + 1.0 > MAX_POINTS as f64 {
                return Err(bad(format!("more than {MAX_POINTS} points: raise STEP")));
            }
            let count = (span + 1e-9).floor() as usize + 1;
            // Rounded so that 0.1 steps print as 1.2, not 1.2000000000000002.
            Ok((0..count)
                .map(|i| ((from + i as f64 * step) * 1e12).round() / 1e12)
                .collect())
        }
        _ => Err(bad(
            "expected R, a list a,b,c or FROM:TO:STEP (e.g. 0.8:1.6:0.05)".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_parse() {
        assert_eq!(parse_ratios("1.5", "ratio").unwrap(), vec![1.5]);
        assert_eq!(
            parse_ratios("4, 1,2", "ratio").unwrap(),
            vec![4.0, 1.0, 2.0]
        );
        assert_eq!(
            parse_ratios("1:2:0.5", "ratio").unwrap(),
            vec![1.0, 1.5, 2.0]
        );
        let r = parse_ratios("0.8:1.2:0.1", "ratio").unwrap();
        assert_eq!(r, vec![0.8, 0.9, 1.0, 1.1, 1.2]);
        assert_eq!(parse_ratios("1:1.25:0.1", "ratio").unwrap().len(), 3);
    }

    #[test]
    fn errors_name_the_parameter_and_say_why() {
        for (spec, why) in [
            ("2:1:0.1", "above TO"),
            ("1:2:0", "STEP must be positive"),
            ("0:2:0.1", "out of range"),
            ("1:2", "FROM:TO:STEP"),
            ("a:2:0.1", "not a number"),
            ("1:2:1e-9", "more than"),
            ("1,x", "not a number"),
            ("1,-2", "out of range"),
            ("", "not a number"),
        ] {
            let e = parse_ratios(spec, "foundation_ratio").unwrap_err();
            assert!(e.is_usage());
            let msg = e.to_string();
            assert!(msg.contains(why), "{spec}: {msg}");
            assert!(msg.contains("foundation_ratio"), "{msg}");
        }
    }
}
