//! Allocation limits, checked before any allocation sized by input data.
//!
//! The default maximum is 16 GiB per single allocation (one decoded array, one
//! inflated dataset…). It can be changed at run time with [`set_max_alloc`]
//! (Python: `dicodec.set_max_alloc`) or at start-up with the environment
//! variable `DICODEC_MAX_ALLOC` (bytes).

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Default limit for one allocation: 16 GiB.
pub const DEFAULT_MAX_ALLOC: u64 = 16 << 30;

static MAX_ALLOC: AtomicU64 = AtomicU64::new(0);
static INIT: OnceLock<()> = OnceLock::new();

fn init() {
    INIT.get_or_init(|| {
        let v = std::env::var("DICODEC_MAX_ALLOC")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(DEFAULT_MAX_ALLOC);
        // Only set if nobody called set_max_alloc first.
        let _ = MAX_ALLOC.compare_exchange(0, v, Ordering::SeqCst, Ordering::SeqCst);
    });
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
