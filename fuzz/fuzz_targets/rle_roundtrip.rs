//! RLE encode, then decode: the decoded frame equals the input pixels
//! (the encoder's output always decodes, bit for bit).
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    common::init();
    let Some((desc, rest)) = common::desc(data) else {
        return;
    };
    let Ok(len) = desc.frame_output_len() else {
        return;
    };
    let len = len as usize;
    if rest.is_empty() {
        return;
    }
    // The frame: the input bytes repeated to its length.
    let src: Vec<u8> = rest.iter().copied().cycle().take(len).collect();
    let encoded = dicodec_core::codecs::rle::encode_frame(&src, &desc)
        .expect("encoding a valid frame must succeed");
    let mut dst = vec![0u8; len];
    dicodec_core::codecs::rle::decode_frame(&encoded, &desc, &mut dst)
        .expect("the encoder's output must decode");
    assert!(dst == src, "RLE round trip changed the pixels");
});
