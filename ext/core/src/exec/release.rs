//! Releasing the pages of a memory-mapped file once the frames that read
//! them are decoded (see [`crate::parser::source::FileBytes::release`]).

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::codecs::native;
use crate::parser::{FrameStorage, ParsedFile, PixelLayout};

/// A callback told which bytes of [`ParsedFile::data`] a frame read, once
/// it is decoded.
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
        FrameStorage::Encapsulated => file
            .encapsulated
            .as_ref()
            .and_then(|e| e.frames.get(index))
            .map(|f| f.iter().map(|g| g.offset..g.offset + g.length).collect())
            .unwrap_or_default(),
    }
}

/// Calls a [`Release`] callback with the bytes of each decoded frame.
pub(crate) struct Releaser<'r, 'f> {
    release: Release<'r>,
    file: &'r ParsedFile<'f>,
    layout: &'r PixelLayout,
    /// Which frames are decoded (native storage only: for releasing across
    /// the boundary with decoded neighbours).
    done: Vec<AtomicBool>,
}

impl<'r, 'f> Releaser<'r, 'f> {
    /// A releaser for decoding `frames`, or `None` without a callback or
    /// when a frame index appears twice (two threads could then read the
    /// same bytes).
    pub(crate) fn new(
        release: Option<Release<'r>>,
        file: &'r ParsedFile<'f>,
        layout: &'r PixelLayout,
        frames: &[usize],
    ) -> Option<Self> {
        let release = release?;
        let mut seen = frames.to_vec();
        seen.sort_unstable();
        if seen.windows(2).any(|w| w[0] == w[1]) {
            return None;
        }
        let done = match layout.storage {
            FrameStorage::Native { .. } => {
                (0..layout.frames).map(|_| AtomicBool::new(false)).collect()
            }
            FrameStorage::Encapsulated => Vec::new(),
        };
        Some(Releaser {
            release,
            file,
            layout,
            done,
        })
    }

    /// Frame `index` is decoded (successfully or not): nobody reads its
    /// bytes again.
    pub(crate) fn frame_done(&self, index: usize) {
        let mut ranges = frame_source_ranges(self.file, self.layout, index);
        if let Some(flag) = self.done.get(index) {
            // Native frames are contiguous: reading the first page of a
            // frame maps its predecessor's last pages back in (fault-around),
            // so when a neighbour is decoded too, release across the
            // boundary. Nobody reads a decoded frame's bytes again.
            flag.store(true, Ordering::Release);
            let is_done = |i: usize| self.done.get(i).is_some_and(|d| d.load(Ordering::Acquire));
            let (mut lo, mut hi) = ranges
                .iter()
                .fold((usize::MAX, 0), |(a, b), r| (a.min(r.start), b.max(r.end)));
            for n in [index.wrapping_sub(1), index + 1] {
                if is_done(n) {
                    for r in frame_source_ranges(self.file, self.layout, n) {
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
            (self.release)(range);
        }
    }
}
