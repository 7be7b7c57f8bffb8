//! The tag scanner (`dicodec.scan`) on one file holding the input: a broad
//! set of tags (text, numbers, lists, the Image Pixel module), small reads so
//! values cross read boundaries.
#![no_main]
use dicodec_core::scan::{Entry, Scanner, TagSpec};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;
mod common;

fn scanner() -> &'static (Scanner, PathBuf) {
    static S: OnceLock<(Scanner, PathBuf)> = OnceLock::new();
    S.get_or_init(|| {
        let specs = [
            (0x0008_0005, "CS", "1-n"),
            (0x0008_0008, "CS", "2-n"),
            (0x0008_0060, "CS", "1"),
            (0x0010_0010, "PN", "1"),
            (0x0018_0050, "DS", "1"),
            (0x0020_000D, "UI", "1"),
            (0x0020_0013, "IS", "1"),
            (0x0020_0032, "DS", "3"),
            (0x0028_0002, "US", "1"),
            (0x0028_0008, "IS", "1"),
            (0x0028_0010, "US", "1"),
            (0x0028_0011, "US", "1"),
            (0x0028_0100, "US", "1"),
            (0x0028_0106, "US or SS", "1"),
            (0x0028_1050, "DS", "1-n"),
            (0x0002_0010, "UI", "1"),
        ];
        let specs = specs
            .iter()
            .map(|&(t, vr, vm)| TagSpec::new(t, vr, vm).unwrap())
            .collect();
        let dir = std::env::temp_dir();
        let path = dir.join(format!("dicodec-fuzz-scan-{}.dcm", std::process::id()));
        (Scanner::new(specs).unwrap().with_read_size(256), path)
    })
}

fuzz_target!(|data: &[u8]| {
    common::init();
    let (sc, path) = scanner();
    std::fs::write(path, data).unwrap();
    let _ = sc.scan(&[Entry::file(path.clone())]);
});
