//! Decode dispatch: frames of a [`ParsedFile`] into a caller's buffer.
//!
//! Native syntaxes go to [`native::unpack_frame`], RLE Lossless to
//! [`rle::decode_frame`], JPEG Lossless (.57/.70) to [`jpeg::decode_frame`],
//! Encapsulated Uncompressed to the native unpacker frame by frame; JPEG
//! 2000 / HTJ2K, JPEG XL and Deflated Image Frames to the codecs behind their
//! Cargo features (found by UID, see `feature_codec`); any other
//! encapsulated syntax is [`Error::Unsupported`] naming it.
//!
//! Frames are decoded in parallel (rayon) over disjoint chunks of `dst` unless
//! one thread is asked for; thread pools are built once per size and cached.
//! A frame split over several fragments is concatenated (only then is
//! anything copied). Codec errors get file offsets and a "frame N: " prefix;
//! codec warnings ([`FrameReport`]) are returned the same way. When several
//! frames fail, the error of the lowest frame index is returned.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use crate::codecs::{jpeg, native, rle};
use crate::error::{Error, Result};
use crate::limits;
use crate::parser::encaps::Fragment;
use crate::parser::syntax::Codec;
use crate::parser::{FrameStorage, ParsedFile, PixelLayout};
use crate::pixels::{FrameReport, PixelDescription};

/// A codec behind a Cargo feature: decodes one frame with `threads` threads
/// of its own (1 when frames are decoded in parallel).
type FeatureCodec = fn(&[u8], &PixelDescription, &mut [u8], usize) -> Result<FrameReport>;

/// The feature codec of a transfer syntax UID (until the codec registry
/// lands, these syntaxes are `Codec::Other` in the parser's table).
fn feature_codec(uid: &str) -> Option<FeatureCodec> {
    match uid {
        #[cfg(feature = "j2k")]
        "1.2.840.10008.1.2.4.90"
        | "1.2.840.10008.1.2.4.91"
        | "1.2.840.10008.1.2.4.201"
        | "1.2.840.10008.1.2.4.202"
        | "1.2.840.10008.1.2.4.203" => Some(|s, d, o, threads| {
            crate::codecs::j2k::decode_frame_with(
                s,
                d,
                o,
                &crate::codecs::j2k::DecodeOptions { threads },
            )
        }),
        #[cfg(feature = "jxl")]
        "1.2.840.10008.1.2.4.110" | "1.2.840.10008.1.2.4.111" | "1.2.840.10008.1.2.4.112" => {
            Some(|s, d, o, threads| {
                crate::codecs::jxl::decode_frame_with(
                    s,
                    d,
                    o,
                    &crate::codecs::jxl::DecodeOptions { threads },
                )
            })
        }
        #[cfg(feature = "deflate-frames")]
        "1.2.840.10008.1.2.8.1" => {
            Some(|s, d, o, _| crate::codecs::deflate_frames::decode_frame(s, d, o))
        }
        _ => None,
    }
}

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
        .map_err(|e| Error::Io {
            path: None,
            message: format!("cannot start {n} threads: {e}"),
        })?;
    let pool = Arc::new(pool);
    map.insert(n, pool.clone());
    Ok(pool)
}

/// Runs `f` on `threads` threads: `None` = rayon's global pool (one thread
/// per core), `Some(1)` = the calling thread only, `Some(n)` = a cached pool.
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

/// Checks that the dispatch can decode this layout at all (before any work).
pub fn check_supported(file: &ParsedFile, layout: &PixelLayout) -> Result<()> {
    if file.syntax.info.is_none() {
        return Err(Error::unsupported(format!(
            "cannot decode pixel data with {}",
            file.syntax.describe()
        )));
    }
    match layout.storage {
        FrameStorage::Encapsulated {
            codec: Some(Codec::Other),
        } if feature_codec(&file.syntax.uid).is_some() => Ok(()),
        FrameStorage::Encapsulated {
            codec: Some(Codec::Other) | None,
        } => Err(Error::unsupported(format!(
            "no decoder for {}",
            file.syntax.describe()
        ))),
        _ => Ok(()),
    }
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

/// A callback told which bytes of [`ParsedFile::data`] a frame read, once
/// it is decoded (see [`crate::parser::source::FileBytes::release`]).
pub type Release<'r> = &'r (dyn Fn(Range<usize>) + Sync);

/// The byte ranges of the data frame `index` reads.
fn frame_source_ranges(file: &ParsedFile, layout: &PixelLayout, index: usize) -> Vec<Range<usize>> {
    match &layout.storage {
        FrameStorage::Native { value, order } => {
            native::frame_stored_range(&layout.desc, index, *order)
                .map(|r| {
                    std::iter::once(value.start + r.start as usize..value.start + r.end as usize)
                        .collect()
                })
                .unwrap_or_default()
        }
        FrameStorage::Encapsulated { .. } => file
            .encapsulated
            .as_ref()
            .and_then(|e| e.frames.get(index))
            .map(|f| f.iter().map(|g| g.offset..g.offset + g.length).collect())
            .unwrap_or_default(),
    }
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
    check_supported(file, layout)?;
    let frame_len = layout.desc.frame_output_len()? as usize;
    let expected = limits::checked_size("output", &[frame_len as u64, frames.len() as u64])?;
    if dst.len() as u64 != expected {
        return Err(Error::malformed(
            0,
            "output buffer",
            format!(
                "has {} bytes but {} frames need {expected}",
                dst.len(),
                frames.len()
            ),
        ));
    }
    if let Some(&bad) = frames.iter().find(|&&i| i >= layout.frames) {
        return Err(Error::malformed(
            0,
            "frame index",
            format!(
                "frame {bad} requested but there are {} frames",
                layout.frames
            ),
        ));
    }
    if frames.is_empty() {
        return Ok(Vec::new());
    }

    let release = release.filter(|_| {
        let mut seen = frames.to_vec();
        seen.sort_unstable();
        seen.windows(2).all(|w| w[0] != w[1])
    });
    // Which frames are decoded (for releasing native neighbours, below).
    let done: Vec<AtomicBool> = match (release, &layout.storage) {
        (Some(_), FrameStorage::Native { .. }) => {
            (0..layout.frames).map(|_| AtomicBool::new(false)).collect()
        }
        _ => Vec::new(),
    };
    // Fewer frames than threads: the codecs that can use threads of their
    // own share the rest.
    let pool_threads = threads.unwrap_or_else(rayon::current_num_threads).max(1);
    let codec_threads = (pool_threads / frames.len()).max(1);
    let one = |index: usize, out: &mut [u8]| -> Result<FrameReport> {
        let r = decode_one(file, layout, index, out, codec_threads)
            .map_err(|e| e.in_context(format!("frame {index}: ")));
        if let Some(release) = release {
            let mut ranges = frame_source_ranges(file, layout, index);
            if let Some(flag) = done.get(index) {
                // Native frames are contiguous: reading the first page of a
                // frame maps its predecessor's last pages back in (fault-around),
                // so when a neighbour is decoded too, release across the
                // boundary. Nobody reads a decoded frame's bytes again.
                flag.store(true, Ordering::Release);
                let is_done = |i: usize| done.get(i).is_some_and(|d| d.load(Ordering::Acquire));
                let (mut lo, mut hi) = ranges
                    .iter()
                    .fold((usize::MAX, 0), |(a, b), r| (a.min(r.start), b.max(r.end)));
                for n in [index.wrapping_sub(1), index + 1] {
                    if is_done(n) {
                        for r in frame_source_ranges(file, layout, n) {
                            (lo, hi) = (lo.min(r.start), hi.max(r.end));
                        }
                    }
                }
                ranges.clear();
                if lo < hi {
                    ranges.push(lo..hi);
                }
            }
            for range in ranges {
                release(range);
            }
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

fn decode_one(
    file: &ParsedFile,
    layout: &PixelLayout,
    index: usize,
    dst: &mut [u8],
    codec_threads: usize,
) -> Result<FrameReport> {
    let desc = &layout.desc;
    match &layout.storage {
        FrameStorage::Native { value, order } => {
            let src = &file.data[value.clone()];
            native::unpack_frame_window(src, 0, index, desc, *order, dst)
                .map_err(|e| e.shift_offset(value.start as u64))?;
            Ok(FrameReport::default())
        }
        FrameStorage::Encapsulated { codec } => {
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
            let r = match codec {
                Some(Codec::Rle) => {
                    // The frames of the file together: past the caches, RLE
                    // interleaves with non-temporal stores.
                    let total = dst.len().saturating_mul(layout.frames);
                    let opts = rle::DecodeOptions {
                        stream: total >= rle::STREAM_TOTAL,
                        ..Default::default()
                    };
                    rle::decode_frame_with(&src, desc, dst, &opts)
                }
                Some(Codec::JpegLossless) => jpeg::decode_frame(&src, desc, dst),
                Some(Codec::Uncompressed) => {
                    native::unpack_frame(&src, 0, desc, false, dst).map(|()| FrameReport::default())
                }
                Some(Codec::Other) => match feature_codec(&file.syntax.uid) {
                    Some(decode) => decode(&src, desc, dst, codec_threads),
                    None => Err(Error::unsupported(format!(
                        "no decoder for {}",
                        file.syntax.describe()
                    ))),
                },
                None => Err(Error::unsupported(format!(
                    "no decoder for {}",
                    file.syntax.describe()
                ))),
            };
            r.map_err(|e| remap(e, frags))
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
