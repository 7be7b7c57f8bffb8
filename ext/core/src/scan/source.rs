//! Byte sources for the scanner: a window over a file that is read only where
//! the walk needs bytes, and an incremental inflater for deflated datasets.
//!
//! Positions are absolute (file offsets, or offsets into the inflated
//! stream). A fetch returns the bytes `[pos, pos + n)`, or fewer when the data
//! ends first. Nothing is read ahead beyond one read of `chunk` bytes, values
//! that are skipped are never read, and memory grows only with bytes that
//! were actually read (a bogus 4 GiB length cannot allocate 4 GiB).
//!
//! A read that returns fewer bytes than asked is taken as the end of the
//! file (as it is for regular files), which saves a second read per small
//! file. The end is "presumed" until a read returns 0; before reporting a
//! truncated file the scanner confirms it ([`FileWindow::confirm_end`]).

use crate::error::{Error, Result};
use crate::limits::check_alloc;
use flate2::{Decompress, FlushDecompress, Status};
use std::fs::File;
use std::io;

/// Largest single read when a fetch needs more than one chunk.
const MAX_STEP: usize = 1 << 20;

/// Something the element walk can fetch bytes from.
pub(crate) trait Source {
    /// Bytes `[pos, pos + n)`; shorter (possibly empty) only when the data ends.
    fn fetch(&mut self, pos: u64, n: usize) -> Result<&[u8]>;
    /// Total size of the data, when it can be known (used only to tell a
    /// value skipped past the end from a clean end).
    fn total_len(&mut self) -> Result<Option<u64>>;
}

#[cfg(unix)]
fn read_at(f: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(f, buf, pos)
}

#[cfg(windows)]
fn read_at(f: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(f, buf, pos)
}

#[cfg(not(any(unix, windows)))]
fn read_at(mut f: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    use std::io::{Read, Seek, SeekFrom};
    f.seek(SeekFrom::Start(pos))?;
    f.read(buf)
}

/// A window `[base, base + len)` of a file, held in a reusable buffer.
pub(crate) struct FileWindow<'a> {
    file: &'a File,
    buf: &'a mut Vec<u8>,
    base: u64,
    len: usize,
    chunk: usize,
    /// File offset where the file ends, once seen.
    eof: Option<u64>,
    /// `eof` comes from a short read, not from a read that returned 0.
    eof_presumed: bool,
    /// `eof` is the file size (bytes were read right before it); otherwise
    /// the file only ends at or before `eof`.
    eof_exact: bool,
    /// Total bytes returned by read calls.
    pub bytes_read: u64,
}

impl<'a> FileWindow<'a> {
    pub fn new(file: &'a File, buf: &'a mut Vec<u8>, chunk: usize) -> Self {
        FileWindow {
            file,
            buf,
            base: 0,
            len: 0,
            chunk: chunk.max(64),
            eof: None,
            eof_presumed: false,
            eof_exact: false,
            bytes_read: 0,
        }
    }

    fn io_err(e: &io::Error) -> Error {
        Error::io(None, e)
    }

    fn read_at_retry(&mut self, from: usize, to: usize, at: u64) -> Result<usize> {
        loop {
            match read_at(self.file, &mut self.buf[from..to], at) {
                Ok(r) => {
                    self.bytes_read += r as u64;
                    return Ok(r);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Self::io_err(&e)),
            }
        }
    }

    /// True when the end of the file is only presumed from a short read.
    pub fn end_presumed(&self) -> bool {
        self.eof.is_some() && self.eof_presumed
    }

    /// Checks a presumed end of file with one more read: `true` if the file
    /// goes on after all (the data read is kept and the end forgotten).
    pub fn confirm_end(&mut self) -> Result<bool> {
        let Some(e) = self.eof.filter(|_| self.eof_presumed) else {
            return Ok(false);
        };
        self.eof_presumed = false;
        if e != self.base + self.len as u64 {
            // The window moved since: just forget the presumption.
            self.eof = None;
            return Ok(true);
        }
        if self.buf.len() < self.len + self.chunk {
            self.buf.resize(self.len + self.chunk, 0);
        }
        let r = self.read_at_retry(self.len, self.len + self.chunk, e)?;
        if r == 0 {
            return Ok(false);
        }
        self.len += r;
        self.eof = None;
        Ok(true)
    }
}

impl Source for FileWindow<'_> {
    #[inline(always)]
    fn fetch(&mut self, pos: u64, n: usize) -> Result<&[u8]> {
        // Fast path: the bytes are in the window (most element headers).
        if pos >= self.base {
            let a = (pos - self.base) as usize;
            if let Some(b) = a.checked_add(n).filter(|&b| b <= self.len) {
                return Ok(&self.buf[a..b]);
            }
        }
        self.fetch_slow(pos, n)
    }

    fn total_len(&mut self) -> Result<Option<u64>> {
        if let Some(e) = self.eof.filter(|_| self.eof_exact) {
            return Ok(Some(e));
        }
        let m = self.file.metadata().map_err(|e| Self::io_err(&e))?;
        Ok(Some(m.len()))
    }
}

impl FileWindow<'_> {
    #[inline(never)]
    fn fetch_slow(&mut self, pos: u64, n: usize) -> Result<&[u8]> {
        let end = pos.saturating_add(n as u64);
        let win_end = self.base + self.len as u64;
        let inside = pos >= self.base && pos <= win_end;
        if inside && (end <= win_end || self.eof.is_some_and(|e| e <= win_end)) {
            let a = (pos - self.base) as usize;
            let b = (end.min(win_end) - self.base) as usize;
            return Ok(&self.buf[a..b]);
        }
        if let Some(e) = self.eof {
            if pos >= e {
                return Ok(&[]);
            }
        }
        if !inside {
            // Jump: the bytes in between were skipped, never read.
            self.base = pos;
            self.len = 0;
        } else if pos - self.base > (self.chunk as u64) && pos - self.base > (self.len as u64 / 2) {
            // Keep the window small: drop what lies before `pos`.
            let a = (pos - self.base) as usize;
            self.buf.copy_within(a..self.len, 0);
            self.len -= a;
            self.base = pos;
        }
        let want_total = (end - self.base) as usize;
        check_alloc("scanner read buffer", want_total as u64)?;
        while self.len < want_total {
            let step = (want_total - self.len)
                .max(self.chunk)
                .min(MAX_STEP.max(self.chunk));
            if self.buf.len() < self.len + step {
                self.buf.resize(self.len + step, 0);
            }
            let at = self.base + self.len as u64;
            let r = self.read_at_retry(self.len, self.len + step, at)?;
            self.len += r;
            if r < step {
                // Short read: the end of a regular file (presumed if r > 0).
                self.eof = Some(at + r as u64);
                self.eof_presumed = r > 0;
                self.eof_exact = self.len > 0;
                break;
            }
        }
        let a = (pos - self.base) as usize;
        let b = want_total.min(self.len);
        Ok(&self.buf[a.min(b)..b])
    }
}

/// The inflated view of a raw deflate stream that starts at `start` in a
/// file (Deflated Explicit VR Little Endian). Inflates only as far as the
/// walk asks.
pub(crate) struct Inflater<'w, 'a> {
    file: &'w mut FileWindow<'a>,
    z: &'w mut Decompress,
    in_pos: u64,
    out: &'w mut Vec<u8>,
    out_base: u64,
    done: bool,
}

impl<'w, 'a> Inflater<'w, 'a> {
    /// `z` must be a raw-deflate decompressor in its initial state.
    pub fn new(
        file: &'w mut FileWindow<'a>,
        start: u64,
        out: &'w mut Vec<u8>,
        z: &'w mut Decompress,
    ) -> Self {
        out.clear();
        Inflater {
            file,
            z,
            in_pos: start,
            out,
            out_base: 0,
            done: false,
        }
    }

    fn malformed(&self, msg: impl std::fmt::Display) -> Error {
        Error::malformed(self.in_pos, "deflated dataset", msg)
    }
}

impl Source for Inflater<'_, '_> {
    fn fetch(&mut self, pos: u64, n: usize) -> Result<&[u8]> {
        let end = pos.saturating_add(n as u64);
        if pos < self.out_base {
            return Err(self.malformed("the walk went backwards in the inflated data"));
        }
        // Drop inflated bytes before `pos` once they are many.
        let drop = (pos - self.out_base) as usize;
        if drop > 64 * 1024 && drop <= self.out.len() {
            self.out.drain(..drop);
            self.out_base = pos;
        }
        while self.out_base + (self.out.len() as u64) < end && !self.done {
            let have = self.out_base + self.out.len() as u64;
            // Bytes before `pos` that are still to be produced are discarded.
            if have < pos && self.out.len() > 64 * 1024 {
                self.out_base = have;
                self.out.clear();
            }
            let need = (end - (self.out_base + self.out.len() as u64)) as usize;
            let grow = need.clamp(32 * 1024, MAX_STEP);
            check_alloc("inflated dataset window", (self.out.len() + grow) as u64)?;
            self.out.reserve(grow);
            let in_pos = self.in_pos;
            let input = self.file.fetch(in_pos, 4096)?;
            let input_empty = input.is_empty();
            let (in_before, out_before) = (self.z.total_in(), self.z.total_out());
            let flush = if input_empty {
                FlushDecompress::Finish
            } else {
                FlushDecompress::None
            };
            let status = self.z.decompress_vec(input, self.out, flush).map_err(|e| {
                Error::malformed(
                    in_pos,
                    "deflated dataset",
                    format!("invalid deflate data: {e}"),
                )
            })?;
            let consumed = self.z.total_in() - in_before;
            let produced = self.z.total_out() - out_before;
            self.in_pos += consumed;
            if status == Status::StreamEnd {
                self.done = true;
            } else if consumed == 0 && produced == 0 {
                if input_empty {
                    // Compressed data ends before the stream does.
                    self.done = true;
                } else if self.out.capacity() > self.out.len() {
                    return Err(self.malformed("deflate stream makes no progress"));
                }
            }
        }
        let avail_end = self.out_base + self.out.len() as u64;
        if pos >= avail_end {
            return Ok(&[]);
        }
        let a = (pos - self.out_base) as usize;
        let b = (end.min(avail_end) - self.out_base) as usize;
        Ok(&self.out[a..b])
    }

    fn total_len(&mut self) -> Result<Option<u64>> {
        Ok(self.done.then_some(self.out_base + self.out.len() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::DeflateEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn temp_file(name: &str, data: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("dicodec-scan-src-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    #[test]
    fn window_reads_only_what_is_fetched() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let p = temp_file("window.bin", &data);
        let file = File::open(&p).unwrap();
        let mut buf = Vec::new();
        let mut w = FileWindow::new(&file, &mut buf, 4096);
        assert_eq!(w.fetch(0, 10).unwrap(), &data[..10]);
        assert_eq!(w.bytes_read, 4096);
        // Inside the window: no read.
        assert_eq!(w.fetch(100, 50).unwrap(), &data[100..150]);
        assert_eq!(w.bytes_read, 4096);
        // Crossing the end: grows.
        assert_eq!(w.fetch(4000, 200).unwrap(), &data[4000..4200]);
        assert_eq!(w.bytes_read, 8192);
        // Jump far ahead: only the new chunk is read.
        assert_eq!(w.fetch(150_000, 8).unwrap(), &data[150_000..150_008]);
        assert_eq!(w.bytes_read, 8192 + 4096);
        // Past the end: short, then empty.
        assert_eq!(w.fetch(199_990, 100).unwrap(), &data[199_990..]);
        assert_eq!(w.fetch(200_000, 8).unwrap(), b"");
        assert_eq!(w.fetch(300_000, 8).unwrap(), b"");
        assert_eq!(w.total_len().unwrap(), Some(200_000));
        // A huge bogus length allocates only what exists.
        assert_eq!(w.fetch(10, 3_000_000_000).unwrap().len(), 200_000 - 10);
    }

    #[test]
    fn inflater_inflates_incrementally() {
        let plain: Vec<u8> = (0..500_000u32).map(|i| (i * 7 % 13) as u8).collect();
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        enc.write_all(&plain).unwrap();
        let mut file = vec![0xAAu8; 300];
        file.extend(enc.finish().unwrap());
        let p = temp_file("deflate.bin", &file);
        let file = File::open(&p).unwrap();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        let mut w = FileWindow::new(&file, &mut buf, 4096);
        let mut z = Decompress::new(false);
        let mut inf = Inflater::new(&mut w, 300, &mut out, &mut z);
        assert_eq!(inf.fetch(0, 16).unwrap(), &plain[..16]);
        assert_eq!(inf.fetch(1000, 16).unwrap(), &plain[1000..1016]);
        assert!(inf.out.len() < 200_000);
        assert_eq!(inf.fetch(400_000, 16).unwrap(), &plain[400_000..400_016]);
        assert_eq!(inf.fetch(499_990, 100).unwrap(), &plain[499_990..]);
        assert_eq!(inf.fetch(500_000, 8).unwrap(), b"");
        assert_eq!(inf.total_len().unwrap(), Some(500_000));
    }

    #[test]
    fn inflater_reports_garbage() {
        let mut file = vec![0u8; 10];
        file.extend([0xFFu8; 64]);
        let p = temp_file("garbage.bin", &file);
        let file = File::open(&p).unwrap();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        let mut w = FileWindow::new(&file, &mut buf, 4096);
        let mut z = Decompress::new(false);
        let mut inf = Inflater::new(&mut w, 10, &mut out, &mut z);
        assert!(inf.fetch(0, 8).is_err());
    }
}
