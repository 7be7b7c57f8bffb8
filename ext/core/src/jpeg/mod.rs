//! JPEG Lossless (ITU T.81 process 14, SOF3). OWNER: JPEG helper.

use crate::error::{Error, Result};
use crate::pixels::{FrameReport, PixelDescription};

/// Decodes one JPEG Lossless frame into `dst` (contract in [`crate::pixels`]).
pub fn decode_frame(src: &[u8], desc: &PixelDescription, dst: &mut [u8]) -> Result<FrameReport> {
    let _ = (src, desc, dst);
    Err(Error::unsupported("JPEG Lossless decoding not built yet"))
}
