//! The RLE Lossless frame decoder on arbitrary segments, for a pixel
//! description taken from the first 4 bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    common::init();
    let Some((desc, stream)) = common::desc(data) else {
        return;
    };
    let Ok(len) = desc.frame_output_len() else {
        return;
    };
    let mut dst = vec![0u8; len as usize];
    let _ = dicodec_core::codecs::rle::decode_frame(stream, &desc, &mut dst);
});
