//! The file reader and the whole decode path on a file's bytes
//! (`dicodec.read_pixels(bytes)`): parse, layout, every frame.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    common::init();
    if let Ok(file) = dicodec_core::parser::file::ParsedFile::parse(data) {
        let _ = dicodec_core::decode::decode_all(&file, Some(1));
    }
});
