//! The codec registry: one line per transfer syntax dicodec has a codec for.
//!
//! It is the single source of what can be decoded (`frame_info`'s
//! `decodable`/`unsupported_reason`, the dispatch, `dicodec._native.codecs()`
//! for the pydicom plugin and the bench tool). A syntax missing here is
//! unsupported; a codec left out of the build (its Cargo feature off) keeps
//! its lines, without decoder and encoder, and is reported as unsupported
//! naming the feature.

use super::{EncodeContext, FrameDecoder, FrameEncoder};
use crate::error::{Error, Feature, Result};
use crate::parser::syntax::{self, TransferSyntax};
use crate::pixels::PixelDescription;
use crate::uid;

/// One transfer syntax and the codec serving it.
#[derive(Clone, Copy)]
pub struct CodecEntry {
    /// Transfer syntax UID.
    pub uid: &'static str,
    /// Frames are encapsulated (items, one or more fragments per frame).
    pub encapsulated: bool,
    /// The encoding may lose information (lossy or near-lossless).
    pub lossy: bool,
    /// The Cargo feature that builds the codec.
    pub feature: &'static str,
    /// The decoder, `None` when the feature is off.
    pub decoder: Option<&'static dyn FrameDecoder>,
    /// The encoder, `None` when there is none or the feature is off.
    pub encoder: Option<&'static dyn FrameEncoder>,
}

impl std::fmt::Debug for CodecEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodecEntry")
            .field("uid", &self.uid)
            .field("name", &self.name())
            .field("encapsulated", &self.encapsulated)
            .field("lossy", &self.lossy)
            .field("feature", &self.feature)
            .field("decoder", &self.decoder.is_some())
            .field("encoder", &self.encoder.is_some())
            .finish()
    }
}

impl CodecEntry {
    /// The transfer syntax's name (from [`crate::parser::syntax`]).
    pub fn name(&self) -> &'static str {
        syntax::lookup(self.uid).map_or(self.uid, |s| s.name)
    }

    /// The decoder, or [`Error::Unsupported`] naming the Cargo feature the
    /// build lacks.
    pub fn decoder(&self) -> Result<&'static dyn FrameDecoder> {
        self.decoder.ok_or_else(|| self.feature_off())
    }

    /// The encoder, or [`Error::Unsupported`] (no encoder, or the feature
    /// is off).
    pub fn encoder(&self) -> Result<&'static dyn FrameEncoder> {
        match (self.encoder, self.decoder) {
            (Some(e), _) => Ok(e),
            (None, None) => Err(self.feature_off()),
            (None, Some(_)) => Err(Error::unsupported_feature(
                Feature::TransferSyntax(self.uid.to_owned()),
                format!("no encoder for {} ({})", self.name(), self.uid),
            )),
        }
    }

    fn feature_off(&self) -> Error {
        Error::unsupported_feature(
            Feature::CodecFeature(self.feature),
            format!(
                "{} ({}) needs the Cargo feature `{}`, which this build of dicodec lacks",
                self.name(),
                self.uid,
                self.feature
            ),
        )
    }
}

/// `Some(&Codec as &dyn Trait)` when the Cargo feature is on, else `None`.
macro_rules! when {
    ($feature:literal, $trait:ident, $value:expr) => {{
        #[cfg(feature = $feature)]
        let v = Some(&$value as &'static dyn $trait);
        #[cfg(not(feature = $feature))]
        let v = None;
        v
    }};
}

/// A line of the registry.
const fn entry(
    uid: &'static str,
    encapsulated: bool,
    lossy: bool,
    feature: &'static str,
    decoder: Option<&'static dyn FrameDecoder>,
    encoder: Option<&'static dyn FrameEncoder>,
) -> CodecEntry {
    CodecEntry {
        uid,
        encapsulated,
        lossy,
        feature,
        decoder,
        encoder,
    }
}

const NATIVE: Option<&'static dyn FrameDecoder> =
    when!("native", FrameDecoder, super::native::NativeCodec);
const RLE: Option<&'static dyn FrameDecoder> = when!("rle", FrameDecoder, super::rle::RleCodec);
const RLE_ENC: Option<&'static dyn FrameEncoder> = when!("rle", FrameEncoder, super::rle::RleCodec);
const JPEG_LL: Option<&'static dyn FrameDecoder> = when!(
    "jpeg-lossless",
    FrameDecoder,
    super::jpeg::JpegLosslessCodec
);
const JPEG_LL_ENC: Option<&'static dyn FrameEncoder> = when!(
    "jpeg-lossless",
    FrameEncoder,
    super::jpeg::JpegLosslessCodec
);
const JPEG_SV1_ENC: Option<&'static dyn FrameEncoder> = when!(
    "jpeg-lossless",
    FrameEncoder,
    super::jpeg::JpegLosslessSv1Encoder
);

const JPEG_DCT: Option<&'static dyn FrameDecoder> =
    when!("jpeg-dct", FrameDecoder, super::jpeg::dct::JpegDctCodec);
const JPEG_LS: Option<&'static dyn FrameDecoder> =
    when!("jpeg-ls", FrameDecoder, super::jpegls::JpegLsCodec);
const JPEG_LS_ENC: Option<&'static dyn FrameEncoder> =
    when!("jpeg-ls", FrameEncoder, super::jpegls::JpegLsCodec);

const J2K: Option<&'static dyn FrameDecoder> = when!("j2k", FrameDecoder, super::j2k::J2kCodec);
const J2K_ENC: Option<&'static dyn FrameEncoder> = when!("j2k", FrameEncoder, super::j2k::J2kCodec);
const JXL: Option<&'static dyn FrameDecoder> = when!("jxl", FrameDecoder, super::jxl::JxlCodec);
const DEFLATE: Option<&'static dyn FrameDecoder> = when!(
    "deflate-frames",
    FrameDecoder,
    super::deflate_frames::DeflateFramesCodec
);
const DEFLATE_ENC: Option<&'static dyn FrameEncoder> = when!(
    "deflate-frames",
    FrameEncoder,
    super::deflate_frames::DeflateFramesCodec
);

/// Every transfer syntax with a codec: uid, encapsulated, lossy, Cargo
/// feature, decoder, encoder.
pub static REGISTRY: &[CodecEntry] = &[
    entry(
        uid::IMPLICIT_VR_LITTLE_ENDIAN,
        false,
        false,
        "native",
        NATIVE,
        None,
    ),
    entry(
        uid::EXPLICIT_VR_LITTLE_ENDIAN,
        false,
        false,
        "native",
        NATIVE,
        None,
    ),
    entry(
        uid::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
        false,
        false,
        "native",
        NATIVE,
        None,
    ),
    entry(
        uid::EXPLICIT_VR_BIG_ENDIAN,
        false,
        false,
        "native",
        NATIVE,
        None,
    ),
    entry(
        uid::PAPYRUS_3_IMPLICIT_VR_LITTLE_ENDIAN,
        false,
        false,
        "native",
        NATIVE,
        None,
    ),
    entry(
        uid::ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN,
        true,
        false,
        "native",
        NATIVE,
        None,
    ),
    entry(uid::RLE_LOSSLESS, true, false, "rle", RLE, RLE_ENC),
    entry(
        uid::JPEG_BASELINE_8BIT,
        true,
        true,
        "jpeg-dct",
        JPEG_DCT,
        None,
    ),
    entry(
        uid::JPEG_EXTENDED_12BIT,
        true,
        true,
        "jpeg-dct",
        JPEG_DCT,
        None,
    ),
    entry(
        uid::JPEG_PROGRESSIVE_P10_12,
        true,
        true,
        "jpeg-dct",
        JPEG_DCT,
        None,
    ),
    entry(
        uid::JPEG_LOSSLESS,
        true,
        false,
        "jpeg-lossless",
        JPEG_LL,
        JPEG_LL_ENC,
    ),
    entry(
        uid::JPEG_LOSSLESS_SV1,
        true,
        false,
        "jpeg-lossless",
        JPEG_LL,
        JPEG_SV1_ENC,
    ),
    entry(
        uid::JPEG_LS_LOSSLESS,
        true,
        false,
        "jpeg-ls",
        JPEG_LS,
        JPEG_LS_ENC,
    ),
    entry(
        uid::JPEG_LS_NEAR_LOSSLESS,
        true,
        true,
        "jpeg-ls",
        JPEG_LS,
        JPEG_LS_ENC,
    ),
    entry(uid::JPEG_2000_LOSSLESS, true, false, "j2k", J2K, J2K_ENC),
    entry(uid::JPEG_2000, true, true, "j2k", J2K, None),
    entry(uid::HTJ2K_LOSSLESS, true, false, "j2k", J2K, None),
    entry(uid::HTJ2K_LOSSLESS_RPCL, true, false, "j2k", J2K, None),
    entry(uid::HTJ2K, true, true, "j2k", J2K, None),
    entry(uid::JPEG_XL_LOSSLESS, true, false, "jxl", JXL, None),
    entry(
        uid::JPEG_XL_JPEG_RECOMPRESSION,
        true,
        true,
        "jxl",
        JXL,
        None,
    ),
    entry(uid::JPEG_XL, true, true, "jxl", JXL, None),
    entry(
        uid::DEFLATED_IMAGE_FRAME_COMPRESSION,
        true,
        false,
        "deflate-frames",
        DEFLATE,
        DEFLATE_ENC,
    ),
];

/// The registry line of a transfer syntax UID (trailing NUL/space ignored).
pub fn lookup(uid: &str) -> Option<&'static CodecEntry> {
    let uid = uid.trim_end_matches(['\0', ' ']).trim();
    REGISTRY.iter().find(|e| e.uid == uid)
}

/// Encodes one frame for transfer syntax `uid` through its registry
/// encoder: [`Error::Unsupported`] when there is none,
/// [`Error::InvalidArgument`] for lossy parameters with a lossless syntax
/// (e.g. JPEG-LS NEAR > 0 for JPEG-LS Lossless) or parameters of another
/// codec.
pub fn encode_frame(
    uid: &str,
    src: &[u8],
    desc: &PixelDescription,
    ctx: &EncodeContext,
) -> Result<Vec<u8>> {
    let entry = lookup(uid).ok_or_else(|| {
        Error::unsupported_feature(
            Feature::TransferSyntax(uid.to_owned()),
            format!(
                "no encoder for {}",
                TransferSyntax::from_uid(uid).describe()
            ),
        )
    })?;
    let encoder = entry.encoder()?;
    ctx.params.validate()?;
    if ctx.params.is_lossy() && !entry.lossy {
        return Err(Error::invalid_argument(format!(
            "lossy {} parameters for the lossless transfer syntax {} ({})",
            ctx.params.name(),
            entry.name(),
            entry.uid
        )));
    }
    encoder.encode(src, desc, ctx)
}

/// Encodes every frame of `data` (`desc.number_of_frames` frames of
/// [`PixelDescription::frame_output_len`] bytes each, as the decoders write
/// them) for transfer syntax `uid`, frames in parallel on `ctx.threads`
/// threads; the same checks as [`encode_frame`].
pub fn encode_frames(
    uid: &str,
    data: &[u8],
    desc: &PixelDescription,
    ctx: &EncodeContext,
) -> Result<Vec<Vec<u8>>> {
    use rayon::prelude::*;
    let frames = desc.number_of_frames.max(1) as u64;
    let mut one = desc.clone();
    one.number_of_frames = 1;
    let len = one.frame_output_len()?;
    if data.len() as u64 != len * frames {
        return Err(Error::invalid_argument(format!(
            "{} bytes of pixel data for {frames} frames of {len} bytes",
            data.len()
        )));
    }
    let chunks: Vec<&[u8]> = data.chunks(len.max(1) as usize).collect();
    let one = &one;
    crate::exec::with_threads(ctx.threads, |parallel| {
        let f = |c: &&[u8]| encode_frame(uid, c, one, ctx);
        if parallel && chunks.len() > 1 {
            chunks.par_iter().map(f).collect()
        } else {
            chunks.iter().map(f).collect()
        }
    })?
}

/// The decoder for the pixel data of `syntax`, or why there is none:
/// [`Error::Unsupported`] for a syntax dicodec does not know, one without a
/// codec, or a codec whose Cargo feature is off.
pub fn decoder_for(
    syntax: &TransferSyntax,
) -> Result<(&'static CodecEntry, &'static dyn FrameDecoder)> {
    if syntax.info.is_none() {
        return Err(Error::unsupported_feature(
            Feature::TransferSyntax(syntax.uid.clone()),
            format!("cannot decode pixel data with {}", syntax.describe()),
        ));
    }
    let entry = lookup(&syntax.uid).ok_or_else(|| {
        Error::unsupported_feature(
            Feature::TransferSyntax(syntax.uid.clone()),
            format!("no decoder for {}", syntax.describe()),
        )
    })?;
    Ok((entry, entry.decoder()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_a_known_syntax_once() {
        let mut seen = std::collections::HashSet::new();
        for e in REGISTRY {
            assert!(seen.insert(e.uid), "duplicate {}", e.uid);
            let s = syntax::lookup(e.uid).expect(e.uid);
            assert_eq!(
                e.encapsulated,
                s.storage == syntax::PixelStorage::Encapsulated,
                "{}",
                e.uid
            );
        }
        assert_eq!(
            lookup("1.2.840.10008.1.2.5\0").unwrap().name(),
            "RLE Lossless"
        );
        assert!(lookup(uid::JPEG_EXTENDED_P3_5).is_none());
    }

    #[test]
    fn unknown_and_codecless_syntaxes_are_unsupported() {
        let e = decoder_for(&TransferSyntax::from_uid("1.2.3.4"))
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .contains("cannot decode pixel data with unknown"),
            "{e}"
        );
        let e = decoder_for(&TransferSyntax::from_uid(uid::JPEG_EXTENDED_P3_5))
            .err()
            .unwrap();
        assert!(
            e.to_string().contains("no decoder for JPEG Extended"),
            "{e}"
        );
        assert!(matches!(e, Error::Unsupported(_)));
    }

    #[cfg(feature = "rle")]
    #[test]
    fn rle_has_an_encoder_jpeg_lossless_none() {
        assert!(lookup(uid::RLE_LOSSLESS).unwrap().encoder().is_ok());
        let e = lookup(uid::EXPLICIT_VR_LITTLE_ENDIAN).unwrap().encoder();
        assert!(e.is_err());
    }

    #[cfg(all(feature = "jpeg-ls", feature = "rle"))]
    #[test]
    fn encode_frame_refuses_lossy_parameters_for_lossless_syntaxes() {
        use crate::codecs::{EncodeParams, JpegLsParams};
        let desc = PixelDescription {
            rows: 2,
            columns: 3,
            number_of_frames: 1,
            samples_per_pixel: 1,
            bits_allocated: 8,
            bits_stored: 8,
            high_bit: 7,
            photometric_interpretation: "MONOCHROME2".into(),
            ..Default::default()
        };
        let src = [0u8, 10, 20, 30, 40, 50];
        let near = EncodeContext::with_params(EncodeParams::JpegLs(JpegLsParams {
            near: 2,
            ..Default::default()
        }));
        let e = encode_frame(uid::JPEG_LS_LOSSLESS, &src, &desc, &near).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
        assert!(e.to_string().contains("lossy JPEG-LS parameters"), "{e}");
        assert!(encode_frame(uid::JPEG_LS_NEAR_LOSSLESS, &src, &desc, &near).is_ok());
        let e = encode_frame(uid::RLE_LOSSLESS, &src, &desc, &near).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
        let e = encode_frame(uid::JPEG_EXTENDED_P3_5, &src, &desc, &near).unwrap_err();
        assert!(matches!(e, Error::Unsupported(_)), "{e}");
        let e = encode_frame(uid::JPEG_BASELINE_8BIT, &src, &desc, &near).unwrap_err();
        assert!(e.to_string().contains("no encoder"), "{e}");
    }

    #[cfg(not(feature = "rle"))]
    #[test]
    fn a_build_without_a_codec_names_its_feature() {
        let ts = TransferSyntax::from_uid(uid::RLE_LOSSLESS);
        let e = decoder_for(&ts).err().unwrap();
        assert!(e.to_string().contains("Cargo feature `rle`"), "{e}");
        assert!(matches!(
            e,
            Error::Unsupported(crate::error::Unsupported {
                feature: Feature::CodecFeature("rle"),
                ..
            })
        ));
    }
}
