//! Systematic LT protection: the sender adds repair packets, each the XOR of a
//! robust-soliton number of source packets; the receiver peels with
//! [`crate::peel`] (source packets are skills, repair packets are texts, received
//! source packets are known before).

use crate::ensemble::{DegreeDistribution, seeded_rng};
use crate::graph::{RowsBuilder, SkillTextGraph};
use crate::peel::{KNOWN_BEFORE, Learner, NEVER_LEARNED, peel};
use crate::theory::{DeParams, SkillProfile, TextProfile, density_evolution};
use crate::{Error, Result};
use rand::Rng;

/// Robust soliton constant c (Luby): the spike sits at K / S, S = c ln(K/δ) √K.
pub const SOLITON_C: f64 = 0.03;
/// Robust soliton failure bound δ.
pub const SOLITON_DELTA: f64 = 0.5;
/// Bytes of a repair packet's header on the wire: its seed and length.
pub const REPAIR_HEADER_BYTES: usize = 8;

/// Luby's robust soliton distribution over degrees 1..=k.
pub fn robust_soliton(k: usize) -> DegreeDistribution {
    let k = k.max(1);
    let kf = k as f64;
    let s = (SOLITON_C * (kf / SOLITON_DELTA).ln() * kf.sqrt()).max(1.0);
    let spike = ((kf / s).floor() as usize).clamp(1, k);
    let mut pmf = vec![0.0; k + 1];
    pmf[1] = 1.0 / kf;
    for (d, p) in pmf.iter_mut().enumerate().skip(2) {
        *p = 1.0 / (d as f64 * (d as f64 - 1.0));
    }
    for (d, p) in pmf.iter_mut().enumerate().take(spike).skip(1) {
        *p += s / (kf * d as f64);
    }
    pmf[spike] += s * (s / SOLITON_DELTA).ln().max(0.0) / kf;
    DegreeDistribution::from_pmf(pmf)
}

/// Which source packets each repair packet XORs: `repairs` rows over `k` sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Number of source packets K.
    pub k: usize,
    offsets: Vec<u32>,
    items: Vec<u32>,
}

impl Plan {
    /// Draws the members of `repairs` repair packets over `k` sources from `seed`.
    pub fn new(k: usize, repairs: usize, seed: u64) -> Result<Plan> {
        if k == 0 && repairs > 0 {
            return Err(Error::invalid(
                "repair packets need at least one source packet",
            ));
        }
        if k > u32::MAX as usize - 2 {
            return Err(Error::invalid("too many source packets"));
        }
        let dist = robust_soliton(k);
        let mut rng = seeded_rng(seed);
        let mut rows = RowsBuilder::with_capacity(repairs, repairs * 8);
        let mut row: Vec<u32> = Vec::new();
        for _ in 0..repairs {
            let d = (dist.sample(&mut rng) as usize).clamp(1, k);
            row.clear();
            if d * 2 > k {
                // Dense rows: a partial shuffle avoids slow rejection.
                let mut all: Vec<u32> = (0..k as u32).collect();
                for i in 0..d {
                    let j = rng.random_range(i..k);
                    all.swap(i, j);
                }
                row.extend_from_slice(&all[..d]);
            } else {
                while row.len() < d {
                    let v = rng.random_range(0..k as u32);
                    if !row.contains(&v) {
                        row.push(v);
                    }
                }
            }
            rows.push_row(&row)?;
        }
        let (offsets, items) = rows.finish();
        Ok(Plan { k, offsets, items })
    }

    /// Number of repair packets.
    pub fn repairs(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The source packets repair packet `r` XORs.
    pub fn members(&self, r: usize) -> &[u32] {
        &self.items[self.offsets[r] as usize..self.offsets[r + 1] as usize]
    }

    /// Which sources the receiver recovers from the received sources and repairs.
    pub fn recover(&self, sources: &[bool], repairs: &[bool]) -> Result<Recovery> {
        if sources.len() != self.k || repairs.len() != self.repairs() {
            return Err(Error::invalid("arrival masks do not match the LT plan"));
        }
        let got: Vec<usize> = (0..self.repairs()).filter(|&r| repairs[r]).collect();
        let mut rows = RowsBuilder::with_capacity(got.len(), got.len() * 8);
        for &r in &got {
            rows.push_row(self.members(r))?;
        }
        let (offsets, items) = rows.finish();
        let g = SkillTextGraph::from_text_rows(self.k, offsets, items)?;
        let out = peel(&g, &Learner::capacity(1).expect("valid"), Some(sources));
        let taught_by = out
            .taught_by
            .iter()
            .map(|&t| match t {
                KNOWN_BEFORE | NEVER_LEARNED => t,
                t => got[t as usize] as u32,
            })
            .collect();
        Ok(Recovery {
            recovered: out.learned,
            taught_by,
        })
    }

    /// The repair packets' bytes: each the XOR of its members' [`frame_source`] forms,
    /// zero-padded to the longest.
    pub fn repair_payloads(&self, sources: &[&[u8]]) -> Vec<Vec<u8>> {
        (0..self.repairs())
            .map(|r| {
                let mut acc = Vec::new();
                for &s in self.members(r) {
                    xor_into(&mut acc, &frame_source(sources[s as usize]));
                }
                acc
            })
            .collect()
    }

    /// Rebuilds the recovered sources' bytes by XOR, in peeling order. `sources` holds
    /// the received ones; `repairs` the received repair payloads (`None` if lost).
    /// Returns `None` for a source that could not be rebuilt; never invents one.
    pub fn rebuild(
        &self,
        rec: &Recovery,
        sources: &[Option<&[u8]>],
        repairs: &[Option<&[u8]>],
    ) -> Vec<Option<Vec<u8>>> {
        let mut out: Vec<Option<Vec<u8>>> = sources.iter().map(|s| s.map(<[u8]>::to_vec)).collect();
        let mut framed: Vec<Option<Vec<u8>>> =
            sources.iter().map(|s| s.map(frame_source)).collect();
        let mut tried = vec![false; self.k];
        for start in 0..self.k {
            if framed[start].is_some() || rec.taught_by[start] >= NEVER_LEARNED {
                continue;
            }
            // Depth-first over the teaching DAG with an explicit stack.
            let mut stack = vec![start];
            while let Some(&s) = stack.last() {
                let t = rec.taught_by[s];
                if framed[s].is_some() || tried[s] || t >= NEVER_LEARNED {
                    stack.pop();
                    continue;
                }
                let Some(payload) = repairs[t as usize] else {
                    tried[s] = true;
                    stack.pop();
                    continue;
                };
                let pending: Vec<usize> = self
                    .members(t as usize)
                    .iter()
                    .map(|&m| m as usize)
                    .filter(|&m| m != s && framed[m].is_none())
                    .collect();
                if let Some(&m) = pending
                    .iter()
                    .find(|&&m| rec.taught_by[m] < NEVER_LEARNED && !tried[m])
                {
                    stack.push(m);
                    continue;
                }
                stack.pop();
                tried[s] = true;
                if !pending.is_empty() {
                    continue;
                }
                let mut acc = payload.to_vec();
                for &m in self.members(t as usize) {
                    if m as usize != s {
                        if let Some(f) = &framed[m as usize] {
                            xor_into(&mut acc, f);
                        }
                    }
                }
                if let Some(bytes) = unframe_source(&acc) {
                    out[s] = Some(bytes.to_vec());
                    framed[s] = Some(acc);
                }
            }
        }
        out
    }
}

/// What LT peeling recovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Per source packet: received or rebuilt.
    pub recovered: Vec<bool>,
    /// Per source packet: the repair packet (plan numbering) it was rebuilt from, or
    /// [`KNOWN_BEFORE`] / [`NEVER_LEARNED`].
    pub taught_by: Vec<u32>,
}

/// A source packet as XORed: its length (4 bytes LE) then its bytes.
pub fn frame_source(b: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(b.len() + 4);
    v.extend_from_slice(&(b.len() as u32).to_le_bytes());
    v.extend_from_slice(b);
    v
}

fn unframe_source(f: &[u8]) -> Option<&[u8]> {
    let len = u32::from_le_bytes(f.get(..4)?.try_into().ok()?) as usize;
    let body = f.get(4..4 + len)?;
    // The padding beyond the length must be zero, or the XOR went wrong.
    f[4 + len..].iter().all(|&b| b == 0).then_some(body)
}

fn xor_into(acc: &mut Vec<u8>, b: &[u8]) {
    if acc.len() < b.len() {
        acc.resize(b.len(), 0);
    }
    for (a, x) in acc.iter_mut().zip(b) {
        *a ^= x;
    }
}

/// The DE prediction of the fraction of source packets lost when each packet (source
/// or repair) is erased with probability `p` and `overhead · K` repairs are sent.
pub fn predicted_loss(k: usize, overhead: f64, p: f64) -> f64 {
    if overhead <= 0.0 || p <= 0.0 {
        return p.max(0.0);
    }
    let gamma = robust_soliton(k);
    let params = DeParams {
        skills: SkillProfile::PoissonMixture(vec![gamma.mean()]),
        texts: TextProfile::Degrees(gamma),
        ratio: overhead * (1.0 - p),
        learner: Learner::capacity(1).expect("valid"),
        unknown_fraction: p,
    };
    if (1.0 - p) <= 0.0 {
        return 1.0;
    }
    density_evolution(&params).unlearned
}

/// The smallest overhead at which DE predicts at most `target` of the source packets
/// lost at erasure probability `p` (`None` above an overhead of 10).
pub fn threshold_overhead(k: usize, p: f64, target: f64) -> Option<f64> {
    if predicted_loss(k, 10.0, p) > target {
        return None;
    }
    let (mut lo, mut hi) = (0.0f64, 10.0f64);
    if predicted_loss(k, lo, p) <= target {
        return Some(0.0);
    }
    while hi - lo > 1e-3 {
        let mid = 0.5 * (lo + hi);
        if predicted_loss(k, mid, p) <= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::noise::gilbert_elliott;
    use proptest::prelude::*;

    #[test]
    fn soliton_is_a_distribution_with_the_spike() {
        let d = robust_soliton(10_000);
        let total: f64 = (0..=d.max_degree()).map(|k| d.prob(k)).sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert!(d.prob(2) > d.prob(3));
        assert!(d.mean() > 3.0 && d.mean() < 30.0, "{}", d.mean());
    }

    fn erase(n: usize, p: f64, seed: u64) -> Vec<bool> {
        let mut rng = seeded_rng(seed);
        (0..n).map(|_| rng.random::<f64>() >= p).collect()
    }

    #[test]
    fn enough_repairs_recover_every_source() {
        let k = 1000;
        let plan = Plan::new(k, k, 9).unwrap();
        let src = erase(k, 0.1, 1);
        let rep = erase(k, 0.1, 2);
        let rec = plan.recover(&src, &rep).unwrap();
        assert!(
            rec.recovered.iter().all(|&r| r),
            "{} lost",
            rec.recovered.iter().filter(|&&r| !r).count()
        );
        // The bytes come back too.
        let data: Vec<Vec<u8>> = (0..k).map(|i| vec![i as u8; i % 37]).collect();
        let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
        let rp = plan.repair_payloads(&refs);
        let s: Vec<Option<&[u8]>> = (0..k).map(|i| src[i].then_some(refs[i])).collect();
        let r: Vec<Option<&[u8]>> = (0..k).map(|i| rep[i].then_some(rp[i].as_slice())).collect();
        let back = plan.rebuild(&rec, &s, &r);
        for i in 0..k {
            assert_eq!(back[i].as_deref(), Some(refs[i]), "source {i}");
        }
    }

    #[test]
    fn above_the_predicted_threshold_recovers_99_percent() {
        let k = 10_000;
        let over = threshold_overhead(k, 0.1, 1e-3).unwrap();
        let plan = Plan::new(k, (over * 1.05 * k as f64).ceil() as usize, 4).unwrap();
        let src = erase(k, 0.1, 5);
        let rep = erase(plan.repairs(), 0.1, 6);
        let rec = plan.recover(&src, &rep).unwrap();
        let got = rec.recovered.iter().filter(|&&r| r).count() as f64 / k as f64;
        assert!(got >= 0.99, "overhead {over}: recovered {got}");
        // Bursts do not change the count of arrivals much, only their pattern.
        let _ = gilbert_elliott(10, 0.1, 2.0, &mut seeded_rng(1));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn decoding_never_invents_a_packet(
            k in 1usize..60,
            repairs in 0usize..90,
            seed in any::<u64>(),
            lens in prop::collection::vec(0usize..20, 60),
            src_mask in prop::collection::vec(any::<bool>(), 60),
            rep_mask in prop::collection::vec(any::<bool>(), 90),
        ) {
            let plan = Plan::new(k, repairs, seed).unwrap();
            let data: Vec<Vec<u8>> = (0..k).map(|i| (0..lens[i]).map(|j| (i * 31 + j * 7 + seed as usize) as u8).collect()).collect();
            let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
            let rp = plan.repair_payloads(&refs);
            let rec = plan.recover(&src_mask[..k], &rep_mask[..repairs]).unwrap();
            let s: Vec<Option<&[u8]>> = (0..k).map(|i| src_mask[i].then_some(refs[i])).collect();
            let r: Vec<Option<&[u8]>> = (0..repairs).map(|i| rep_mask[i].then_some(rp[i].as_slice())).collect();
            let back = plan.rebuild(&rec, &s, &r);
            for i in 0..k {
                match &back[i] {
                    Some(b) => { prop_assert!(rec.recovered[i]); prop_assert_eq!(b.as_slice(), refs[i]); }
                    None => prop_assert!(!rec.recovered[i]),
                }
            }
        }
    }
}
