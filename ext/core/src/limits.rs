//! Allocation limits, checked before any allocation sized by input data.
//!
//! The default maximum is 16 GiB per single allocation (one decoded array, one
//! inflated dataset…). It can be changed at run time with [`set_max_alloc`]
//! (Python: `dicodec.set_max_alloc`) or at start-up with the environment
//! variable `DICODEC_MAX_ALLOC` (bytes, or a size with a unit: see [`parse_size`]).

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Default limit for one allocation: 16 GiB.
pub const DEFAULT_MAX_ALLOC: u64 = 16 << 30;

static MAX_ALLOC: AtomicU64 = AtomicU64::new(0);
static INIT: OnceLock<()> = OnceLock::new();

fn init() {
    INIT.get_or_init(|| {
        // Garbage keeps the default here; the Python package refuses it
        // loudly at import (dicodec/_settings.py, the same grammar).
        let v = std::env::var("DICODEC_MAX_ALLOC")
            .ok()
            .and_then(|s| parse_size(&s))
            .unwrap_or(DEFAULT_MAX_ALLOC);
        // Only set if nobody called set_max_alloc first.
        let _ = MAX_ALLOC.compare_exchange(0, v, Ordering::SeqCst, Ordering::SeqCst);
    });
}

/// A size in bytes from `"123"`, `"1G"`, `"512MiB"`, `"1.5GB"`...: K/M/G/T
/// and KiB/MiB/GiB/TiB are powers of 1024, kB/MB/GB/TB powers of 1000
/// (case-insensitive). `None` for anything else or for 0.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = (&t[..split], t[split..].trim());
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return None,
    };
    let bytes = if num.contains('.') {
        let v: f64 = num.parse().ok()?;
        let b = v * mult as f64;
        (b.is_finite() && b < u64::MAX as f64).then_some(b as u64)?
    } else {
        num.parse::<u64>().ok()?.checked_mul(mult)?
    };
    (bytes > 0).then_some(bytes)
}

/// The current limit in bytes for one allocation.
pub fn max_alloc() -> u64 {
    init();
    MAX_ALLOC.load(Ordering::Relaxed)
}

/// Sets the limit in bytes for one allocation (0 restores the default).
pub fn set_max_alloc(bytes: u64) {
    init();
    let v = if bytes == 0 { DEFAULT_MAX_ALLOC } else { bytes };
    MAX_ALLOC.store(v, Ordering::Relaxed);
}

/// Checks that `requested` bytes may be allocated for `what`.
pub fn check_alloc(what: &str, requested: u64) -> Result<()> {
    let limit = max_alloc();
    if requested > limit {
        return Err(Error::LimitExceeded {
            what: what.to_owned(),
            requested,
            limit,
        });
    }
    Ok(())
}

/// Multiplies sizes, reporting overflow as a limit error.
pub fn checked_size(what: &str, factors: &[u64]) -> Result<u64> {
    let mut acc: u64 = 1;
    for &f in factors {
        acc = acc.checked_mul(f).ok_or_else(|| Error::LimitExceeded {
            what: what.to_owned(),
            requested: u64::MAX,
            limit: max_alloc(),
        })?;
    }
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_with_units() {
        assert_eq!(parse_size("123"), Some(123));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size(" 512MiB "), Some(512 << 20));
        assert_eq!(parse_size("1.5GB"), Some(1_500_000_000));
        assert_eq!(parse_size("64k"), Some(64 << 10));
        for bad in [
            "",
            "abc",
            "1X",
            "-5",
            "0",
            "1 G B",
            "1e9",
            "99999999999999999999T",
        ] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn overflow_is_a_limit_error() {
        assert!(matches!(
            checked_size("x", &[u64::MAX, 2]),
            Err(Error::LimitExceeded { .. })
        ));
        assert_eq!(checked_size("x", &[3, 4]).unwrap(), 12);
        assert!(check_alloc("x", max_alloc() + 1).is_err());
        assert!(check_alloc("x", 1).is_ok());
    }
}
