//! What a decoder needs to know about the pixels (the Image Pixel module), and
//! what it produces.
//!
//! Contract shared by every codec: a decoder writes one frame into a
//! caller-provided `dst` of exactly [`PixelDescription::frame_output_len`]
//! bytes, **little-endian**, **colour-by-pixel** (planar configuration 0), one
//! [`SampleType`] element per sample, as pydicom 3 returns it with `raw=True`.

use crate::error::{Error, Feature, Result};
use crate::limits;

/// NumPy-compatible element type of a decoded array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleType {
    /// `u8`.
    U8,
    /// `i8`.
    I8,
    /// `u16`.
    U16,
    /// `i16`.
    I16,
    /// `u32`.
    U32,
    /// `i32`.
    I32,
    /// `u64`.
    U64,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

impl SampleType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            SampleType::U8 | SampleType::I8 => 1,
            SampleType::U16 | SampleType::I16 => 2,
            SampleType::U32 | SampleType::I32 | SampleType::F32 => 4,
            SampleType::U64 | SampleType::I64 | SampleType::F64 => 8,
        }
    }

    /// NumPy dtype string, little-endian (`"<u2"`, `"|u1"`, …).
    pub fn numpy_str(self) -> &'static str {
        match self {
            SampleType::U8 => "|u1",
            SampleType::I8 => "|i1",
            SampleType::U16 => "<u2",
            SampleType::I16 => "<i2",
            SampleType::U32 => "<u4",
            SampleType::I32 => "<i4",
            SampleType::U64 => "<u8",
            SampleType::I64 => "<i8",
            SampleType::F32 => "<f4",
            SampleType::F64 => "<f8",
        }
    }

    /// Integer type for `bits_allocated` (1 unpacks to 8) and signedness.
    pub fn for_integer(bits_allocated: u16, signed: bool) -> Result<SampleType> {
        Ok(match (bits_allocated, signed) {
            (1, _) => SampleType::U8,
            (8, false) => SampleType::U8,
            (8, true) => SampleType::I8,
            (16, false) => SampleType::U16,
            (16, true) => SampleType::I16,
            (32, false) => SampleType::U32,
            (32, true) => SampleType::I32,
            (64, false) => SampleType::U64,
            (64, true) => SampleType::I64,
            (b, _) => {
                return Err(Error::unsupported_feature(
                    Feature::BitsAllocated(b),
                    format!("Bits Allocated {b}"),
                ))
            }
        })
    }
}

/// Which pixel element the data came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PixelElement {
    /// (7FE0,0010) Pixel Data.
    #[default]
    PixelData,
    /// (7FE0,0008) Float Pixel Data (float32).
    FloatPixelData,
    /// (7FE0,0009) Double Float Pixel Data (float64).
    DoubleFloatPixelData,
}

/// Image Pixel module attributes relevant to decoding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PixelDescription {
    /// (0028,0010) Rows.
    pub rows: u32,
    /// (0028,0011) Columns.
    pub columns: u32,
    /// Number of Frames (1 when absent).
    pub number_of_frames: u32,
    /// (0028,0002) Samples per Pixel.
    pub samples_per_pixel: u16,
    /// (0028,0100) Bits Allocated.
    pub bits_allocated: u16,
    /// (0028,0101) Bits Stored.
    pub bits_stored: u16,
    /// (0028,0102) High Bit.
    pub high_bit: u16,
    /// 0 unsigned, 1 two's complement.
    pub pixel_representation: u16,
    /// 0 colour-by-pixel, 1 colour-by-plane (as stored; output is always 0).
    pub planar_configuration: u16,
    /// e.g. "MONOCHROME2", "RGB", "YBR_FULL_422".
    pub photometric_interpretation: String,
    /// Which pixel element.
    pub element: PixelElement,
}

impl PixelDescription {
    /// One frame of Pixel Data: `rows` × `columns` × `samples_per_pixel`
    /// samples in `bits_allocated`-bit containers, High Bit = Bits Stored − 1,
    /// colour-by-pixel, no Photometric Interpretation (the raw-stream and
    /// frame-level entry points take the geometry as arguments).
    pub fn single_frame(
        rows: u32,
        columns: u32,
        samples_per_pixel: u16,
        bits_allocated: u16,
        bits_stored: u16,
        pixel_representation: u16,
    ) -> Self {
        PixelDescription {
            rows,
            columns,
            number_of_frames: 1,
            samples_per_pixel,
            bits_allocated,
            bits_stored,
            high_bit: bits_stored.saturating_sub(1),
            pixel_representation,
            ..Default::default()
        }
    }

    /// Element type of the decoded array.
    pub fn sample_type(&self) -> Result<SampleType> {
        match self.element {
            PixelElement::FloatPixelData => Ok(SampleType::F32),
            PixelElement::DoubleFloatPixelData => Ok(SampleType::F64),
            PixelElement::PixelData => {
                SampleType::for_integer(self.bits_allocated, self.pixel_representation == 1)
            }
        }
    }

    /// Samples in one decoded frame (rows × columns × samples per pixel).
    pub fn frame_samples(&self) -> Result<u64> {
        limits::checked_size(
            "frame",
            &[
                self.rows as u64,
                self.columns as u64,
                self.samples_per_pixel.max(1) as u64,
            ],
        )
    }

    /// Bytes of one decoded frame in the output array.
    pub fn frame_output_len(&self) -> Result<u64> {
        let s = self.frame_samples()?;
        limits::checked_size("frame", &[s, self.sample_type()?.size() as u64])
    }

    /// Checks the attributes are consistent enough to decode at all.
    pub fn validate(&self) -> Result<()> {
        if self.rows == 0 || self.columns == 0 {
            return Err(Error::malformed(
                0,
                "Image Pixel module",
                format!("Rows {} × Columns {} is empty", self.rows, self.columns),
            ));
        }
        if !matches!(self.samples_per_pixel, 1 | 3 | 4) {
            return Err(Error::unsupported_feature(
                Feature::SamplesPerPixel(self.samples_per_pixel),
                format!("Samples per Pixel {}", self.samples_per_pixel),
            ));
        }
        if self.element == PixelElement::PixelData {
            if !matches!(self.bits_allocated, 1 | 8 | 16 | 32 | 64) {
                return Err(Error::unsupported_feature(
                    Feature::BitsAllocated(self.bits_allocated),
                    format!("Bits Allocated {}", self.bits_allocated),
                ));
            }
            if self.bits_stored == 0 || self.bits_stored > self.bits_allocated {
                return Err(Error::malformed(
                    0,
                    "Image Pixel module",
                    format!(
                        "Bits Stored {} with Bits Allocated {}",
                        self.bits_stored, self.bits_allocated
                    ),
                ));
            }
        }
        self.frame_output_len()?;
        Ok(())
    }
}

/// What a frame decoder noticed but tolerated (documented tolerance
/// policies: padded segments, missing EOI…). Empty when the frame was clean.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FrameReport {
    /// Tolerated oddities.
    pub warnings: Vec<String>,
}

impl FrameReport {
    /// Notes a tolerated oddity.
    pub fn warn(&mut self, msg: impl Into<String>) {
        self.warnings.push(msg.into());
    }
    /// Nothing was tolerated.
    pub fn is_clean(&self) -> bool {
        self.warnings.is_empty()
    }
}

/// Decoded samples of a raw stream (no DICOM container): `u8` for a
/// precision of 8 bits or less, else `u16`. Shared by the JPEG codecs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Samples {
    /// Precision 8 or less.
    U8(Vec<u8>),
    /// Precision 9-16.
    U16(Vec<u16>),
}

/// pydicom's rule (`raw=True`) for decoded samples in a container wider than
/// Bits Stored: the unused high bits are cleared (unsigned) or filled with
/// the sign bit (signed). Nothing to do when `bits_stored` fills the byte.
pub fn fit_bits_stored_u8(v: &mut [u8], bits_stored: u32, signed: bool) {
    if bits_stored >= 8 {
        return;
    }
    let sh = 8 - bits_stored;
    for s in v.iter_mut() {
        *s = if signed {
            (((*s << sh) as i8) >> sh) as u8
        } else {
            (*s << sh) >> sh
        };
    }
}

/// [`fit_bits_stored_u8`] for 16-bit containers.
pub fn fit_bits_stored_u16(v: &mut [u16], bits_stored: u32, signed: bool) {
    if bits_stored >= 16 {
        return;
    }
    let sh = 16 - bits_stored;
    for s in v.iter_mut() {
        *s = if signed {
            (((*s << sh) as i16) >> sh) as u16
        } else {
            (*s << sh) >> sh
        };
    }
}

#[cfg(test)]
mod fit_tests {
    use super::*;

    #[test]
    fn unused_high_bits_are_cleared_or_sign_filled() {
        let mut u = [0xFFu8, 0x0F, 0x10];
        fit_bits_stored_u8(&mut u, 5, false);
        assert_eq!(u, [0x1F, 0x0F, 0x10]);
        let mut s = [0x10u8, 0x0F];
        fit_bits_stored_u8(&mut s, 5, true);
        assert_eq!(s, [0xF0, 0x0F]);
        let mut w = [0xF800u16, 0x0800, 0x07FF];
        fit_bits_stored_u16(&mut w, 12, true);
        assert_eq!(w, [0xF800, 0xF800, 0x07FF]);
        let mut w = [0xF800u16, 0x0800];
        fit_bits_stored_u16(&mut w, 12, false);
        assert_eq!(w, [0x0800, 0x0800]);
        let mut full = [0xABCDu16];
        fit_bits_stored_u16(&mut full, 16, true);
        assert_eq!(full, [0xABCD]);
    }
}
