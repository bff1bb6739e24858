//! Layered files over the channel: every message coded as a layered run
//! ([`crate::codec::layered`]), its layers (base = the skills in order, order record,
//! exact bytes) sent as packets, each layer's packets protected by its own LT code.
//! The receiver decodes each message to the deepest layer it holds with every layer
//! below it: exact bytes, else the sequence, else the set, else nothing.
//!
//! On the wire, message k's source packets go out together (base, order, exact),
//! then the repair packets layer by layer (base first). A packet carries its layer's
//! payload and the 4-byte checksum; the exact layer's also starts with the message's
//! byte count (a varint). An order record that only holds the text count (format 4,
//! where the base carries the order) is implied: not sent, not protected. The rest of
//! a file's record fields (first text, text count) the receiver knows from the
//! packet's place, as for every codec here.

use super::experiment::{
    Repair, Setup, Trial, checked, checksummed, make_repair, plan_seed, recover, transmit,
};
use super::lt::{self, Plan};
use super::measure::Score;
use super::spec::{Channel, Protect, Shield};
use crate::codec::Level;
use crate::codec::Unlearned;
use crate::codec::layered::{self, EXACT_TAG, LayerRecord, ORDER_TAG, RunOut};
use crate::codec::packet::Packet;
use crate::codec::varint;
use crate::{Error, Result};
use rayon::prelude::*;
use std::borrow::Cow;
use std::sync::Arc;

/// The levels a message decodes to with 1, 2 or 3 layers.
const DEPTHS: [Level; 3] = [Level::Set, Level::Sequence, Level::Exact];

/// Every message coded as a layered run, before protection (shared by every
/// protection a run compares).
pub struct Layers {
    /// Every source packet, checksummed, layer after layer (base, order, exact), one per
    /// message in each: a layer's packets are a slice ([`Layers::wire`]), and the whole
    /// is the sources of a joint code.
    packets: Vec<Vec<u8>>,
    /// Per message: its score decoded to the set, the sequence and the exact bytes.
    scores: Vec<[Score; 3]>,
}

impl Layers {
    /// Codes every message of `setup` and scores its intact arrival at each depth.
    pub fn encode(setup: &Setup) -> Result<Layers> {
        let coded: Vec<([Vec<u8>; 3], [Score; 3])> = (0..setup.packets())
            .into_par_iter()
            .map(|k| {
                let m = &setup.messages[k];
                let texts = &setup.reference.texts[m.clone()];
                let seqs: Vec<_> = texts
                    .iter()
                    .map(|t| setup.coded(setup.fm.extractor.skills(t), Unlearned::Escape))
                    .collect();
                let run =
                    layered::encode_run(setup.fm_file(), &setup.message_bytes(m), texts, &seqs);
                let mut exact = Vec::with_capacity(run.exact.payload.len() + 4);
                varint::put(&mut exact, run.exact.original_bytes);
                exact.extend_from_slice(&run.exact.payload);
                // The order record only repeats what the receiver knows (the text
                // count): it is implied, never sent.
                let order = if run.order.payload == layered::order_payload(m.len() as u64) {
                    Vec::new()
                } else {
                    checksummed(run.order.payload)
                };
                let wire = [checksummed(run.base.payload), order, checksummed(exact)];
                let mut scores = [Score::default(); 3];
                for (d, sc) in scores.iter_mut().enumerate() {
                    let got = [0, 1, 2].map(|l| (l <= d).then_some(&wire[l][..]));
                    *sc = decode(setup, k, d, got).ok_or_else(|| {
                        Error::invalid(format!(
                            "message {k}'s layered packets do not decode at the {} level",
                            DEPTHS[d]
                        ))
                    })?;
                }
                Ok((wire, scores))
            })
            .collect::<Result<_>>()?;
        let mut wire: [Vec<Vec<u8>>; 3] = Default::default();
        let mut scores = Vec::with_capacity(coded.len());
        for (w, sc) in coded {
            for (l, p) in w.into_iter().enumerate() {
                wire[l].push(p);
            }
            scores.push(sc);
        }
        Ok(Layers {
            packets: wire.into_iter().flatten().collect(),
            scores,
        })
    }

    /// Layer `l`'s source packets, one per message.
    fn wire(&self, l: usize) -> &[Vec<u8>] {
        let n = self.messages();
        &self.packets[l * n..(l + 1) * n]
    }

    /// Number of messages (source packets per layer).
    pub fn messages(&self) -> usize {
        self.scores.len()
    }

    /// Bytes of each layer's source packets.
    pub fn source_bytes(&self) -> [u64; 3] {
        [0, 1, 2].map(|l| self.wire(l).iter().map(|w| w.len() as u64).sum())
    }

    /// The packet groups each protected by one code under `shield`: their sources,
    /// protection and plan number.
    fn groups(&self, shield: Shield) -> Vec<(&[Vec<u8>], Protect, usize)> {
        match shield {
            Shield::PerLayer(p) => (0..3)
                .map(|l| {
                    // A layer that sends nothing needs no repair.
                    let empty = self.wire(l).iter().all(Vec::is_empty);
                    (self.wire(l), if empty { Protect::None } else { p[l] }, l)
                })
                .collect(),
            Shield::Joint(p) => vec![(&self.packets[..], p, 3)],
        }
    }

    /// Bytes sent under `shield` (source and repair packets; an embedded model not
    /// included): what [`LayeredSender::new`] would send.
    pub fn bytes_with(&self, shield: Shield, seed: u64) -> Result<u64> {
        let mut total: u64 = self.source_bytes().iter().sum();
        for (wire, p, g) in self.groups(shield) {
            if let Protect::Lt { overhead } = p {
                let r = repairs(wire.len(), overhead);
                total += repair_bytes(wire, r, plan_seed(seed, g))?
                    .last()
                    .copied()
                    .unwrap_or(0);
            }
        }
        Ok(total)
    }

    /// The one LT overhead (to 4 decimals), on every layer alike or (`joint`) over all
    /// layers at once, whose bytes sent come nearest those under `target`: the
    /// overhead, its bytes and the target's bytes.
    pub fn match_overhead(
        &self,
        target: Shield,
        joint: bool,
        seed: u64,
    ) -> Result<(f64, u64, u64)> {
        const MAX: f64 = 10.0;
        let want = self.bytes_with(target, seed)?;
        let max = Protect::Lt { overhead: MAX };
        let shape = if joint {
            Shield::Joint(max)
        } else {
            Shield::PerLayer([max; 3])
        };
        // Repair bytes of the first r repairs of each group; plans with fewer repairs
        // draw the same first rows, so one plan per group serves every overhead.
        let cum: Vec<(usize, Vec<u64>)> = self
            .groups(shape)
            .into_iter()
            .filter(|(_, p, _)| *p != Protect::None)
            .map(|(wire, _, g)| {
                repair_bytes(wire, repairs(wire.len(), MAX), plan_seed(seed, g))
                    .map(|c| (wire.len(), c))
            })
            .collect::<Result<_>>()?;
        let src: u64 = self.source_bytes().iter().sum();
        let bytes = |j: u64| {
            src + cum
                .iter()
                .map(|(k, c)| match repairs(*k, j as f64 / 1e4) {
                    0 => 0,
                    r => c[r - 1],
                })
                .sum::<u64>()
        };
        // The smallest j (overhead j/10^4) reaching the target, then the nearer of it
        // and the one below.
        let (mut lo, mut hi) = (0u64, (MAX * 1e4) as u64);
        if bytes(hi) < want {
            lo = hi;
        }
        while lo < hi {
            let mid = (lo + hi) / 2;
            if bytes(mid) >= want {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let j = if lo > 0 && want.abs_diff(bytes(lo - 1)) < want.abs_diff(bytes(lo)) {
            lo - 1
        } else {
            lo
        };
        Ok((j as f64 / 1e4, bytes(j), want))
    }
}

/// Repair packets for `k` sources at `overhead`.
fn repairs(k: usize, overhead: f64) -> usize {
    (overhead * k as f64).ceil() as usize
}

/// Cumulative bytes on the wire of the first 1, 2, ... `r` repair packets of the
/// plan drawn from `seed` over `wire` (each as long as its longest member, framed,
/// plus header and checksum).
fn repair_bytes(wire: &[Vec<u8>], r: usize, seed: u64) -> Result<Vec<u64>> {
    let plan = Plan::new(wire.len(), r, seed)?;
    let fixed = (4 + lt::REPAIR_HEADER_BYTES + super::experiment::CHECKSUM_BYTES) as u64;
    let mut acc = 0;
    Ok((0..plan.repairs())
        .map(|i| {
            let longest = plan
                .members(i)
                .iter()
                .map(|&m| wire[m as usize].len() as u64)
                .max()
                .unwrap_or(0);
            acc += fixed + longest;
            acc
        })
        .collect())
}

/// Decodes message `k` to depth `d` (0 set, 1 sequence, 2 exact) from the layers'
/// packets as received (checksums on); `None` when they do not decode.
fn decode(setup: &Setup, k: usize, d: usize, got: [Option<&[u8]>; 3]) -> Option<Score> {
    let m = &setup.messages[k];
    let base = Packet {
        texts: m.len() as u64,
        first_text: 0,
        original_bytes: 0,
        payload: checked(got[0]?)?.to_vec(),
    };
    let record = |l: usize, tag| -> Option<LayerRecord> {
        let got = got[l]?;
        if got.is_empty() {
            // An implied order record (see `Layers::encode`).
            return (tag == ORDER_TAG).then(|| LayerRecord {
                tag,
                first_text: 0,
                texts: m.len() as u64,
                original_bytes: 0,
                payload: layered::order_payload(m.len() as u64),
            });
        }
        let mut body = checked(got)?;
        let mut original_bytes = 0;
        if tag == EXACT_TAG {
            let (v, used) = varint::get(body).ok()?;
            (original_bytes, body) = (v, &body[used..]);
        }
        Some(LayerRecord {
            tag,
            first_text: 0,
            texts: m.len() as u64,
            original_bytes,
            payload: body.to_vec(),
        })
    };
    let order = if d >= 1 {
        Some(record(1, ORDER_TAG)?)
    } else {
        None
    };
    let exact = if d >= 2 {
        Some(record(2, EXACT_TAG)?)
    } else {
        None
    };
    match layered::decode_run(
        setup.fm_file(),
        DEPTHS[d],
        &base,
        order.as_ref(),
        exact.as_ref(),
    ) {
        Ok(RunOut::Skills(texts)) => Some(setup.score_message_skills(m, &texts)),
        Ok(RunOut::Bytes(b)) => Some(setup.score_message_bytes(m, &b)),
        Err(_) => None,
    }
}

/// A layered file's packets under one protection.
pub struct LayeredSender {
    layers: Arc<Layers>,
    shield: Shield,
    /// Repair packets per group of [`Layers::groups`].
    repair: Vec<Repair>,
}

impl LayeredSender {
    /// Adds the repair packets `shield` asks for (plans seeded from `seed` and the
    /// group).
    pub fn new(layers: Arc<Layers>, shield: Shield, seed: u64) -> Result<LayeredSender> {
        let repair = layers
            .groups(shield)
            .into_iter()
            .map(|(wire, p, g)| make_repair(wire, p, plan_seed(seed, g)))
            .collect::<Result<_>>()?;
        Ok(LayeredSender {
            layers,
            shield,
            repair,
        })
    }

    /// The protection.
    pub fn shield(&self) -> Shield {
        self.shield
    }

    /// Number of messages.
    pub fn messages(&self) -> usize {
        self.layers.messages()
    }

    /// Bytes of every packet sent (source and repair).
    pub fn bytes(&self) -> u64 {
        let rep: u64 = self
            .repair
            .iter()
            .flatten()
            .flat_map(|(_, p)| p.iter().map(|b| b.len() as u64))
            .sum();
        self.layers.source_bytes().iter().sum::<u64>() + rep
    }

    /// Scores message by message when `held[l][k]` says whether layer l of message
    /// k arrived (intact); no channel, no protection.
    pub fn score_held(&self, setup: &Setup, held: &[Vec<bool>; 3]) -> Result<Score> {
        let n = self.messages();
        if held.iter().any(|h| h.len() != n) {
            return Err(Error::invalid(
                "the arrival masks do not match the messages",
            ));
        }
        let got: [Vec<Option<Cow<[u8]>>>; 3] = [0, 1, 2].map(|l| {
            (0..n)
                .map(|k| held[l][k].then(|| Cow::Borrowed(&self.layers.wire(l)[k][..])))
                .collect()
        });
        let mut t = Trial::default();
        self.score(setup, &got, &mut t);
        Ok(t.score)
    }

    /// Scores what the receiver holds of each layer after LT decoding.
    fn score(&self, setup: &Setup, got: &[Vec<Option<Cow<[u8]>>>; 3], t: &mut Trial) {
        let w = [0, 1, 2].map(|l| self.layers.wire(l));
        for k in 0..self.messages() {
            let depth = (0..3).take_while(|&l| got[l][k].is_some()).count();
            if depth == 0 {
                continue;
            }
            for d in &mut t.decoded[..depth] {
                *d += 1.0;
            }
            let layer = |l: usize| got[l][k].as_deref();
            if (0..depth).all(|l| layer(l) == Some(&w[l][k][..])) {
                t.score += self.layers.scores[k][depth - 1];
                continue;
            }
            // Damage the checksums missed: the deepest level that still decodes.
            let held = [0, 1, 2].map(layer);
            if let Some(sc) = (0..depth).rev().find_map(|d| decode(setup, k, d, held)) {
                t.score += sc;
            }
        }
    }

    /// Sends every packet once over `channel` (seeded) and scores what arrives.
    pub fn trial(&self, setup: &Setup, channel: &Channel, seed: u64) -> Result<Trial> {
        let n = self.messages();
        let w = [0, 1, 2].map(|l| self.layers.wire(l));
        // Message k's layers go out together; an empty (implied) packet is not sent.
        let mut all: Vec<&[u8]> = Vec::with_capacity(3 * n);
        let mut at: [Vec<Option<usize>>; 3] = Default::default();
        for ((b, o), x) in w[0].iter().zip(w[1]).zip(w[2]) {
            for (l, p) in [b, o, x].into_iter().enumerate() {
                at[l].push((!p.is_empty()).then_some(all.len()));
                if !p.is_empty() {
                    all.push(&p[..]);
                }
            }
        }
        let mut spans = Vec::with_capacity(self.repair.len());
        for r in &self.repair {
            let start = all.len();
            if let Some((_, rp)) = r {
                all.extend(rp.iter().map(Vec::as_slice));
            }
            spans.push(start..all.len());
        }
        let got = transmit(&all, channel, seed)?;
        let mut t = Trial {
            packets_sent: all.len() as f64,
            // No model bits: a layered file carries no model (its base spells the
            // skills), as on disk.
            bits_sent: got.bits_sent,
            detected: got.detected,
            undetected: got.undetected,
            ..Trial::default()
        };
        let received = &got.received;
        let at = &at;
        let src = |l: usize| {
            (0..n).map(move |k| match at[l][k] {
                Some(i) => received[i].clone(),
                None => Some(Cow::Borrowed(&[][..])),
            })
        };
        let mut held: [Vec<Option<Cow<[u8]>>>; 3] = Default::default();
        for (g, (wire, _, _)) in self.layers.groups(self.shield).into_iter().enumerate() {
            let reps = &received[spans[g].clone()];
            match self.shield {
                Shield::PerLayer(_) => {
                    let s: Vec<_> = src(g).collect();
                    held[g] = recover(wire, &self.repair[g], &s, reps)?;
                }
                Shield::Joint(_) => {
                    let s: Vec<_> = (0..3).flat_map(src).collect();
                    let mut rec = recover(wire, &self.repair[g], &s, reps)?.into_iter();
                    for h in &mut held {
                        *h = rec.by_ref().take(n).collect();
                    }
                }
            }
        }
        for h in &held {
            t.packets_lost += h.iter().filter(|s| s.is_none()).count() as f64;
        }
        self.score(setup, &held, &mut t);
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::experiment::{Input, Options, prepare};

    fn setup() -> Setup {
        let mut text = String::new();
        for i in 0..300u32 {
            let a = ["apple", "river", "stone", "cloud", "tiger"][(i % 5) as usize];
            let b = ["green", "quiet", "heavy", "bright"][(i % 4) as usize];
            text.push_str(&format!("the {a} was {b} and not {} {}\n", a, i % 7));
        }
        let inputs = [Input {
            name: "t".into(),
            bytes: text.into_bytes(),
        }];
        prepare(&inputs, None, &Options::default()).unwrap()
    }

    #[test]
    fn matched_overhead_reproduces_the_bytes_it_claims() {
        let s = setup();
        let layers = Arc::new(Layers::encode(&s).unwrap());
        let target = [
            Protect::Lt { overhead: 1.0 },
            Protect::Lt { overhead: 0.2 },
            Protect::None,
        ];
        let want = layers.bytes_with(Shield::PerLayer(target), 5).unwrap();
        let unequal = LayeredSender::new(layers.clone(), Shield::PerLayer(target), 5).unwrap();
        assert_eq!(unequal.bytes(), want);
        for joint in [false, true] {
            let (o, got, want2) = layers
                .match_overhead(Shield::PerLayer(target), joint, 5)
                .unwrap();
            assert_eq!(want2, want);
            let lt = Protect::Lt { overhead: o };
            let shield = if joint {
                Shield::Joint(lt)
            } else {
                Shield::PerLayer([lt; 3])
            };
            let equal = LayeredSender::new(layers.clone(), shield, 5).unwrap();
            assert_eq!(equal.bytes(), got);
            // Within one repair packet per layer of the target.
            let longest = (0..3)
                .map(|l| layers.wire(l).iter().map(Vec::len).max().unwrap() as u64 + 16)
                .sum::<u64>();
            assert!(got.abs_diff(want) <= longest, "{got} against {want}");
            assert!(o > 0.0 && o < 1.0, "{o}");
        }
    }

    #[test]
    fn damage_a_checksum_missed_never_panics_nor_scores_above_the_truth() {
        let s = setup();
        let layers = Layers::encode(&s).unwrap();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for k in 0..layers.messages().min(40) {
            let full = layers.scores[k][2];
            for d in 0..3 {
                // Flip bytes of one layer, then reseal it with a valid checksum.
                let mut got: [Vec<u8>; 3] = [0, 1, 2].map(|l| layers.wire(l)[k].clone());
                let l = (next() % 3) as usize;
                if got[l].is_empty() {
                    continue; // an implied (unsent) order record
                }
                let body_len = got[l].len() - crate::channel::experiment::CHECKSUM_BYTES;
                let mut body = got[l][..body_len].to_vec();
                for _ in 0..1 + next() % 3 {
                    if !body.is_empty() {
                        let i = (next() as usize) % body.len();
                        body[i] ^= 1 + (next() % 255) as u8;
                    }
                }
                got[l] = checksummed(body);
                let held = [0, 1, 2].map(|i| Some(&got[i][..]));
                if let Some(sc) = decode(&s, k, d, held) {
                    assert!(sc.recalled <= full.recalled + 1e-9, "message {k}");
                    assert!(sc.bytes <= full.bytes, "message {k}");
                }
            }
        }
    }

    #[test]
    fn the_deepest_complete_layer_decides_the_score() {
        let s = setup();
        let layers = Arc::new(Layers::encode(&s).unwrap());
        let n = layers.messages();
        let snd =
            LayeredSender::new(layers.clone(), Shield::PerLayer([Protect::None; 3]), 1).unwrap();
        let all = vec![true; n];
        let none = vec![false; n];
        let full = snd
            .score_held(&s, &[all.clone(), all.clone(), all.clone()])
            .unwrap();
        let sets = snd
            .score_held(&s, &[all.clone(), none.clone(), none.clone()])
            .unwrap();
        // An exact layer without the order below it is of no use.
        let gap = snd
            .score_held(&s, &[all.clone(), none.clone(), all.clone()])
            .unwrap();
        let nothing = snd
            .score_held(&s, &[none.clone(), all.clone(), all.clone()])
            .unwrap();
        let total: usize = s.reference.texts.iter().map(String::len).sum();
        assert_eq!(full.bytes as usize, total);
        assert_eq!(full.recalled, s.reference.total_skills);
        assert_eq!(sets.bytes, 0.0);
        assert_eq!(sets.recalled, s.reference.total_skills);
        assert_eq!(gap, sets);
        assert_eq!(nothing, Score::default());
    }
}
