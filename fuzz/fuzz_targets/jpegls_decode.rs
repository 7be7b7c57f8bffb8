//! The JPEG-LS decoder on an arbitrary stream, standalone (`decode`, `info`)
//! and as a DICOM frame for a pixel description from the first 4 bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    common::init();
    let _ = dicodec_core::codecs::jpegls::info(data);
    let _ = dicodec_core::codecs::jpegls::decode(data);
    if let Some((desc, stream)) = common::desc(data) {
        if let Ok(len) = desc.frame_output_len() {
            let mut dst = vec![0u8; len as usize];
            let _ = dicodec_core::codecs::jpegls::decode_frame(stream, &desc, &mut dst);
        }
    }
});
