//! Pixel codecs, one folder each, behind one interface.
//!
//! Every codec implements [`FrameDecoder`] (and, if it can encode,
//! [`FrameEncoder`]) on a unit struct, and has one line in the
//! [`registry`] per transfer syntax it serves. The dispatch
//! ([`crate::decode`]) only looks codecs up in the registry and calls the
//! trait; nothing outside `codecs` calls a codec's internals (the Python
//! bindings of a codec's extra functions, e.g. `rle_decode_into`, excepted).
//!
//! The contract (see [`crate::pixels`]): a decoder writes one frame into
//! `dst` of exactly [`PixelDescription::frame_output_len`] bytes,
//! little-endian, colour-by-pixel, as pydicom 3 returns it with `raw=True`,
//! and returns what it tolerated as [`FrameReport`] warnings; anything it
//! cannot decode is an [`crate::Error`] (malformed with the byte offset into
//! [`Frame::data`], unsupported naming the feature, limit exceeded).
//!
//! Adding a codec: see "How to add a codec" in `ARCHITECTURE.md`.

use crate::error::Result;
use crate::pixels::{FrameReport, PixelDescription};

pub mod encode_params;
pub mod ff;
pub mod native;
pub mod registry;

#[cfg(feature = "jpeg-lossless")]
pub mod jpeg;
#[cfg(feature = "jpeg-ls")]
pub mod jpegls;
#[cfg(feature = "rle")]
pub mod rle;

pub use encode_params::{DeflateParams, EncodeParams, J2kParams, JpegLosslessParams, JpegLsParams};
pub use native::ByteOrder;
pub use registry::{encode_frame, encode_frames, lookup, CodecEntry, REGISTRY};

/// The stored bytes of one frame, as a decoder receives them.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Encapsulated syntaxes: the frame's bytes (its fragments concatenated
    /// when it has several; error offsets are relative to this slice).
    /// Native syntaxes: the whole pixel data value, all frames.
    pub data: &'a [u8],
    /// Which frame of [`Frame::data`] to decode: the frame's index for
    /// native syntaxes (the value holds every frame), 0 for encapsulated
    /// ones (the data is that one frame).
    pub index: usize,
    /// How the value of a native syntax is stored (little-endian for every
    /// encapsulated syntax).
    pub order: ByteOrder,
}

impl<'a> Frame<'a> {
    /// An encapsulated frame's bytes.
    pub fn encapsulated(data: &'a [u8]) -> Frame<'a> {
        Frame {
            data,
            index: 0,
            order: ByteOrder::Little,
        }
    }
}

/// What a decoder may know about the whole call (the same for every frame).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DecodeContext {
    /// Bytes of all frames of the pixel data together (frame length ×
    /// frames): lets a codec choose a strategy for outputs larger than the
    /// caches (RLE's streaming stores).
    pub total_output: usize,
    /// Threads of the call (`None`: all cores, `Some(1)`: the calling thread
    /// only). Frames are already decoded in parallel by the dispatch.
    pub threads: Option<usize>,
    /// Reject what the codec's lenient tolerance policy accepts.
    pub strict: bool,
}

impl DecodeContext {
    /// A context for a call writing `total_output` bytes.
    pub fn new(total_output: usize, threads: Option<usize>) -> DecodeContext {
        DecodeContext {
            total_output,
            threads,
            strict: false,
        }
    }

    /// Threads a codec may start itself for one frame of `frame_len` bytes:
    /// the call's threads (at most the CPUs) shared among the frames of the
    /// pixel data, which the dispatch decodes in parallel: all of them for a
    /// single frame, 1 when there are at least as many frames as threads.
    pub fn frame_threads(&self, frame_len: usize) -> usize {
        let cpus = crate::exec::available_cpus();
        let threads = self.threads.unwrap_or(cpus).clamp(1, cpus);
        let frames = (self.total_output / frame_len.max(1)).max(1);
        (threads / frames).max(1)
    }
}

/// Decodes frames of one or more transfer syntaxes.
pub trait FrameDecoder: Send + Sync {
    /// Decodes `frame` into `dst` (exactly
    /// [`PixelDescription::frame_output_len`] bytes, see the module docs).
    fn decode(
        &self,
        frame: &Frame<'_>,
        desc: &PixelDescription,
        dst: &mut [u8],
        ctx: &DecodeContext,
    ) -> Result<FrameReport>;

    /// True when a successful [`FrameDecoder::decode`] writes every byte of
    /// `dst` (lets the caller skip zero-filling a new output array). Must be
    /// proven by a test that decodes into two different fills.
    fn writes_every_byte(&self) -> bool {
        false
    }
}

/// Options of an encoder (the same for every frame).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct EncodeContext {
    /// Threads the encoder may use (`None`: all cores).
    pub threads: Option<usize>,
    /// The codec's parameters (see [`encode_params`]); an encoder answers
    /// `InvalidArgument` for another codec's parameters or values out of
    /// range.
    pub params: EncodeParams,
}

impl EncodeContext {
    /// A context with `params` (all cores).
    pub fn with_params(params: EncodeParams) -> EncodeContext {
        EncodeContext {
            threads: None,
            params,
        }
    }
}

/// Encodes frames for one or more transfer syntaxes.
pub trait FrameEncoder: Send + Sync {
    /// Encodes one frame of `src` (little-endian, colour-by-pixel samples as
    /// [`FrameDecoder::decode`] writes them) into the bytes of one frame of
    /// the transfer syntax (before fragmentation).
    fn encode(&self, src: &[u8], desc: &PixelDescription, ctx: &EncodeContext) -> Result<Vec<u8>>;
}

#[cfg(feature = "j2k")]
pub mod j2k;

#[cfg(feature = "jxl")]
pub mod jxl;

#[cfg(feature = "deflate-frames")]
pub mod deflate_frames;

/// The shared test corpus (`../shared/corpus/dev` from the repository root,
/// or `$DICODEC_CORPUS`), if present.
#[cfg(test)]
#[allow(dead_code)] // unused when every codec feature is off
pub(crate) fn test_corpus_dir() -> Option<std::path::PathBuf> {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::var_os("DICODEC_CORPUS")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain([repo.join("../shared/corpus/dev")])
        .find(|d| d.join("MANIFEST.csv").is_file())
}

/// Rows of a CSV file (RFC 4180: quoted fields may hold commas, doubled
/// quotes and newlines) as maps from the header's names, for tests.
#[cfg(test)]
#[allow(dead_code)] // unused when every codec feature is off
pub(crate) fn test_csv(path: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut records: Vec<Vec<String>> = Vec::new();
    let (mut rec, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => rec.push(std::mem::take(&mut field)),
            ('\n', false) => {
                rec.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut rec));
            }
            ('\r', false) => {}
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !rec.is_empty() {
        rec.push(field);
        records.push(rec);
    }
    let mut it = records.into_iter();
    let head = it.next().unwrap_or_default();
    it.filter(|r| r.len() > 1)
        .map(|r| head.iter().cloned().zip(r).collect())
        .collect()
}
