//! The JPEG decoder (Lossless, processes 14/SV1 and friends) on an arbitrary
//! stream, standalone and as a DICOM frame.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    common::init();
    let _ = dicodec_core::codecs::jpeg::decode(data);
    if let Some((desc, stream)) = common::desc(data) {
        if let Ok(len) = desc.frame_output_len() {
            let mut dst = vec![0u8; len as usize];
            let _ = dicodec_core::codecs::jpeg::decode_frame(stream, &desc, &mut dst);
        }
    }
});
