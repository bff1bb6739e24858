//! Packet fates on the erasure, burst and bit-error channels.

use super::spec::Channel;
use bitvec::prelude::{BitVec, Lsb0};
use rand::Rng;

/// What reached the receiver of one packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// The packet arrived unchanged.
    Intact,
    /// The packet was erased (or collided beyond recovery).
    Lost,
    /// The packet arrived with these bits flipped (its checksum decides the rest).
    Damaged(Vec<u8>),
}

/// Sends packets of the given byte lengths over an erasure or burst channel, or the
/// packets themselves over a bit-error channel. `packets` gives each packet's bytes.
///
/// IRSA is not handled here: see [`super::irsa`].
pub fn transmit<R: Rng + ?Sized>(
    channel: &Channel,
    packets: &[&[u8]],
    rng: &mut R,
) -> Vec<Arrival> {
    match channel {
        Channel::Erasure { p } => packets
            .iter()
            .map(|_| {
                if rng.random::<f64>() < *p {
                    Arrival::Lost
                } else {
                    Arrival::Intact
                }
            })
            .collect(),
        Channel::Burst { p, burst } => gilbert_elliott(packets.len(), *p, *burst, rng)
            .into_iter()
            .map(|lost| if lost { Arrival::Lost } else { Arrival::Intact })
            .collect(),
        Channel::Bsc { .. } | Channel::Awgn { .. } => {
            let q = channel.bit_error().unwrap_or(0.0);
            packets.iter().map(|b| flip_bits(b, q, rng)).collect()
        }
        Channel::Irsa { .. } => vec![Arrival::Intact; packets.len()],
    }
}

/// Losses of a Gilbert-Elliott chain whose bad state (every packet lost) has
/// stationary share `p` and mean stay `burst` packets, started in its stationary law.
pub fn gilbert_elliott<R: Rng + ?Sized>(n: usize, p: f64, burst: f64, rng: &mut R) -> Vec<bool> {
    let leave_bad = 1.0 / burst;
    // π_B = g / (g + b) = p gives g = b p / (1 - p); capped so the chain stays valid.
    let enter_bad = if p >= 1.0 {
        1.0
    } else {
        (leave_bad * p / (1.0 - p)).min(1.0)
    };
    let mut bad = rng.random::<f64>() < p;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(bad);
        let u = rng.random::<f64>();
        bad = if bad { u >= leave_bad } else { u < enter_bad };
    }
    out
}

/// Flips each bit of `bytes` with probability `q` (geometric gaps between flips).
pub fn flip_bits<R: Rng + ?Sized>(bytes: &[u8], q: f64, rng: &mut R) -> Arrival {
    let n = bytes.len() * 8;
    if q <= 0.0 || n == 0 {
        return Arrival::Intact;
    }
    let mut bits: BitVec<u8, Lsb0> = BitVec::from_slice(bytes);
    let mut flips = 0usize;
    if q >= 1.0 {
        for mut b in bits.iter_mut() {
            *b = !*b;
        }
        flips = n;
    } else {
        let ln = (1.0 - q).ln();
        let mut i = 0usize;
        loop {
            let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
            let gap = (u.ln() / ln).floor();
            if !gap.is_finite() || gap >= (n - i) as f64 {
                break;
            }
            i += gap as usize;
            let b = bits[i];
            bits.set(i, !b);
            flips += 1;
            i += 1;
            if i >= n {
                break;
            }
        }
    }
    if flips == 0 {
        Arrival::Intact
    } else {
        Arrival::Damaged(bits.into_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensemble::seeded_rng;

    #[test]
    fn erasure_loses_about_p() {
        let mut rng = seeded_rng(1);
        let data = [0u8; 4];
        let pk: Vec<&[u8]> = (0..20_000).map(|_| &data[..]).collect();
        let a = transmit(&Channel::Erasure { p: 0.2 }, &pk, &mut rng);
        let lost = a.iter().filter(|x| **x == Arrival::Lost).count() as f64 / 20_000.0;
        assert!((lost - 0.2).abs() < 0.015, "{lost}");
    }

    #[test]
    fn bursts_have_the_asked_mean_loss_and_length() {
        let mut rng = seeded_rng(2);
        let l = gilbert_elliott(200_000, 0.1, 5.0, &mut rng);
        let lost = l.iter().filter(|&&x| x).count();
        let bursts = l.windows(2).filter(|w| !w[0] && w[1]).count().max(1);
        let share = lost as f64 / l.len() as f64;
        let mean_len = lost as f64 / bursts as f64;
        assert!((share - 0.1).abs() < 0.01, "{share}");
        assert!((mean_len - 5.0).abs() < 0.5, "{mean_len}");
    }

    #[test]
    fn bit_flips_match_q() {
        let mut rng = seeded_rng(3);
        let data = vec![0u8; 10_000];
        match flip_bits(&data, 0.01, &mut rng) {
            Arrival::Damaged(d) => {
                let ones: u32 = d.iter().map(|b| b.count_ones()).sum();
                assert!((ones as f64 / 80_000.0 - 0.01).abs() < 0.002, "{ones}");
            }
            other => panic!("expected damage, got {other:?}"),
        }
        assert_eq!(flip_bits(&data, 0.0, &mut rng), Arrival::Intact);
        assert_eq!(
            flip_bits(&data, 1.0, &mut rng),
            Arrival::Damaged(vec![255; 10_000])
        );
    }
}
