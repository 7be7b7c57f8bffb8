//! The DCT JPEG decoder (baseline, extended, progressive) on an arbitrary
//! stream: standalone with and without the RGB conversion, and as a DICOM
//! frame for a pixel description from the first 4 bytes.
#![no_main]
use dicodec_core::codecs::jpeg::dct;
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    common::init();
    let _ = dct::info(data);
    let rgb = data.first().is_some_and(|b| b & 1 == 1);
    let opts = dct::Options {
        colour: if rgb {
            dct::Colour::Rgb
        } else {
            dct::Colour::Keep
        },
        portable: data.first().is_some_and(|b| b & 2 == 2),
        parallel: data.first().is_some_and(|b| b & 4 == 4),
    };
    let _ = dct::decode(data, &opts);
    if let Some((desc, stream)) = common::desc(data) {
        if let Ok(len) = desc.frame_output_len() {
            let mut dst = vec![0u8; len as usize];
            let _ = dct::decode_frame(stream, &desc, &mut dst);
        }
    }
});
