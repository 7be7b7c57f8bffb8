//! JPEG 2000 / HTJ2K through OpenJPEG on an arbitrary codestream or JP2
//! file: the header reader, standalone decoding and a DICOM frame for a
//! pixel description from the first 4 bytes. Run the fuzz build with
//! CFLAGS=-fsanitize=address (fuzz/run_all.sh does) so that the C code is
//! checked by ASan too.
#![no_main]
use dicodec_core::codecs::j2k;
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    common::init();
    let _ = j2k::info(data);
    let _ = j2k::decode(data, &j2k::DecodeOptions::default());
    if let Some((desc, stream)) = common::desc(data) {
        if let Ok(len) = desc.frame_output_len() {
            let mut dst = vec![0u8; len as usize];
            let _ = j2k::decode_frame(stream, &desc, &mut dst);
        }
    }
});
