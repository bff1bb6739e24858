//! The learner's kernel in density evolution: the probability that a text does not
//! teach along an edge, given how many other skills of the text are unlearned.
//!
//! ```text
//! Poisson texts:   Σ_j P[Poisson(m) = j]     (1 - p_{j+1})
//! degree-k texts:  Σ_j P[Bin(k - 1, x) = j]  (1 - p_{j+1})
//! ```
//!
//! The table p_k is stored as runs of equal values, so a capacity of 10^7 is one
//! run, and each sum is a sum of the pmf over a few ranges. A range is summed from
//! its point nearest the mode outward until the terms no longer matter, with the
//! starting term computed by Loader's saddle-point formulas (no cancellation in
//! `ln k!` for large k): the cost is O(√mean) at worst, whatever the capacity.

/// Terms below this share of the running sum end a range sum.
const NEGLIGIBLE: f64 = 1e-18;

/// A learner table p_1, p_2, ... as runs of equal values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Kernel {
    /// (first k, last k, p_k) for every run with p_k < 1, in order.
    gaps: Vec<(usize, usize, f64)>,
    /// Length of the table: p_k = 0 for k > len.
    len: usize,
    /// p_1.
    p1: f64,
}

impl Kernel {
    /// From the table `probs[k - 1] = p_k`.
    pub fn new(probs: &[f64]) -> Self {
        let mut gaps: Vec<(usize, usize, f64)> = Vec::new();
        for (i, &p) in probs.iter().enumerate() {
            let k = i + 1;
            if p >= 1.0 {
                continue;
            }
            match gaps.last_mut() {
                Some(last) if last.1 + 1 == k && last.2 == p => last.1 = k,
                _ => gaps.push((k, k, p)),
            }
        }
        Kernel {
            gaps,
            len: probs.len(),
            p1: probs.first().copied().unwrap_or(0.0),
        }
    }

    /// The kernel of `learner`: its leading ones cost nothing, whatever their number.
    pub fn of(learner: &crate::peel::Learner) -> Self {
        let (ones, rest) = learner.table();
        let mut k = Kernel::new(rest);
        for g in &mut k.gaps {
            g.0 += ones;
            g.1 += ones;
        }
        k.len += ones;
        k.p1 = learner.prob(1);
        k
    }

    /// p_1: the chance that a text with one novel skill teaches it.
    pub fn p1(&self) -> f64 {
        self.p1
    }

    /// True when p_k = 0 for every k: the learner never teaches.
    pub fn never_teaches(&self) -> bool {
        self.gaps.len() == 1 && self.gaps[0] == (1, self.len, 0.0) || self.len == 0
    }

    /// `Σ_j P[Poisson(m) = j] (1 - p_{j+1})`.
    pub fn not_teach_poisson(&self, m: f64) -> f64 {
        if m.is_nan() || m <= 0.0 {
            return 1.0 - self.p1;
        }
        if !m.is_finite() {
            return 1.0;
        }
        let d = Poisson { m };
        self.sum(&d)
    }

    /// `Σ_j P[Bin(n, x) = j] (1 - p_{j+1})`: a text with n other skills, each
    /// unlearned with probability x.
    pub fn not_teach_binomial(&self, n: usize, x: f64) -> f64 {
        if x.is_nan() || x <= 0.0 {
            return 1.0 - self.p1;
        }
        if x >= 1.0 {
            return 1.0 - self.p(n + 1);
        }
        self.sum(&Binomial { n, x })
    }

    /// p_k (0 beyond the table).
    pub fn p(&self, k: usize) -> f64 {
        if k == 0 || k > self.len {
            return 0.0;
        }
        match self.gaps.binary_search_by(|g| {
            if g.1 < k {
                std::cmp::Ordering::Less
            } else if g.0 > k {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        }) {
            Ok(i) => self.gaps[i].2,
            Err(_) => 1.0,
        }
    }

    /// Σ over the runs with p < 1 of (1 - p) P[run], plus P[J >= len].
    fn sum(&self, d: &dyn Pmf) -> f64 {
        let mut s = 0.0;
        for &(a, b, p) in &self.gaps {
            // p_{j+1} for j in [a - 1, b - 1].
            s += (1.0 - p) * range_sum(d, a - 1, b - 1);
        }
        s + upper_tail(d, self.len)
    }
}

/// `P[J >= a]`: by its complement when the mode lies above `a` (a short sum of
/// falling terms instead of O(√mean) terms around the mode; the result is then
/// above 1/2, so the subtraction loses nothing).
fn upper_tail(d: &dyn Pmf, a: usize) -> f64 {
    if a == 0 {
        return 1.0;
    }
    if a <= d.mode() {
        let below = range_sum(d, 0, a - 1);
        if below <= 0.5 {
            return 1.0 - below;
        }
    }
    range_sum(d, a, usize::MAX)
}

/// A unimodal pmf on 0..=max.
trait Pmf {
    /// Largest value with positive probability.
    fn max(&self) -> usize;
    /// A mode.
    fn mode(&self) -> usize;
    /// ln P[J = j].
    fn ln_pmf(&self, j: usize) -> f64;
    /// P[J = j + 1] / P[J = j].
    fn up(&self, j: usize) -> f64;
}

struct Poisson {
    m: f64,
}

impl Pmf for Poisson {
    fn max(&self) -> usize {
        usize::MAX - 1
    }
    fn mode(&self) -> usize {
        self.m.floor().min(1e18) as usize
    }
    fn ln_pmf(&self, j: usize) -> f64 {
        if j == 0 {
            return -self.m;
        }
        let j = j as f64;
        -0.5 * (2.0 * std::f64::consts::PI * j).ln() - stirlerr(j) - bd0(j, self.m)
    }
    fn up(&self, j: usize) -> f64 {
        self.m / (j + 1) as f64
    }
}

struct Binomial {
    n: usize,
    x: f64,
}

impl Pmf for Binomial {
    fn max(&self) -> usize {
        self.n
    }
    fn mode(&self) -> usize {
        (((self.n + 1) as f64 * self.x).floor() as usize).min(self.n)
    }
    fn ln_pmf(&self, j: usize) -> f64 {
        let (n, x) = (self.n, self.x);
        if j == 0 {
            return n as f64 * (-x).ln_1p();
        }
        if j == n {
            return n as f64 * x.ln();
        }
        let (nf, jf) = (n as f64, j as f64);
        let rest = nf - jf;
        stirlerr(nf) - stirlerr(jf) - stirlerr(rest) - bd0(jf, nf * x) - bd0(rest, nf * (1.0 - x))
            + 0.5 * (nf / (2.0 * std::f64::consts::PI * jf * rest)).ln()
    }
    fn up(&self, j: usize) -> f64 {
        if j >= self.n {
            return 0.0;
        }
        (self.n - j) as f64 / (j + 1) as f64 * (self.x / (1.0 - self.x))
    }
}

/// `P[a <= J <= b]`, summed from the point of [a, b] nearest the mode outward.
fn range_sum(d: &dyn Pmf, a: usize, b: usize) -> f64 {
    let b = b.min(d.max());
    if a > b {
        return 0.0;
    }
    let mode = d.mode();
    let start = mode.clamp(a, b);
    let first = d.ln_pmf(start).exp();
    if first == 0.0 {
        return 0.0;
    }
    let mut sum = first;
    // Upward.
    let mut t = first;
    let mut j = start;
    while j < b {
        t *= d.up(j);
        j += 1;
        sum += t;
        if j > mode && t <= sum * NEGLIGIBLE {
            break;
        }
    }
    // Downward.
    let mut t = first;
    let mut j = start;
    while j > a {
        j -= 1;
        let r = d.up(j);
        if r <= 0.0 {
            break;
        }
        t /= r;
        sum += t;
        if j < mode && t <= sum * NEGLIGIBLE {
            break;
        }
    }
    sum
}

/// `ln(n!) - ln(√(2π n) (n/e)^n)`: the error of Stirling's formula (Loader 2000).
fn stirlerr(n: f64) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n <= 15.0 {
        // Exact from ln Γ by summation (n is a whole number here).
        let mut lf = 0.0;
        let mut k = 2.0;
        while k <= n {
            lf += f64::ln(k);
            k += 1.0;
        }
        return lf - 0.5 * (2.0 * std::f64::consts::PI * n).ln() - n * n.ln() + n;
    }
    let nn = n * n;
    if n > 500.0 {
        return (S0 - S1 / nn) / n;
    }
    if n > 80.0 {
        return (S0 - (S1 - S2 / nn) / nn) / n;
    }
    if n > 35.0 {
        return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
    }
    (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
}

/// `x ln(x/np) + np - x` without cancellation (Loader 2000).
fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        let mut ej = 2.0 * x * v;
        let v2 = v * v;
        let mut j = 1.0;
        loop {
            ej *= v2;
            let s1 = s + ej / (2.0 * j + 1.0);
            if s1 == s {
                return s1;
            }
            s = s1;
            j += 1.0;
            if j > 1000.0 {
                return s;
            }
        }
    }
    x * (x / np).ln() + np - x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct_binomial(n: usize, x: f64, k: &Kernel) -> f64 {
        let mut s = 0.0;
        for j in 0..=n {
            let c = (0..j).fold(1.0, |a, i| a * (n - i) as f64 / (i + 1) as f64);
            s += c * x.powi(j as i32) * (1.0 - x).powi((n - j) as i32) * (1.0 - k.p(j + 1));
        }
        s
    }

    #[test]
    fn kernels_match_direct_sums() {
        for probs in [
            vec![1.0, 0.5, 0.25],
            vec![1.0],
            vec![0.7],
            vec![0.5, 1.0, 1.0, 0.2],
        ] {
            let k = Kernel::new(&probs);
            for (i, p) in probs.iter().enumerate() {
                assert_eq!(k.p(i + 1), *p);
            }
            assert_eq!(k.p(probs.len() + 1), 0.0);
            for &(n, x) in &[(0usize, 0.3f64), (1, 0.3), (5, 0.01), (7, 0.9), (30, 0.5)] {
                let v = k.not_teach_binomial(n, x);
                let d = direct_binomial(n, x, &k);
                assert!((v - d).abs() < 1e-13, "{probs:?} n={n} x={x}: {v} vs {d}");
            }
            for &m in &[1e-9f64, 0.01, 0.7, 3.0, 40.0, 700.0] {
                let mut direct = 0.0;
                let mut lp = -m;
                for j in 0..5000 {
                    direct += lp.exp() * (1.0 - k.p(j + 1));
                    lp += m.ln() - ((j + 1) as f64).ln();
                }
                let v = k.not_teach_poisson(m);
                assert!(
                    (v - direct).abs() < 1e-12 * direct.max(1e-3),
                    "{probs:?} m={m}: {v} vs {direct}"
                );
            }
        }
        // Relative precision for tiny arguments (no cancellation).
        let one = Kernel::new(&[1.0]);
        let v = one.not_teach_poisson(1e-9);
        assert!((v / 1e-9 - 1.0).abs() < 1e-6, "{v}");
        let v = one.not_teach_binomial(3, 1e-9);
        assert!((v / 3e-9 - 1.0).abs() < 1e-6, "{v}");
    }

    #[test]
    fn large_capacity_is_one_run_and_matches_the_normal_limit() {
        let c = 10_000_000usize;
        let k = Kernel::new(&vec![1.0; c]);
        assert!(k.gaps.is_empty());
        // P[Poisson(c) >= c] tends to 1/2 + 1/(3√(2πc)).
        let v = k.not_teach_poisson(c as f64);
        let expect = 0.5 + 1.0 / (3.0 * (2.0 * std::f64::consts::PI * c as f64).sqrt());
        assert!((v - expect).abs() < 1e-7, "{v} vs {expect}");
        // Far below and above the capacity.
        assert!(k.not_teach_poisson(0.9 * c as f64) < 1e-200);
        assert!((k.not_teach_poisson(1.1 * c as f64) - 1.0).abs() < 1e-10);
        let z = Kernel::new(&[0.0]);
        assert!(z.never_teaches() && !one_teaches_never());
        assert_eq!(z.not_teach_poisson(2.0), 1.0);
    }

    fn one_teaches_never() -> bool {
        Kernel::new(&[1.0]).never_teaches()
    }

    #[test]
    fn stirling_error_is_continuous_across_its_branches() {
        for n in [15.0f64, 16.0, 35.0, 36.0, 80.0, 81.0, 500.0, 501.0] {
            let exact: f64 = (2..=n as u64).map(|k| (k as f64).ln()).sum::<f64>()
                - 0.5 * (2.0 * std::f64::consts::PI * n).ln()
                - n * n.ln()
                + n;
            assert!((stirlerr(n) - exact).abs() < 1e-9, "{n}");
        }
    }
}
