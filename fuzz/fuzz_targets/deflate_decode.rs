//! Deflated Image Frame Compression: a frame for a pixel description from
//! the first 4 bytes (including Bits Allocated 1 and Bits Stored below Bits
//! Allocated through the native unpacker), and standalone inflating with a
//! small output bound (decompression bombs stop at it).
#![no_main]
use dicodec_core::codecs::deflate_frames;
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    common::init();
    let _ = deflate_frames::decode(data, 1 << 16);
    if let Some((mut desc, stream)) = common::desc(data) {
        // head[3] picks odd layouts: 1-bit, Bits Stored 12 in 16, planar.
        match data[3] % 4 {
            1 => {
                desc.bits_allocated = 1;
                desc.bits_stored = 1;
                desc.high_bit = 0;
                desc.samples_per_pixel = 1;
                desc.photometric_interpretation = "MONOCHROME2".to_owned();
            }
            2 if desc.bits_allocated == 16 => {
                desc.bits_stored = 12;
                desc.high_bit = 11;
            }
            _ => {}
        }
        if let Ok(len) = desc.frame_output_len() {
            let mut dst = vec![0u8; len as usize];
            let _ = deflate_frames::decode_frame(stream, &desc, &mut dst);
        }
    }
});
