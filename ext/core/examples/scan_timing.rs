//! Times the scanner on a folder, single thread, against a plain
//! open + read + close loop, interleaving the variants (best of N):
//! `cargo run --release --example scan_timing -- FOLDER [read_size...]`.
use dicodec_core::scan::{Scanner, TagSpec, Walker};
use std::io::Read;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = std::path::PathBuf::from(&args[1]);
    let mut sizes: Vec<usize> = args[2..].iter().map(|s| s.parse().unwrap()).collect();
    if sizes.is_empty() {
        sizes.push(16384);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        let specs: Vec<TagSpec> = [
            (0x0010_0020, "LO", "1"),
            (0x0010_0010, "PN", "1"),
            (0x0020_000D, "UI", "1"),
            (0x0020_000E, "UI", "1"),
            (0x0008_0018, "UI", "1"),
            (0x0008_0060, "CS", "1"),
            (0x0008_0020, "DA", "1"),
            (0x0028_0010, "US", "1"),
            (0x0028_0011, "US", "1"),
            (0x0028_0100, "US", "1"),
            (0x0028_0030, "DS", "2"),
            (0x0020_0013, "IS", "1"),
        ]
        .iter()
        .map(|&(t, vr, vm)| TagSpec::new(t, vr, vm).unwrap())
        .collect();
        let scanners: Vec<Scanner> = sizes
            .iter()
            .map(|&n| Scanner::new(specs.clone()).unwrap().with_read_size(n))
            .collect();
        let mut w = Walker::new(true);
        w.add_sources([root.clone()]);
        let entries = w.next_batch(1 << 20);
        let n = entries.len() as f64;
        let mut raw = vec![f64::MAX; sizes.len()];
        let mut scan = vec![f64::MAX; sizes.len()];
        let rounds: usize = std::env::var("ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(9);
        for _ in 0..rounds {
            for (i, &size) in sizes.iter().enumerate() {
                let mut buf = vec![0u8; size];
                let t = Instant::now();
                let skip_raw = std::env::var_os("SCAN_ONLY").is_some();
                for e in entries.iter().filter(|_| !skip_raw) {
                    let mut f = std::fs::File::open(&e.path).unwrap();
                    let _ = f.read(&mut buf).unwrap();
                }
                raw[i] = raw[i].min(t.elapsed().as_secs_f64());
                let t = Instant::now();
                let mut w = Walker::new(true);
                w.add_sources([root.clone()]);
                let b = scanners[i].scan_next(&mut w, 1 << 20).unwrap().unwrap();
                assert_eq!(b.len, entries.len());
                assert!(b.first_error().is_none());
                scan[i] = scan[i].min(t.elapsed().as_secs_f64());
            }
        }
        for (i, size) in sizes.iter().enumerate() {
            println!(
                "{n} files, read {size}: open+read+close {:.2} us/file, walk+scan {:.2} us/file ({:.0} files/s)",
                raw[i] * 1e6 / n,
                scan[i] * 1e6 / n,
                n / scan[i]
            );
        }
    });
}
