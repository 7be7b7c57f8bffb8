use super::*;
use crate::codecs::jpeg::{decode, Samples as Decoded};

/// A deterministic image with smooth areas, edges and noise.
fn image(w: usize, h: usize, nf: usize, precision: u8, seed: u64) -> Vec<u16> {
    let max = (1u32 << precision) - 1;
    let mut s = seed | 1;
    let mut v = Vec::with_capacity(w * h * nf);
    for y in 0..h {
        for x in 0..w {
            for c in 0..nf {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let smooth = ((x * 7 + y * 3 + c * 50) as u32 * max) / (w * 7 + h * 3 + 200) as u32;
                let noise = (s % 16) as u32;
                let val = if (x / 5 + y / 7) % 4 == 0 {
                    (s as u32) & max
                } else {
                    (smooth + noise).min(max)
                };
                v.push(val as u16);
            }
        }
    }
    v
}

fn roundtrip(v: &[u16], w: usize, h: usize, nf: usize, opts: EncodeOptions) {
    let stream = if opts.precision <= 8 {
        let b: Vec<u8> = v.iter().map(|&x| x as u8).collect();
        encode(Samples::U8(&b), w, h, nf, &opts).unwrap()
    } else {
        encode(Samples::U16(v), w, h, nf, &opts).unwrap()
    };
    let d = decode(&stream).unwrap();
    assert!(d.report.is_clean(), "{:?}", d.report);
    assert_eq!(d.info.predictor, opts.predictor);
    let got: Vec<u16> = match d.samples {
        Decoded::U8(s) => s.iter().map(|&x| x as u16).collect(),
        Decoded::U16(s) => s,
    };
    assert_eq!(got, v, "{opts:?} {w}x{h}x{nf}");
}

#[test]
fn every_predictor_precision_and_component_count() {
    for nf in [1, 2, 3, 4] {
        for precision in [2u8, 7, 8, 12, 15, 16] {
            for predictor in 1..=7 {
                let v = image(37, 23, nf, precision, 99 + predictor as u64);
                for optimise in [true, false] {
                    let opts = EncodeOptions {
                        predictor,
                        precision,
                        restart_interval: 0,
                        optimise,
                    };
                    roundtrip(&v, 37, 23, nf, opts);
                }
            }
        }
    }
}

#[test]
fn restart_intervals_of_whole_rows() {
    let v = image(40, 33, 3, 12, 7);
    for rows in [1u16, 2, 5, 33] {
        let opts = EncodeOptions {
            predictor: 7,
            precision: 12,
            restart_interval: 40 * rows,
            optimise: true,
        };
        roundtrip(&v, 40, 33, 3, opts);
    }
    let opts = EncodeOptions {
        restart_interval: 41,
        ..Default::default()
    };
    assert!(encode(Samples::U16(&v), 40, 33, 3, &opts).is_err());
}

#[test]
fn extreme_differences_wrap_modulo_2_16() {
    // 0 / 65535 alternating: differences of +-65535 reduce to +-1, and 32768 jumps give SSSS 16.
    let mut v = Vec::new();
    for y in 0..16u32 {
        for x in 0..16u32 {
            v.push(match (x + y) % 3 {
                0 => 0,
                1 => 65535,
                _ => 32768,
            } as u16);
        }
    }
    for predictor in 1..=7 {
        roundtrip(
            &v,
            16,
            16,
            1,
            EncodeOptions {
                predictor,
                ..Default::default()
            },
        );
    }
}

#[test]
fn signed_frames_round_trip_through_decode_frame() {
    let desc = PixelDescription {
        rows: 9,
        columns: 11,
        number_of_frames: 1,
        samples_per_pixel: 1,
        bits_allocated: 16,
        bits_stored: 12,
        high_bit: 11,
        pixel_representation: 1,
        photometric_interpretation: "MONOCHROME2".into(),
        ..Default::default()
    };
    let vals: Vec<i16> = (0..99).map(|i| ((i * 97) % 4096) as i16 - 2048).collect();
    let src: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
    let stream = encode_frame(&src, &desc, &EncodeOptions::default()).unwrap();
    let mut out = vec![0u8; src.len()];
    crate::codecs::jpeg::decode_frame(&stream, &desc, &mut out).unwrap();
    assert_eq!(out, src);
}

#[test]
fn optimised_tables_are_not_larger() {
    let v = image(64, 64, 1, 16, 3);
    let a = encode(Samples::U16(&v), 64, 64, 1, &EncodeOptions::default()).unwrap();
    let b = encode(
        Samples::U16(&v),
        64,
        64,
        1,
        &EncodeOptions {
            optimise: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(a.len() <= b.len(), "{} > {}", a.len(), b.len());
}

#[test]
fn bad_arguments_are_errors() {
    let v = [0u16; 4];
    for opts in [
        EncodeOptions {
            predictor: 0,
            ..Default::default()
        },
        EncodeOptions {
            predictor: 8,
            ..Default::default()
        },
        EncodeOptions {
            precision: 1,
            ..Default::default()
        },
        EncodeOptions {
            precision: 17,
            ..Default::default()
        },
    ] {
        assert!(encode(Samples::U16(&v), 2, 2, 1, &opts).is_err());
    }
    assert!(encode(Samples::U16(&v), 2, 3, 1, &EncodeOptions::default()).is_err());
    assert!(encode(Samples::U16(&v), 0, 2, 1, &EncodeOptions::default()).is_err());
    assert!(encode(Samples::U16(&v), 4, 1, 5, &EncodeOptions::default()).is_err());
    let b = [0u8; 4];
    assert!(encode(
        Samples::U8(&b),
        2,
        2,
        1,
        &EncodeOptions {
            precision: 9,
            ..Default::default()
        }
    )
    .is_err());
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn any_image_round_trips(
            w in 1usize..20, h in 1usize..12, nf in 1usize..5, precision in 2u8..17,
            predictor in 1u8..8, optimise: bool, rri in 0usize..4, seed: u64,
        ) {
            let mask = (1u32 << precision) - 1;
            let mut s = seed | 1;
            let v: Vec<u16> = (0..w * h * nf).map(|_| { s ^= s << 13; s ^= s >> 7; s ^= s << 17; (s as u32 & mask) as u16 }).collect();
            let ri = (rri * w).min(65535 / w * w) as u16;
            roundtrip(&v, w, h, nf, EncodeOptions { predictor, precision, restart_interval: ri, optimise });
        }
    }
}

/// The DHT tables of a stream (Tc/Th byte, symbol count) and the table
/// each scan component uses.
fn dht_and_sos(stream: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let (mut tables, mut uses) = (Vec::new(), Vec::new());
    let mut i = 2;
    while i + 4 <= stream.len() && stream[i] == 0xFF {
        let m = stream[i + 1];
        let len = u16::from_be_bytes([stream[i + 2], stream[i + 3]]) as usize;
        let body = &stream[i + 4..i + 2 + len];
        if m == 0xC4 {
            let mut j = 0;
            while j < body.len() {
                let n: usize = body[j + 1..j + 17].iter().map(|&b| b as usize).sum();
                tables.push(body[j]);
                j += 17 + n;
            }
        }
        if m == 0xDA {
            for c in 0..body[0] as usize {
                uses.push(body[2 + 2 * c] >> 4);
            }
            break;
        }
        i += 2 + len;
    }
    (tables, uses)
}

#[test]
fn components_share_a_table_when_that_is_smaller() {
    let opts = EncodeOptions {
        precision: 8,
        ..Default::default()
    };
    // Three components with the same statistics: one table (as libjpeg-turbo
    // writes for RGB) is smaller than three.
    let v: Vec<u8> = image(64, 48, 3, 8, 5).iter().map(|&x| x as u8).collect();
    let s = encode(Samples::U8(&v), 64, 48, 3, &opts).unwrap();
    let (tables, uses) = dht_and_sos(&s);
    assert_eq!((tables, uses), (vec![0], vec![0, 0, 0]));
    // A noisy component beside two flat ones: its own table.
    let mut v = image(64, 48, 3, 8, 6);
    for (i, x) in v.iter_mut().enumerate() {
        if i % 3 != 0 {
            *x = (i / 3 % 64 / 8) as u16;
        }
    }
    let w = EncodeOptions {
        precision: 8,
        ..Default::default()
    };
    let (tables, uses) = dht_and_sos(&encode(Samples::U16(&v), 64, 48, 3, &w).unwrap());
    assert_eq!(tables.len(), 2);
    assert_eq!(uses[1], uses[2]);
    assert_ne!(uses[0], uses[1]);
    roundtrip(&v, 64, 48, 3, w);
}

#[test]
fn chosen_tables_cost_no_more_than_fixed_groupings() {
    // The assignment's cost (code bits + DHT bytes) is the least over every
    // grouping: compare with one shared table and one table per component.
    let v = image(40, 30, 4, 12, 11);
    let p = Params {
        width: 40,
        height: 30,
        nf: 4,
        precision: 12,
        predictor: 1,
        restart_rows: 0,
    };
    let mut h = Histogram::new();
    scan::run::<u16, _>(&v, p, &mut h);
    let cost = |tables: &[EncodeTable], of: &[usize; 4]| -> u64 {
        let mut bits = 0;
        for (c, &t) in of.iter().enumerate() {
            for s in 0..SYMBOLS {
                bits += h.freq[c][s] * tables[t].len[s] as u64;
            }
        }
        bits + tables
            .iter()
            .map(|t| 8 * (17 + t.spec.vals.len() as u64))
            .sum::<u64>()
    };
    let (tables, of) = assign_tables(&h.freq, 4);
    let best = cost(&tables, &of);
    let mut all = [0u64; SYMBOLS];
    for f in &h.freq {
        for s in 0..SYMBOLS {
            all[s] += f[s];
        }
    }
    let shared = vec![EncodeTable::new(optimal_spec(&all))];
    assert!(best <= cost(&shared, &[0; 4]));
    let each: Vec<EncodeTable> = (0..4)
        .map(|c| {
            let mut f = [0u64; SYMBOLS];
            f.copy_from_slice(&h.freq[c][..SYMBOLS]);
            EncodeTable::new(optimal_spec(&f))
        })
        .collect();
    assert!(best <= cost(&each, &[0, 1, 2, 3]));
}

#[test]
fn stuffing_matches_a_byte_at_a_time_copy() {
    let mut s = 7u64;
    for len in [0usize, 1, 7, 8, 9, 63, 64, 65, 300] {
        for density in [0u64, 3, 60, 255] {
            let b: Vec<u8> = (0..len)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    if s % 256 < density {
                        0xFF
                    } else {
                        s as u8
                    }
                })
                .collect();
            let mut want = Vec::new();
            for &x in &b {
                want.push(x);
                if x == 0xFF {
                    want.push(0);
                }
            }
            let mut got = vec![1, 2];
            scan::stuff(&mut got, &b);
            assert_eq!(&got[2..], &want[..], "{len} {density}");
        }
    }
}

#[test]
fn simd_and_portable_scans_write_the_same_bytes() {
    // Where the CPU lacks AVX2/BMI2 both runs are the portable loop.
    for nf in [1, 2, 3, 4] {
        for precision in [2u8, 8, 12, 16] {
            for predictor in [1u8, 4, 7] {
                let v = image(53, 19, nf, precision, 3 + nf as u64);
                for restart_interval in [0u16, 53 * 4] {
                    let opts = EncodeOptions {
                        predictor,
                        precision,
                        restart_interval,
                        optimise: predictor != 4,
                    };
                    let b: Vec<u8> = v.iter().map(|&x| x as u8).collect();
                    let s = if precision <= 8 {
                        Samples::U8(&b)
                    } else {
                        Samples::U16(&v)
                    };
                    let a = encode_with(s, 53, 19, nf, &opts, true, true).unwrap();
                    let p = encode_with(s, 53, 19, nf, &opts, false, true).unwrap();
                    assert_eq!(a, p, "{nf} {precision} {predictor} {restart_interval}");
                }
            }
        }
    }
}

#[test]
fn table_and_general_sinks_write_the_same_bytes() {
    // Precision up to 8 takes lut.rs's sinks; the general ones must agree,
    // with odd and even row lengths, restarts, both kinds of table, and the
    // extreme differences (-255, 255) the tables end with.
    for nf in [1, 2, 3, 4] {
        for precision in [2u8, 5, 7, 8] {
            for predictor in 1..=7u8 {
                for (w, h) in [(53, 19), (20, 7), (1, 5)] {
                    let mut v = image(w, h, nf, precision, 11 + predictor as u64);
                    let max = (1u16 << precision) - 1;
                    for (i, x) in v.iter_mut().enumerate().take(2 * w * nf) {
                        *x = if (i / nf) % 2 == 0 { 0 } else { max };
                    }
                    let b: Vec<u8> = v.iter().map(|&x| x as u8).collect();
                    for restart_interval in [0u16, 2 * w as u16] {
                        for optimise in [true, false] {
                            let opts = EncodeOptions {
                                predictor,
                                precision,
                                restart_interval,
                                optimise,
                            };
                            for s in [Samples::U8(&b), Samples::U16(&v)] {
                                let simd = arch::available();
                                let a = encode_with(s, w, h, nf, &opts, simd, true).unwrap();
                                let g = encode_with(s, w, h, nf, &opts, simd, false).unwrap();
                                assert_eq!(a, g, "{nf} {precision} {predictor} {w} {opts:?}");
                            }
                        }
                    }
                }
            }
        }
    }
}
