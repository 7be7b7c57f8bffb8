//! JPEG XL (jxl-oxide) on an arbitrary codestream or container: header,
//! standalone decoding and a DICOM frame for a pixel description from the
//! first 4 bytes.
#![no_main]
use dicodec_core::codecs::jxl;
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    common::init();
    let _ = jxl::info(data);
    let _ = jxl::decode(data, &jxl::DecodeOptions::default());
    if let Some((desc, stream)) = common::desc(data) {
        if let Ok(len) = desc.frame_output_len() {
            let mut dst = vec![0u8; len as usize];
            let _ = jxl::decode_frame(stream, &desc, &mut dst);
        }
    }
});
