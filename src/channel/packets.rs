//! Packet loss alone (no texts): N source packets through a channel and a protection,
//! the simulated loss beside the theory (DE for IRSA and LT).

use super::irsa;
use super::lt::{self, Plan};
use super::noise::{self, Arrival};
use super::spec::{Channel, Protect};
use crate::ensemble::seeded_rng;
use crate::peel::mix64;
use crate::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;

/// Bytes of each packet on bit-error channels.
pub const PACKET_BYTES: usize = 64;

/// The loss at one channel value.
#[derive(Debug, Clone, Serialize)]
pub struct LossPoint {
    /// The channel kind.
    pub channel: String,
    /// The channel parameter.
    pub param: f64,
    /// The channel spec.
    pub spec: String,
    /// The protection.
    pub protect: String,
    /// Source packets per trial.
    pub packets: usize,
    /// Trials.
    pub trials: usize,
    /// Mean fraction of source packets lost.
    pub loss: f64,
    /// Its standard error over trials.
    pub loss_se: f64,
    /// The fraction theory predicts (IRSA: DE; LT on erasures: DE; erasures: P).
    pub predicted_loss: Option<f64>,
}

/// One trial: the fraction of `n` source packets lost.
pub fn trial(channel: &Channel, protect: Protect, n: usize, seed: u64) -> Result<f64> {
    if n == 0 {
        return Err(Error::invalid("the number of packets must be at least 1"));
    }
    let plan = match protect {
        Protect::None => None,
        Protect::Lt { overhead } => Some(Plan::new(
            n,
            (overhead * n as f64).ceil() as usize,
            mix64(seed ^ 0x17),
        )?),
    };
    let total = n + plan.as_ref().map_or(0, Plan::repairs);
    let got: Vec<bool> = match channel {
        Channel::Irsa { load, degrees } => irsa::sic(&irsa::frame(total, *load, degrees, seed)?),
        _ => {
            let data = [0u8; PACKET_BYTES];
            let pk: Vec<&[u8]> = vec![&data[..]; total];
            noise::transmit(channel, &pk, &mut seeded_rng(seed))
                .into_iter()
                .map(|a| a == Arrival::Intact)
                .collect()
        }
    };
    let recovered = match &plan {
        None => got,
        Some(p) => p.recover(&got[..n], &got[n..])?.recovered,
    };
    Ok(recovered.iter().filter(|&&r| !r).count() as f64 / n as f64)
}

/// The prediction of theory for this channel and protection, where there is one.
pub fn predicted(channel: &Channel, protect: Protect, n: usize) -> Option<f64> {
    match (channel, protect) {
        (Channel::Irsa { load, degrees }, Protect::None) => {
            Some(irsa::predicted_loss(*load, degrees))
        }
        (Channel::Erasure { p }, Protect::None) => Some(*p),
        (Channel::Erasure { p }, Protect::Lt { overhead }) => {
            Some(lt::predicted_loss(n, overhead, *p))
        }
        _ => None,
    }
}

/// Runs `trials` seeded trials at each channel; `progress(done, total)` after each.
pub fn sweep(
    channels: &[Channel],
    protect: Protect,
    n: usize,
    trials: usize,
    seed: u64,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Vec<LossPoint>> {
    if trials == 0 {
        return Err(Error::invalid("trials must be at least 1"));
    }
    let jobs: Vec<(usize, usize)> = (0..channels.len())
        .flat_map(|p| (0..trials).map(move |t| (p, t)))
        .collect();
    let done = std::sync::atomic::AtomicU64::new(0);
    let total = jobs.len() as u64;
    let losses: Vec<f64> = jobs
        .par_iter()
        .map(|&(p, t)| {
            let s = mix64(seed ^ mix64(((p as u64) << 32) | t as u64));
            let r = trial(&channels[p], protect, n, s);
            progress(
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                total,
            );
            r
        })
        .collect::<Result<_>>()?;
    Ok(channels
        .iter()
        .enumerate()
        .map(|(p, ch)| {
            let v = &losses[p * trials..(p + 1) * trials];
            let m = v.iter().sum::<f64>() / trials as f64;
            let se = if trials > 1 {
                (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>()
                    / (trials as f64 - 1.0)
                    / trials as f64)
                    .sqrt()
            } else {
                0.0
            };
            LossPoint {
                channel: ch.kind().into(),
                param: ch.param(),
                spec: ch.to_string(),
                protect: protect.to_string(),
                packets: n,
                trials,
                loss: m,
                loss_se: se,
                predicted_loss: predicted(ch, protect, n),
            }
        })
        .collect())
}
