//! Tag scanner over whole archives: one row per file, one Arrow column per
//! requested tag.
//!
//! * [`fs::Walker`] finds the files (folders listed in parallel, symlink loops
//!   reported, deterministic order).
//! * [`Scanner::scan`] scans a batch of files in parallel (rayon, current
//!   pool; on a one-thread pool right there, into one batch). Files are
//!   opened relative to their folder when several come from it
//!   (`open`: one name looked up instead of the whole path). Per file it
//!   reads a prefix of `read_size` bytes with one read,
//!   parses the file meta, walks the top-level elements and stops after the
//!   highest requested tag or at Pixel Data; values are copied out only for
//!   requested tags, everything else is skipped by length (see
//!   [`dataset`]). Deflated datasets are inflated incrementally, only as
//!   far as the walk goes.
//! * Values go straight into Arrow-layout columns ([`arrow`]); the bindings
//!   hand the buffers to pyarrow.
//! * A file that cannot be scanned (missing, unreadable, empty, not DICOM,
//!   truncated where a needed byte is missing) becomes a row whose `error`
//!   column says why; other columns hold what was found before the problem.

pub mod arrow;
pub mod charset;
mod convert;
mod dataset;
pub mod fs;
mod open;
mod source;
pub mod spec;
pub mod text;

use crate::error::Result;
use arrow::{ArrowArray, ColumnType};
use convert::Appended;
use dataset::{FileScan, Scratch, WalkPlan};
pub use fs::{Entry, Walker};
use rayon::prelude::*;
use spec::Base;
pub use spec::{DictVr, TagSpec};

/// Default size of the first (usually only) read of each file.
pub const DEFAULT_READ_SIZE: usize = 4 * 1024;

/// Files per rayon task.
const FILES_PER_TASK: usize = 64;

thread_local! {
    /// Buffers reused by every file a thread scans.
    static SCRATCH: std::cell::RefCell<(Scratch, FileScan)> = Default::default();
}

/// A text value the core does not decode (ISO 2022 escape sequences or a
/// multi-byte character set): its column slot is null and the bindings fill
/// it with pydicom's decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deferred {
    /// Row (file) index.
    pub row: usize,
    /// Column (tag) index.
    pub column: usize,
    /// The VR the value was read with ("PN", "LO", …).
    pub vr: String,
    /// The raw value.
    pub value: Vec<u8>,
    /// Raw value of (0008,0005) Specific Character Set (empty if absent).
    pub charset: Vec<u8>,
}

/// One batch of rows.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Rows.
    pub len: usize,
    /// The path column.
    pub path: ArrowArray,
    /// One per requested tag, in request order.
    pub columns: Vec<ArrowArray>,
    /// The transfer syntax column.
    pub transfer_syntax: ArrowArray,
    /// The error column (null when the file was read).
    pub error: ArrowArray,
    /// The notes column: what a read file's requested values lost (an
    /// unparsable number became null, several values in a VM 1 number
    /// column...), `"(gggg,eeee) ..."` joined by `"; "`; null when nothing.
    pub notes: ArrowArray,
    /// Bytes read from each file (UInt64).
    pub bytes_read: ArrowArray,
    /// Values left for Python to decode.
    pub deferred: Vec<Deferred>,
    /// Unchecked entries that turned out to be folders (no row): to walk.
    pub folders: Vec<std::path::PathBuf>,
}

impl Batch {
    fn with_capacity(types: &[ColumnType], n: usize) -> Self {
        Batch {
            len: 0,
            path: ArrowArray::with_capacity(&ColumnType::Utf8, n),
            columns: types
                .iter()
                .map(|t| ArrowArray::with_capacity(t, n))
                .collect(),
            transfer_syntax: ArrowArray::with_capacity(&ColumnType::Utf8, n),
            error: ArrowArray::new(&ColumnType::Utf8),
            notes: ArrowArray::new(&ColumnType::Utf8),
            bytes_read: ArrowArray::with_capacity(&ColumnType::UInt64, n),
            deferred: Vec::new(),
            folders: Vec::new(),
        }
    }

    /// Concatenates batches (rows in order), allocating each buffer once.
    fn concat(types: &[ColumnType], parts: Vec<Batch>) -> Batch {
        let mut len = 0;
        let mut path = Vec::with_capacity(parts.len());
        let mut columns: Vec<Vec<ArrowArray>> = types.iter().map(|_| Vec::new()).collect();
        let (mut ts, mut error, mut bytes_read) = (Vec::new(), Vec::new(), Vec::new());
        let mut notes = Vec::new();
        let mut deferred = Vec::new();
        let mut folders = Vec::new();
        for p in parts {
            folders.extend(p.folders);
            deferred.extend(p.deferred.into_iter().map(|mut d| {
                d.row += len;
                d
            }));
            len += p.len;
            path.push(p.path);
            for (c, a) in columns.iter_mut().zip(p.columns) {
                c.push(a);
            }
            ts.push(p.transfer_syntax);
            error.push(p.error);
            notes.push(p.notes);
            bytes_read.push(p.bytes_read);
        }
        Batch {
            len,
            path: ArrowArray::concat(&ColumnType::Utf8, path),
            columns: types
                .iter()
                .zip(columns)
                .map(|(t, c)| ArrowArray::concat(t, c))
                .collect(),
            transfer_syntax: ArrowArray::concat(&ColumnType::Utf8, ts),
            error: ArrowArray::concat(&ColumnType::Utf8, error),
            notes: ArrowArray::concat(&ColumnType::Utf8, notes),
            bytes_read: ArrowArray::concat(&ColumnType::UInt64, bytes_read),
            deferred,
            folders,
        }
    }

    /// Index of the first row with an error.
    pub fn first_error(&self) -> Option<usize> {
        match self.error.validity() {
            // No null slot: every row has an error.
            None => (self.len > 0).then_some(0),
            Some(v) => (0..self.len).find(|&i| v[i / 8] & (1 << (i % 8)) != 0),
        }
    }
}

/// A configured scan: which tags, typed how.
#[derive(Debug, Clone)]
pub struct Scanner {
    specs: Vec<TagSpec>,
    types: Vec<ColumnType>,
    bases: Vec<(Base, bool)>,
    /// Column → index into `plan.tags`.
    col_tag: Vec<usize>,
    plan: WalkPlan,
    read_size: usize,
}

impl Scanner {
    /// A scanner of these tags.
    pub fn new(specs: Vec<TagSpec>) -> Result<Self> {
        let mut tags: Vec<u32> = specs.iter().map(|s| s.tag).collect();
        tags.sort_unstable();
        tags.dedup();
        let col_tag = specs
            .iter()
            .map(|s| tags.binary_search(&s.tag).unwrap_or(0))
            .collect();
        let types: Vec<ColumnType> = specs.iter().map(TagSpec::column_type).collect();
        let bases = specs.iter().map(|s| (s.base(), s.is_list())).collect();
        let max_tag = tags.last().copied().unwrap_or(0);
        let want_charset = specs
            .iter()
            .any(|s| s.base() == Base::Text && s.tag > dataset::SPECIFIC_CHARACTER_SET);
        let want_pixrep = specs
            .iter()
            .any(|s| s.dict_vr == DictVr::UsSs && s.tag > dataset::PIXEL_REPRESENTATION);
        Ok(Scanner {
            specs,
            types,
            bases,
            col_tag,
            plan: WalkPlan {
                tags,
                max_tag,
                want_charset,
                want_pixrep,
            },
            read_size: DEFAULT_READ_SIZE,
        })
    }

    /// Size of the first read of each file (bytes, at least 256).
    pub fn with_read_size(mut self, n: usize) -> Self {
        self.read_size = n.max(256);
        self
    }

    /// The Arrow type of each tag column.
    pub fn column_types(&self) -> &[ColumnType] {
        &self.types
    }

    /// The tags scanned.
    pub fn specs(&self) -> &[TagSpec] {
        &self.specs
    }

    /// Walks and scans the next (at most) `max_files` entries of `walker`
    /// on the current rayon pool; `None` when the walk is over. Folders met
    /// among unchecked entries are handed back to the walker (no row).
    pub fn scan_next(&self, walker: &mut Walker, max_files: usize) -> Result<Option<Batch>> {
        loop {
            let entries = walker.next_batch(max_files);
            if entries.is_empty() {
                return Ok(None);
            }
            let mut batch = self.scan(&entries)?;
            walker.push_folders(std::mem::take(&mut batch.folders));
            if batch.len > 0 {
                return Ok(Some(batch));
            }
        }
    }

    /// Scans `entries` in parallel on the current rayon pool; rows are in
    /// entry order. On a one-thread pool (or a small batch) the files are
    /// scanned right here, into one batch.
    pub fn scan(&self, entries: &[Entry]) -> Result<Batch> {
        let threads = rayon::current_num_threads();
        let out = if threads <= 1 || entries.len() <= FILES_PER_TASK {
            self.scan_chunk(entries)
        } else {
            // A few tasks per thread (load balance), each long enough to
            // keep the per-task costs (a folder opened, a batch concatenated) small.
            let per = (entries.len() / (threads * 8)).clamp(FILES_PER_TASK, 1024);
            let parts: Vec<Batch> = entries
                .par_chunks(per)
                .map(|chunk| self.scan_chunk(chunk))
                .collect();
            Batch::concat(&self.types, parts)
        };
        for c in out
            .columns
            .iter()
            .chain([&out.path, &out.error, &out.notes])
        {
            c.check()?;
        }
        Ok(out)
    }

    fn scan_chunk(&self, chunk: &[Entry]) -> Batch {
        let mut b = Batch::with_capacity(&self.types, chunk.len());
        let mut opener = open::Opener::default();
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let (scratch, fs) = &mut *guard;
            for (i, e) in chunk.iter().enumerate() {
                let next = chunk.get(i + 1).map(|n| n.path.as_path());
                self.scan_one(e, next, &mut opener, scratch, fs, &mut b);
            }
        });
        b
    }

    fn scan_one(
        &self,
        e: &Entry,
        next: Option<&std::path::Path>,
        opener: &mut open::Opener,
        scratch: &mut Scratch,
        fs: &mut FileScan,
        b: &mut Batch,
    ) {
        if e.error.is_none() {
            // Memory a large value of the previous file took is given back.
            scratch.trim(fs);
            let what = dataset::scan_file(
                &self.plan,
                &e.path,
                next,
                e.unchecked,
                self.read_size,
                opener,
                scratch,
                fs,
            );
            if what == dataset::Scanned::Folder {
                b.folders.push(e.path.clone());
                return;
            }
        }
        let row = b.len;
        b.len += 1;
        match e.path.to_str() {
            Some(p) => b.path.push_str(p),
            None => b.path.push_str(&e.path.to_string_lossy()),
        }
        if let Some(msg) = &e.error {
            for c in &mut b.columns {
                c.push_null();
            }
            b.transfer_syntax.push_null();
            b.error.push_str(msg);
            b.notes.push_null();
            b.bytes_read.push_u64(0);
            return;
        }
        let cs = charset::Charset::parse(fs.charset.map(|f| fs.bytes(f)));
        let (mut notes, mut note) = (String::new(), String::new());
        for (ci, col) in b.columns.iter_mut().enumerate() {
            let Some(found) = fs.found[self.col_tag[ci]] else {
                col.push_null();
                continue;
            };
            let spec = &self.specs[ci];
            let (base, list) = self.bases[ci];
            let bytes = fs.bytes(found);
            let vr = spec.effective_vr(found.vr, found.len, fs.pixrep);
            note.clear();
            let appended = convert::append(col, base, list, vr, bytes, found.le, &cs, &mut note);
            if !note.is_empty() {
                if !notes.is_empty() {
                    notes.push_str("; ");
                }
                let t = spec.tag;
                notes.push_str(&format!("({:04X},{:04X}) {note}", t >> 16, t & 0xFFFF));
            }
            if appended == Appended::Defer {
                b.deferred.push(Deferred {
                    row,
                    column: ci,
                    vr: String::from_utf8_lossy(&vr).into_owned(),
                    value: bytes.to_vec(),
                    charset: fs.charset.map(|f| fs.bytes(f).to_vec()).unwrap_or_default(),
                });
            }
        }
        match fs.transfer_syntax {
            Some(f) => b.transfer_syntax.push_bytes(fs.bytes(f)),
            None => b.transfer_syntax.push_null(),
        }
        match &fs.error {
            Some(msg) => b.error.push_str(msg),
            None => b.error.push_null(),
        }
        if notes.is_empty() {
            b.notes.push_null();
        } else {
            b.notes.push_str(&notes);
        }
        b.bytes_read.push_u64(fs.bytes_read);
    }
}

#[cfg(test)]
mod tests;
