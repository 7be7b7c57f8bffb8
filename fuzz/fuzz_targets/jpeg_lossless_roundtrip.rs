//! JPEG Lossless encode (any predictor 1-7, restart intervals, fixed or
//! optimised tables, Bits Stored 2-16, signed or not, 1 or 3 samples), then
//! decode: the decoded frame equals the input pixels.
#![no_main]
use dicodec_core::codecs::jpeg;
use dicodec_core::codecs::jpeg::encode::EncodeOptions;
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
    let restart_lines = (opt >> 3) & 3;
    let opts = EncodeOptions {
        predictor: 1 + opt % 7,
        precision: 16,
        restart_interval: (restart_lines as u32 * desc.columns) as u16,
        optimise: opt & 0x80 != 0,
    };
    let enc = jpeg::encode::encode_frame(&src, &desc, &opts)
        .expect("encoding a valid frame must succeed");
    let mut dst = vec![0u8; src.len()];
    jpeg::decode_frame(&enc, &desc, &mut dst).expect("the encoder's output must decode");
    assert!(
        dst == src,
        "JPEG Lossless round trip changed the pixels ({opts:?})"
    );
});
