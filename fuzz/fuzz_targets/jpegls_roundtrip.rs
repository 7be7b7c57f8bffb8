//! JPEG-LS encode (lossless or near-lossless, interleave none / line /
//! sample, restart intervals, Bits Stored 2-16, signed or not), then decode:
//! lossless gives the input back, near-lossless each sample within NEAR.
#![no_main]
use dicodec_core::codecs::jpegls::{self, EncodeOptions};
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    common::init();
    let Some((opt, data)) = data.split_first() else {
        return;
    };
    let Some((desc, rest)) = common::desc_bits(data, 32) else {
        return;
    };
    let Some(src) = common::valid_frame(&desc, rest) else {
        return;
    };
    // NEAR up to 3, and at most MAXVAL / 2 (T.87 C.2.4.1.1; the encoder
    // refuses more, as it should).
    let maxval = (1u32 << desc.bits_stored) - 1;
    let near = if opt & 0x40 != 0 {
        (((opt >> 2) & 3) as u32).min(maxval / 2) as u8
    } else {
        0
    };
    let opts = EncodeOptions {
        near,
        interleave: opt % 3,
        restart_interval: ((opt >> 4) & 3) as u16,
        preset: None,
    };
    let enc =
        jpegls::encode_frame(&src, &desc, &opts).expect("encoding a valid frame must succeed");
    let mut dst = vec![0u8; src.len()];
    jpegls::decode_frame(&enc, &desc, &mut dst).expect("the encoder's output must decode");
    if near == 0 {
        assert!(
            dst == src,
            "JPEG-LS round trip changed the pixels ({opts:?})"
        );
        return;
    }
    let bs = desc.bits_stored;
    let val = |c: &[u8], i: usize| -> i64 {
        let u = if desc.bits_allocated == 8 {
            c[i] as u64
        } else {
            u16::from_le_bytes([c[2 * i], c[2 * i + 1]]) as u64
        };
        // NEAR bounds the error of the stored (unsigned, Bits Stored) code.
        (u & ((1u64 << bs) - 1)) as i64
    };
    let n = src.len() / (desc.bits_allocated as usize / 8);
    for i in 0..n {
        let (a, b) = (val(&src, i), val(&dst, i));
        assert!(
            (a - b).abs() <= near as i64,
            "sample {i}: {a} -> {b} beyond NEAR {near} ({opts:?})"
        );
    }
});
