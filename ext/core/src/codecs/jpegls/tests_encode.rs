//! Encoder tests: round trips through the decoder (itself checked against
//! CharLS in `tests`) over bit depths, components, interleave modes, NEAR and
//! restart intervals. The cross-check with CharLS's decoder and sizes is in
//! `dump_streams_for_charls` (run with `DICODEC_JLS_DUMP=<dir>`, then
//! `tests/jpegls_charls_check.py <dir>`).

use super::params::Preset;
use super::*;
use proptest::prelude::*;

/// The encoder's view of `v`: `w` × `h` samples of `nc` components.
pub(crate) fn image(v: &[u16], w: usize, h: usize, nc: usize, bits: u8) -> Image<'_> {
    Image {
        samples: v,
        width: w as u32,
        height: h as u32,
        components: nc as u8,
        precision: bits,
    }
}

/// A deterministic test image: smooth areas, flat runs, edges and noise.
pub(crate) fn synth(w: usize, h: usize, nc: usize, bits: u8, seed: u64) -> Vec<u16> {
    let max = (1u32 << bits) - 1;
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut v = Vec::with_capacity(w * h * nc);
    for y in 0..h {
        for x in 0..w {
            for c in 0..nc {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = (s >> 33) as u32;
                let val = match (x / 7 + y / 5 + c) % 4 {
                    0 => (x * 3 + y * 2 + c * 11) as u32 * max / (3 * w + 2 * h + 40) as u32,
                    1 => max / 3,
                    2 => r & max,
                    _ => ((x * y) as u32 + r % 4) & max,
                };
                v.push(val.min(max) as u16);
            }
        }
    }
    v
}

fn roundtrip(w: usize, h: usize, nc: usize, bits: u8, opts: EncodeOptions, seed: u64) {
    let v = synth(w, h, nc, bits, seed);
    let img = image(&v, w, h, nc, bits);
    let s = encode(&img, &opts).unwrap();
    let d = decode(&s).unwrap_or_else(|e| panic!("{w}x{h}x{nc} {bits} bits {opts:?}: {e}"));
    assert!(d.report.is_clean(), "{:?}", d.report);
    let got: Vec<u16> = match d.samples {
        Samples::U8(x) => x.into_iter().map(u16::from).collect(),
        Samples::U16(x) => x,
    };
    for (i, (a, b)) in got.iter().zip(&v).enumerate() {
        assert!(
            (*a as i32 - *b as i32).abs() <= opts.near as i32,
            "{w}x{h}x{nc} {bits} bits {opts:?}: sample {i}: {a} vs {b}"
        );
    }
}

#[test]
fn round_trips_over_parameters() {
    for bits in [2u8, 5, 8, 10, 12, 15, 16] {
        for nc in [1usize, 3, 4] {
            for ilv in 0..3u8 {
                for near in [0u8, 1, 3] {
                    let near = near.min(((1u32 << bits) - 1) as u8 / 2);
                    for ri in [0u16, 3] {
                        let opts = EncodeOptions {
                            near,
                            interleave: ilv,
                            restart_interval: ri,
                            preset: None,
                        };
                        roundtrip(23, 9, nc, bits, opts, bits as u64 * 7 + near as u64);
                    }
                }
            }
        }
    }
}

#[test]
fn custom_presets_round_trip() {
    let preset = Preset {
        maxval: 0,
        t1: 9,
        t2: 9,
        t3: 9,
        reset: 31,
    };
    for near in [0u8, 3] {
        let opts = EncodeOptions {
            near,
            interleave: 1,
            restart_interval: 0,
            preset: Some(preset),
        };
        roundtrip(40, 17, 3, 8, opts, 5);
    }
}

#[test]
fn lossless_corpus_images_round_trip_exactly() {
    let Some(dir) = super::tests::corpus_dir() else {
        return;
    };
    for name in [
        "test8.ppm",
        "test16.pgm",
        "2bit_parrot_150x200.pgm",
        "4bit-monochrome.pgm",
    ] {
        let (w, h, nc, maxval, v) =
            super::tests::read_pnm(&std::fs::read(dir.join("jpegls").join(name)).unwrap());
        let bits = (32 - maxval.leading_zeros()) as u8;
        for ilv in 0..3u8 {
            let img = image(&v, w, h, nc, bits.max(2));
            let s = encode(
                &img,
                &EncodeOptions {
                    interleave: ilv,
                    ..Default::default()
                },
            )
            .unwrap();
            let d = decode(&s).unwrap();
            let got: Vec<u16> = match d.samples {
                Samples::U8(x) => x.into_iter().map(u16::from).collect(),
                Samples::U16(x) => x,
            };
            assert!(got == v, "{name} ilv {ilv}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_round_trips(
        w in 1usize..40, h in 1usize..12, nc in 1usize..5, bits in 2u8..17,
        ilv in 0u8..3, near in 0u8..6, ri in 0u16..4, seed in any::<u64>(),
    ) {
        let near = near.min((((1u32 << bits) - 1) / 2).min(255) as u8);
        roundtrip(w, h, nc, bits, EncodeOptions { near, interleave: ilv, restart_interval: ri, preset: None }, seed);
    }
}

/// Writes encoded streams and their raw input to `$DICODEC_JLS_DUMP` (when
/// set) for the CharLS cross-check script.
#[test]
fn dump_streams_for_charls() {
    let Some(dir) = std::env::var_os("DICODEC_JLS_DUMP") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut cases: Vec<(String, Vec<u16>, usize, usize, usize, u8)> = Vec::new();
    for bits in [2u8, 5, 8, 10, 12, 15, 16] {
        for nc in [1usize, 3, 4] {
            cases.push((
                format!("synth_{bits}_{nc}"),
                synth(61, 37, nc, bits, bits as u64),
                61,
                37,
                nc,
                bits,
            ));
        }
    }
    if let Some(c) = super::tests::corpus_dir() {
        for name in [
            "test8.ppm",
            "test16.pgm",
            "tulips-gray-8bit-512-512.pgm",
            "16-bit-640-480-many-dots.pgm",
            "banny.ppm",
        ] {
            let (w, h, nc, maxval, v) =
                super::tests::read_pnm(&std::fs::read(c.join("jpegls").join(name)).unwrap());
            let bits = (32 - maxval.leading_zeros()) as u8;
            cases.push((name.replace('.', "_"), v, w, h, nc, bits));
        }
    }
    for (name, v, w, h, nc, bits) in cases {
        let raw: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        std::fs::write(dir.join(format!("{name}.raw")), raw).unwrap();
        for ilv in 0..3u8 {
            if nc == 1 && ilv > 0 {
                continue;
            }
            for near in [0u8, 2] {
                for ri in [0u16, 5] {
                    let near = near.min(((1u32 << bits) - 1) as u8 / 2);
                    let img = image(&v, w, h, nc, bits);
                    let opts = EncodeOptions {
                        near,
                        interleave: ilv,
                        restart_interval: ri,
                        preset: None,
                    };
                    let s = encode(&img, &opts).unwrap();
                    let stem = format!("{name}__{w}_{h}_{nc}_{bits}_{ilv}_{near}_{ri}");
                    let d = decode(&s).unwrap();
                    let dec: Vec<u8> = match d.samples {
                        Samples::U8(x) => x
                            .into_iter()
                            .flat_map(|v| (v as u16).to_le_bytes())
                            .collect(),
                        Samples::U16(x) => x.into_iter().flat_map(|v| v.to_le_bytes()).collect(),
                    };
                    std::fs::write(dir.join(format!("{stem}.dec")), dec).unwrap();
                    std::fs::write(dir.join(format!("{stem}.jls")), s).unwrap();
                }
            }
        }
    }
}
