//! Thread pools for parallel decoding: bounded in size and in number.
//!
//! A caller asks for `threads`; what it gets is capped:
//!
//! * never more than [`MAX_THREADS`] (a larger request is an error: it is a
//!   mistake, not a tuning choice — `threads=10**6` once started 18,690 OS
//!   threads before it was killed);
//! * never more than [`CPU_MULTIPLE`] × the CPUs available (decoding is CPU
//!   bound: more threads only cost start-up time and memory);
//! * never more than the work items (callers pass `threads.min(items)`).
//!
//! Pools are built on first use and kept in a small least-recently-used cache
//! of [`MAX_POOLS`] pools; an evicted pool's threads exit once the last job
//! holding it finishes.

use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

/// The largest `threads` value accepted; more is refused with an error.
pub const MAX_THREADS: usize = 1024;

/// Pools never have more than this many threads per available CPU.
pub const CPU_MULTIPLE: usize = 4;

/// At most this many pools are kept alive between calls.
pub const MAX_POOLS: usize = 4;

/// The CPUs this process may use (at least 1), asked once: on Linux
/// `available_parallelism` reads the cgroup's CPU quota from `/proc` and
/// `/sys` (about 0.1 ms, serial in every single-frame decode that sizes its
/// codec's threads with it).
pub fn available_cpus() -> usize {
    static CPUS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The number of threads actually used for a request of `n` (`n` ≥ 1):
/// `n` capped at [`CPU_MULTIPLE`] × [`available_cpus`]. Refuses `n` above
/// [`MAX_THREADS`].
pub fn effective_threads(n: usize) -> Result<usize> {
    if n > MAX_THREADS {
        return Err(Error::invalid_argument(format!(
            "threads={n} is more than the {MAX_THREADS} threads dicodec accepts \
             (this machine has {} CPUs; leave threads unset to use one thread per CPU)",
            available_cpus()
        )));
    }
    Ok(n.clamp(1, CPU_MULTIPLE * available_cpus()))
}

/// A least-recently-used cache of at most `cap` pools, keyed by size.
struct PoolCache {
    cap: usize,
    /// Most recently used last.
    pools: Vec<(usize, Arc<rayon::ThreadPool>)>,
}

impl PoolCache {
    const fn new(cap: usize) -> Self {
        Self {
            cap,
            pools: Vec::new(),
        }
    }

    /// The pool of `n` threads (`n` already capped), built when missing.
    fn get(&mut self, n: usize) -> Result<Arc<rayon::ThreadPool>> {
        if let Some(i) = self.pools.iter().position(|(k, _)| *k == n) {
            let entry = self.pools.remove(i);
            let pool = entry.1.clone();
            self.pools.push(entry);
            return Ok(pool);
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("dicodec-{i}"))
            .build()
            .map_err(|e| Error::Resource(format!("cannot start {n} threads: {e}")))?;
        let pool = Arc::new(pool);
        if self.pools.len() >= self.cap {
            self.pools.remove(0);
        }
        self.pools.push((n, pool.clone()));
        Ok(pool)
    }
}

static POOLS: Mutex<PoolCache> = Mutex::new(PoolCache::new(MAX_POOLS));

/// A rayon pool with `n` threads (after [`effective_threads`]), from a
/// bounded least-recently-used cache.
pub fn thread_pool(n: usize) -> Result<Arc<rayon::ThreadPool>> {
    let n = effective_threads(n)?;
    POOLS.lock().unwrap_or_else(|e| e.into_inner()).get(n)
}

/// Number of pools currently cached (at most [`MAX_POOLS`]).
pub fn cached_pools() -> usize {
    POOLS.lock().unwrap_or_else(|e| e.into_inner()).pools.len()
}

/// Runs `f` on `threads` threads: `None` = rayon's global pool (one thread
/// per core), `Some(1)` = the calling thread only, `Some(n)` = a cached pool
/// of [`effective_threads`]`(n)` threads. `f` is told whether to go parallel.
pub fn with_threads<R: Send>(
    threads: Option<usize>,
    f: impl FnOnce(bool) -> R + Send,
) -> Result<R> {
    match threads {
        Some(0) | Some(1) => Ok(f(false)),
        None => Ok(f(true)),
        Some(n) => match effective_threads(n)? {
            1 => Ok(f(false)),
            m => Ok(thread_pool(m)?.install(|| f(true))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_counts_are_refused() {
        let e = effective_threads(1_000_000).unwrap_err();
        assert!(e.to_string().contains("threads=1000000"), "{e}");
        assert!(with_threads(Some(MAX_THREADS + 1), |_| ()).is_err());
        assert!(thread_pool(MAX_THREADS + 1).is_err());
    }

    #[test]
    fn counts_are_capped_by_the_cpus() {
        let cap = CPU_MULTIPLE * available_cpus();
        assert_eq!(
            effective_threads(MAX_THREADS).unwrap(),
            cap.min(MAX_THREADS)
        );
        assert_eq!(effective_threads(2).unwrap(), 2.min(cap));
        let got = with_threads(Some(MAX_THREADS), |_| rayon::current_num_threads()).unwrap();
        assert!(got <= cap, "{got} > {cap}");
    }

    #[test]
    fn pools_are_cached_and_bounded() {
        let mut cache = PoolCache::new(2);
        let a = cache.get(2).unwrap();
        assert!(Arc::ptr_eq(&a, &cache.get(2).unwrap()));
        assert_eq!(a.current_num_threads(), 2);
        let b = cache.get(3).unwrap();
        cache.get(2).unwrap(); // 2 is now the most recently used
        cache.get(4).unwrap(); // evicts 3
        assert_eq!(cache.pools.len(), 2);
        assert!(!Arc::ptr_eq(&b, &cache.get(3).unwrap()));
        for n in 1..=3 * MAX_POOLS {
            let _ = thread_pool(n).unwrap();
        }
        assert!(cached_pools() <= MAX_POOLS);
        assert!(!with_threads(Some(1), |p| p).unwrap());
    }
}
