//! Transfer syntax table: how the dataset is encoded and how the pixel data is
//! stored (native, encapsulated or referenced). Which syntaxes can be decoded
//! is the codec registry's business ([`crate::codecs::registry`]).
//!
//! Names follow pydicom's UID dictionary (PS3.6 Table A-1). Unknown UIDs are
//! read as explicit VR little endian with encapsulation decided by the Pixel
//! Data element itself (undefined length = encapsulated), and are never decoded.

use super::element::Encoding;
use crate::uid;

/// How the pixel data of a transfer syntax is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PixelStorage {
    /// Native (uncompressed) pixel data, one defined-length value.
    Native,
    /// Encapsulated (items: offset table + fragments).
    Encapsulated,
    /// Pixel data is referenced elsewhere (JPIP) or the syntax is not a
    /// binary DICOM encoding: there is nothing to decode.
    Referenced,
}

/// One entry of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxInfo {
    /// The UID.
    pub uid: &'static str,
    /// Its name (PS3.6).
    pub name: &'static str,
    /// Encoding of the dataset (after inflation for deflated syntaxes).
    pub encoding: Encoding,
    /// The dataset after the file meta group is a raw deflate stream.
    pub deflated: bool,
    /// How the pixel data is stored.
    pub storage: PixelStorage,
}

const fn native(uid: &'static str, name: &'static str, encoding: Encoding) -> SyntaxInfo {
    SyntaxInfo {
        uid,
        name,
        encoding,
        deflated: false,
        storage: PixelStorage::Native,
    }
}

const fn encaps(uid: &'static str, name: &'static str) -> SyntaxInfo {
    SyntaxInfo {
        uid,
        name,
        encoding: Encoding::EXPLICIT_LE,
        deflated: false,
        storage: PixelStorage::Encapsulated,
    }
}

const fn referenced(uid: &'static str, name: &'static str, deflated: bool) -> SyntaxInfo {
    SyntaxInfo {
        uid,
        name,
        encoding: Encoding::EXPLICIT_LE,
        deflated,
        storage: PixelStorage::Referenced,
    }
}

/// Every transfer syntax of PS3.6 (retired ones included).
pub static SYNTAXES: &[SyntaxInfo] = &[
    native(
        uid::IMPLICIT_VR_LITTLE_ENDIAN,
        "Implicit VR Little Endian",
        Encoding::IMPLICIT_LE,
    ),
    native(
        uid::EXPLICIT_VR_LITTLE_ENDIAN,
        "Explicit VR Little Endian",
        Encoding::EXPLICIT_LE,
    ),
    encaps(
        uid::ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN,
        "Encapsulated Uncompressed Explicit VR Little Endian",
    ),
    SyntaxInfo {
        uid: uid::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
        name: "Deflated Explicit VR Little Endian",
        encoding: Encoding::EXPLICIT_LE,
        deflated: true,
        storage: PixelStorage::Native,
    },
    native(
        uid::EXPLICIT_VR_BIG_ENDIAN,
        "Explicit VR Big Endian",
        Encoding::EXPLICIT_BE,
    ),
    encaps(uid::JPEG_BASELINE_8BIT, "JPEG Baseline (Process 1)"),
    encaps(uid::JPEG_EXTENDED_12BIT, "JPEG Extended (Process 2 and 4)"),
    encaps(uid::JPEG_EXTENDED_P3_5, "JPEG Extended (Process 3 and 5)"),
    encaps(
        uid::JPEG_SPECTRAL_P6_8,
        "JPEG Spectral Selection, Non-Hierarchical (Process 6 and 8)",
    ),
    encaps(
        uid::JPEG_SPECTRAL_P7_9,
        "JPEG Spectral Selection, Non-Hierarchical (Process 7 and 9)",
    ),
    encaps(
        uid::JPEG_PROGRESSIVE_P10_12,
        "JPEG Full Progression, Non-Hierarchical (Process 10 and 12)",
    ),
    encaps(
        uid::JPEG_PROGRESSIVE_P11_13,
        "JPEG Full Progression, Non-Hierarchical (Process 11 and 13)",
    ),
    encaps(
        uid::JPEG_LOSSLESS,
        "JPEG Lossless, Non-Hierarchical (Process 14)",
    ),
    encaps(
        uid::JPEG_LOSSLESS_P15,
        "JPEG Lossless, Non-Hierarchical (Process 15)",
    ),
    encaps(
        uid::JPEG_HIERARCHICAL_P16_18,
        "JPEG Extended, Hierarchical (Process 16 and 18)",
    ),
    encaps(
        uid::JPEG_HIERARCHICAL_P17_19,
        "JPEG Extended, Hierarchical (Process 17 and 19)",
    ),
    encaps(
        uid::JPEG_HIERARCHICAL_P20_22,
        "JPEG Spectral Selection, Hierarchical (Process 20 and 22)",
    ),
    encaps(
        uid::JPEG_HIERARCHICAL_P21_23,
        "JPEG Spectral Selection, Hierarchical (Process 21 and 23)",
    ),
    encaps(
        uid::JPEG_HIERARCHICAL_P24_26,
        "JPEG Full Progression, Hierarchical (Process 24 and 26)",
    ),
    encaps(
        uid::JPEG_HIERARCHICAL_P25_27,
        "JPEG Full Progression, Hierarchical (Process 25 and 27)",
    ),
    encaps(
        uid::JPEG_HIERARCHICAL_P28,
        "JPEG Lossless, Hierarchical (Process 28)",
    ),
    encaps(
        uid::JPEG_HIERARCHICAL_P29,
        "JPEG Lossless, Hierarchical (Process 29)",
    ),
    encaps(
        uid::JPEG_LOSSLESS_SV1,
        "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
    ),
    encaps(uid::JPEG_LS_LOSSLESS, "JPEG-LS Lossless Image Compression"),
    encaps(
        uid::JPEG_LS_NEAR_LOSSLESS,
        "JPEG-LS Lossy (Near-Lossless) Image Compression",
    ),
    encaps(
        uid::JPEG_2000_LOSSLESS,
        "JPEG 2000 Image Compression (Lossless Only)",
    ),
    encaps(uid::JPEG_2000, "JPEG 2000 Image Compression"),
    encaps(
        uid::JPEG_2000_MC_LOSSLESS,
        "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)",
    ),
    encaps(
        uid::JPEG_2000_MC,
        "JPEG 2000 Part 2 Multi-component Image Compression",
    ),
    referenced(uid::JPIP_REFERENCED, "JPIP Referenced", false),
    referenced(
        uid::JPIP_REFERENCED_DEFLATE,
        "JPIP Referenced Deflate",
        true,
    ),
    encaps(uid::MPEG2_MPML, "MPEG2 Main Profile / Main Level"),
    encaps(
        uid::MPEG2_MPML_F,
        "Fragmentable MPEG2 Main Profile / Main Level",
    ),
    encaps(uid::MPEG2_MPHL, "MPEG2 Main Profile / High Level"),
    encaps(
        uid::MPEG2_MPHL_F,
        "Fragmentable MPEG2 Main Profile / High Level",
    ),
    encaps(uid::MPEG4_HP41, "MPEG-4 AVC/H.264 High Profile / Level 4.1"),
    encaps(
        uid::MPEG4_HP41_F,
        "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1",
    ),
    encaps(
        uid::MPEG4_HP41_BD,
        "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
    ),
    encaps(
        uid::MPEG4_HP41_BD_F,
        "Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
    ),
    encaps(
        uid::MPEG4_HP42_2D,
        "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
    ),
    encaps(
        uid::MPEG4_HP42_2D_F,
        "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
    ),
    encaps(
        uid::MPEG4_HP42_3D,
        "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
    ),
    encaps(
        uid::MPEG4_HP42_3D_F,
        "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
    ),
    encaps(
        uid::MPEG4_HP42_STEREO,
        "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
    ),
    encaps(
        uid::MPEG4_HP42_STEREO_F,
        "Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
    ),
    encaps(uid::HEVC_MP51, "HEVC/H.265 Main Profile / Level 5.1"),
    encaps(uid::HEVC_M10P51, "HEVC/H.265 Main 10 Profile / Level 5.1"),
    encaps(uid::JPEG_XL_LOSSLESS, "JPEG XL Lossless"),
    encaps(
        uid::JPEG_XL_JPEG_RECOMPRESSION,
        "JPEG XL JPEG Recompression",
    ),
    encaps(uid::JPEG_XL, "JPEG XL"),
    encaps(
        uid::HTJ2K_LOSSLESS,
        "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
    ),
    encaps(
        uid::HTJ2K_LOSSLESS_RPCL,
        "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
    ),
    encaps(uid::HTJ2K, "High-Throughput JPEG 2000 Image Compression"),
    referenced(uid::JPIP_HTJ2K_REFERENCED, "JPIP HTJ2K Referenced", false),
    referenced(
        uid::JPIP_HTJ2K_REFERENCED_DEFLATE,
        "JPIP HTJ2K Referenced Deflate",
        true,
    ),
    encaps(uid::RLE_LOSSLESS, "RLE Lossless"),
    encaps(
        uid::DEFLATED_IMAGE_FRAME_COMPRESSION,
        "Deflated Image Frame Compression",
    ),
    referenced(uid::RFC_2557_MIME, "RFC 2557 MIME encapsulation", false),
    referenced(uid::XML_ENCODING, "XML Encoding", false),
    referenced(
        uid::SMPTE_ST_2110_20_PROGRESSIVE,
        "SMPTE ST 2110-20 Uncompressed Progressive Active Video",
        false,
    ),
    referenced(
        uid::SMPTE_ST_2110_20_INTERLACED,
        "SMPTE ST 2110-20 Uncompressed Interlaced Active Video",
        false,
    ),
    referenced(
        uid::SMPTE_ST_2110_30_PCM,
        "SMPTE ST 2110-30 PCM Digital Audio",
        false,
    ),
    // Papyrus 3 files are plain implicit VR little endian datasets.
    native(
        uid::PAPYRUS_3_IMPLICIT_VR_LITTLE_ENDIAN,
        "Papyrus 3 Implicit VR Little Endian",
        Encoding::IMPLICIT_LE,
    ),
];

/// Looks a transfer syntax UID up (exact match after trimming NUL/space).
pub fn lookup(uid: &str) -> Option<&'static SyntaxInfo> {
    let uid = uid.trim_end_matches(['\0', ' ']).trim();
    SYNTAXES.iter().find(|s| s.uid == uid)
}

/// The transfer syntax a dataset is read with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferSyntax {
    /// The UID as found in (0002,0010), or the one inferred from the
    /// encoding when the file has none.
    pub uid: String,
    /// The table entry, `None` for a UID dicodec does not know.
    pub info: Option<&'static SyntaxInfo>,
    /// The UID was inferred from the encoding (no (0002,0010)).
    pub inferred: bool,
}

impl TransferSyntax {
    /// A known or unknown UID.
    pub fn from_uid(uid: &str) -> TransferSyntax {
        let uid = uid.trim_end_matches(['\0', ' ']).trim();
        TransferSyntax {
            uid: uid.to_owned(),
            info: lookup(uid),
            inferred: false,
        }
    }

    /// The native syntax matching an encoding (for datasets without a
    /// transfer syntax UID).
    pub fn inferred_from(enc: Encoding) -> TransferSyntax {
        let uid = match (enc.explicit_vr, enc.little_endian) {
            (false, _) => uid::IMPLICIT_VR_LITTLE_ENDIAN,
            (true, true) => uid::EXPLICIT_VR_LITTLE_ENDIAN,
            (true, false) => uid::EXPLICIT_VR_BIG_ENDIAN,
        };
        TransferSyntax {
            inferred: true,
            ..TransferSyntax::from_uid(uid)
        }
    }

    /// Human-readable name ("unknown transfer syntax" when not in the table).
    pub fn name(&self) -> &str {
        self.info.map_or("unknown transfer syntax", |i| i.name)
    }

    /// `Some(storage)` for known syntaxes.
    pub fn storage(&self) -> Option<PixelStorage> {
        self.info.map(|i| i.storage)
    }

    /// The name and the UID in parentheses, e.g. "RLE Lossless (<its UID>)".
    pub fn describe(&self) -> String {
        format!("{} ({})", self.name(), self.uid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        let mut seen = std::collections::HashSet::new();
        for s in SYNTAXES {
            assert!(seen.insert(s.uid), "duplicate {}", s.uid);
        }
        assert_eq!(
            lookup("1.2.840.10008.1.2.5\0").unwrap().storage,
            PixelStorage::Encapsulated
        );
        assert_eq!(
            lookup(uid::JPEG_LOSSLESS_SV1).unwrap().storage,
            PixelStorage::Encapsulated
        );
        assert!(lookup("1.2.3").is_none());
    }

    #[test]
    fn inferred_and_unknown() {
        let t = TransferSyntax::inferred_from(Encoding::EXPLICIT_BE);
        assert_eq!(t.uid, uid::EXPLICIT_VR_BIG_ENDIAN);
        assert!(t.inferred);
        let u = TransferSyntax::from_uid("1.2.3.4 ");
        assert_eq!(u.uid, "1.2.3.4");
        assert!(u.info.is_none());
        assert!(u.describe().contains("unknown"));
    }
}
