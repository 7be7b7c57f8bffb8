//! The `unsafe` of the JPEG codec outside the row kernels (those are in
//! `lossless/arch.rs`): the unaligned 8-byte load of the bit reader's fast
//! refill, and viewing a byte buffer as `u16` samples. Each block has its
//! SAFETY comment; the decoder tests run both the fast and the slow refill
//! (streams with and without 0xFF bytes near the end) and both the aligned
//! and the misaligned output (`dicom_frames_follow_pydicom_conventions`).

#![allow(unsafe_code)]

use super::bitreader::{refill_slow, Bits, Cold};

impl<'a> Bits<'a> {
    /// Tops the buffer up to at least 56 bits.
    #[inline(always)]
    pub fn refill(&mut self, c: &mut Cold) {
        // (63 - nbits) / 8 whole bytes fit below the valid bits.
        let k = (7 - (self.nbits >> 3)) as usize;
        // Fast when those bytes come before the next 0xFF (bytes after it
        // only fill look-ahead bits, which the slow path clears).
        if self.pos + k <= self.fast_lim {
            // SAFETY: `pos <= fast_lim <= len - 8`, so `pos + 8 <= len`: the 8
            // bytes read are inside `data` (read_unaligned has no alignment
            // requirement). Covered by the bitreader and decoder tests.
            let w = u64::from_be(unsafe {
                std::ptr::read_unaligned(self.data.as_ptr().add(self.pos) as *const u64)
            });
            self.buf |= w >> self.nbits;
            self.pos += k;
            self.nbits |= 56;
            return;
        }
        *self = refill_slow(*self, c);
    }
}

/// Views `dst` as `u16` samples when it is suitably aligned.
pub(super) fn as_u16(dst: &mut [u8]) -> Option<&mut [u16]> {
    // SAFETY: every bit pattern is a valid u16; align_to_mut only returns a
    // middle part that is aligned and inside `dst`, and we use it only when
    // it covers all of `dst`.
    let (pre, mid, post) = unsafe { dst.align_to_mut::<u16>() };
    if pre.is_empty() && post.is_empty() {
        Some(mid)
    } else {
        None
    }
}
