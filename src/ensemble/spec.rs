//! Degree specs (`fixed:3`, `poisson:2.5`, `poly:0.5x^2+0.28x^3+0.22x^8`) and
//! popularity specs (`uniform`, `zipf:1.1`), and the degree distributions they give.

use crate::{Error, Result};
use rand::Rng;
use std::fmt;
use std::str::FromStr;

/// A node degree distribution as written by a user.
#[derive(Debug, Clone, PartialEq)]
pub enum DegreeSpec {
    /// Every node has degree K.
    Fixed(u32),
    /// Poisson degrees with this mean.
    Poisson(f64),
    /// `Σ c_k x^k`, node-perspective coefficients summing to 1, as (k, c_k) pairs
    /// sorted by k.
    Poly(Vec<(u32, f64)>),
}

/// How a text-driven ensemble picks the skills of a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Popularity {
    /// Every skill equally likely.
    Uniform,
    /// Skill i (from 1) is picked with weight `i^-s`.
    Zipf(f64),
}

/// Largest degree a spec may produce: keeps tables small and catches typos.
pub const MAX_DEGREE: u32 = 1 << 20;

fn spec_error(spec: &str, why: impl fmt::Display) -> Error {
    Error::invalid(format!("degree spec '{spec}': {why}"))
}

fn parse_positive(spec: &str, text: &str, what: &str) -> Result<f64> {
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| spec_error(spec, format!("{what} '{text}' is not a number")))?;
    if !v.is_finite() || v <= 0.0 {
        return Err(spec_error(
            spec,
            format!("{what} must be positive and finite, got {v}"),
        ));
    }
    Ok(v)
}

impl FromStr for DegreeSpec {
    type Err = Error;

    fn from_str(spec: &str) -> Result<Self> {
        let s = spec.trim();
        if s.is_empty() {
            return Err(Error::invalid(
                "empty degree spec: expected fixed:K, poisson:MEAN or poly:c1x^k1+c2x^k2...",
            ));
        }
        let (kind, body) = s.split_once(':').ok_or_else(|| {
            spec_error(
                spec,
                "expected fixed:K, poisson:MEAN or poly:c1x^k1+c2x^k2...",
            )
        })?;
        match kind.trim() {
            "fixed" => {
                let k: u32 = body.trim().parse().map_err(|_| {
                    spec_error(spec, format!("degree '{body}' is not a whole number"))
                })?;
                if k == 0 {
                    return Err(spec_error(
                        spec,
                        "degree 0 makes no sense: nodes need edges",
                    ));
                }
                if k > MAX_DEGREE {
                    return Err(spec_error(spec, format!("degree above {MAX_DEGREE}")));
                }
                Ok(DegreeSpec::Fixed(k))
            }
            "poisson" => {
                let mean = parse_positive(spec, body, "mean")?;
                if mean > 1e5 {
                    return Err(spec_error(spec, "mean above 100000"));
                }
                Ok(DegreeSpec::Poisson(mean))
            }
            "poly" => parse_poly(spec, body),
            "zipf" => Err(spec_error(
                spec,
                "zipf:S is a skill popularity, not a degree distribution",
            )),
            other => Err(spec_error(
                spec,
                format!("unrecognized kind '{other}' (expected fixed, poisson or poly)"),
            )),
        }
    }
}

fn parse_poly(spec: &str, body: &str) -> Result<DegreeSpec> {
    let body: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    if body.is_empty() {
        return Err(spec_error(spec, "no terms"));
    }
    let mut terms: Vec<(u32, f64)> = Vec::new();
    for term in body.split('+') {
        if term.is_empty() {
            return Err(spec_error(spec, "empty term"));
        }
        let (coef, power) = match term.find('x') {
            None => {
                return Err(spec_error(
                    spec,
                    format!("term '{term}' has no x: a degree 0 term makes no sense"),
                ));
            }
            Some(i) => (&term[..i], &term[i + 1..]),
        };
        let coef = coef.strip_suffix('*').unwrap_or(coef);
        let c = if coef.is_empty() {
            1.0
        } else {
            parse_positive(spec, coef, "coefficient")?
        };
        let k: u32 = if power.is_empty() {
            1
        } else {
            let p = power
                .strip_prefix('^')
                .ok_or_else(|| spec_error(spec, format!("term '{term}': expected x^K")))?;
            p.parse().map_err(|_| {
                spec_error(spec, format!("term '{term}': power is not a whole number"))
            })?
        };
        if k == 0 {
            return Err(spec_error(
                spec,
                format!("term '{term}': degree 0 makes no sense"),
            ));
        }
        if k > MAX_DEGREE {
            return Err(spec_error(
                spec,
                format!("term '{term}': degree above {MAX_DEGREE}"),
            ));
        }
        if terms.iter().any(|&(j, _)| j == k) {
            return Err(spec_error(spec, format!("degree {k} appears twice")));
        }
        terms.push((k, c));
    }
    let sum: f64 = terms.iter().map(|&(_, c)| c).sum();
    if (sum - 1.0).abs() > 1e-9 {
        return Err(spec_error(
            spec,
            format!("coefficients sum to {sum}, not 1 (they are node fractions)"),
        ));
    }
    terms.sort_by_key(|&(k, _)| k);
    Ok(DegreeSpec::Poly(terms))
}

impl fmt::Display for DegreeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DegreeSpec::Fixed(k) => write!(f, "fixed:{k}"),
            DegreeSpec::Poisson(m) => write!(f, "poisson:{m}"),
            DegreeSpec::Poly(terms) => {
                let parts: Vec<String> = terms.iter().map(|(k, c)| format!("{c}x^{k}")).collect();
                write!(f, "poly:{}", parts.join("+"))
            }
        }
    }
}

impl DegreeSpec {
    /// The node-perspective distribution this spec describes.
    pub fn distribution(&self) -> DegreeDistribution {
        match self {
            DegreeSpec::Fixed(k) => DegreeDistribution::from_terms(vec![(*k, 1.0)]),
            DegreeSpec::Poisson(mean) => DegreeDistribution::poisson(*mean),
            DegreeSpec::Poly(terms) => DegreeDistribution::from_terms(terms.clone()),
        }
    }

    /// True for `fixed:` and `poly:` specs (degrees with no zero term, bounded).
    pub fn is_fixed_form(&self) -> bool {
        !matches!(self, DegreeSpec::Poisson(_))
    }

    /// Mean degree `Λ'(1)`.
    pub fn mean(&self) -> f64 {
        match self {
            DegreeSpec::Fixed(k) => *k as f64,
            DegreeSpec::Poisson(m) => *m,
            DegreeSpec::Poly(terms) => terms.iter().map(|&(k, c)| k as f64 * c).sum(),
        }
    }
}

impl FromStr for Popularity {
    type Err = Error;

    fn from_str(spec: &str) -> Result<Self> {
        let s = spec.trim();
        if s == "uniform" {
            return Ok(Popularity::Uniform);
        }
        let body = s.strip_prefix("zipf:").ok_or_else(|| {
            Error::invalid(format!(
                "popularity spec '{spec}': expected uniform or zipf:S"
            ))
        })?;
        let v: f64 = body.trim().parse().map_err(|_| {
            Error::invalid(format!(
                "popularity spec '{spec}': exponent '{body}' is not a number"
            ))
        })?;
        if !v.is_finite() || v <= 0.0 || v > 20.0 {
            return Err(Error::invalid(format!(
                "popularity spec '{spec}': the exponent must be in (0, 20]"
            )));
        }
        Ok(Popularity::Zipf(v))
    }
}

impl fmt::Display for Popularity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Popularity::Uniform => write!(f, "uniform"),
            Popularity::Zipf(s) => write!(f, "zipf:{s}"),
        }
    }
}

/// A node-perspective degree distribution `Λ(x) = Σ Λ_k x^k`, stored sparsely (only
/// the degrees with positive probability), with its generating functions and a
/// sampler. Poisson degrees keep their closed form, so the cost of evaluating a
/// distribution does not grow with its largest degree.
#[derive(Debug, Clone, PartialEq)]
pub struct DegreeDistribution {
    /// (k, Λ_k) with Λ_k > 0, sorted by k.
    terms: Vec<(u32, f64)>,
    cdf: Vec<f64>,
    mean: f64,
    /// Some(mean) for Poisson degrees: generating functions in closed form.
    poisson: Option<f64>,
}

/// Above this many terms the sampler bisects the CDF instead of scanning it.
const LINEAR_SCAN: usize = 32;

impl DegreeDistribution {
    /// From node-perspective probabilities (entry k is `Λ_k`), renormalized to sum 1.
    pub fn from_pmf(pmf: Vec<f64>) -> Self {
        let terms = pmf
            .iter()
            .enumerate()
            .filter(|(_, p)| **p > 0.0)
            .map(|(k, &p)| (k as u32, p))
            .collect();
        Self::from_terms(terms)
    }

    /// From (degree, probability) pairs (any order, zero probabilities dropped),
    /// renormalized to sum 1. Repeated degrees add up.
    pub fn from_terms(mut terms: Vec<(u32, f64)>) -> Self {
        terms.retain(|t| t.1 > 0.0 && t.1.is_finite());
        terms.sort_by_key(|t| t.0);
        terms.dedup_by(|b, a| {
            if a.0 == b.0 {
                a.1 += b.1;
                true
            } else {
                false
            }
        });
        let total: f64 = terms.iter().map(|t| t.1).sum();
        if total > 0.0 {
            for t in &mut terms {
                t.1 /= total;
            }
        }
        let mut cdf = Vec::with_capacity(terms.len());
        let mut acc = 0.0;
        for t in &terms {
            acc += t.1;
            cdf.push(acc);
        }
        let mean = terms.iter().map(|&(k, p)| k as f64 * p).sum();
        DegreeDistribution {
            terms,
            cdf,
            mean,
            poisson: None,
        }
    }

    /// From a histogram of observed degrees (entry k counts nodes of degree k).
    pub fn from_histogram(hist: &[u64]) -> Self {
        Self::from_pmf(hist.iter().map(|&c| c as f64).collect())
    }

    /// Poisson with this mean: closed-form generating functions; the sampler uses the
    /// table truncated where the tail is below 1e-16.
    pub fn poisson(mean: f64) -> Self {
        let mut terms = Vec::new();
        let mut log_p = -mean;
        let mut acc = 0.0;
        let mut k = 0usize;
        loop {
            let p = log_p.exp();
            if p > 0.0 {
                terms.push((k as u32, p));
            }
            acc += p;
            k += 1;
            if (k as f64 > mean && 1.0 - acc < 1e-16) || k > 1_000_000 {
                break;
            }
            log_p += mean.ln() - (k as f64).ln();
        }
        let mut d = Self::from_terms(terms);
        d.mean = mean;
        d.poisson = Some(mean);
        d
    }

    /// `Λ_k`, the fraction of nodes of degree k.
    pub fn prob(&self, k: usize) -> f64 {
        match self.terms.binary_search_by_key(&(k as u64), |t| t.0 as u64) {
            Ok(i) => self.terms[i].1,
            Err(_) => 0.0,
        }
    }

    /// The degrees with positive probability and their probabilities `(k, Λ_k)`,
    /// sorted by k.
    pub fn terms(&self) -> &[(u32, f64)] {
        &self.terms
    }

    /// The mean when the degrees are Poisson (closed-form generating functions).
    pub fn poisson_mean(&self) -> Option<f64> {
        self.poisson
    }

    /// Largest degree with positive probability.
    pub fn max_degree(&self) -> usize {
        self.terms.last().map_or(0, |t| t.0 as usize)
    }

    /// Smallest degree with positive probability.
    pub fn min_degree(&self) -> usize {
        self.terms.first().map_or(0, |t| t.0 as usize)
    }

    /// Mean degree `Λ'(1)`.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Node-perspective generating function `Λ(x)`.
    pub fn node_gf(&self, x: f64) -> f64 {
        match self.poisson {
            Some(m) => (-m * (1.0 - x)).exp(),
            None => self.terms.iter().map(|&(k, p)| p * pow(x, k)).sum(),
        }
    }

    /// Edge-perspective generating function `λ(x) = Λ'(x) / Λ'(1)`.
    pub fn edge_gf(&self, x: f64) -> f64 {
        if self.mean <= 0.0 {
            return 0.0;
        }
        match self.poisson {
            Some(m) => (-m * (1.0 - x)).exp(),
            None => {
                self.terms
                    .iter()
                    .filter(|t| t.0 > 0)
                    .map(|&(k, p)| k as f64 * p * pow(x, k - 1))
                    .sum::<f64>()
                    / self.mean
            }
        }
    }

    /// `λ'(x)`.
    pub fn edge_gf_deriv(&self, x: f64) -> f64 {
        if self.mean <= 0.0 {
            return 0.0;
        }
        match self.poisson {
            Some(m) => m * (-m * (1.0 - x)).exp(),
            None => {
                self.terms
                    .iter()
                    .filter(|t| t.0 > 1)
                    .map(|&(k, p)| k as f64 * (k - 1) as f64 * p * pow(x, k - 2))
                    .sum::<f64>()
                    / self.mean
            }
        }
    }

    /// Edge-perspective probabilities `(k, λ_k)`: the fraction of edges whose node has
    /// degree k.
    pub fn edge_terms(&self) -> Vec<(u32, f64)> {
        self.terms
            .iter()
            .filter(|t| t.0 > 0 && self.mean > 0.0)
            .map(|&(k, p)| (k, k as f64 * p / self.mean))
            .collect()
    }

    /// Draws one degree.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        let u: f64 = rng.random();
        let i = if self.cdf.len() <= LINEAR_SCAN {
            // Short, front-loaded tables: a linear scan beats a search.
            self.cdf.iter().position(|&c| u < c)
        } else {
            let i = self.cdf.partition_point(|&c| c <= u);
            (i < self.cdf.len()).then_some(i)
        };
        match i {
            Some(i) => self.terms[i].0,
            None => self.max_degree() as u32,
        }
    }
}

/// x^k for a degree k (exact 0^0 = 1).
#[inline]
fn pow(x: f64, k: u32) -> f64 {
    match k {
        0 => 1.0,
        1 => x,
        _ => x.powi(k as i32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(
            "fixed:3".parse::<DegreeSpec>().unwrap(),
            DegreeSpec::Fixed(3)
        );
        assert_eq!(
            "poisson:2.5".parse::<DegreeSpec>().unwrap(),
            DegreeSpec::Poisson(2.5)
        );
        let p = "poly:0.5x^2+0.28x^3+0.22x^8".parse::<DegreeSpec>().unwrap();
        assert_eq!(p, DegreeSpec::Poly(vec![(2, 0.5), (3, 0.28), (8, 0.22)]));
        assert!((p.mean() - 3.6).abs() < 1e-12);
        assert_eq!(
            "poly:x^2".parse::<DegreeSpec>().unwrap(),
            DegreeSpec::Poly(vec![(2, 1.0)])
        );
        assert_eq!(
            "poly: 0.4x + 0.6x^3".parse::<DegreeSpec>().unwrap(),
            DegreeSpec::Poly(vec![(1, 0.4), (3, 0.6)])
        );
        assert_eq!(
            "zipf:1.1".parse::<Popularity>().unwrap(),
            Popularity::Zipf(1.1)
        );
        assert_eq!(
            "uniform".parse::<Popularity>().unwrap(),
            Popularity::Uniform
        );
    }

    #[test]
    fn rejects_malformed_specs_quoting_them() {
        for bad in [
            "",
            "fixed:",
            "fixed:-1",
            "fixed:0",
            "fixed:two",
            "poisson:-2",
            "poisson:nan",
            "poisson:0",
            "poly:0.5x^2+0.4x^3",
            "poly:0.5+0.5x^2",
            "poly:0.5x^0+0.5x^2",
            "poly:-0.5x^2+1.5x^3",
            "poly:0.5x^2+0.5x^2",
            "poly:",
            "poly:0.5x^2++0.5x^3",
            "zipf:1.1",
            "gauss:3",
            "3",
        ] {
            let err = bad.parse::<DegreeSpec>().unwrap_err().to_string();
            assert!(
                err.contains(&format!("'{bad}'")) || bad.is_empty(),
                "{bad}: {err}"
            );
        }
        for bad in ["zipf:", "zipf:-1", "zipf:x", "poisson:2"] {
            assert!(bad.parse::<Popularity>().is_err(), "{bad}");
        }
    }

    #[test]
    fn distributions_have_the_right_moments() {
        let d = DegreeDistribution::poisson(2.5);
        assert!((d.mean() - 2.5).abs() < 1e-12);
        assert!((d.node_gf(1.0) - 1.0).abs() < 1e-12);
        let x: f64 = 0.3;
        assert!((d.node_gf(x) - (2.5 * (x - 1.0)).exp()).abs() < 1e-12);
        assert!((d.edge_gf(x) - (2.5 * (x - 1.0)).exp()).abs() < 1e-12);
        let p = "poly:0.5x^2+0.28x^3+0.22x^8"
            .parse::<DegreeSpec>()
            .unwrap()
            .distribution();
        let lam = |x: f64| (2.0 * 0.5 * x + 3.0 * 0.28 * x * x + 8.0 * 0.22 * x.powi(7)) / 3.6;
        assert!((p.edge_gf(0.7) - lam(0.7)).abs() < 1e-12);
        let e = p.edge_terms();
        assert!((e.iter().map(|t| t.1).sum::<f64>() - 1.0).abs() < 1e-12);
        let h = 0.7f64;
        let num = (p.edge_gf(h + 1e-6) - p.edge_gf(h - 1e-6)) / 2e-6;
        assert!((p.edge_gf_deriv(h) - num).abs() < 1e-6);
        // A degree of 2^20 costs one term.
        let big = DegreeSpec::Fixed(1 << 20).distribution();
        assert_eq!(big.terms().len(), 1);
        assert_eq!(big.edge_gf(0.5), 0.5f64.powi((1 << 20) - 1));
    }
}
