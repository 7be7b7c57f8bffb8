//! How frames are run: thread pools ([`pool`]), the release of decoded
//! pages of a memory-mapped file ([`release`]) and the CPU features of the
//! runtime-dispatched loops ([`cpu`]). No codec or DICOM logic.

pub mod cpu;
pub mod pool;
pub mod release;

pub use pool::{available_cpus, cached_pools, effective_threads, thread_pool, with_threads};
pub use release::Release;
