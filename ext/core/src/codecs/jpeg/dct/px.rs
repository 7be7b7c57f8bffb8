//! The decoder's plane sample types.

/// A sample type of the decoder's planes (u8 at 8 bits, u16 at 12).
pub trait Px: Copy + Default + Send + Sync + 'static {
    /// The sample of a value already range-limited to the precision.
    fn from_i32(v: i32) -> Self;
    /// The sample as an `i32`.
    fn to_i32(self) -> i32;
    /// `bytes` as samples when a sample is one byte.
    fn from_bytes_mut(bytes: &mut [u8]) -> Option<&mut [Self]>;
    /// `s` as samples when a sample is two bytes.
    fn from_u16_mut(s: &mut [u16]) -> Option<&mut [Self]>;
    /// The samples as bytes when a sample is one byte.
    fn as_u8(s: &[Self]) -> Option<&[u8]>;
    /// The samples as bytes when a sample is one byte.
    fn as_u8_mut(s: &mut [Self]) -> Option<&mut [u8]>;
}
impl Px for u8 {
    #[inline(always)]
    fn from_i32(v: i32) -> u8 {
        v as u8
    }
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self as i32
    }
    fn from_bytes_mut(bytes: &mut [u8]) -> Option<&mut [u8]> {
        Some(bytes)
    }
    fn from_u16_mut(_: &mut [u16]) -> Option<&mut [u8]> {
        None
    }
    fn as_u8(s: &[u8]) -> Option<&[u8]> {
        Some(s)
    }
    fn as_u8_mut(s: &mut [u8]) -> Option<&mut [u8]> {
        Some(s)
    }
}
impl Px for u16 {
    #[inline(always)]
    fn from_i32(v: i32) -> u16 {
        v as u16
    }
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self as i32
    }
    fn from_bytes_mut(_: &mut [u8]) -> Option<&mut [u16]> {
        None
    }
    fn from_u16_mut(s: &mut [u16]) -> Option<&mut [u16]> {
        Some(s)
    }
    fn as_u8(_: &[u16]) -> Option<&[u8]> {
        None
    }
    fn as_u8_mut(_: &mut [u16]) -> Option<&mut [u8]> {
        None
    }
}
