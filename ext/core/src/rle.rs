//! RLE Lossless (PS3.5 Annex G). OWNER: RLE helper.

use crate::error::{Error, Result};
use crate::pixels::{FrameReport, PixelDescription};

/// Decodes one RLE frame into `dst` (contract in [`crate::pixels`]).
pub fn decode_frame(src: &[u8], desc: &PixelDescription, dst: &mut [u8]) -> Result<FrameReport> {
    let _ = (src, desc, dst);
    Err(Error::unsupported("RLE Lossless decoding not built yet"))
}
