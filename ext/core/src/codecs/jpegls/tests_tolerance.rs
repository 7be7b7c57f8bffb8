//! The tolerance policies with crafted streams: legacy default thresholds
//! (streams encoded with the thresholds old encoders used, their LSE
//! segment removed, as those encoders wrote them), samples above Bits
//! Stored. Each decode is checked against the source image.

use super::params::{default_thresholds, Preset};
use super::tests_encode::synth;
use super::*;

/// A stream as an old encoder wrote it: encoded with its (legacy) default
/// thresholds, no LSE segment.
fn legacy_stream(w: usize, h: usize, nc: usize, bits: u8, near: u8, v: &[u16]) -> Vec<u8> {
    let maxval = (1i32 << bits) - 1;
    let (t1, t2, t3) = default_thresholds(maxval, near as i32, true);
    assert_ne!(
        (t1, t2, t3),
        default_thresholds(maxval, near as i32, false),
        "{bits} bits: no legacy variant"
    );
    let preset = Preset {
        maxval: maxval as u16,
        t1: t1 as u16,
        t2: t2 as u16,
        t3: t3 as u16,
        reset: 64,
    };
    let img = Image {
        samples: v,
        width: w as u32,
        height: h as u32,
        components: nc as u8,
        precision: bits,
    };
    let opts = EncodeOptions {
        near,
        interleave: 2,
        restart_interval: 0,
        preset: Some(preset),
    };
    let mut s = encode(&img, &opts).unwrap();
    let at = s.windows(4).position(|x| x == [0xFF, 0xF8, 0, 13]).unwrap();
    s.drain(at..at + 15);
    s
}

fn samples(d: &Decoded) -> Vec<u16> {
    match &d.samples {
        Samples::U8(x) => x.iter().map(|&b| b as u16).collect(),
        Samples::U16(x) => x.clone(),
    }
}

fn within(got: &[u16], want: &[u16], near: u8) -> bool {
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(&a, &b)| (a as i32 - b as i32).abs() <= near as i32)
}

#[test]
fn legacy_threshold_streams_decode_with_a_warning() {
    // (bits, components, NEAR): JAI above 12 bits, CharLS < 2.1 at 6-7.
    let mut retried = Vec::new();
    for (bits, nc, near) in [
        (16, 1, 0),
        (13, 1, 0),
        (15, 3, 2),
        (7, 1, 0),
        (6, 3, 0),
        (7, 1, 1),
    ] {
        let (w, h) = (61, 47);
        let v = synth(w, h, nc, bits, 11 + bits as u64);
        let s = legacy_stream(w, h, nc, bits, near, &v);
        let forced = decode_with(
            &s,
            &DecodeOptions {
                legacy_thresholds: Some(true),
            },
        )
        .unwrap();
        assert!(within(&samples(&forced), &v, near), "{bits} bits forced");
        assert!(forced.report.is_clean());
        let standard = decode_with(
            &s,
            &DecodeOptions {
                legacy_thresholds: Some(false),
            },
        );
        let standard_ok = standard
            .as_ref()
            .is_ok_and(|d| within(&samples(d), &v, near));
        assert!(
            !standard_ok,
            "{bits} bits: the standard thresholds decode it too"
        );
        // Automatic: the retry applies when the standard decode fails.
        if standard.is_err() {
            let d = decode(&s).unwrap();
            assert!(within(&samples(&d), &v, near), "{bits} bits retried");
            assert_eq!(d.report.warnings.len(), 1, "{:?}", d.report);
            assert!(d.report.warnings[0].contains("default thresholds of"));
            retried.push(bits);
            // The retry must be clean: without EOI the stream could as well
            // be a damaged standard one, and the standard error stands.
            assert!(decode(&s[..s.len() - 2]).is_err(), "{bits} bits, no EOI");
        }
    }
    eprintln!("automatic retry for {retried:?} bits");
    // The standard decode of each of these streams fails (the data runs out),
    // so the retry is what decodes them.
    assert_eq!(retried.len(), 6, "{retried:?}");
}

#[test]
fn truncated_streams_keep_their_error() {
    for bits in [7u8, 16] {
        let v = synth(64, 64, 1, bits, 9);
        let img = Image {
            samples: &v,
            width: 64,
            height: 64,
            components: 1,
            precision: bits,
        };
        let s = encode(&img, &EncodeOptions::default()).unwrap();
        for keep in [s.len() / 2, s.len() * 3 / 4, s.len() - 40] {
            let e = decode(&s[..keep]).unwrap_err();
            assert!(
                matches!(e, Error::Malformed { .. }),
                "{bits} bits {keep}: {e}"
            );
        }
    }
}

#[test]
fn standard_streams_are_not_retried() {
    for bits in [6u8, 7, 16] {
        let v = synth(40, 30, 1, bits, 3);
        let img = Image {
            samples: &v,
            width: 40,
            height: 30,
            components: 1,
            precision: bits,
        };
        let s = encode(&img, &EncodeOptions::default()).unwrap();
        let d = decode(&s).unwrap();
        assert_eq!(samples(&d), v);
        assert!(d.report.is_clean(), "{:?}", d.report);
    }
}

#[test]
fn samples_above_bits_stored_are_reported() {
    let (w, h) = (16usize, 8usize);
    let desc = |pr: u16| PixelDescription {
        rows: h as u32,
        columns: w as u32,
        number_of_frames: 1,
        samples_per_pixel: 1,
        bits_allocated: 16,
        bits_stored: 12,
        high_bit: 11,
        pixel_representation: pr,
        ..Default::default()
    };
    let encode16 = |v: &[u16]| {
        let img = Image {
            samples: v,
            width: w as u32,
            height: h as u32,
            components: 1,
            precision: 16,
        };
        encode(&img, &EncodeOptions::default()).unwrap()
    };
    // GDCM's way: precision 16 for 12 Bits Stored, samples that fit: clean.
    let fits: Vec<u16> = (0..w * h).map(|i| (i * 31 % 4096) as u16).collect();
    let mut dst = vec![0u8; w * h * 2];
    let r = decode_frame(&encode16(&fits), &desc(0), &mut dst).unwrap();
    assert!(r.is_clean(), "{r:?}");
    // Signed, two's complement in 16 bits, within 12: clean.
    let signed: Vec<u16> = (0..w * h).map(|i| (i as i16 - 60) as u16).collect();
    let r = decode_frame(&encode16(&signed), &desc(1), &mut dst).unwrap();
    assert!(r.is_clean(), "{r:?}");
    let got: Vec<i16> = dst
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(got, signed.iter().map(|&v| v as i16).collect::<Vec<_>>());
    // Samples above 4095: masked as pydicom does, with a warning.
    let mut over = fits.clone();
    over[5] = 5000;
    over[9] = 65535;
    let r = decode_frame(&encode16(&over), &desc(0), &mut dst).unwrap();
    assert_eq!(r.warnings.len(), 1, "{r:?}");
    assert!(r.warnings[0].starts_with("2 samples"), "{r:?}");
    assert_eq!(u16::from_le_bytes([dst[10], dst[11]]), 5000 & 0xFFF);
}
