//! Finding the files to scan: explicit paths and folders, walked in parallel.
//!
//! The order is deterministic whatever the number of threads: sources in
//! the order given; a folder's files sorted by name, then its subfolders.
//! Up to [`PARALLEL_DIRS`] pending folders are listed at once (rayon).
//! Symbolic links are followed; a link to a folder that is already on the
//! path from the root (a loop) becomes an error entry instead. Non-regular
//! files (FIFOs, sockets, devices) become error entries and are never opened.
//! The walk produces entries lazily ([`Walker::next_batch`]), so memory stays
//! bounded by the batch size plus the folders still to list.

use rayon::prelude::*;
use std::collections::VecDeque;
use std::fs;
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::Error;

/// Folders listed in parallel per round.
pub const PARALLEL_DIRS: usize = 64;
/// Explicit sources classified (stat) in parallel per round.
const PARALLEL_SOURCES: usize = 4096;
/// Deepest folder nesting followed when loops cannot be detected by inode.
const MAX_DIR_DEPTH: usize = 4096;

/// One path to scan, or why it cannot be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The path.
    pub path: PathBuf,
    /// Why it could not be listed, if so.
    pub error: Option<String>,
    /// Given by the caller and not looked at yet: it may be a folder or not
    /// a regular file; the scanner checks on the opened file (no second
    /// path lookup) and hands folders back ([`Walker::push_folders`]).
    pub unchecked: bool,
}

impl Entry {
    /// An entry for a file.
    pub fn file(path: PathBuf) -> Self {
        Entry {
            path,
            error: None,
            unchecked: false,
        }
    }
    fn failed(path: PathBuf, msg: String) -> Self {
        Entry {
            path,
            error: Some(msg),
            unchecked: false,
        }
    }
}

/// Identity of a folder (device, inode) and its ancestors, for loop checks.
#[derive(Debug)]
struct Chain {
    id: Option<(u64, u64)>,
    depth: usize,
    parent: Option<Arc<Chain>>,
}

impl Chain {
    fn contains(&self, id: (u64, u64)) -> bool {
        let mut c = Some(self);
        while let Some(n) = c {
            if n.id == Some(id) {
                return true;
            }
            c = n.parent.as_deref();
        }
        false
    }
}

#[cfg(unix)]
fn meta_id(m: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn meta_id(_m: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Identity of a real (not symlinked) subfolder without a stat call: the
/// parent's device and the entry's inode number.
#[cfg(unix)]
fn dir_entry_id(de: &fs::DirEntry, parent: &Chain) -> Option<(u64, u64)> {
    use std::os::unix::fs::DirEntryExt;
    parent.id.map(|(dev, _)| (dev, de.ino()))
}

#[cfg(not(unix))]
fn dir_entry_id(_de: &fs::DirEntry, _parent: &Chain) -> Option<(u64, u64)> {
    None
}

#[derive(Debug)]
struct Dir {
    path: PathBuf,
    chain: Arc<Chain>,
}

fn io_msg(e: &std::io::Error) -> String {
    Error::io(None, e).to_string()
}

fn kind_name(ft: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "a device";
        }
    }
    let _ = ft;
    "not a regular file"
}

fn not_regular(path: PathBuf, ft: &fs::FileType) -> Entry {
    Entry::failed(path, not_regular_message(ft, "not opened"))
}

/// "not a regular file (a FIFO); <what>".
pub(crate) fn not_regular_message(ft: &fs::FileType, what: &str) -> String {
    format!("not a regular file ({}); {what}", kind_name(ft))
}

/// One folder entry: path, type (from the listing), identity.
type Listing = (PathBuf, Option<fs::FileType>, Option<(u64, u64)>);

/// Result of classifying a source or listing a folder.
struct Listed {
    files: Vec<Entry>,
    dirs: Vec<Dir>,
}

/// The lazy, parallel file walk.
#[derive(Debug)]
pub struct Walker {
    recursive: bool,
    /// Explicit sources not yet classified.
    sources: VecDeque<PathBuf>,
    /// Explicit paths handed out unchecked (see [`Entry::unchecked`]).
    unchecked: VecDeque<PathBuf>,
    /// Classified sources waiting behind a folder being walked.
    classified: VecDeque<Listed>,
    /// Folders to list; the next one is at the end.
    stack: Vec<Dir>,
    ready: VecDeque<Entry>,
}

impl std::fmt::Debug for Listed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Listed({} files, {} dirs)",
            self.files.len(),
            self.dirs.len()
        )
    }
}

impl Walker {
    /// `recursive`: descend into subfolders of folders (a folder given as a
    /// source is always listed).
    pub fn new(recursive: bool) -> Self {
        Walker {
            recursive,
            sources: VecDeque::new(),
            unchecked: VecDeque::new(),
            classified: VecDeque::new(),
            stack: Vec::new(),
            ready: VecDeque::new(),
        }
    }

    /// Queues more sources (files or folders) after those already given;
    /// each is looked at (stat) before it is handed out.
    pub fn add_sources(&mut self, paths: impl IntoIterator<Item = PathBuf>) {
        self.sources.extend(paths);
    }

    /// Queues paths that are most likely files (e.g. a list of files): they
    /// are handed out [`Entry::unchecked`], saving a stat call per file; any
    /// folder among them comes back through [`Self::push_folders`].
    pub fn add_unchecked(&mut self, paths: impl IntoIterator<Item = PathBuf>) {
        self.unchecked.extend(paths);
    }

    /// Sources queued but not yet handed out or classified.
    pub fn pending_sources(&self) -> usize {
        self.sources.len() + self.unchecked.len()
    }

    /// Folders found among unchecked entries: walked next.
    pub fn push_folders(&mut self, dirs: Vec<PathBuf>) {
        for path in dirs.into_iter().rev() {
            let id = fs::metadata(&path).ok().and_then(|m| meta_id(&m));
            self.stack.push(Dir {
                path,
                chain: Arc::new(Chain {
                    id,
                    depth: 0,
                    parent: None,
                }),
            });
        }
    }

    /// True when every entry has been handed out.
    pub fn is_done(&self) -> bool {
        self.sources.is_empty()
            && self.unchecked.is_empty()
            && self.classified.is_empty()
            && self.stack.is_empty()
            && self.ready.is_empty()
    }

    fn classify(path: PathBuf) -> Listed {
        match fs::metadata(&path) {
            Err(e) => Listed {
                files: vec![Entry::failed(path, io_msg(&e))],
                dirs: vec![],
            },
            Ok(m) if m.is_dir() => Listed {
                files: vec![],
                dirs: vec![Dir {
                    path,
                    chain: Arc::new(Chain {
                        id: meta_id(&m),
                        depth: 0,
                        parent: None,
                    }),
                }],
            },
            Ok(m) if m.is_file() => Listed {
                files: vec![Entry::file(path)],
                dirs: vec![],
            },
            Ok(m) => Listed {
                files: vec![not_regular(path, &m.file_type())],
                dirs: vec![],
            },
        }
    }

    fn list(dir: &Dir, recursive: bool) -> Listed {
        let mut out = Listed {
            files: Vec::new(),
            dirs: Vec::new(),
        };
        let rd = match fs::read_dir(&dir.path) {
            Ok(rd) => rd,
            Err(e) => {
                out.files.push(Entry::failed(
                    dir.path.clone(),
                    format!("cannot list folder: {}", io_msg(&e)),
                ));
                return out;
            }
        };
        let mut items: Vec<Listing> = Vec::new();
        for de in rd {
            match de {
                Ok(de) => items.push((
                    de.path(),
                    de.file_type().ok(),
                    dir_entry_id(&de, &dir.chain),
                )),
                Err(e) => out.files.push(Entry::failed(
                    dir.path.clone(),
                    format!("error while listing folder: {}", io_msg(&e)),
                )),
            }
        }
        // Same folder prefix: the full paths sort as the names do.
        items.sort_unstable_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
        let sub = |path: PathBuf, id: Option<(u64, u64)>| Dir {
            path,
            chain: Arc::new(Chain {
                id,
                depth: dir.chain.depth + 1,
                parent: Some(dir.chain.clone()),
            }),
        };
        for (path, ft, entry_id) in items {
            let ft = match ft {
                Some(ft) => ft,
                None => match fs::symlink_metadata(&path) {
                    Ok(m) => m.file_type(),
                    Err(e) => {
                        out.files.push(Entry::failed(path, io_msg(&e)));
                        continue;
                    }
                },
            };
            if ft.is_file() {
                out.files.push(Entry::file(path));
            } else if ft.is_dir() {
                if recursive {
                    if dir.chain.depth + 1 > MAX_DIR_DEPTH {
                        out.files.push(Entry::failed(
                            path,
                            format!("folders nested deeper than {MAX_DIR_DEPTH}; not walked"),
                        ));
                    } else {
                        out.dirs.push(sub(path, entry_id));
                    }
                }
            } else if ft.is_symlink() {
                match fs::metadata(&path) {
                    // Dangling link or link loop: the open reports it.
                    Err(_) => out.files.push(Entry::file(path)),
                    Ok(m) if m.is_file() => out.files.push(Entry::file(path)),
                    Ok(m) if m.is_dir() => {
                        if !recursive {
                            continue;
                        }
                        let id = meta_id(&m);
                        if id.is_some_and(|id| dir.chain.contains(id)) {
                            out.files.push(Entry::failed(
                                path,
                                "symlink loop: links to a folder that contains it; not followed"
                                    .into(),
                            ));
                        } else if dir.chain.depth + 1 > MAX_DIR_DEPTH {
                            out.files.push(Entry::failed(
                                path,
                                format!(
                                    "folders nested deeper than {MAX_DIR_DEPTH} (symlink loop?); not walked"
                                ),
                            ));
                        } else {
                            out.dirs.push(sub(path, id));
                        }
                    }
                    Ok(m) => out.files.push(not_regular(path, &m.file_type())),
                }
            } else {
                out.files.push(not_regular(path, &ft));
            }
        }
        out
    }

    /// Takes a listing: files become ready, folders go on the stack so that
    /// the first one is listed next.
    fn take(&mut self, l: Listed) {
        self.ready.extend(l.files);
        self.stack.extend(l.dirs.into_iter().rev());
    }

    /// Next entries (at most `n`; fewer only when the walk is over). Runs
    /// listings in parallel on the current rayon pool.
    pub fn next_batch(&mut self, n: usize) -> Vec<Entry> {
        let n = n.max(1);
        while self.ready.len() < n {
            if !self.stack.is_empty() {
                let k = self.stack.len().min(PARALLEL_DIRS);
                let at = self.stack.len() - k;
                // The last element is the next folder: list the top k in
                // stack order (next first).
                let dirs: Vec<Dir> = self.stack.drain(at..).rev().collect();
                let recursive = self.recursive;
                let listed: Vec<Listed> =
                    dirs.par_iter().map(|d| Self::list(d, recursive)).collect();
                let mut subdirs: Vec<Dir> = Vec::new();
                for l in listed {
                    self.ready.extend(l.files);
                    subdirs.extend(l.dirs);
                }
                // Subfolders of the first listed folder come out first.
                self.stack.extend(subdirs.into_iter().rev());
            } else if let Some(l) = self.classified.pop_front() {
                let has_dir = !l.dirs.is_empty();
                self.take(l);
                if has_dir {
                    continue;
                }
            } else if !self.unchecked.is_empty() {
                let k = self.unchecked.len().min(n - self.ready.len());
                self.ready
                    .extend(self.unchecked.drain(..k).map(|path| Entry {
                        path,
                        error: None,
                        unchecked: true,
                    }));
            } else if !self.sources.is_empty() {
                let k = self.sources.len().min(PARALLEL_SOURCES);
                let batch: Vec<PathBuf> = self.sources.drain(..k).collect();
                let listed: Vec<Listed> = if batch.len() > 16 {
                    batch.into_par_iter().map(Self::classify).collect()
                } else {
                    batch.into_iter().map(Self::classify).collect()
                };
                self.classified.extend(listed);
            } else {
                break;
            }
        }
        let k = self.ready.len().min(n);
        self.ready.drain(..k).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(name: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("dicodec-walk-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::create_dir_all(root.join("c")).unwrap();
        for p in ["f1", "a/f2", "a/b/f3", "c/f4", "a/f0"] {
            fs::write(root.join(p), b"x").unwrap();
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&root, root.join("a/loop")).unwrap();
            std::os::unix::fs::symlink(root.join("missing"), root.join("dangling")).unwrap();
        }
        root
    }

    fn names(root: &std::path::Path, es: &[Entry]) -> Vec<String> {
        es.iter()
            .map(|e| {
                let rel = e
                    .path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if e.error.is_some() {
                    format!("{rel}!")
                } else {
                    rel
                }
            })
            .collect()
    }

    #[test]
    fn walks_in_deterministic_order_with_loops_reported() {
        let root = tree("order");
        let mut w = Walker::new(true);
        w.add_sources([root.clone(), root.join("f1"), root.join("nope")]);
        let mut all = Vec::new();
        loop {
            let b = w.next_batch(2);
            if b.is_empty() {
                break;
            }
            assert!(b.len() <= 2);
            all.extend(b);
        }
        assert!(w.is_done());
        let got = names(&root, &all);
        #[cfg(unix)]
        assert_eq!(
            got,
            vec!["dangling", "f1", "a/f0", "a/f2", "a/loop!", "c/f4", "a/b/f3", "f1", "nope!"]
        );
        #[cfg(not(unix))]
        assert!(got.contains(&"a/b/f3".to_string()));
    }

    #[test]
    fn not_recursive_lists_top_folder_only() {
        let root = tree("flat");
        let mut w = Walker::new(false);
        w.add_sources([root.clone()]);
        let got = names(&root, &w.next_batch(100));
        assert!(got.contains(&"f1".to_string()));
        assert!(!got.iter().any(|n| n.starts_with("a/")));
    }
}
