//! Unpacking of native (uncompressed) pixel data. OWNER: native helper.
//!
//! Contract: [`unpack_frame`] writes frame `frame` of `src` (the whole value
//! of the pixel data element, as stored) into `dst` following the contract in
//! [`crate::pixels`].

use crate::error::{Error, Result};
use crate::pixels::PixelDescription;

/// Bits one frame occupies in the stored value (1-bit frames need not be
/// byte-aligned; YBR_FULL_422 stores 2 samples per pixel).
pub fn stored_frame_bits(desc: &PixelDescription) -> Result<u64> {
    let _ = desc;
    Err(Error::unsupported("native unpacking not built yet"))
}

/// Unpacks frame `frame` of the stored value `src` into `dst`.
pub fn unpack_frame(
    src: &[u8],
    frame: usize,
    desc: &PixelDescription,
    big_endian: bool,
    dst: &mut [u8],
) -> Result<()> {
    let _ = (src, frame, desc, big_endian, dst);
    Err(Error::unsupported("native unpacking not built yet"))
}
