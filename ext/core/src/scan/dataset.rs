//! The per-file walk: file meta, then top-level elements until the highest
//! requested tag, copying out only the values asked for.
//!
//! Defined-length values, sequences and items are skipped by their length
//! (never read); undefined-length sequences and items are walked header by
//! header until their delimiter, without looking at values. The walk stops at
//! the first top-level tag above the highest requested one, and at Pixel Data
//! (or any tag of group 7FE0 and above), whose value is never read.

use super::open::Opener;
use super::source::{FileWindow, Inflater, Source};
use crate::error::{Error, Result};
use crate::parser::element::{
    read_header, tag_str, Encoding, HeaderRead, Vr, ITEM_DELIMITATION, SEQUENCE_DELIMITATION,
};
use crate::parser::meta::{guess_encoding, read_file_meta, MetaRead};
use crate::uid;
use std::fs::File;
use std::path::Path;

/// Specific Character Set.
pub(crate) const SPECIFIC_CHARACTER_SET: u32 = 0x0008_0005;
/// Pixel Representation (resolves "US or SS" in implicit VR data).
pub(crate) const PIXEL_REPRESENTATION: u32 = 0x0028_0103;
/// First tag never read (group 7FE0: Pixel Data and friends).
pub(crate) const STOP_GROUP_TAG: u32 = 0x7FE0_0000;
/// Deepest nesting of undefined-length sequences/items accepted.
const MAX_DEPTH: usize = 512;

/// What one walk must collect.
#[derive(Debug, Clone)]
pub(crate) struct WalkPlan {
    /// Requested tags, sorted, unique.
    pub tags: Vec<u32>,
    /// Highest tag to look at.
    pub max_tag: u32,
    pub want_charset: bool,
    pub want_pixrep: bool,
}

/// A value copied out of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    /// VR as stored ([`Vr::IMPLICIT`] in implicit VR data).
    pub vr: Vr,
    /// Byte order of the value (the file meta is always little endian).
    pub le: bool,
    pub start: usize,
    pub len: usize,
}

/// Everything one file's walk produced (reused across files).
#[derive(Debug, Default)]
pub(crate) struct FileScan {
    /// Per entry of [`WalkPlan::tags`].
    pub found: Vec<Option<Found>>,
    /// Bytes of the found values.
    pub values: Vec<u8>,
    pub charset: Option<Found>,
    pub pixrep: Option<u16>,
    /// Transfer syntax UID (from the file meta, else from the detected encoding).
    pub transfer_syntax: Option<Found>,
    pub bytes_read: u64,
    pub error: Option<String>,
}

impl FileScan {
    fn reset(&mut self, ntags: usize) {
        self.found.clear();
        self.found.resize(ntags, None);
        self.values.clear();
        self.charset = None;
        self.pixrep = None;
        self.transfer_syntax = None;
        self.bytes_read = 0;
        self.error = None;
    }

    fn keep(&mut self, vr: Vr, le: bool, bytes: &[u8]) -> Found {
        let start = self.values.len();
        self.values.extend_from_slice(bytes);
        Found {
            vr,
            le,
            start,
            len: bytes.len(),
        }
    }

    pub fn bytes(&self, f: Found) -> &[u8] {
        &self.values[f.start..f.start + f.len]
    }
}

/// Reusable per-thread buffers.
#[derive(Default)]
pub(crate) struct Scratch {
    window: Vec<u8>,
    inflated: Vec<u8>,
    inflate_state: Option<Box<flate2::Decompress>>,
}

/// Buffers above this size are released after the file that needed them.
const KEEP_BYTES: usize = 4 << 20;

impl Scratch {
    /// Gives back memory a large value made the buffers take.
    pub(crate) fn trim(&mut self, fs: &mut FileScan) {
        for v in [&mut self.window, &mut self.inflated, &mut fs.values] {
            if v.capacity() > KEEP_BYTES {
                *v = Vec::new();
            }
        }
    }
}

/// What [`scan_file`] found at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scanned {
    /// A file: scanned, or `out.error` says why not.
    File,
    /// An unchecked path turned out to be a folder: nothing scanned.
    Folder,
}

/// What an unchecked path that could not be scanned really is (`fstat` on
/// the open file, no second path lookup): `Some(Folder)` for a folder, an
/// error for anything but a regular file, `None` for a regular file.
fn classify_unchecked(file: &File) -> Option<std::result::Result<Scanned, String>> {
    let meta = match file.metadata() {
        Ok(m) => m,
        Err(e) => return Some(Err(error_message(Error::io(None, &e)))),
    };
    if meta.is_dir() {
        return Some(Ok(Scanned::Folder));
    }
    if !meta.is_file() {
        return Some(Err(super::fs::not_regular_message(
            &meta.file_type(),
            "not read",
        )));
    }
    None
}

/// Scans one file; failures end up in `out.error`, never as a panic.
///
/// An `unchecked` path may be anything: it is opened without blocking (a
/// FIFO would block) and, only if scanning it fails, checked on the open
/// file: a folder is handed back, a FIFO, socket or device gets its own
/// message (a regular file that scans fine needs no `fstat`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan_file(
    plan: &WalkPlan,
    path: &Path,
    next: Option<&Path>,
    unchecked: bool,
    read_size: usize,
    opener: &mut Opener,
    scratch: &mut Scratch,
    out: &mut FileScan,
) -> Scanned {
    out.reset(plan.tags.len());
    #[cfg(not(unix))]
    if unchecked && std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Scanned::Folder;
    }
    let file = match opener.open(path, next, unchecked) {
        Ok(f) => f,
        Err(e) => {
            out.error = Some(error_message(Error::io(None, &e)));
            return Scanned::File;
        }
    };
    if let Err(e) = scan_file_inner(plan, &file, read_size, scratch, out) {
        let msg = error_message(e);
        match unchecked.then(|| classify_unchecked(&file)).flatten() {
            Some(Ok(folder)) => {
                out.reset(plan.tags.len());
                return folder;
            }
            Some(Err(kind)) => {
                out.reset(plan.tags.len());
                out.error = Some(kind);
            }
            None => out.error = Some(msg),
        }
    }
    Scanned::File
}

fn error_message(e: Error) -> String {
    match e {
        // Whole-file verdicts ("empty file", "not a DICOM file") read best alone.
        Error::Malformed {
            context, message, ..
        } if context == "file" => message,
        e => e.to_string(),
    }
}

/// Even groups a dataset without file meta may plausibly start with.
fn plausible_start(buf: &[u8], pos: usize, enc: Encoding) -> bool {
    match enc.u16_at(buf, pos) {
        Some(g) => g % 2 == 0 && (0x0002..=0x0028).contains(&g),
        None => false,
    }
}

fn scan_file_inner(
    plan: &WalkPlan,
    file: &File,
    read_size: usize,
    scratch: &mut Scratch,
    out: &mut FileScan,
) -> Result<()> {
    let mut win = FileWindow::new(file, &mut scratch.window, read_size);
    let res = loop {
        let res = walk_file(
            plan,
            read_size,
            &mut win,
            &mut scratch.inflated,
            &mut scratch.inflate_state,
            out,
        );
        // Before blaming the file, make sure a short read really was its end.
        if res.is_err() && win.end_presumed() && win.confirm_end()? {
            let bytes_read = win.bytes_read;
            out.reset(plan.tags.len());
            out.bytes_read = bytes_read;
            continue;
        }
        break res;
    };
    out.bytes_read = win.bytes_read;
    res
}

fn walk_file(
    plan: &WalkPlan,
    read_size: usize,
    win: &mut FileWindow<'_>,
    inflated: &mut Vec<u8>,
    inflate_state: &mut Option<Box<flate2::Decompress>>,
    out: &mut FileScan,
) -> Result<()> {
    // File meta: grow the prefix until read_file_meta has what it needs.
    let mut need = read_size.max(132);
    let meta = loop {
        let prefix = win.fetch(0, need)?;
        if prefix.is_empty() {
            return Err(Error::malformed(0, "file", "empty file (0 bytes)"));
        }
        let at_eof = prefix.len() < need;
        match read_file_meta(prefix, at_eof)? {
            MetaRead::Complete(m) => break m,
            MetaRead::NeedMore(n) if n > need && !at_eof => need = n,
            MetaRead::NeedMore(_) => {
                return Err(Error::malformed(
                    prefix.len() as u64,
                    "file meta information",
                    "file ends inside the file meta information (truncated file)",
                ))
            }
        }
    };

    // Requested group 0002 tags come from the meta group itself.
    let meta_start = if meta.has_preamble {
        132
    } else {
        let p = win.fetch(0, 4)?;
        if p == b"DICM" {
            4
        } else {
            0
        }
    };
    if meta.has_file_meta && plan.tags.iter().any(|&t| t >> 16 == 0x0002) {
        collect_meta(plan, win, meta_start, meta.dataset_offset, out)?;
    }

    let mut enc = meta.encoding;
    let mut start = meta.dataset_offset as u64;
    if !meta.has_file_meta && !meta.deflated {
        // No file meta: make sure this looks like DICOM at all. A "DICM" at
        // byte 128 can also be chance data of a raw dataset.
        let head = win.fetch(start, 8)?.to_vec();
        if !plausible_start(&head, 0, enc) {
            let raw = win.fetch(0, 8)?.to_vec();
            let raw_enc = guess_encoding(&raw, 0, Encoding::IMPLICIT_LE);
            if start != 0 && plausible_start(&raw, 0, raw_enc) {
                start = 0;
                enc = raw_enc;
            } else if head.is_empty() && meta.has_preamble {
                // Preamble and "DICM" only: an empty dataset.
            } else {
                return Err(Error::malformed(
                    0,
                    "file",
                    "not a DICOM file (no 'DICM' marker at byte 128 and no DICOM element at the start)",
                ));
            }
        }
    }
    let ts: &str = match &meta.transfer_syntax_uid {
        Some(uid) => uid,
        None => match (enc.explicit_vr, enc.little_endian) {
            (false, _) => uid::IMPLICIT_VR_LITTLE_ENDIAN,
            (true, true) => uid::EXPLICIT_VR_LITTLE_ENDIAN,
            (true, false) => uid::EXPLICIT_VR_BIG_ENDIAN,
        },
    };
    out.transfer_syntax = Some(out.keep(Vr(*b"UI"), true, ts.as_bytes()));

    if plan.tags.last().is_none_or(|&t| t >> 16 <= 0x0002) {
        return Ok(());
    }
    if meta.deflated {
        let z = inflate_state.get_or_insert_with(|| Box::new(flate2::Decompress::new(false)));
        z.reset(false);
        let mut inf = Inflater::new(win, start, inflated, z);
        walk_dataset(plan, &mut inf, 0, enc, out).map_err(|e| e.in_context("inflated "))
    } else {
        walk_dataset(plan, win, start, enc, out)
    }
}

/// Copies requested tags out of the file meta group `[from, to)`.
fn collect_meta(
    plan: &WalkPlan,
    win: &mut FileWindow<'_>,
    from: usize,
    to: usize,
    out: &mut FileScan,
) -> Result<()> {
    let bytes = win.fetch(0, to)?.to_vec();
    let enc = if bytes
        .get(from + 4..from + 6)
        .is_some_and(|v| v[0].is_ascii_uppercase() && v[1].is_ascii_uppercase())
    {
        Encoding::EXPLICIT_LE
    } else {
        Encoding::IMPLICIT_LE
    };
    let mut pos = from;
    while pos < to {
        let HeaderRead::Header(h) = read_header(&bytes, pos, enc)? else {
            break;
        };
        let end = h.value_offset() + h.length as usize;
        if h.is_undefined_length() || end > bytes.len() {
            break;
        }
        if let Ok(i) = plan.tags.binary_search(&h.tag) {
            out.found[i] = Some(out.keep(h.vr, true, &bytes[h.value_offset()..end]));
        }
        pos = end;
    }
    Ok(())
}

fn truncated(tag: u32, offset: u64, detail: impl std::fmt::Display) -> Error {
    Error::malformed(
        offset,
        format!("element {}", tag_str(tag)),
        format!("{detail} (truncated file)"),
    )
}

/// Walks the top-level dataset from `start`.
fn walk_dataset<S: Source>(
    plan: &WalkPlan,
    src: &mut S,
    start: u64,
    enc: Encoding,
    out: &mut FileScan,
) -> Result<()> {
    let mut pos = start;
    // The last element skipped by length, to explain a skip past the end.
    let mut last: Option<(u32, u64, u64)> = None;
    loop {
        let head = src.fetch(pos, 12)?;
        if head.is_empty() {
            // Clean end, unless the last skip jumped past the end of data.
            if let (Some((tag, off, end)), Some(total)) = (last, src.total_len()?) {
                if end > total {
                    return Err(truncated(
                        tag,
                        off,
                        format!("value ends at byte {end} but the data ends at byte {total}"),
                    ));
                }
            }
            return Ok(());
        }
        let h = match read_header(head, 0, enc)? {
            HeaderRead::Header(h) => h,
            HeaderRead::NeedMore(_) => {
                return Err(Error::malformed(
                    pos,
                    "element header",
                    format!(
                        "data ends {} bytes into an element header (truncated file)",
                        head.len()
                    ),
                ))
            }
        };
        let tag = h.tag;
        if tag > plan.max_tag || tag >= STOP_GROUP_TAG {
            return Ok(());
        }
        let value_pos = pos + h.header_len as u64;
        if h.is_undefined_length() {
            pos = skip_undefined(src, value_pos, enc, h.vr, tag)?;
            last = None;
            continue;
        }
        let len = h.length as u64;
        let wanted = plan.tags.binary_search(&tag).ok();
        let helper = (tag == SPECIFIC_CHARACTER_SET && plan.want_charset)
            || (tag == PIXEL_REPRESENTATION && plan.want_pixrep);
        if wanted.is_some() || helper {
            let v = src.fetch(value_pos, h.length as usize)?;
            if (v.len() as u64) < len {
                return Err(truncated(
                    tag,
                    pos,
                    format!("value of {len} bytes but only {} bytes remain", v.len()),
                ));
            }
            if tag == PIXEL_REPRESENTATION && v.len() >= 2 {
                out.pixrep = enc.u16_at(v, 0);
            }
            let found = out.keep(h.vr, enc.little_endian, v);
            if tag == SPECIFIC_CHARACTER_SET {
                out.charset = Some(found);
            }
            if let Some(i) = wanted {
                out.found[i] = Some(found);
            }
            last = None;
        } else {
            last = Some((tag, pos, value_pos + len));
        }
        pos = value_pos + len;
    }
}

/// Skips the value of an undefined-length element whose value starts at
/// `pos` (a sequence, an item, encapsulated data, or UN holding implicit VR
/// data), returning the position after its delimiter.
fn skip_undefined<S: Source>(
    src: &mut S,
    mut pos: u64,
    enc: Encoding,
    vr: Vr,
    tag: u32,
) -> Result<u64> {
    let inner = |vr: Vr, enc: Encoding| {
        if vr == Vr::UN {
            Encoding::IMPLICIT_LE
        } else {
            enc
        }
    };
    let mut stack: Vec<Encoding> = vec![inner(vr, enc)];
    while let Some(&cur) = stack.last() {
        let head = src.fetch(pos, 12)?;
        if head.is_empty() {
            return Err(truncated(
                tag,
                pos,
                "data ends inside an undefined-length sequence or item",
            ));
        }
        let h = match read_header(head, 0, cur)? {
            HeaderRead::Header(h) => h,
            HeaderRead::NeedMore(_) => {
                return Err(truncated(
                    tag,
                    pos,
                    "data ends inside an element header in a sequence",
                ))
            }
        };
        let value_pos = pos + h.header_len as u64;
        if h.tag == SEQUENCE_DELIMITATION || h.tag == ITEM_DELIMITATION {
            stack.pop();
            pos = value_pos;
        } else if h.is_undefined_length() {
            if stack.len() >= MAX_DEPTH {
                return Err(Error::malformed(
                    pos,
                    format!("element {}", tag_str(tag)),
                    format!("sequences nested deeper than {MAX_DEPTH} levels"),
                ));
            }
            stack.push(inner(h.vr, cur));
            pos = value_pos;
        } else {
            pos = value_pos + h.length as u64;
        }
    }
    Ok(pos)
}
