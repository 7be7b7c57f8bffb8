//! Deflated frames: encode a frame (valid samples for Bits Stored 2-16, any level 0-12), decode it
//! with the frame decoder: the pixels come back unchanged.
#![no_main]
use dicodec_core::codecs::deflate_frames;
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    common::init();
    let Some((desc, rest)) = common::desc_bits(data, 64) else {
        return;
    };
    let Some(src) = common::valid_frame(&desc, rest) else {
        return;
    };
    // Bits Stored < Bits Allocated goes through the native unpacker: the
    // frame's unused bits already hold what the unpacker writes.
    let level = (data[3] % 13) as i32;
    let enc = deflate_frames::encode_frame(&src, level).expect("encoding must succeed");
    assert!(enc.len() % 2 == 0, "a fragment has an even length");
    let mut dst = vec![0u8; src.len()];
    deflate_frames::decode_frame(&enc, &desc, &mut dst).expect("the encoder's output must decode");
    assert!(dst == src, "deflate round trip changed the pixels");
});
