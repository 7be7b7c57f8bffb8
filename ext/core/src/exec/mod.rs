//! How frames are run: thread pools ([`pool`]) and the release of decoded
//! pages of a memory-mapped file ([`release`]). No codec or DICOM logic.

pub mod pool;
pub mod release;

pub use pool::{thread_pool, with_threads};
pub use release::Release;
