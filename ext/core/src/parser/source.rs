//! The bytes of a file, memory-mapped (large files) or read once (small
//! ones), and the release of pixel pages once they are decoded.
//!
//! Decoding a mapped file touches every page of its pixel data; left alone,
//! those file-backed pages stay resident and the process holds the file and
//! the decoded array at once (about 2× the array). [`FileBytes::release`]
//! drops decoded pages from the process (they are re-read from the file if
//! touched again), so a whole-file decode peaks near the size of the array.

use std::ops::Range;
use std::path::Path;

use crate::error::{Error, Result};

/// Files smaller than this are read with one `read`; larger ones are mapped.
pub const MMAP_THRESHOLD: u64 = 1 << 20;

/// Threshold for callers that read only the header and item headers of a
/// file (frame descriptions): mapping costs less than reading what is skipped.
pub const INFO_MMAP_THRESHOLD: u64 = 64 << 10;

/// Ranges smaller than this are not worth a system call to release.
const RELEASE_MIN: usize = 16 << 10;

/// A file's bytes.
pub enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl FileBytes {
    /// Opens `path`: maps it when it has at least [`MMAP_THRESHOLD`] bytes,
    /// reads it otherwise.
    pub fn open(path: &Path) -> Result<FileBytes> {
        Self::open_with(path, MMAP_THRESHOLD)
    }

    /// Opens `path`, mapping it when it has at least `threshold` bytes. A
    /// caller that touches only a few pages (the header, fragment item
    /// headers) passes [`INFO_MMAP_THRESHOLD`]: the rest is never read.
    pub fn open_with(path: &Path, threshold: u64) -> Result<FileBytes> {
        let name = path.display().to_string();
        let io = |e: std::io::Error| Error::io(Some(&name), e);
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len < threshold {
            let mut v = Vec::with_capacity(len as usize);
            std::io::Read::read_to_end(&mut &file, &mut v).map_err(io)?;
            return Ok(FileBytes::Read(v));
        }
        // SAFETY: the map is read-only and private to this value. If another
        // process truncates or rewrites the file while it is mapped, reads may
        // fault or see changing bytes; the parser bounds-checks every access,
        // so changed bytes give wrong pixels or an error, never out-of-bounds
        // reads. This is the usual contract of mapping files (numpy.memmap has
        // it too).
        let map = unsafe { memmap2::MmapOptions::new().map(&file) }.map_err(io)?;
        Ok(FileBytes::Mapped(map))
    }

    /// All the bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Read(v) => v,
        }
    }

    /// The file is memory-mapped (so [`FileBytes::release`] does something).
    pub fn is_mapped(&self) -> bool {
        matches!(self, FileBytes::Mapped(_))
    }

    /// Drops the whole pages inside `range` from the process's resident
    /// memory (a mapped file only; a no-op otherwise). Only pages entirely
    /// inside `range` are released, so bytes outside it keep their pages.
    ///
    /// Call it only for bytes no other thread is reading at the same time
    /// (the decode dispatch calls it for a frame's bytes after decoding that
    /// frame, when no frame is decoded twice in one call).
    pub fn release(&self, range: Range<usize>) {
        #[cfg(unix)]
        if let FileBytes::Mapped(m) = self {
            const PAGE: usize = 4096;
            let start = range.start.div_ceil(PAGE) * PAGE;
            let end = (range.end.min(m.len()) / PAGE) * PAGE;
            if end <= start || end - start < RELEASE_MIN {
                return;
            }
            // SAFETY: the mapping is read-only and private and never written,
            // so MADV_DONTNEED only drops clean pages: the next access
            // re-reads them from the file, with the same contents (the usual
            // caveat of mapping a file another process rewrites aside). The
            // range is page-aligned, inside the map, and by this function's
            // contract not being read by another thread. Failure is harmless
            // (pages simply stay resident), so the result is ignored.
            let _ = unsafe {
                m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
            };
        }
        #[cfg(not(unix))]
        let _ = range;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_are_read_large_ones_mapped_and_released() {
        let dir = std::env::temp_dir().join(format!("dicodec-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let small = dir.join("small");
        std::fs::write(&small, b"abc").unwrap();
        let f = FileBytes::open(&small).unwrap();
        assert!(!f.is_mapped());
        assert_eq!(f.bytes(), b"abc");
        f.release(0..3);
        let big = dir.join("big");
        let data: Vec<u8> = (0..(MMAP_THRESHOLD as usize + 300_000))
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&big, &data).unwrap();
        let f = FileBytes::open(&big).unwrap();
        assert!(f.is_mapped());
        assert_eq!(f.bytes(), &data[..]);
        // Released pages read back the same bytes.
        f.release(100..data.len());
        f.release(0..data.len() + 10_000);
        assert_eq!(f.bytes(), &data[..]);
        assert!(matches!(
            FileBytes::open(&dir.join("missing")),
            Err(Error::Io { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
