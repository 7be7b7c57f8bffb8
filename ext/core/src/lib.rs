//! dicodec-core: the pure-Rust engine behind dicodec.
//!
//! Layers: [`parser`] (DICOM element layer, file reader), [`pixels`] (what a
//! decoder is told and must produce), codecs (one folder each under [`codecs`]:
//! native, rle, jpeg), [`decode`] (dispatch of frames to the codecs, in
//! parallel), [`scan`] (tag scanner). No Python here; the bindings
//! live in `ext/py`. All failures are [`Error`] values: malformed (with byte
//! offset), unsupported, or limit exceeded. Nothing in this crate may panic on
//! input.

#![forbid(unsafe_op_in_unsafe_fn)]

pub mod error;
pub mod limits;
pub mod parser;
pub mod pixels;

pub mod codecs;

pub mod scan;

pub mod decode;

pub mod pipeline;

pub use error::{Error, Result};
