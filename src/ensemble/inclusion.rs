//! What the text-driven sampler's distinct Zipf picks mean for density evolution.
//!
//! [`super::SkillPicker`] draws skills by weight and rejects repeats, so a text of
//! degree d holds the first d distinct skills of a sequence of weighted draws
//! (successive sampling). Give skill i an exponential clock of rate w_i (Σ w = 1):
//! the text is the set of the first d clocks to ring. With S(t) the number of clocks
//! rung by time t and T_k the time of the k-th ring:
//!
//! ```text
//! π_i(d) = P(skill i is in a text of degree d) = ∫ w_i e^(-w_i t) P(S_-i(t) ≤ d-1) dt
//! E[T_k^p]                                        = ∫ p t^(p-1) P(S(t) ≤ k-1) dt
//! ```
//!
//! Skill i's degree is then Binomial(T, π_i) ≈ Poisson(R N π_i), with π_i = Σ_d Γ_d
//! π_i(d); for a rare skill π_i ≈ w_i E\[T_d\], larger than d w_i (the head's repeats
//! are rejected, so the tail is drawn more often than its weight says).
//!
//! The skills that stay unlearned are rare (weight → 0). The other d − 1 skills of a
//! text that holds a rare skill are the first d − 1 rings weighted by T_d, not the
//! edge average. When each skill l is unlearned independently with probability u_l
//! and only rare skills are (U = Σ_l w_l u_l), the number K of unlearned others has
//! the factorial moments
//!
//! ```text
//! E[K (K-1) ··· (K-r+1)] = U^r E[T_{d-r}^{r+1}] / E[T_d]        (r = 0 .. d-1)
//! ```
//!
//! (r rare skills and the text's own rare skill must all ring before the pool's
//! (d−r)-th ring), so P(K = k) follows by inclusion-exclusion; a rare skill's texts
//! have degree d with probability Γ_d E\[T_d\] / Σ Γ_d' E\[T_d'\]. For equal weights
//! E[T_k^p] → k (k+1) ··· (k+p-1) and K is Binomial(d − 1, U): the uniform DE.
//!
//! The integrals are trapezoid sums in ln t (spectrally accurate for these smooth,
//! doubly decaying integrands). The sampler's fallback after 64 d + 64 rejected draws
//! (the most popular unchosen skills) is left out: it only acts when a text's degree
//! is close to the number of skills under a very steep popularity.

use super::DegreeDistribution;

/// Text degrees above this use the first factorial moment only (a binomial with
/// the right mean): the alternating inclusion-exclusion sum loses precision.
pub const MAX_EXACT_DEGREE: usize = 12;

/// Successive sampling by weight: inclusion probabilities and the law of a rare
/// skill's text-mates, for a text degree law Γ.
#[derive(Debug, Clone, PartialEq)]
pub struct SuccessiveSampling {
    /// π_i: probability that skill i (in the order of the weights) is in a text.
    pub inclusion: Vec<f64>,
    /// The text degree law Γ, as sampled (degrees capped at the number of skills).
    pub gamma: DegreeDistribution,
    /// One entry per text degree.
    pub laws: Vec<SlotLaw>,
    /// Σ_d Γ_d E\[T_d\]: a rare skill of weight w is in a text with probability w times this.
    pub mean_time: f64,
    /// Σ_i π_i: the mean text degree.
    pub mean_degree: f64,
    /// The Zipf exponent s of the weights, when they are Zipf's (set by the caller).
    pub zipf_exponent: Option<f64>,
}

/// The mates of a rare skill in a text of one degree.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotLaw {
    /// The text degree d.
    pub degree: usize,
    /// Γ_d.
    pub share: f64,
    /// Γ_d E\[T_d\] / Σ Γ E\[T\]: the share of a rare skill's texts with this degree.
    pub rare_share: f64,
    /// b_r = E\[T_{d-r}^{r+1}\] / (E\[T_d\] r!) for r = 0 .. d-1 (only the first two
    /// above [`MAX_EXACT_DEGREE`]).
    pub moments: Vec<f64>,
    /// E[T_{d-r+1}^r] / r! for r = 0 .. d: the factorial moments of the rare skills
    /// in a fresh text of this degree, divided by U^r.
    pub fresh_moments: Vec<f64>,
}

impl SlotLaw {
    /// P(K = k), k = 0 .. d-1: how many of the d − 1 other skills of a rare skill's
    /// text are unlearned, when every skill is unlearned with probability `a` and
    /// the rare ones, besides, with extra probabilities whose weighted sum is `u`
    /// (U = Σ w_l (u_l − a) / (1 − a)): K = K' + Bin(d − 1 − K', a), K' from the
    /// factorial moments.
    pub fn others(&self, u: f64, a: f64) -> Vec<f64> {
        let d = self.degree;
        if d == 0 {
            return vec![1.0];
        }
        let extra = rare_law(&self.moments, d - 1, u);
        add_uniform_layer(&extra, a)
    }

    /// P(no skill of a fresh text of this degree is unlearned), with `u` and `a`
    /// as in [`SlotLaw::others`].
    pub fn fresh_all_learned(&self, u: f64, a: f64) -> f64 {
        let none = rare_law(&self.fresh_moments, self.degree, u)[0];
        none * (1.0 - a.clamp(0.0, 1.0)).powi(self.degree as i32)
    }
}

/// The law of the number of marked rare skills among `n` slots whose factorial
/// moments over r! are `moments[r] u^r`: by inclusion-exclusion up to
/// [`MAX_EXACT_DEGREE`] slots (falling back, like larger n, to the binomial with the
/// exact mean when rounding breaks the alternating sum).
fn rare_law(moments: &[f64], n: usize, u: f64) -> Vec<f64> {
    let u = u.clamp(0.0, 1.0);
    let binomial = || binomial_pmf(n, (u * moments[1.min(n)] / n.max(1) as f64).clamp(0.0, 1.0));
    if n == 0 {
        return vec![1.0];
    }
    if n > MAX_EXACT_DEGREE {
        return binomial();
    }
    let f: Vec<f64> = (0..=n).map(|r| moments[r] * u.powi(r as i32)).collect();
    let raw = inclusion_exclusion(&f);
    let total: f64 = raw.iter().sum();
    if raw.iter().any(|p| !(-1e-9..=1.0 + 1e-9).contains(p)) || (total - 1.0).abs() > 1e-6 {
        return binomial();
    }
    raw.into_iter().map(|p| p.clamp(0.0, 1.0)).collect()
}

/// K = K' + Bin(n − K', a) for K' ~ `extra` on {0 .. n}.
fn add_uniform_layer(extra: &[f64], a: f64) -> Vec<f64> {
    let a = a.clamp(0.0, 1.0);
    if a == 0.0 {
        return extra.to_vec();
    }
    let n = extra.len() - 1;
    let mut out = vec![0.0; n + 1];
    for (k1, &p) in extra.iter().enumerate() {
        if p == 0.0 {
            continue;
        }
        for (j, b) in binomial_pmf(n - k1, a).into_iter().enumerate() {
            out[k1 + j] += p * b;
        }
    }
    out
}

/// P(K = k) from f_r = E[K^(r)] / r! (falling factorial moments), unclamped.
fn inclusion_exclusion(f: &[f64]) -> Vec<f64> {
    let n = f.len();
    (0..n)
        .map(|k| {
            let mut s = 0.0;
            let mut c = 1.0; // C(r, k)
            for (r, fr) in f.iter().enumerate().skip(k) {
                if r > k {
                    c = c * r as f64 / (r - k) as f64;
                }
                let sign = if (r - k) % 2 == 0 { 1.0 } else { -1.0 };
                s += sign * c * fr;
            }
            s
        })
        .collect()
}

fn binomial_pmf(n: usize, x: f64) -> Vec<f64> {
    let mut p = vec![0.0; n + 1];
    let mut c = 1.0;
    for (k, pk) in p.iter_mut().enumerate() {
        *pk = c * x.powi(k as i32) * (1.0 - x).powi((n - k) as i32);
        c = c * (n - k) as f64 / (k + 1) as f64;
    }
    p
}

/// Step of the trapezoid sums in ln t.
const STEP: f64 = 0.2;
/// First node: P(a ring before t) ≤ t, so the integrals below it are below 1e-9
/// relative.
const T_START: f64 = 1e-9;
/// Most nodes of one integral (a guard; ordinary sizes use a few hundred).
const MAX_NODES: usize = 20_000;

/// Inclusion probabilities and rare-skill mate laws of successive sampling by
/// `weights` (summing to 1, in decreasing order, as Zipf weights are) for text
/// degrees `gamma`.
pub fn successive_sampling(weights: &[f64], gamma: &DegreeDistribution) -> SuccessiveSampling {
    let n = weights.len();
    let capped = DegreeDistribution::from_terms(
        gamma
            .terms()
            .iter()
            .map(|&(k, p)| ((k as usize).min(n) as u32, p))
            .collect(),
    );
    let terms: Vec<(usize, f64)> = capped
        .terms()
        .iter()
        .map(|&(k, p)| (k as usize, p))
        .collect();
    // Texts that hold every skill hold each one surely; the integrals cover d < n.
    let full: f64 = terms.iter().filter(|t| t.0 >= n).map(|t| t.1).sum();
    let dmax = terms
        .iter()
        .filter(|t| t.0 < n)
        .map(|t| t.0)
        .max()
        .unwrap_or(0);
    let pmax = dmax.min(MAX_EXACT_DEGREE + 1) + 1;
    // gbar[k] = Σ_{d > k, d < n} Γ_d.
    let gbar: Vec<f64> = (0..dmax.max(1))
        .map(|k| {
            terms
                .iter()
                .filter(|t| t.0 > k && t.0 < n)
                .map(|t| t.1)
                .sum()
        })
        .collect();
    let mut pi = vec![0.0; n];
    // mom[k][p] = E[T_k^p] for k = 0 ..= dmax, p = 0 ..= pmax.
    let mut mom = vec![vec![0.0; pmax + 1]; dmax + 1];
    if dmax > 0 {
        let step = STEP.min(1.0 / (dmax as f64).sqrt());
        let len = dmax + 1;
        let mut e = vec![0.0; n];
        let mut q = vec![0.0; n];
        let mut tail = vec![0.0; len];
        let mut head_acc = vec![0.0; len];
        let mut loo = vec![0.0; len];
        let mut suf: Vec<Vec<f64>> = Vec::new();
        let mut ln_t = T_START.ln();
        for _ in 0..MAX_NODES {
            let t = ln_t.exp();
            for i in 0..n {
                q[i] = -(-weights[i] * t).exp_m1();
                e[i] = 1.0 - q[i];
            }
            let head = q.iter().take_while(|&&v| v > 0.5).count();
            tail.iter_mut().for_each(|c| *c = 0.0);
            tail[0] = 1.0;
            for i in head..n {
                mul_linear(&mut tail, e[i], q[i]);
            }
            // Suffix products of the head, then the running prefix times the tail.
            suf.resize(head + 1, vec![0.0; len]);
            suf[head].iter_mut().for_each(|c| *c = 0.0);
            suf[head][0] = 1.0;
            for i in (0..head).rev() {
                let (a, b) = suf.split_at_mut(i + 1);
                a[i].copy_from_slice(&b[0]);
                mul_linear(&mut a[i], e[i], q[i]);
            }
            head_acc.copy_from_slice(&tail);
            for i in 0..head {
                convolve_into(&head_acc, &suf[i + 1], &mut loo);
                pi[i] += weights[i] * t * e[i] * dot(&loo, &gbar);
                mul_linear(&mut head_acc, e[i], q[i]);
            }
            let all = &head_acc;
            for i in head..n {
                // Dividing by (e + q z) is stable while q <= e.
                let mut prev = 0.0;
                for k in 0..dmax {
                    let c = (all[k] - q[i] * prev) / e[i];
                    loo[k] = c.max(0.0);
                    prev = loo[k];
                }
                pi[i] += weights[i] * t * e[i] * dot(&loo[..dmax], &gbar);
            }
            // Moments: F_k = P(S ≤ k - 1).
            let mut cdf = 0.0;
            for k in 1..=dmax {
                cdf += all[k - 1];
                let mut tp = 1.0;
                for (p, m) in mom[k].iter_mut().enumerate().skip(1) {
                    tp *= t;
                    *m += p as f64 * tp * cdf;
                }
            }
            let le_max: f64 = all.iter().sum();
            ln_t += step;
            if t > 1.0 && le_max * t.powi(pmax as i32 + 1) < 1e-14 {
                break;
            }
        }
        for v in &mut pi {
            *v *= step;
        }
        for row in &mut mom {
            for m in row.iter_mut() {
                *m *= step;
            }
        }
    }
    for v in &mut pi {
        *v = (*v + full).min(1.0);
    }
    let mut laws: Vec<SlotLaw> = terms
        .iter()
        .map(|&(d, share)| {
            if d >= n {
                // Every skill in every such text: the uniform law over n skills.
                return uniform_law(d, share);
            }
            let td = mom[d][1];
            let exact = d <= MAX_EXACT_DEGREE + 1;
            let moments = (0..d)
                .map(|r| {
                    if !exact && r > 1 {
                        return 0.0;
                    }
                    mom[d - r][r + 1] / (td * factorial(r))
                })
                .collect();
            let fresh_moments = (0..=d)
                .map(|r| {
                    if r == 0 {
                        1.0
                    } else if !exact && r > 1 {
                        0.0
                    } else {
                        mom[d - r + 1][r] / factorial(r)
                    }
                })
                .collect();
            SlotLaw {
                degree: d,
                share,
                rare_share: share * td,
                moments,
                fresh_moments,
            }
        })
        .collect();
    let mean_time: f64 = laws.iter().map(|l| l.rare_share).sum();
    for l in &mut laws {
        l.rare_share = if mean_time > 0.0 {
            l.rare_share / mean_time
        } else {
            l.share
        };
    }
    let mean_degree = pi.iter().sum();
    SuccessiveSampling {
        inclusion: pi,
        gamma: capped,
        laws,
        mean_time,
        mean_degree,
        zipf_exponent: None,
    }
}

fn uniform_law(d: usize, share: f64) -> SlotLaw {
    // Falling factorials over r!: binomial coefficients.
    let binom = |n: usize, r: usize| (0..r).fold(1.0, |c, j| c * (n - j) as f64 / (j + 1) as f64);
    SlotLaw {
        degree: d,
        share,
        rare_share: share * d as f64,
        moments: (0..d).map(|r| binom(d - 1, r)).collect(),
        fresh_moments: (0..=d).map(|r| binom(d, r)).collect(),
    }
}

fn factorial(r: usize) -> f64 {
    (1..=r).fold(1.0, |a, k| a * k as f64)
}

/// c ← c · (e + q z), truncated to c's length.
fn mul_linear(c: &mut [f64], e: f64, q: f64) {
    for k in (0..c.len()).rev() {
        let lower = if k > 0 { c[k - 1] } else { 0.0 };
        c[k] = e * c[k] + q * lower;
    }
}

/// out ← a · b, truncated to out's length.
fn convolve_into(a: &[f64], b: &[f64], out: &mut [f64]) {
    for (k, o) in out.iter_mut().enumerate() {
        *o = (0..=k).map(|j| a[j] * b[k - j]).sum();
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensemble::{Popularity, SkillPicker, seeded_rng, zipf_weights};

    fn fixed(d: u32) -> DegreeDistribution {
        DegreeDistribution::from_terms(vec![(d, 1.0)])
    }

    #[test]
    fn equal_weights_give_d_over_n_and_gamma_moments() {
        let n = 2000;
        let s = successive_sampling(&vec![1.0 / n as f64; n], &fixed(3));
        for &p in &s.inclusion {
            assert!((p - 3.0 / n as f64).abs() < 1e-9 * 3.0 / n as f64, "{p}");
        }
        // E[T_3] = n (H_n - H_{n-3}) for n equal clocks.
        let exact: f64 = (0..3).map(|k| n as f64 / (n - k) as f64).sum();
        assert!(
            (s.mean_time - exact).abs() < 1e-8,
            "{} {exact}",
            s.mean_time
        );
        // The mates law tends to Binomial(2, U).
        let law = s.laws[0].others(0.3, 0.0);
        let bin = binomial_pmf(2, 0.3);
        for k in 0..3 {
            assert!((law[k] - bin[k]).abs() < 5e-3, "{law:?} {bin:?}");
        }
    }

    #[test]
    fn a_uniform_layer_alone_is_binomial_whatever_the_weights() {
        // Every skill unlearned with the same probability a: K ~ Bin(d − 1, a), and
        // with a = 1 every other skill is unlearned.
        let s = successive_sampling(&zipf_weights(500, 2.0), &fixed(4));
        let law = s.laws[0].others(0.0, 0.35);
        for (k, (p, b)) in law.iter().zip(binomial_pmf(3, 0.35)).enumerate() {
            assert!((p - b).abs() < 1e-15, "{k}: {p} {b}");
        }
        assert_eq!(s.laws[0].others(0.0, 1.0), vec![0.0, 0.0, 0.0, 1.0]);
        let fresh = s.laws[0].fresh_all_learned(0.0, 0.35);
        assert!((fresh - 0.65f64.powi(4)).abs() < 1e-15);
    }

    #[test]
    fn inclusion_matches_the_sampler() {
        // 40 Zipf(1.5) skills, texts of degree 3 and 5: empirical frequencies of the
        // sampler against π, within 4.5 binomial standard deviations.
        let n = 40;
        let w = zipf_weights(n, 1.5);
        let gamma = DegreeDistribution::from_terms(vec![(3, 0.5), (5, 0.5)]);
        let s = successive_sampling(&w, &gamma);
        assert!((s.mean_degree - 4.0).abs() < 1e-8, "{}", s.mean_degree);
        let picker = SkillPicker::new(n, Popularity::Zipf(1.5)).unwrap();
        let mut rng = seeded_rng(11);
        let mut row = Vec::new();
        let texts = 100_000;
        let mut hits = vec![0u32; n];
        for j in 0..texts {
            picker.pick(if j % 2 == 0 { 3 } else { 5 }, &mut rng, &mut row);
            for &v in &row {
                hits[v as usize] += 1;
            }
        }
        for (i, (&h, &p)) in hits.iter().zip(&s.inclusion).enumerate() {
            let sd = (texts as f64 * p * (1.0 - p)).sqrt();
            let z = (h as f64 - texts as f64 * p) / sd;
            assert!(z.abs() < 4.5, "skill {i}: {h} vs {}", texts as f64 * p);
        }
        // The tail is drawn more often than its weight says.
        assert!(s.inclusion[n - 1] > 4.0 * w[n - 1] * 1.1);
    }

    #[test]
    fn rare_skill_mates_match_the_sampler() {
        // P(a degree-3 text holding a rare skill has k of its other skills in the
        // rare set) against the factorial-moment law with u_l = 1 on that set (U is
        // the set's weight).
        let n = 400;
        let w = zipf_weights(n, 2.0);
        let s = successive_sampling(&w, &fixed(3));
        let rare = 200..n;
        let u: f64 = w[rare.clone()].iter().sum();
        let law = s.laws[0].others(u, 0.0);
        let picker = SkillPicker::new(n, Popularity::Zipf(2.0)).unwrap();
        let mut rng = seeded_rng(5);
        let mut row = Vec::new();
        let mut counts = [0u32; 3];
        let mut total = 0u32;
        // Every text holding one of the rare skills counts once per rare skill held
        // (each is a rare skill whose mates we look at).
        for _ in 0..2_000_000 {
            picker.pick(3, &mut rng, &mut row);
            for &v in &row {
                if (v as usize) >= 200 {
                    let mates = row
                        .iter()
                        .filter(|&&m| m != v && rare.contains(&(m as usize)))
                        .count();
                    counts[mates] += 1;
                    total += 1;
                }
            }
        }
        for k in 0..3 {
            let p = law[k];
            let sd = (total as f64 * p * (1.0 - p)).sqrt().max(1.0);
            let z = (counts[k] as f64 - total as f64 * p) / sd;
            assert!(z.abs() < 5.0, "k = {k}: {counts:?} of {total}, law {law:?}");
        }
    }
}
