//! JPEG-LS decode speed on the streams of a folder (see
//! benches/jpegls_charls.py): best of several runs, one thread, MB/s of
//! decoded output (u8 for <= 8 bits, else u16). Times are the CPU time of
//! the thread (the shared machine is loaded: wall time varies 2x).

use dicodec_core::codecs::jpegls::{decode, encode, EncodeOptions, Image, Samples};
use std::time::{Duration, Instant};

/// CPU time of the calling thread.
fn cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec we pass; the clock id is valid.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn main() {
    let dir = std::env::args().nth(1).expect("folder of .jls files");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jls"))
        .collect();
    files.sort();
    for f in files {
        let b = std::fs::read(&f).unwrap();
        let d = decode(&b).unwrap();
        let bytes = match &d.samples {
            Samples::U8(v) => v.len(),
            Samples::U16(v) => v.len() * 2,
        };
        let mut best = Duration::MAX;
        let end = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < end {
            let t = cpu_time();
            std::hint::black_box(decode(&b).unwrap());
            best = best.min(cpu_time().saturating_sub(t));
        }
        // Encode the decoded image again with the stream's parameters.
        let v: Vec<u16> = match &d.samples {
            Samples::U8(v) => v.iter().map(|&x| x as u16).collect(),
            Samples::U16(v) => v.clone(),
        };
        let img = Image {
            samples: &v,
            width: d.info.width,
            height: d.info.height,
            components: d.info.components,
            precision: d.info.precision,
        };
        let opts = EncodeOptions {
            near: d.info.near,
            interleave: d.info.interleave,
            ..Default::default()
        };
        let mut best_enc = Duration::MAX;
        let end = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < end {
            let t = cpu_time();
            std::hint::black_box(encode(&img, &opts).unwrap());
            best_enc = best_enc.min(cpu_time().saturating_sub(t));
        }
        println!(
            "{:16} dicodec decode {:7.1} MB/s  encode {:7.1} MB/s",
            f.file_name().unwrap().to_string_lossy(),
            bytes as f64 / best.as_secs_f64() / 1e6,
            bytes as f64 / best_enc.as_secs_f64() / 1e6
        );
    }
}
