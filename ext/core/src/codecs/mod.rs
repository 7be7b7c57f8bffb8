//! Pixel codecs, one folder each. Every codec is reached through the codec
//! registry; nothing outside `codecs` calls a codec's internals.

pub mod jpeg;
pub mod jpegls;
pub mod native;
pub mod rle;
