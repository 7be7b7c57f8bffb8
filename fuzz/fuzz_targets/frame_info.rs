//! `dicodec.frame_info` on a file's bytes: parse, pixel element, layout and
//! frame byte ranges (no decoding).
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    common::init();
    if let Ok(file) = dicodec_core::parser::file::ParsedFile::parse(data) {
        let _ = file.pixel_element();
        if let Ok(layout) = file.layout() {
            let _ = file.frame_ranges(&layout);
            let _ = dicodec_core::decode::check_supported(&file, &layout);
        }
    }
});
