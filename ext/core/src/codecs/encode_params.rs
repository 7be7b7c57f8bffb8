//! Typed per-codec encoder parameters, carried by
//! [`EncodeContext::params`](super::EncodeContext::params).
//!
//! One enum, [`EncodeParams`], with a variant per encoder family; the
//! default variant ([`EncodeParams::Default`]) lets every encoder use its own
//! defaults. An encoder reads its variant with the matching accessor
//! (e.g. [`EncodeParams::jpeg_ls`]), which answers
//! [`Error::InvalidArgument`] when the parameters are for another codec or
//! out of range, so a caller's mistake is never silently ignored.
//! [`EncodeParams::is_lossy`] says whether the parameters lose information;
//! [`super::registry::encode_frame`] refuses lossy parameters for a lossless
//! transfer syntax.

use crate::error::{Error, Result};

/// Parameters of one encoder family (the same for every frame of a call).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EncodeParams {
    /// Every encoder's defaults.
    #[default]
    Default,
    /// JPEG Lossless (process 14).
    JpegLossless(JpegLosslessParams),
    /// JPEG-LS (lossless and near-lossless).
    JpegLs(JpegLsParams),
    /// JPEG 2000 (reversible, through OpenJPEG).
    J2k(J2kParams),
    /// Deflated Image Frame Compression.
    Deflate(DeflateParams),
}

/// JPEG Lossless encoder parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegLosslessParams {
    /// Selection value 1-7 (T.81 Table H.1; 1 is DICOM's "SV1").
    pub predictor: u8,
    /// Restart interval in MCUs (one MCU = one pixel): 0 for none, else a
    /// multiple of the image width.
    pub restart_interval: u16,
    /// Huffman tables optimised per frame (two passes) instead of fixed ones.
    pub optimise: bool,
}

impl Default for JpegLosslessParams {
    fn default() -> Self {
        JpegLosslessParams {
            predictor: 1,
            restart_interval: 0,
            optimise: true,
        }
    }
}

/// JPEG-LS encoder parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JpegLsParams {
    /// Maximum error per sample, 0 (lossless) to 255 (and below half the
    /// sample range); anything above 0 is lossy (near-lossless).
    pub near: u8,
    /// Interleave mode for colour: 0 none, 1 line, 2 sample; `None`: sample
    /// interleaved (CharLS's and DICOM encoders' usual choice).
    pub interleave: Option<u8>,
    /// Lines per restart interval (0: none).
    pub restart_interval: u16,
}

/// JPEG 2000 encoder parameters (always reversible 5/3, one quality layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct J2kParams {
    /// Wavelet decomposition levels, 0-32 (number of resolutions - 1);
    /// `None`: 5 (OpenJPEG's default of 6 resolutions), fewer when the image
    /// is too small for them.
    pub levels: Option<u8>,
    /// Code-block width and height, powers of two from 4 to 1024 with an
    /// area of at most 4096; `None`: 64 × 64.
    pub code_block: Option<(u16, u16)>,
}

/// Deflated Image Frame Compression parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateParams {
    /// libdeflate level, 0 (stored) to 12.
    pub level: i32,
}

impl Default for DeflateParams {
    fn default() -> Self {
        DeflateParams { level: 6 }
    }
}

impl EncodeParams {
    /// The family's name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            EncodeParams::Default => "default",
            EncodeParams::JpegLossless(_) => "JPEG Lossless",
            EncodeParams::JpegLs(_) => "JPEG-LS",
            EncodeParams::J2k(_) => "JPEG 2000",
            EncodeParams::Deflate(_) => "deflate",
        }
    }

    /// True when the parameters lose information (JPEG-LS NEAR > 0).
    pub fn is_lossy(&self) -> bool {
        matches!(self, EncodeParams::JpegLs(p) if p.near > 0)
    }

    /// Checks every value's range ([`Error::InvalidArgument`] otherwise).
    pub fn validate(&self) -> Result<()> {
        match self {
            EncodeParams::Default => Ok(()),
            EncodeParams::JpegLossless(p) => {
                if !(1..=7).contains(&p.predictor) {
                    return Err(bad(format!(
                        "JPEG Lossless predictor {} (1 to 7)",
                        p.predictor
                    )));
                }
                Ok(())
            }
            EncodeParams::JpegLs(p) => match p.interleave {
                Some(i) if i > 2 => Err(bad(format!(
                    "JPEG-LS interleave mode {i} (0 none, 1 line, 2 sample)"
                ))),
                _ => Ok(()),
            },
            EncodeParams::J2k(p) => {
                if let Some(l) = p.levels {
                    if l > 32 {
                        return Err(bad(format!("JPEG 2000 levels {l} (0 to 32)")));
                    }
                }
                if let Some((w, h)) = p.code_block {
                    let ok = |v: u16| v.is_power_of_two() && (4..=1024).contains(&v);
                    if !ok(w) || !ok(h) || u32::from(w) * u32::from(h) > 4096 {
                        return Err(bad(format!(
                            "JPEG 2000 code-block {w} x {h} (powers of two from 4 to \
                             1024, at most 4096 samples)"
                        )));
                    }
                }
                Ok(())
            }
            EncodeParams::Deflate(p) => {
                if !(0..=12).contains(&p.level) {
                    return Err(bad(format!("deflate level {} (0 to 12)", p.level)));
                }
                Ok(())
            }
        }
    }

    /// The JPEG Lossless parameters (defaults for [`EncodeParams::Default`]).
    pub fn jpeg_lossless(&self) -> Result<JpegLosslessParams> {
        self.validate()?;
        match self {
            EncodeParams::Default => Ok(JpegLosslessParams::default()),
            EncodeParams::JpegLossless(p) => Ok(*p),
            other => Err(other.wrong("JPEG Lossless")),
        }
    }

    /// The JPEG-LS parameters (defaults for [`EncodeParams::Default`]).
    pub fn jpeg_ls(&self) -> Result<JpegLsParams> {
        self.validate()?;
        match self {
            EncodeParams::Default => Ok(JpegLsParams::default()),
            EncodeParams::JpegLs(p) => Ok(*p),
            other => Err(other.wrong("JPEG-LS")),
        }
    }

    /// The JPEG 2000 parameters (defaults for [`EncodeParams::Default`]).
    pub fn j2k(&self) -> Result<J2kParams> {
        self.validate()?;
        match self {
            EncodeParams::Default => Ok(J2kParams::default()),
            EncodeParams::J2k(p) => Ok(*p),
            other => Err(other.wrong("JPEG 2000")),
        }
    }

    /// The deflate parameters (defaults for [`EncodeParams::Default`]).
    pub fn deflate(&self) -> Result<DeflateParams> {
        self.validate()?;
        match self {
            EncodeParams::Default => Ok(DeflateParams::default()),
            EncodeParams::Deflate(p) => Ok(*p),
            other => Err(other.wrong("deflate")),
        }
    }

    /// For encoders without parameters (RLE): only the defaults.
    pub fn none(&self, encoder: &str) -> Result<()> {
        match self {
            EncodeParams::Default => Ok(()),
            other => Err(other.wrong(encoder)),
        }
    }

    fn wrong(&self, encoder: &str) -> Error {
        bad(format!(
            "{} parameters given to the {encoder} encoder",
            self.name()
        ))
    }
}

fn bad(message: String) -> Error {
    Error::invalid_argument(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(r: Result<impl std::fmt::Debug>, needle: &str) {
        let e = r.unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
        assert!(e.to_string().contains(needle), "{e}");
    }

    #[test]
    fn defaults_and_ranges() {
        let d = EncodeParams::Default;
        assert_eq!(d.jpeg_ls().unwrap(), JpegLsParams::default());
        assert_eq!(d.deflate().unwrap().level, 6);
        assert_eq!(d.jpeg_lossless().unwrap().predictor, 1);
        assert!(d.j2k().unwrap().levels.is_none());
        assert!(!d.is_lossy());
        let ls = |near, interleave| {
            EncodeParams::JpegLs(JpegLsParams {
                near,
                interleave,
                restart_interval: 0,
            })
        };
        assert!(ls(2, None).is_lossy());
        assert!(!ls(0, Some(1)).is_lossy());
        invalid(ls(0, Some(3)).jpeg_ls(), "interleave mode 3");
        let jl = |predictor| {
            EncodeParams::JpegLossless(JpegLosslessParams {
                predictor,
                ..Default::default()
            })
        };
        invalid(jl(0).jpeg_lossless(), "predictor 0");
        invalid(jl(8).jpeg_lossless(), "predictor 8");
        assert_eq!(jl(7).jpeg_lossless().unwrap().predictor, 7);
        let j2k = |levels, code_block| EncodeParams::J2k(J2kParams { levels, code_block });
        invalid(j2k(Some(33), None).j2k(), "levels 33");
        invalid(j2k(None, Some((128, 64))).j2k(), "code-block 128 x 64");
        invalid(j2k(None, Some((48, 64))).j2k(), "code-block 48");
        invalid(j2k(None, Some((2, 64))).j2k(), "code-block 2");
        assert!(j2k(Some(0), Some((1024, 4))).j2k().is_ok());
        invalid(
            EncodeParams::Deflate(DeflateParams { level: 13 }).deflate(),
            "level 13",
        );
        invalid(
            EncodeParams::Deflate(DeflateParams { level: -1 }).deflate(),
            "level -1",
        );
    }

    #[test]
    fn another_codecs_parameters_are_refused() {
        let p = EncodeParams::Deflate(DeflateParams::default());
        invalid(
            p.jpeg_ls(),
            "deflate parameters given to the JPEG-LS encoder",
        );
        invalid(p.j2k(), "to the JPEG 2000 encoder");
        invalid(p.jpeg_lossless(), "to the JPEG Lossless encoder");
        invalid(p.none("RLE"), "to the RLE encoder");
        invalid(
            EncodeParams::J2k(J2kParams::default()).deflate(),
            "JPEG 2000 parameters given to the deflate encoder",
        );
        assert!(EncodeParams::Default.none("RLE").is_ok());
    }
}

#[cfg(all(test, feature = "jpeg-ls"))]
mod jpeg_ls_tests {
    use super::*;
    use crate::codecs::{encode_frame, lookup, DecodeContext, EncodeContext, Frame};
    use crate::pixels::PixelDescription;
    use crate::uid;

    /// JPEG-LS parameters reach the encoder through the registry: NEAR,
    /// interleave and restart interval are written in the stream, and the
    /// decoder returns samples within NEAR (exact for NEAR 0).
    #[test]
    fn jpeg_ls_parameters_reach_the_stream() {
        let desc = PixelDescription {
            rows: 9,
            columns: 11,
            number_of_frames: 1,
            samples_per_pixel: 3,
            bits_allocated: 16,
            bits_stored: 12,
            high_bit: 11,
            photometric_interpretation: "RGB".into(),
            ..Default::default()
        };
        let src: Vec<u8> = (0..9 * 11 * 3u32)
            .flat_map(|i| (((i * 37) % 4096) as u16).to_le_bytes())
            .collect();
        for (syntax, near, ilv, ri) in [
            (uid::JPEG_LS_LOSSLESS, 0, Some(0), 0),
            (uid::JPEG_LS_LOSSLESS, 0, Some(1), 3),
            (uid::JPEG_LS_NEAR_LOSSLESS, 3, None, 0),
            (uid::JPEG_LS_NEAR_LOSSLESS, 7, Some(0), 2),
        ] {
            let ctx = EncodeContext::with_params(EncodeParams::JpegLs(JpegLsParams {
                near,
                interleave: ilv,
                restart_interval: ri,
            }));
            let s = encode_frame(syntax, &src, &desc, &ctx).unwrap();
            // SOS: ..., NEAR, ILV, 0 just before the scan data.
            let sos = s.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
            let len = u16::from_be_bytes([s[sos + 2], s[sos + 3]]) as usize;
            assert_eq!(s[sos + 2 + len - 3], near);
            assert_eq!(s[sos + 2 + len - 2], ilv.unwrap_or(2));
            assert_eq!(s.windows(2).any(|w| w == [0xFF, 0xDD]), ri > 0);
            let mut dst = vec![0u8; src.len()];
            let dec = lookup(syntax).unwrap().decoder().unwrap();
            dec.decode(
                &Frame::encapsulated(&s),
                &desc,
                &mut dst,
                &DecodeContext::default(),
            )
            .unwrap();
            let worst = src
                .chunks_exact(2)
                .zip(dst.chunks_exact(2))
                .map(|(a, b)| {
                    (i32::from(u16::from_le_bytes([a[0], a[1]]))
                        - i32::from(u16::from_le_bytes([b[0], b[1]])))
                    .abs()
                })
                .max()
                .unwrap();
            assert!(worst <= i32::from(near), "{syntax} near {near}: {worst}");
        }
        let big = EncodeContext::with_params(EncodeParams::JpegLs(JpegLsParams {
            near: 200,
            ..Default::default()
        }));
        let mut d8 = desc.clone();
        (d8.bits_allocated, d8.bits_stored, d8.high_bit) = (8, 8, 7);
        let e = encode_frame(uid::JPEG_LS_NEAR_LOSSLESS, &src[..297], &d8, &big).unwrap_err();
        assert!(e.to_string().contains("NEAR 200 is above 127"), "{e}");
        assert!(matches!(e, Error::InvalidArgument { .. }));
    }

    #[test]
    fn near_lossless_signed_samples_must_stay_inside_the_range() {
        let desc = PixelDescription {
            rows: 1,
            columns: 4,
            number_of_frames: 1,
            samples_per_pixel: 1,
            bits_allocated: 16,
            bits_stored: 12,
            high_bit: 11,
            pixel_representation: 1,
            photometric_interpretation: "MONOCHROME2".into(),
            ..Default::default()
        };
        let ctx = EncodeContext::with_params(EncodeParams::JpegLs(JpegLsParams {
            near: 2,
            ..Default::default()
        }));
        let ok: Vec<u8> = [-2046i16, 0, 5, 2045]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert!(encode_frame(uid::JPEG_LS_NEAR_LOSSLESS, &ok, &desc, &ctx).is_ok());
        let bad: Vec<u8> = [-2047i16, 0, 5, 2045]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let e = encode_frame(uid::JPEG_LS_NEAR_LOSSLESS, &bad, &desc, &ctx).unwrap_err();
        assert!(e.to_string().contains("-2046..=2045"), "{e}");
    }
}
