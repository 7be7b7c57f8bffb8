//! Decodes DCT JPEG streams with dicodec's decoder, for checks and timing:
//! `jpeg_dct decode IN OUT [rgb]` writes the samples (u8, or u16 LE);
//! `jpeg_dct bench SECONDS IN...` prints MB/s of output per stream (one
//! thread, best of repeated runs within the time); `jpeg_dct cpu REPS IN
//! [rgb]` prints the best thread CPU time of one decode in microseconds.
use dicodec_core::codecs::jpeg::dct::{decode, Colour, Options, Samples};
use std::time::Instant;

/// Thread CPU time in seconds.
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for clock_gettime to write.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args[1].as_str() {
        "decode" => {
            let src = std::fs::read(&args[2]).unwrap();
            let colour = if args.get(4).map(String::as_str) == Some("rgb") {
                Colour::Rgb
            } else {
                Colour::Keep
            };
            let d = decode(
                &src,
                &Options {
                    colour,
                    ..Options::default()
                },
            )
            .unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(2)
            });
            for w in &d.report.warnings {
                eprintln!("warning: {w}");
            }
            let out: Vec<u8> = match d.samples {
                Samples::U8(v) => v,
                Samples::U16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            };
            std::fs::write(&args[3], out).unwrap();
        }
        "bench" => {
            let secs: f64 = args[2].parse().unwrap();
            for p in &args[3..] {
                let src = std::fs::read(p).unwrap();
                let opts = Options::default();
                let mut best = f64::MAX;
                let mut bytes = 0usize;
                let t0 = Instant::now();
                while t0.elapsed().as_secs_f64() < secs {
                    let t = Instant::now();
                    let d = decode(&src, &opts).unwrap();
                    best = best.min(t.elapsed().as_secs_f64());
                    bytes = match d.samples {
                        Samples::U8(v) => v.len(),
                        Samples::U16(v) => 2 * v.len(),
                    };
                }
                println!("{p}\t{:.1} MB/s", bytes as f64 / best / 1e6);
            }
        }
        "cpu" => {
            let reps: usize = args[2].parse().unwrap();
            let src = std::fs::read(&args[3]).unwrap();
            let colour = if args.get(4).map(String::as_str) == Some("rgb") {
                Colour::Rgb
            } else {
                Colour::Keep
            };
            let opts = Options {
                colour,
                ..Options::default()
            };
            let mut best = f64::MAX;
            for _ in 0..reps {
                let t = thread_cpu();
                let d = decode(&src, &opts).unwrap();
                best = best.min(thread_cpu() - t);
                drop(d);
            }
            println!("{:.1}", best * 1e6);
        }
        _ => eprintln!("usage: jpeg_dct decode IN OUT [rgb] | bench SECONDS IN..."),
    }
}
