//! Salvage: what is intact in a damaged `.sz` file, on the one container
//! [`Reader`], resumed past each stretch of damage.

use super::container::Trailer;
use super::decode::{Run, decode_payload};
use super::file_model::resolve_model;
use super::layered::{EXACT_TAG, ORDER_TAG};
use super::level::Level;
use super::name_err;
use super::reader::{Reader, Record, find_packet};
use crate::model::Model;
use crate::{Error, Result};
use serde::Serialize;
use std::io::Write;

/// Texts a damaged `.sz` file lost.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LostRange {
    /// First lost text (exact level: line).
    pub first_text: u64,
    /// Number of lost texts, when known (`None`: up to the end, count unknown).
    pub texts: Option<u64>,
    /// Byte offset in the `.sz` file where the damage starts.
    pub offset: u64,
}

/// What [`salvage`] recovered.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SalvageReport {
    /// The fidelity level of the file.
    pub level: String,
    /// Intact packets decoded.
    pub packets: u64,
    /// Texts recovered.
    pub texts: u64,
    /// Damaged stretches and the texts they held.
    pub lost: Vec<LostRange>,
    /// Bytes written.
    pub bytes_out: u64,
    /// Layered files decoded below their top level without `level` asked: the
    /// refinement layers that were lost ("order", "exact"). Data lost, like `lost`.
    pub lost_layers: Vec<String>,
}

/// Decodes what is intact in a damaged `.sz` file held in memory.
///
/// Needs an intact header. The [`Reader`] walks the records; past damage (a record
/// that fails a check, or a packet whose payload does not decode) salvage scans for
/// the next packet tag whose checksum holds and resumes there. The lossy levels
/// write an empty line for each lost text so line i stays text i; the exact level
/// leaves lost bytes out. Each loss is listed in the report. To decode packets that
/// arrived separately (a channel), use [`super::decode_packets`].
pub fn salvage<W: Write + ?Sized>(
    data: &[u8],
    in_name: &str,
    output: &mut W,
    out_name: &str,
    shared: Option<&Model>,
) -> Result<SalvageReport> {
    salvage_at(data, in_name, output, out_name, shared, None)
}

/// Like [`salvage`], at `level` for a layered file (`None`: the highest level every
/// recovered run holds; a run without the level asked for is lost). A layered file
/// decoded below its top because refinement records were lost lists them in
/// [`SalvageReport::lost_layers`].
pub fn salvage_at<W: Write + ?Sized>(
    data: &[u8],
    in_name: &str,
    output: &mut W,
    out_name: &str,
    shared: Option<&Model>,
    level: Option<Level>,
) -> Result<SalvageReport> {
    let mut reader = Reader::new(data).map_err(|e| name_err(in_name, e))?;
    let header = reader.header().clone();
    let hlen = reader.header_len();
    let fm = resolve_model(&header, shared, in_name)?;
    let layered = header.level == Level::Layered;
    match level {
        Some(l) if !layered && l != header.level => {
            return Err(Error::invalid(format!(
                "{in_name} holds the {} level only, not the {l} level",
                header.level
            )));
        }
        _ => {}
    }
    let keep = |r: &mut Reader<&[u8]>| {
        if layered {
            r.keep_extension(ORDER_TAG);
            r.keep_extension(EXACT_TAG);
        }
    };
    keep(&mut reader);
    let trailer = Trailer::at_end(header.version, data);
    // Pass 1: the intact runs (a packet, and in a layered file the records after it),
    // and where damage began before each.
    let mut runs: Vec<(u64, Run, Option<u64>)> = Vec::new();
    let mut damage_at: Option<u64> = None;
    let mut next_text = 0u64;
    loop {
        match reader.next_record() {
            Ok(Some(Record::Packet { offset, packet })) => {
                next_text = packet.first_text + packet.texts;
                runs.push((offset, Run::new(packet), damage_at.take()));
            }
            Ok(Some(Record::Skipped {
                offset,
                tag,
                body: Some(body),
                ..
            })) => {
                if let Some((_, run, _)) = runs.last_mut()
                    && run.attach(tag, &body).is_ok()
                {
                    continue;
                }
                damage_at.get_or_insert(offset);
            }
            Ok(Some(_)) => continue,
            Ok(None) => break,
            Err(_) => {
                let at = reader.offset();
                damage_at.get_or_insert(at);
                match find_packet(data, at as usize + 1, next_text) {
                    Some(i) => {
                        let h = header.clone();
                        reader = Reader::resume(&data[i..], h, hlen, i as u64, next_text);
                        keep(&mut reader);
                        continue;
                    }
                    None => break,
                }
            }
        }
    }
    let out_level = if layered {
        level.unwrap_or_else(|| {
            runs.iter()
                .map(|(_, r, _)| r.top())
                .min_by_key(|l| l.rank())
                .unwrap_or(Level::Exact)
        })
    } else {
        header.level
    };
    let out_level = if out_level == Level::Layered {
        Level::Exact
    } else {
        out_level
    };
    let mut rep = SalvageReport {
        level: if layered {
            format!("{out_level} of layered")
        } else {
            out_level.to_string()
        },
        ..SalvageReport::default()
    };
    if layered && level.is_none() && out_level != Level::Exact {
        rep.lost_layers = [Level::Sequence, Level::Exact]
            .iter()
            .filter(|l| l.rank() > out_level.rank())
            .map(|l| {
                if *l == Level::Sequence {
                    "order"
                } else {
                    "exact"
                }
                .to_string()
            })
            .collect();
    }
    // Pass 2: decode each run at the output level, in order, counting the gaps.
    let mut next_text = 0u64;
    let mut put = |buf: &[u8], rep: &mut SalvageReport| -> Result<()> {
        output.write_all(buf).map_err(|e| Error::io(out_name, e))?;
        rep.bytes_out += buf.len() as u64;
        Ok(())
    };
    let mut buf = Vec::new();
    for (offset, run, damaged) in runs {
        if let Some(at) = damaged {
            damage_at.get_or_insert(at);
        }
        let p = &run.base;
        if p.first_text < next_text {
            continue;
        }
        let decoded = if layered {
            run.decode(&fm, out_level)
        } else {
            decode_payload(out_level, &fm, p)
        };
        let Ok(d) = decoded else {
            damage_at.get_or_insert(offset);
            continue;
        };
        if let Some(at) = damage_at.take() {
            let lost = p.first_text - next_text;
            rep.lost.push(LostRange {
                first_text: next_text,
                texts: Some(lost),
                offset: at,
            });
            if out_level.is_lossy() {
                pad_lines(lost, &mut |b| put(b, &mut rep))?;
            }
        }
        buf.clear();
        d.render_into(&mut buf);
        put(&buf, &mut rep)?;
        rep.packets += 1;
        rep.texts += p.texts;
        next_text = p.first_text + p.texts;
    }
    let tail_lost = match trailer.map(|t| t.texts) {
        Some(t) if t > next_text => Some(t - next_text),
        _ => None,
    };
    if let Some(at) = damage_at {
        rep.lost.push(LostRange {
            first_text: next_text,
            texts: tail_lost,
            offset: at,
        });
    } else if let (Some(n), Some(t)) = (tail_lost, trailer) {
        rep.lost.push(LostRange {
            first_text: next_text,
            texts: Some(n),
            offset: t.index_offset,
        });
    }
    if out_level.is_lossy()
        && let Some(n) = tail_lost
    {
        pad_lines(n, &mut |b| put(b, &mut rep))?;
    }
    output.flush().map_err(|e| Error::io(out_name, e))?;
    Ok(rep)
}

/// Most empty lines salvage writes for one gap: a larger gap comes from a forged
/// count, not from lost packets of a real file.
const MAX_PAD_LINES: u64 = 1 << 26;

/// Writes `n` empty lines (one per lost text) in bounded chunks.
fn pad_lines(n: u64, put: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
    if n > MAX_PAD_LINES {
        return Err(Error::corrupt(format!(
            "a gap of {n} lost texts is implausible: the file is forged or badly damaged"
        )));
    }
    let chunk = [b'\n'; 4096];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len() as u64);
        put(&chunk[..k as usize])?;
        left -= k;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_writes_exactly_n_lines_and_refuses_forged_gaps() {
        let mut out = Vec::new();
        pad_lines(10_000, &mut |b| {
            out.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        assert_eq!(out.len(), 10_000);
        assert!(out.iter().all(|&b| b == b'\n'));
        assert!(pad_lines(MAX_PAD_LINES + 1, &mut |_| Ok(())).is_err());
    }
}
