//! Tests of the line encoders (portable and arch builds agree, Q and MED as the standard).

use super::*;

#[test]
fn portable_and_arch_line_encoders_agree() {
    use crate::codecs::jpegls::tests_encode::synth;
    eprintln!("arch line encoder available: {}", arch::available());
    for (nc, bits) in [(1usize, 16u8), (1, 12), (3, 8), (2, 10), (4, 5)] {
        for near in [0u8, 2] {
            for ilv in 0..3u8 {
                let v = synth(41, 19, nc, bits, (nc * 10 + bits as usize) as u64);
                let img = Image {
                    samples: &v,
                    width: 41,
                    height: 19,
                    components: nc as u8,
                    precision: bits,
                };
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
