//! Decode speed of the library codecs on raw streams (a benchmark aid, not a
//! test): `codec_speed <j2k|jxl|deflate|deflate-flate2> FILE [threads] [seconds]`
//! prints the best time of repeated decodes and the output rate in MB/s.
//! For deflate, the output size is given as the 4th argument (bytes).

//! With threads = 1 the time is the calling thread's CPU time (from
//! /proc/thread-self/schedstat), less disturbed by other processes.

use std::time::{Duration, Instant};

/// CPU time of the calling thread, if Linux tells it.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (codec, path) = (&args[1], &args[2]);
    let threads: usize = args.get(3).map_or(1, |s| s.parse().unwrap());
    let budget = Duration::from_secs_f64(args.get(4).map_or(3.0, |s| s.parse().unwrap()));
    let out_len: usize = args.get(5).map_or(0, |s| s.parse().unwrap());
    let src = std::fs::read(path).unwrap();
    let mut best = Duration::MAX;
    let mut bytes = 0usize;
    let start = Instant::now();
    let mut runs = 0;
    while runs < 3 || start.elapsed() < budget {
        let (t, c) = (Instant::now(), thread_cpu());
        bytes = run(codec, &src, threads, out_len);
        let took = match (threads, c, thread_cpu()) {
            (1, Some(a), Some(b)) => b - a,
            _ => t.elapsed(),
        };
        best = best.min(took);
        runs += 1;
    }
    println!(
        "{codec} {path} threads={threads}: best {:.2} ms of {runs}, {:.1} MB/s (output {bytes} bytes)",
        best.as_secs_f64() * 1e3,
        bytes as f64 / best.as_secs_f64() / 1e6
    );
}

fn run(codec: &str, src: &[u8], threads: usize, out_len: usize) -> usize {
    use dicodec_core::codecs::*;
    match codec {
        "j2k" => j2k::decode(
            src,
            &j2k::DecodeOptions {
                threads,
                ..Default::default()
            },
        )
        .unwrap()
        .data
        .len(),
        "jxl" => jxl::decode(src, &jxl::DecodeOptions { threads })
            .unwrap()
            .data
            .len(),
        "deflate" => {
            let mut out = vec![0u8; out_len];
            deflate_frames::inflate_exact(src, &mut out).unwrap();
            out.len()
        }
        "deflate-flate2" => {
            let mut out = vec![0u8; out_len];
            let mut d = flate2::Decompress::new(false);
            d.decompress(src, &mut out, flate2::FlushDecompress::Finish)
                .unwrap();
            d.total_out() as usize
        }
        c => panic!("unknown codec {c}"),
    }
}
