//! Output samples of the JPEG-LS decoder: the sample type and the inverse
//! HP colour transforms applied to decoded pixels.

/// An output sample type (`u8` or `u16`).
pub trait Out: Copy + Default + Send + Sync {
    /// Bits of the type (8 or 16).
    const BITS: u32;
    /// `v` modulo 2^BITS.
    fn from_i32(v: i32) -> Self;
    fn to_i32(self) -> i32;
}
impl Out for u8 {
    const BITS: u32 = 8;
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self as i32
    }
    #[inline(always)]
    fn from_i32(v: i32) -> Self {
        v as u8
    }
}
impl Out for u16 {
    const BITS: u32 = 16;
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self as i32
    }
    #[inline(always)]
    fn from_i32(v: i32) -> Self {
        v as u16
    }
}

/// Inverse HP colour transform `t` (1-3, APP8 "mrfx") of 3-component
/// samples, modulo 2^BITS (as CharLS, which defines them for 8 and 16 bits).
pub fn inverse_colour_transform<T: Out>(out: &mut [T], t: u8) {
    let range = 1i32 << T::BITS;
    let bias = range / 2;
    for px in out.chunks_exact_mut(3) {
        let (v1, v2, v3) = (px[0].to_i32(), px[1].to_i32(), px[2].to_i32());
        let (r, g, b) = match t {
            1 => (v1 + v2 - bias, v2, v3 + v2 - bias),
            2 => {
                let r = T::from_i32(v1 + v2 - bias).to_i32();
                (r, v2, v3 + ((r + v2) >> 1) - bias)
            }
            _ => {
                let g = v1 - ((v3 + v2) >> 2) + range / 4;
                (v3 + g - bias, g, v2 + g - bias)
            }
        };
        px[0] = T::from_i32(r);
        px[1] = T::from_i32(g);
        px[2] = T::from_i32(b);
    }
}
