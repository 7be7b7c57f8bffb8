//! dicodec-core: the pure-Rust engine behind dicodec.
//!
//! Layers: [`parser`] (DICOM element layer, file reader), [`pixels`] (what a
//! decoder is told and must produce), [`codecs`] (one folder each: native,
//! rle, jpeg; one trait and one registry keyed by transfer syntax UID),
//! [`decode`] (dispatch of frames to the codecs), [`exec`] (thread pools,
//! page release), [`scan`] (tag scanner), [`uid`] (transfer syntax UIDs).
//! See `ARCHITECTURE.md` at the repository root. No Python here; the bindings
//! live in `ext/py`. All failures are [`Error`] values: malformed (with byte
//! offset), unsupported, or limit exceeded. Nothing in this crate may panic on
//! input.

#![forbid(unsafe_op_in_unsafe_fn)]

pub mod codecs;
pub mod decode;
pub mod error;
pub mod exec;
pub mod limits;
pub mod parser;
pub mod pixels;
pub mod scan;
pub mod uid;

pub use error::{Error, Result};
