//! Transfer syntax table: how the dataset is encoded and how the pixel data is
//! stored (native, or encapsulated with which codec).
//!
//! Names follow pydicom's UID dictionary (PS3.6 Table A-1). Unknown UIDs are
//! read as explicit VR little endian with encapsulation decided by the Pixel
//! Data element itself (undefined length = encapsulated), and are never decoded.

use super::element::Encoding;
use super::meta::{DEFLATED_EXPLICIT_VR_LE, EXPLICIT_VR_BE, EXPLICIT_VR_LE, IMPLICIT_VR_LE};

/// RLE Lossless.
pub const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";
/// JPEG Lossless, Non-Hierarchical (Process 14).
pub const JPEG_LOSSLESS_P14: &str = "1.2.840.10008.1.2.4.57";
/// JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 SV1).
pub const JPEG_LOSSLESS_SV1: &str = "1.2.840.10008.1.2.4.70";
/// Encapsulated Uncompressed Explicit VR Little Endian.
pub const ENCAPSULATED_UNCOMPRESSED: &str = "1.2.840.10008.1.2.1.98";

/// How the pixel data of a transfer syntax is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PixelStorage {
    /// Native (uncompressed) pixel data, one defined-length value.
    Native,
    /// Encapsulated (items: offset table + fragments), codec as given.
    Encapsulated(Codec),
    /// Pixel data is referenced elsewhere (JPIP) or the syntax is not a
    /// binary DICOM encoding: there is nothing to decode.
    Referenced,
}

/// The codec of an encapsulated transfer syntax, as far as dispatch cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// RLE Lossless (PS3.5 Annex G).
    Rle,
    /// JPEG Lossless process 14 (.57 and .70).
    JpegLossless,
    /// Uncompressed frames in fragments (1.2.840.10008.1.2.1.98).
    Uncompressed,
    /// Any other codec (JPEG DCT, JPEG-LS, JPEG 2000, HTJ2K, MPEG, JPEG XL…):
    /// frames are found, decoding is unsupported.
    Other,
}

/// One entry of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxInfo {
    pub uid: &'static str,
    pub name: &'static str,
    /// Encoding of the dataset (after inflation for deflated syntaxes).
    pub encoding: Encoding,
    /// The dataset after the file meta group is a raw deflate stream.
    pub deflated: bool,
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

const fn encaps(uid: &'static str, name: &'static str, codec: Codec) -> SyntaxInfo {
    SyntaxInfo {
        uid,
        name,
        encoding: Encoding::EXPLICIT_LE,
        deflated: false,
        storage: PixelStorage::Encapsulated(codec),
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

use Codec::{JpegLossless, Other, Rle, Uncompressed};

/// Every transfer syntax of PS3.6 (retired ones included).
pub static SYNTAXES: &[SyntaxInfo] = &[
    native(
        IMPLICIT_VR_LE,
        "Implicit VR Little Endian",
        Encoding::IMPLICIT_LE,
    ),
    native(
        EXPLICIT_VR_LE,
        "Explicit VR Little Endian",
        Encoding::EXPLICIT_LE,
    ),
    encaps(
        ENCAPSULATED_UNCOMPRESSED,
        "Encapsulated Uncompressed Explicit VR Little Endian",
        Uncompressed,
    ),
    SyntaxInfo {
        uid: DEFLATED_EXPLICIT_VR_LE,
        name: "Deflated Explicit VR Little Endian",
        encoding: Encoding::EXPLICIT_LE,
        deflated: true,
        storage: PixelStorage::Native,
    },
    native(
        EXPLICIT_VR_BE,
        "Explicit VR Big Endian",
        Encoding::EXPLICIT_BE,
    ),
    encaps("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", Other),
    encaps(
        "1.2.840.10008.1.2.4.51",
        "JPEG Extended (Process 2 and 4)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.52",
        "JPEG Extended (Process 3 and 5)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.53",
        "JPEG Spectral Selection, Non-Hierarchical (Process 6 and 8)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.54",
        "JPEG Spectral Selection, Non-Hierarchical (Process 7 and 9)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.55",
        "JPEG Full Progression, Non-Hierarchical (Process 10 and 12)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.56",
        "JPEG Full Progression, Non-Hierarchical (Process 11 and 13)",
        Other,
    ),
    encaps(
        JPEG_LOSSLESS_P14,
        "JPEG Lossless, Non-Hierarchical (Process 14)",
        JpegLossless,
    ),
    encaps(
        "1.2.840.10008.1.2.4.58",
        "JPEG Lossless, Non-Hierarchical (Process 15)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.59",
        "JPEG Extended, Hierarchical (Process 16 and 18)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.60",
        "JPEG Extended, Hierarchical (Process 17 and 19)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.61",
        "JPEG Spectral Selection, Hierarchical (Process 20 and 22)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.62",
        "JPEG Spectral Selection, Hierarchical (Process 21 and 23)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.63",
        "JPEG Full Progression, Hierarchical (Process 24 and 26)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.64",
        "JPEG Full Progression, Hierarchical (Process 25 and 27)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.65",
        "JPEG Lossless, Hierarchical (Process 28)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.66",
        "JPEG Lossless, Hierarchical (Process 29)",
        Other,
    ),
    encaps(
        JPEG_LOSSLESS_SV1,
        "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
        JpegLossless,
    ),
    encaps(
        "1.2.840.10008.1.2.4.80",
        "JPEG-LS Lossless Image Compression",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.81",
        "JPEG-LS Lossy (Near-Lossless) Image Compression",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.90",
        "JPEG 2000 Image Compression (Lossless Only)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.91",
        "JPEG 2000 Image Compression",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.92",
        "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.93",
        "JPEG 2000 Part 2 Multi-component Image Compression",
        Other,
    ),
    referenced("1.2.840.10008.1.2.4.94", "JPIP Referenced", false),
    referenced("1.2.840.10008.1.2.4.95", "JPIP Referenced Deflate", true),
    encaps(
        "1.2.840.10008.1.2.4.100",
        "MPEG2 Main Profile / Main Level",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.100.1",
        "Fragmentable MPEG2 Main Profile / Main Level",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.101",
        "MPEG2 Main Profile / High Level",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.101.1",
        "Fragmentable MPEG2 Main Profile / High Level",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.102",
        "MPEG-4 AVC/H.264 High Profile / Level 4.1",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.102.1",
        "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.103",
        "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.103.1",
        "Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.104",
        "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.104.1",
        "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.105",
        "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.105.1",
        "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.106",
        "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.106.1",
        "Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.107",
        "HEVC/H.265 Main Profile / Level 5.1",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.108",
        "HEVC/H.265 Main 10 Profile / Level 5.1",
        Other,
    ),
    encaps("1.2.840.10008.1.2.4.110", "JPEG XL Lossless", Other),
    encaps(
        "1.2.840.10008.1.2.4.111",
        "JPEG XL JPEG Recompression",
        Other,
    ),
    encaps("1.2.840.10008.1.2.4.112", "JPEG XL", Other),
    encaps(
        "1.2.840.10008.1.2.4.201",
        "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.202",
        "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
        Other,
    ),
    encaps(
        "1.2.840.10008.1.2.4.203",
        "High-Throughput JPEG 2000 Image Compression",
        Other,
    ),
    referenced("1.2.840.10008.1.2.4.204", "JPIP HTJ2K Referenced", false),
    referenced(
        "1.2.840.10008.1.2.4.205",
        "JPIP HTJ2K Referenced Deflate",
        true,
    ),
    encaps(RLE_LOSSLESS, "RLE Lossless", Rle),
    encaps(
        "1.2.840.10008.1.2.8.1",
        "Deflated Image Frame Compression",
        Other,
    ),
    referenced(
        "1.2.840.10008.1.2.6.1",
        "RFC 2557 MIME encapsulation",
        false,
    ),
    referenced("1.2.840.10008.1.2.6.2", "XML Encoding", false),
    referenced(
        "1.2.840.10008.1.2.7.1",
        "SMPTE ST 2110-20 Uncompressed Progressive Active Video",
        false,
    ),
    referenced(
        "1.2.840.10008.1.2.7.2",
        "SMPTE ST 2110-20 Uncompressed Interlaced Active Video",
        false,
    ),
    referenced(
        "1.2.840.10008.1.2.7.3",
        "SMPTE ST 2110-30 PCM Digital Audio",
        false,
    ),
    // Papyrus 3 files are plain implicit VR little endian datasets.
    native(
        "1.2.840.10008.1.20",
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
            (false, _) => IMPLICIT_VR_LE,
            (true, true) => EXPLICIT_VR_LE,
            (true, false) => EXPLICIT_VR_BE,
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

    /// "RLE Lossless (1.2.840.10008.1.2.5)".
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
            // The meta layer agrees on the dataset encoding and deflation.
            let (enc, deflated) = super::super::meta::encoding_for_syntax(s.uid);
            assert_eq!(deflated, s.deflated, "{}", s.uid);
            assert_eq!(enc, s.encoding, "{}", s.uid);
        }
        assert_eq!(
            lookup("1.2.840.10008.1.2.5\0").unwrap().storage,
            PixelStorage::Encapsulated(Codec::Rle)
        );
        assert_eq!(
            lookup(JPEG_LOSSLESS_SV1).unwrap().storage,
            PixelStorage::Encapsulated(JpegLossless)
        );
        assert!(lookup("1.2.3").is_none());
    }

    #[test]
    fn inferred_and_unknown() {
        let t = TransferSyntax::inferred_from(Encoding::EXPLICIT_BE);
        assert_eq!(t.uid, EXPLICIT_VR_BE);
        assert!(t.inferred);
        let u = TransferSyntax::from_uid("1.2.3.4 ");
        assert_eq!(u.uid, "1.2.3.4");
        assert!(u.info.is_none());
        assert!(u.describe().contains("unknown"));
    }
}
