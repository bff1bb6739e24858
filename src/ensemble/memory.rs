//! Memory bounds: sizes that would not fit in this machine's memory are refused,
//! saying how much they would need, before anything is allocated (an allocation
//! failure aborts the process).

use crate::{Error, Result};

/// The bound used when `/proc/meminfo` cannot be read: 8 GiB.
pub const FALLBACK_BYTES: u64 = 8 << 30;

/// Bytes of memory available to a new allocation: `MemAvailable` from
/// `/proc/meminfo`, else [`FALLBACK_BYTES`].
pub fn available_bytes() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| parse_mem_available(&s))
        .unwrap_or(FALLBACK_BYTES)
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
fn parse_mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// Refuses `needed` bytes when they exceed what is available, as an invalid value
/// of parameter `name` (for example `skills`).
pub fn check(name: &str, value: impl std::fmt::Display, needed: f64) -> Result<()> {
    check_against(name, value, needed, available_bytes())
}

fn check_against(
    name: &str,
    value: impl std::fmt::Display,
    needed: f64,
    available: u64,
) -> Result<()> {
    if needed.is_finite() && needed <= available as f64 {
        return Ok(());
    }
    Err(Error::parameter(
        name,
        value,
        format!(
            "would need about {} of memory, more than the {} available",
            human(needed),
            human(available as f64)
        ),
    ))
}

/// Bytes the density evolution of Zipf popularity over `n` skills holds (weights,
/// inclusion probabilities, mixture means and their sorted copy).
pub fn zipf_de_bytes(n: usize) -> f64 {
    40.0 * n as f64
}

/// Refuses Zipf popularity over `n` skills when its tables would not fit.
pub fn check_zipf(n: usize) -> Result<()> {
    check("skills", n, zipf_de_bytes(n))
}

fn human(bytes: f64) -> String {
    if !bytes.is_finite() {
        return "an unbounded amount".to_string();
    }
    const GIB: f64 = (1u64 << 30) as f64;
    if bytes >= GIB {
        format!("{:.1} GiB", bytes / GIB)
    } else {
        format!("{:.0} MiB", (bytes / (1u64 << 20) as f64).max(1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mem_available_and_refuses_what_exceeds_it() {
        let text = "MemTotal:       16318412 kB\nMemFree:  100 kB\nMemAvailable:    8000000 kB\n";
        assert_eq!(parse_mem_available(text), Some(8_000_000 * 1024));
        assert_eq!(parse_mem_available("MemTotal: 5 kB\n"), None);
        assert!(check_against("skills", 10, 1e9, 2 << 30).is_ok());
        let e = check_against("skills", 10, 5e9, 2 << 30).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("4.7 GiB") && msg.contains("2.0 GiB"), "{msg}");
        assert_eq!(e.exit_code(), 2);
        assert!(available_bytes() > 0);
    }
}
