//! Thread pools: rayon's global pool, the calling thread, or a pool of `n`
//! threads built once per size and kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{Error, Result};

/// A rayon pool with `n` threads, built on first use and kept.
pub fn thread_pool(n: usize) -> Result<Arc<rayon::ThreadPool>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let pools = POOLS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = pools.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = map.get(&n) {
        return Ok(p.clone());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("dicodec-{i}"))
        .build()
        .map_err(|e| Error::Resource(format!("cannot start {n} threads: {e}")))?;
    let pool = Arc::new(pool);
    map.insert(n, pool.clone());
    Ok(pool)
}

/// Runs `f` on `threads` threads: `None` = rayon's global pool (one thread
/// per core), `Some(1)` = the calling thread only, `Some(n)` = a cached pool.
/// `f` is told whether it may run in parallel.
pub fn with_threads<R: Send>(
    threads: Option<usize>,
    f: impl FnOnce(bool) -> R + Send,
) -> Result<R> {
    match threads {
        Some(0) | Some(1) => Ok(f(false)),
        None => Ok(f(true)),
        Some(n) => Ok(thread_pool(n)?.install(|| f(true))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_cached() {
        let a = thread_pool(2).unwrap();
        let b = thread_pool(2).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a.current_num_threads(), 2);
        assert!(with_threads(Some(3), |p| p && rayon::current_num_threads() == 3).unwrap());
        assert!(!with_threads(Some(1), |p| p).unwrap());
    }
}
