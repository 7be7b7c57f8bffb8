//! Tests of the line encoders (portable and arch builds agree, Q and MED as the standard).

use super::*;

#[test]
fn portable_and_arch_line_encoders_agree() {
    use crate::codecs::jpegls::tests_encode::{image, synth};
    eprintln!("arch line encoder available: {}", arch::available());
    for (nc, bits) in [(1usize, 16u8), (1, 12), (3, 8), (2, 10), (4, 5)] {
        for near in [0u8, 2] {
            for ilv in 0..3u8 {
                let v = synth(41, 19, nc, bits, (nc * 10 + bits as usize) as u64);
                let img = image(&v, 41, 19, nc, bits);
                let opts = EncodeOptions {
                    near,
                    interleave: ilv,
                    restart_interval: if ilv == 1 { 4 } else { 0 },
                    ..Default::default()
                };
                PORTABLE.with(|p| p.set(true));
                let a = encode(&img, &opts).unwrap();
                PORTABLE.with(|p| p.set(false));
                let b = encode(&img, &opts).unwrap();
                assert_eq!(a, b, "{nc} comps {bits} bits NEAR {near} ilv {ilv}");
            }
        }
    }
}

/// Every specialised line encoder (per bit depth, [`pick_line`]) writes the
/// generic encoder's stream byte for byte, in the arch and the portable
/// build, over 2-16 bits, 1-4 components, every interleave mode, NEAR 0-3,
/// with and without restart intervals (random and smooth regions, so that
/// both regular and run mode, long Golomb codes and escapes are coded);
/// lossless streams decode to the image.
#[test]
fn specialised_line_encoders_equal_the_generic_ones() {
    use crate::codecs::jpegls::tests_encode::{image, synth};
    let mut cases = 0;
    for bits in 2u8..=16 {
        for nc in 1usize..=4 {
            let (w, h) = (23 + bits as usize % 5, 9 + nc);
            let v = synth(w, h, nc, bits, bits as u64 * 7 + nc as u64);
            let img = image(&v, w, h, nc, bits);
            let maxnear = (((1u32 << bits) - 1) / 2).min(3) as u8;
            for near in 0..=maxnear {
                for ilv in 0..3u8 {
                    let ri = [0u16, 1, 4][(bits as usize + ilv as usize + near as usize) % 3];
                    let opts = EncodeOptions {
                        near,
                        interleave: ilv,
                        restart_interval: ri,
                        ..Default::default()
                    };
                    let mut outs = Vec::new();
                    for (portable, generic) in
                        [(true, true), (true, false), (false, true), (false, false)]
                    {
                        PORTABLE.with(|p| p.set(portable));
                        GENERIC.with(|p| p.set(generic));
                        outs.push(encode(&img, &opts).unwrap());
                    }
                    PORTABLE.with(|p| p.set(false));
                    GENERIC.with(|p| p.set(false));
                    for o in &outs[1..] {
                        assert!(
                            *o == outs[0],
                            "{bits} bits {nc} comps NEAR {near} ilv {ilv} RI {ri}"
                        );
                    }
                    if near == 0 {
                        let d = crate::codecs::jpegls::decode(&outs[0]).unwrap();
                        let got: Vec<u16> = match d.samples {
                            crate::pixels::Samples::U8(s) => s.iter().map(|&x| x as u16).collect(),
                            crate::pixels::Samples::U16(s) => s,
                        };
                        assert_eq!(got, v, "{bits} bits {nc} comps ilv {ilv}: not lossless");
                    }
                    cases += 1;
                }
            }
        }
    }
    assert!(cases > 500);
}

#[test]
fn packed_context_ids_unpack() {
    for q in -364..=364 {
        assert_eq!(unpack_id(pack_id(q)), split_id(q), "{q}");
        assert_eq!(pack_id(q) == 0, q == 0);
    }
}

#[test]
fn reciprocal_division_is_exact() {
    for step in (1..=511).step_by(2) {
        let inv = reciprocal(step);
        for x in 0..(1u64 << 17) {
            assert_eq!((x * inv) >> 32, x / step as u64, "{x} / {step}");
        }
    }
}

#[test]
fn computed_gradient_quantisation_is_the_standards() {
    for (bits, near) in [(8u8, 0u8), (8, 3), (12, 0), (16, 2), (5, 1)] {
        let c = Coding::new(bits, near, &Preset::default(), false, 0).unwrap();
        for d in -c.maxval..=c.maxval {
            assert_eq!(
                qcalc(&c, d),
                c.quantize(d) as i32,
                "{bits} bits NEAR {near} d {d}"
            );
        }
    }
}

#[test]
fn med_is_the_standards() {
    for ra in 0..12 {
        for rb in 0..12 {
            for rc in 0..12 {
                let want = if rc >= ra.max(rb) {
                    ra.min(rb)
                } else if rc <= ra.min(rb) {
                    ra.max(rb)
                } else {
                    ra + rb - rc
                };
                assert_eq!(med(ra, rb, rc), want);
            }
        }
    }
}
