//! Tests of the JPEG 2000 lossless encoder: round trips through the
//! decoder (OpenJPEG) over bit depths, signedness, colour with and without
//! MCT, small images, levels and code-blocks; the header written (checked
//! by our own header reader); parameter and input errors. Independent
//! decoders (imagecodecs' OpenJPEG, GDCM, pydicom) check the same streams
//! in `tests/codecs/test_j2k_encode.py`.

use super::*;
use crate::codecs::{EncodeContext, EncodeParams, FrameEncoder, J2kParams};
use crate::error::Error;

fn desc(w: u32, h: u32, spp: u16, ba: u16, bs: u16, signed: bool, pi: &str) -> PixelDescription {
    PixelDescription {
        rows: h,
        columns: w,
        number_of_frames: 1,
        samples_per_pixel: spp,
        bits_allocated: ba,
        bits_stored: bs,
        high_bit: bs - 1,
        pixel_representation: u16::from(signed),
        photometric_interpretation: pi.into(),
        ..Default::default()
    }
}

/// Deterministic test image bytes: smooth ramps plus noise, within Bits
/// Stored (sign-extended for signed data).
fn image(d: &PixelDescription, seed: u32) -> Vec<u8> {
    let n = (d.rows * d.columns) as usize * d.samples_per_pixel as usize;
    let bs = u32::from(d.bits_stored);
    let mut x = seed.wrapping_mul(2654435761).wrapping_add(1);
    let mut out = Vec::with_capacity(n * 2);
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let ramp = ((i as u32 * 7) % (1 << bs.min(12))) << bs.saturating_sub(12);
        let raw = (ramp + (x & 15)) & ((1u32 << bs) - 1);
        let v = if d.pixel_representation == 1 {
            ((raw << (32 - bs)) as i32 >> (32 - bs)) as u32
        } else {
            raw
        };
        if d.bits_allocated == 8 {
            out.push(v as u8);
        } else if d.bits_allocated == 32 {
            out.extend_from_slice(&v.to_le_bytes());
        } else {
            out.extend_from_slice(&(v as u16).to_le_bytes());
        }
    }
    out
}

fn round_trip(d: &PixelDescription, params: &J2kParams) -> J2kInfo {
    let src = image(d, d.rows * 31 + d.columns);
    let stream = encode_frame(&src, d, params).unwrap_or_else(|e| panic!("{d:?}: {e}"));
    let mut dst = vec![0xA5u8; src.len()];
    let report = decode_frame(&stream, d, &mut dst).unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(dst == src, "{d:?} not bit-exact");
    info(&stream).unwrap()
}

#[test]
fn lossless_round_trips_over_depths_signedness_and_colour() {
    for (ba, bs) in [
        (8, 8),
        (8, 6),
        (16, 10),
        (16, 12),
        (16, 15),
        (16, 16),
        (32, 20),
        (32, 24),
    ] {
        for signed in [false, true] {
            for (spp, pi) in [(1, "MONOCHROME2"), (3, "RGB"), (3, "YBR_RCT")] {
                let d = desc(67, 45, spp, ba, bs, signed && spp == 1, pi);
                let i = round_trip(&d, &J2kParams::default());
                assert_eq!(i.precision as u16, bs);
                assert_eq!(i.signed, signed && spp == 1);
                assert_eq!(i.components.len(), spp as usize);
                assert!(i.reversible && !i.ht && !i.jp2);
                assert_eq!(i.mct, pi == "YBR_RCT", "{pi}");
                assert_eq!(i.levels, 5);
                assert_eq!(i.layers, 1);
                assert_eq!(i.tiles, 1);
            }
        }
    }
}

#[test]
fn small_images_get_fewer_levels_and_parameters_apply() {
    for (w, h, levels) in [(1, 1, 0), (7, 5, 2), (31, 300, 4), (32, 32, 5)] {
        let d = desc(w, h, 1, 16, 12, false, "MONOCHROME2");
        assert_eq!(round_trip(&d, &J2kParams::default()).levels, levels);
    }
    let d = desc(40, 33, 1, 16, 16, false, "MONOCHROME1");
    for l in [0, 1, 3, 5] {
        let p = J2kParams {
            levels: Some(l),
            code_block: Some((32, 16)),
        };
        assert_eq!(round_trip(&d, &p).levels, l);
    }
    let e = encode_frame(
        &image(&d, 1),
        &d,
        &J2kParams {
            levels: Some(6),
            code_block: None,
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
    assert!(e.to_string().contains("at most 5"), "{e}");
}

#[test]
fn the_registry_encodes_90_with_parameters() {
    let d = desc(20, 10, 1, 8, 8, false, "MONOCHROME2");
    let src = image(&d, 3);
    let ctx = EncodeContext::with_params(EncodeParams::J2k(J2kParams {
        levels: Some(1),
        code_block: None,
    }));
    let s = crate::codecs::encode_frame(crate::uid::JPEG_2000_LOSSLESS, &src, &d, &ctx).unwrap();
    assert_eq!(info(&s).unwrap().levels, 1);
    let e = J2kCodec
        .encode(
            &src,
            &d,
            &EncodeContext::with_params(EncodeParams::Deflate(Default::default())),
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("given to the JPEG 2000 encoder"),
        "{e}"
    );
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let p = J2kParams::default();
    let d = desc(4, 4, 1, 16, 12, false, "MONOCHROME2");
    let mut src = image(&d, 5);
    src[6] = 0xFF;
    src[7] = 0x1F; // 8191 > 4095
    let e = encode_frame(&src, &d, &p).unwrap_err();
    assert!(e.to_string().contains("outside 0..=4095"), "{e}");
    let d = desc(4, 4, 1, 16, 12, true, "MONOCHROME2");
    let mut src = image(&d, 5);
    src[0] = 0x00;
    src[1] = 0xF0; // -4096 < -2048
    let e = encode_frame(&src, &d, &p).unwrap_err();
    assert!(e.to_string().contains("outside -2048..=2047"), "{e}");
    let d = desc(4, 4, 3, 8, 8, false, "YBR_ICT");
    let e = encode_frame(&image(&d, 1), &d, &p).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
    let d = desc(4, 4, 2, 8, 8, false, "");
    assert!(matches!(
        encode_frame(&image(&d, 1), &d, &p).unwrap_err(),
        Error::Unsupported(_)
    ));
    let d = desc(4, 4, 1, 8, 8, false, "MONOCHROME2");
    let e = encode_frame(&[0u8; 15], &d, &p).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
    let bad_cb = J2kParams {
        levels: None,
        code_block: Some((8, 1024)),
    };
    let e = encode_frame(&[0u8; 16], &d, &bad_cb).unwrap_err();
    assert!(e.to_string().contains("code-block 8 x 1024"), "{e}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Random sizes, depths, colour models and parameters: an `Ok` stream
    /// decodes to the input exactly, anything else is an `Error`, never a
    /// panic.
    #[test]
    fn random_images_and_parameters_never_panic(
        w in 1u32..40, h in 1u32..40, spp in proptest::sample::select(vec![1u16, 2, 3, 4]),
        ba in proptest::sample::select(vec![8u16, 16, 32]), bs_off in 0u16..8,
        signed: bool, levels in proptest::option::of(0u8..8),
        cb in proptest::option::of((2u32..11, 2u32..11)), seed: u32,
        pi in proptest::sample::select(vec!["MONOCHROME2", "RGB", "YBR_RCT", "YBR_ICT", ""]),
    ) {
        let bs = ba.min(24).saturating_sub(bs_off).max(1);
        let d = desc(w, h, spp, ba, bs, signed, pi);
        let params = J2kParams { levels, code_block: cb.map(|(a, b)| (1 << a, 1 << b)) };
        let src = image(&d, seed);
        if let Ok(stream) = encode_frame(&src, &d, &params) {
            let mut dst = vec![0u8; src.len()];
            decode_frame(&stream, &d, &mut dst).unwrap();
            proptest::prop_assert!(dst == src);
        }
    }
}
