//! Unit tests of the decoder's tables and context update.

use super::*;
use crate::codecs::jpegls::params::Preset;

#[test]
fn quant_table_matches_quantize_over_the_full_range() {
    for (prec, near, t) in [
        (16u8, 0u8, [0u16; 3]),
        (16, 2, [0; 3]),
        (12, 0, [0; 3]),
        (8, 3, [0; 3]),
        (2, 0, [0; 3]),
        (16, 0, [1, 1, 1]),
        (16, 5, [6, 6, 65535]),
        (10, 0, [3, 900, 1023]),
    ] {
        let pre = Preset {
            t1: t[0],
            t2: t[1],
            t3: t[2],
            ..Default::default()
        };
        let c = Coding::new(prec, near, &pre, false, 0).unwrap();
        let mut qt = vec![0i8; QSIZE];
        quant_table(&c, (&mut qt[..]).try_into().unwrap());
        for d in -65536..=65535i32 {
            assert_eq!(
                qt[(d as usize) & QMASK],
                c.quantize(d),
                "P {prec} NEAR {near} {t:?} d {d}"
            );
        }
    }
}

#[test]
fn update_regular_matches_the_standard() {
    // T.87 A.6 as written (branches), against the select version and the
    // branchy one.
    for (b0, branchy) in (-70..70).flat_map(|b| [(b, false), (b, true)]) {
        for n0 in 1..=64 {
            for e in [-3, -1, 0, 1, 2, 5] {
                for c0 in [-128, -5, 0, 127] {
                    let mut cx = Ctx {
                        a: 10,
                        b: b0,
                        c: c0 as i16,
                        k: 0,
                        n: n0,
                    };
                    update_regular(&mut cx, e, 1, 64, true, branchy).unwrap();
                    let (mut a, mut b, mut c, mut n) = (10 + e.abs(), b0 + e, c0, n0);
                    if n == 64 {
                        a >>= 1;
                        b >>= 1;
                        n >>= 1;
                    }
                    n += 1;
                    if b + n <= 0 {
                        b += n;
                        if b <= -n {
                            b = 1 - n;
                        }
                        if c > -128 {
                            c -= 1;
                        }
                    } else if b > 0 {
                        b -= n;
                        if b > 0 {
                            b = 0;
                        }
                        if c < 127 {
                            c += 1;
                        }
                    }
                    assert_eq!((cx.a, cx.b, cx.c as i32, cx.n), (a, b, c, n));
                    assert_eq!(cx.k as u32, golomb_k(n, a));
                }
            }
        }
    }
}

/// Decodes `s` with the portable line decoder and with the [`arch`] one;
/// each with and without the compile-time bit depths (the results must
/// agree: returns the portable one and the first that differs from it).
fn both_paths(s: &[u8]) -> (String, String) {
    let run = |portable: bool, generic: bool| {
        PORTABLE.with(|p| p.set(portable));
        GENERIC.with(|p| p.set(generic));
        let r = crate::codecs::jpegls::decode(s);
        PORTABLE.with(|p| p.set(false));
        GENERIC.with(|p| p.set(false));
        match r {
            Ok(d) => format!("{:?}", d.samples),
            Err(e) => format!("error {e}"),
        }
    };
    let a = run(true, false);
    let others = [run(false, false), run(true, true), run(false, true)];
    let b = others
        .into_iter()
        .find(|o| *o != a)
        .unwrap_or_else(|| a.clone());
    (a, b)
}

#[test]
fn portable_and_arch_line_decoders_agree() {
    use crate::codecs::jpegls::tests_encode::synth;
    use crate::codecs::jpegls::{encode, EncodeOptions, Image};
    eprintln!("arch line decoder available: {}", arch::available());
    for (nc, bits) in [
        (1usize, 16u8),
        (1, 12),
        (1, 8),
        (1, 15),
        (3, 8),
        (3, 12),
        (3, 16),
        (2, 10),
        (4, 5),
    ] {
        for near in [0u8, 2] {
            for ilv in 0..3u8 {
                let v = synth(37, 23, nc, bits, (nc * 100 + bits as usize) as u64);
                let img = Image {
                    samples: &v,
                    width: 37,
                    height: 23,
                    components: nc as u8,
                    precision: bits,
                };
                let opts = EncodeOptions {
                    near,
                    interleave: ilv,
                    restart_interval: if ilv == 1 { 5 } else { 0 },
                    ..Default::default()
                };
                let s = encode(&img, &opts).unwrap();
                let (a, b) = both_paths(&s);
                assert!(!a.starts_with("error"), "{a}");
                assert_eq!(a, b, "{nc} comps {bits} bits NEAR {near} ilv {ilv}");
            }
        }
    }
    // The conformance streams and CharLS's malformed ones, where present.
    let Some(dir) = crate::codecs::jpegls::tests::corpus_dir() else {
        return;
    };
    let mut n = 0;
    for f in std::fs::read_dir(dir.join("jpegls")).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|x| x == "jls") {
            let s = std::fs::read(&p).unwrap();
            let (a, b) = both_paths(&s);
            assert_eq!(a, b, "{}", p.display());
            n += 1;
        }
    }
    assert!(n > 20, "{n} streams");
}

/// Run mode: runs of every length from 1 to past index 31 (J = 15), runs
/// that end at the line end (the bit-by-bit path) or before it (the
/// look-ahead over the cached 1-bits), interrupted by both RItypes, decoded
/// with both line decoders; lossless equals the image, NEAR=2 stays within 2.
#[test]
fn runs_of_every_length_decode_on_both_paths() {
    use crate::codecs::jpegls::{encode, EncodeOptions, Image};
    use crate::pixels::Samples;
    let w = 40_000usize;
    let h = 3usize;
    let mut v = Vec::with_capacity(w * h);
    let mut s = 7u64;
    for y in 0..h {
        let mut x = 0;
        let mut len = 1 + y;
        while x < w {
            // A flat run of `len` pixels, then one noisy pixel (value equal
            // to or far from the run: RItype 1 or 0).
            let flat = (y * 17 + len) as u16 & 0xFF;
            for _ in 0..len.min(w - x) {
                v.push(flat);
            }
            x += len.min(w - x);
            if x < w {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                v.push(if s >> 63 == 0 {
                    flat
                } else {
                    (s >> 40) as u16 & 0xFF
                });
                x += 1;
            }
            len = if len > 20_000 { 1 } else { len * 3 / 2 + 1 };
        }
        // The last line ends in one long run (to the line end).
        if y == h - 1 {
            let n = v.len();
            v[n - 30_000..].fill(9);
        }
    }
    assert_eq!(v.len(), w * h);
    let img = Image {
        samples: &v,
        width: w as u32,
        height: h as u32,
        components: 1,
        precision: 8,
    };
    for near in [0u8, 2] {
        let opts = EncodeOptions {
            near,
            ..Default::default()
        };
        let st = encode(&img, &opts).unwrap();
        let (a, b) = both_paths(&st);
        assert_eq!(a, b, "NEAR {near}");
        let d = crate::codecs::jpegls::decode(&st).unwrap();
        let Samples::U8(out) = d.samples else {
            panic!("8-bit samples expected");
        };
        for (i, (&o, &x)) in out.iter().zip(&v).enumerate() {
            assert!(
                (o as i32 - x as i32).abs() <= near as i32,
                "NEAR {near} sample {i}: {o} vs {x}"
            );
        }
    }
}
