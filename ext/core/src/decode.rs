//! Decode dispatch: frames of a [`ParsedFile`] into a caller's buffer.
//!
//! The codec of the transfer syntax comes from the registry
//! ([`crate::codecs::registry`]); this module only hands each frame to its
//! [`FrameDecoder`]: frames are decoded in parallel (rayon, see
//! [`crate::exec`]) over disjoint chunks of `dst` unless one thread is asked
//! for. A frame split over several fragments is concatenated (only then is
//! anything copied). Codec errors get file offsets and a "frame N: " prefix;
//! codec warnings ([`FrameReport`]) are returned the same way. When several
//! frames fail, the error of the lowest frame index is returned.

use std::borrow::Cow;

use rayon::prelude::*;

use crate::codecs::registry::{self, CodecEntry};
use crate::codecs::{DecodeContext, Frame, FrameDecoder};
use crate::error::{Error, Result};
use crate::exec::release::Releaser;
use crate::limits;
use crate::parser::encaps::Fragment;
use crate::parser::{FrameStorage, ParsedFile, PixelLayout};
use crate::pixels::FrameReport;

pub use crate::exec::{thread_pool, with_threads, Release};

/// Maps an offset into the concatenation of `frags` to a data offset.
fn map_offset(frags: &[Fragment], o: u64) -> u64 {
    let mut cum = 0u64;
    for f in frags {
        if o < cum + f.length as u64 {
            return f.offset as u64 + (o - cum);
        }
        cum += f.length as u64;
    }
    frags.last().map_or(o, |f| (f.offset + f.length) as u64)
}

fn remap(err: Error, frags: &[Fragment]) -> Error {
    match err {
        Error::Malformed {
            offset,
            context,
            message,
        } => Error::Malformed {
            offset: map_offset(frags, offset),
            context,
            message,
        },
        e => e,
    }
}

/// The registry line and decoder for this file's pixel data, or why it
/// cannot be decoded (before any work).
pub fn decoder_for(
    file: &ParsedFile,
    _layout: &PixelLayout,
) -> Result<(&'static CodecEntry, &'static dyn FrameDecoder)> {
    registry::decoder_for(&file.syntax)
}

/// Checks that the dispatch can decode this layout at all (before any work).
pub fn check_supported(file: &ParsedFile, layout: &PixelLayout) -> Result<()> {
    decoder_for(file, layout).map(|_| ())
}

/// False when the decoder of this file writes every byte of every frame it
/// decodes without error, so a new output array need not be zero-filled.
pub fn needs_zero_fill(file: &ParsedFile, layout: &PixelLayout) -> bool {
    decoder_for(file, layout).map_or(true, |(_, d)| !d.writes_every_byte())
}

/// Decodes frames `frames` (indices into the layout's frames) into `dst`,
/// which must hold exactly `frames.len()` decoded frames. Returns the
/// warnings of the codecs ("frame N: …").
pub fn decode_frames(
    file: &ParsedFile,
    layout: &PixelLayout,
    frames: &[usize],
    dst: &mut [u8],
    threads: Option<usize>,
) -> Result<Vec<String>> {
    decode_frames_releasing(file, layout, frames, dst, threads, None)
}

/// [`decode_frames`], calling `release` with the bytes each frame read once
/// it is decoded (not when a frame index appears twice: two threads could
/// then read the same bytes).
pub fn decode_frames_releasing(
    file: &ParsedFile,
    layout: &PixelLayout,
    frames: &[usize],
    dst: &mut [u8],
    threads: Option<usize>,
    release: Option<Release<'_>>,
) -> Result<Vec<String>> {
    let (_, decoder) = decoder_for(file, layout)?;
    let frame_len = layout.desc.frame_output_len()? as usize;
    let expected = limits::checked_size("output", &[frame_len as u64, frames.len() as u64])?;
    if dst.len() as u64 != expected {
        return Err(Error::invalid_argument(format!(
            "the output buffer has {} bytes but {} frames need {expected}",
            dst.len(),
            frames.len()
        )));
    }
    if let Some(&bad) = frames.iter().find(|&&i| i >= layout.frames) {
        return Err(Error::invalid_argument(format!(
            "frame {bad} requested but there are {} frames",
            layout.frames
        )));
    }
    if frames.is_empty() {
        return Ok(Vec::new());
    }
    let ctx = DecodeContext::new(frame_len.saturating_mul(layout.frames), threads);
    let releaser = Releaser::new(release, file, layout, frames);
    let one = |index: usize, out: &mut [u8]| -> Result<FrameReport> {
        let r = decode_one(file, layout, decoder, &ctx, index, out)
            .map_err(|e| e.in_context(format!("frame {index}: ")));
        if let Some(releaser) = &releaser {
            releaser.frame_done(index);
        }
        r
    };

    let results: Vec<Result<FrameReport>> = with_threads(threads, |parallel| {
        if parallel && frames.len() > 1 {
            dst.par_chunks_mut(frame_len)
                .zip(frames.par_iter())
                .map(|(out, &i)| one(i, out))
                .collect()
        } else {
            dst.chunks_mut(frame_len)
                .zip(frames.iter())
                .map(|(out, &i)| one(i, out))
                .collect()
        }
    })?;

    let mut warnings = Vec::new();
    for (r, &i) in results.into_iter().zip(frames) {
        for w in r?.warnings {
            warnings.push(format!("frame {i}: {w}"));
        }
    }
    Ok(warnings)
}

/// Hands frame `index` to the decoder: native frames as a window of the
/// value, encapsulated frames as their (concatenated) fragments; error
/// offsets are made file offsets.
fn decode_one(
    file: &ParsedFile,
    layout: &PixelLayout,
    decoder: &dyn FrameDecoder,
    ctx: &DecodeContext,
    index: usize,
    dst: &mut [u8],
) -> Result<FrameReport> {
    let desc = &layout.desc;
    match &layout.storage {
        FrameStorage::Native { value, order } => {
            let frame = Frame {
                data: &file.data[value.clone()],
                index,
                order: *order,
            };
            decoder
                .decode(&frame, desc, dst, ctx)
                .map_err(|e| e.shift_offset(value.start as u64))
        }
        FrameStorage::Encapsulated => {
            let frags: &[Fragment] = file
                .encapsulated
                .as_ref()
                .and_then(|e| e.frames.get(index))
                .map_or(&[], |f| f.as_slice());
            if frags.is_empty() {
                return Err(Error::malformed(
                    file.pixel.map_or(0, |p| p.value_offset as u64),
                    "encapsulated Pixel Data",
                    "the offset table gives this frame no fragments",
                ));
            }
            let src: Cow<[u8]> = if let [f] = frags {
                Cow::Borrowed(&file.data[f.offset..f.offset + f.length])
            } else {
                let total: u64 = frags.iter().map(|f| f.length as u64).sum();
                limits::check_alloc("fragmented frame", total)?;
                let mut v = Vec::with_capacity(total as usize);
                for f in frags {
                    v.extend_from_slice(&file.data[f.offset..f.offset + f.length]);
                }
                Cow::Owned(v)
            };
            let frame = Frame::encapsulated(&src);
            decoder
                .decode(&frame, desc, dst, ctx)
                .map_err(|e| remap(e, frags))
        }
    }
}

/// Parses nothing: decodes every frame of `file` into a new vector (for
/// tests and Rust callers; the Python binding writes into NumPy memory).
pub fn decode_all(
    file: &ParsedFile,
    threads: Option<usize>,
) -> Result<(PixelLayout, Vec<u8>, Vec<String>)> {
    let layout = file.layout()?;
    check_supported(file, &layout)?;
    let frame_len = layout.desc.frame_output_len()?;
    let total = limits::checked_size("pixel array", &[frame_len, layout.frames as u64])?;
    limits::check_alloc("pixel array", total)?;
    let mut out = vec![0u8; total as usize];
    let frames: Vec<usize> = (0..layout.frames).collect();
    let mut warnings = decode_frames(file, &layout, &frames, &mut out, threads)?;
    let mut all = file.warnings.clone();
    all.extend(layout.warnings.iter().cloned());
    all.append(&mut warnings);
    Ok((layout, out, all))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_through_concatenated_fragments() {
        let frags = [
            Fragment {
                offset: 100,
                length: 4,
            },
            Fragment {
                offset: 200,
                length: 6,
            },
        ];
        assert_eq!(map_offset(&frags, 0), 100);
        assert_eq!(map_offset(&frags, 3), 103);
        assert_eq!(map_offset(&frags, 4), 200);
        assert_eq!(map_offset(&frags, 9), 205);
        assert_eq!(map_offset(&frags, 50), 206);
        let e = remap(Error::malformed(5, "RLE", "x"), &frags);
        assert_eq!(e.offset(), Some(201));
    }
}
