//! Opening the files of a batch with as little path lookup as possible.
//!
//! Opening `/a/b/c/d/f.dcm` makes the kernel look up every component of the
//! path again for each file. Files of one folder usually come in runs (a
//! folder's listing, or a list of files sorted by path), so on Unix the
//! folder is opened once (`O_PATH`) and each file of the run is opened
//! relative to it (`openat`), which looks up one component. The result is
//! the same file, or the same error, as opening the whole path: the folder
//! part resolves identically (symbolic links followed), and anything this
//! does not handle the same way (a name of `.` or `..`, a path ending in
//! `/`, a NUL byte, a folder that cannot be opened) is opened by full path.
//!
//! This module opens files relative to a folder descriptor (`openat`):
//! that operating system interface is its `unsafe`, each block with its
//! SAFETY comment.

#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::path::Path;

/// Opens files, reusing the folder of the previous run of files.
#[derive(Default)]
pub(crate) struct Opener {
    #[cfg(unix)]
    dir: Option<(Vec<u8>, std::os::fd::OwnedFd)>,
}

/// Flags of a folder opened for relative opens only.
#[cfg(target_os = "linux")]
const DIR_FLAGS: libc::c_int = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
#[cfg(all(unix, not(target_os = "linux")))]
const DIR_FLAGS: libc::c_int = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;

/// `path` split at its last `/` into (folder, name), when opening `name`
/// relative to `folder` is the same as opening `path`.
#[cfg(unix)]
fn split(path: &Path) -> Option<(&[u8], &[u8])> {
    use std::os::unix::ffi::OsStrExt;
    let b = path.as_os_str().as_bytes();
    let i = b.iter().rposition(|&c| c == b'/')?;
    let (dir, name) = (if i == 0 { &b[..1] } else { &b[..i] }, &b[i + 1..]);
    let plain = !name.is_empty() && name != b"." && name != b".." && !b.contains(&0);
    plain.then_some((dir, name))
}

impl Opener {
    /// Opens `path` for reading (`nonblock`: with `O_NONBLOCK`, for paths
    /// that may be FIFOs). `next` is the path opened after this one: a
    /// folder is opened for relative opens only when it serves two files.
    pub fn open(&mut self, path: &Path, next: Option<&Path>, nonblock: bool) -> io::Result<File> {
        #[cfg(unix)]
        if let Some(f) = self.open_relative(path, next, nonblock) {
            return f;
        }
        let _ = next;
        open_path(path, nonblock)
    }

    #[cfg(unix)]
    fn open_relative(
        &mut self,
        path: &Path,
        next: Option<&Path>,
        nonblock: bool,
    ) -> Option<io::Result<File>> {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        let (dir, name) = split(path)?;
        if self.dir.as_ref().is_none_or(|(d, _)| d.as_slice() != dir) {
            // A new folder: worth opening only if the next file is in it too.
            if next.and_then(split).is_none_or(|(d, _)| d != dir) {
                return None;
            }
            self.dir = None;
            let c = std::ffi::CString::new(dir).ok()?;
            // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
            let fd = unsafe { libc::open(c.as_ptr(), DIR_FLAGS) };
            if fd < 0 {
                // The full-path open reports the error as usual.
                return None;
            }
            // SAFETY: `fd` was just opened here and is owned by nobody else.
            self.dir = Some((dir.to_vec(), unsafe { OwnedFd::from_raw_fd(fd) }));
        }
        let dirfd = self.dir.as_ref()?.1.as_raw_fd();
        let mut buf = [0u8; 256];
        let heap;
        let cname: &[u8] = if name.len() < buf.len() {
            buf[..name.len()].copy_from_slice(name);
            &buf[..=name.len()]
        } else {
            heap = [name, b"\0"].concat();
            &heap
        };
        let mut flags = libc::O_RDONLY | libc::O_CLOEXEC;
        if nonblock {
            flags |= libc::O_NONBLOCK;
        }
        loop {
            // SAFETY: `cname` ends with its only NUL byte (`split` rejects
            // names with NUL) and outlives the call; `dirfd` is an open
            // folder descriptor owned by `self`.
            let fd = unsafe { libc::openat(dirfd, cname.as_ptr().cast(), flags) };
            if fd >= 0 {
                // SAFETY: `fd` was just opened here and is owned by nobody else.
                return Some(Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) })));
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Some(Err(e));
            }
        }
    }
}

fn open_path(path: &Path, nonblock: bool) -> io::Result<File> {
    if !nonblock {
        return File::open(path);
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    opts.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn read(f: io::Result<File>) -> io::Result<Vec<u8>> {
        let mut v = Vec::new();
        f?.read_to_end(&mut v)?;
        Ok(v)
    }

    #[test]
    fn relative_opens_match_full_path_opens() {
        let root = std::env::temp_dir().join(format!("dicodec-open-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("d/sub")).unwrap();
        for (i, n) in ["a", "b", "c"].iter().enumerate() {
            std::fs::write(root.join("d").join(n), vec![i as u8; 3]).unwrap();
        }
        std::fs::write(root.join("d/sub/x"), b"x").unwrap();
        // Longest name on the stack buffer; a longer one (heap) is too long
        // for the file system and must fail the same way.
        let long = "n".repeat(255);
        std::fs::write(root.join("d").join(&long), b"long").unwrap();
        let too_long = "n".repeat(300);
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("d"), root.join("link")).unwrap();
        let d = root.join("d");
        let paths: Vec<std::path::PathBuf> = vec![
            d.join("a"),
            d.join("b"),
            d.join("missing"),
            d.join(&long),
            d.join(&too_long),
            d.join("c"),
            root.join("link/a"),
            root.join("link/b"),
            root.join("link/."),
            root.join("link/sub/.."),
            root.join("d/a/"),
            root.join("d/a/x"),
            root.join("d/a/y"),
            root.join("nodir/a"),
            root.join("nodir/b"),
            root.join("d/sub/x"),
            "relative-missing".into(),
        ];
        let mut op = Opener::default();
        for (i, p) in paths.iter().enumerate() {
            let got = read(op.open(p, paths.get(i + 1).map(|p| p.as_path()), i % 2 == 0));
            let want = read(File::open(p));
            match (got, want) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{p:?}"),
                (Err(a), Err(b)) => assert_eq!(a.raw_os_error(), b.raw_os_error(), "{p:?}"),
                (a, b) => panic!("{p:?}: {a:?} vs {b:?}"),
            }
            #[cfg(unix)]
            if i == 0 {
                assert!(op.dir.is_some(), "the folder of a run is opened");
            }
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}
