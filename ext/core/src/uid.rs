//! Transfer syntax UIDs (PS3.6 Table A-1), the one place they are written out.
//!
//! Names follow pydicom's `pydicom.uid` constants where it has one (in Rust
//! case); the parser's table ([`crate::parser::syntax`]) and the codec
//! registry ([`crate::codecs::registry`]) refer to these constants only.

/// Implicit VR Little Endian.
pub const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
/// Explicit VR Little Endian.
pub const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
/// Encapsulated Uncompressed Explicit VR Little Endian.
pub const ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1.98";
/// Deflated Explicit VR Little Endian.
pub const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1.99";
/// Explicit VR Big Endian (retired).
pub const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";
/// JPEG Baseline (Process 1).
pub const JPEG_BASELINE_8BIT: &str = "1.2.840.10008.1.2.4.50";
/// JPEG Extended (Process 2 and 4).
pub const JPEG_EXTENDED_12BIT: &str = "1.2.840.10008.1.2.4.51";
/// JPEG Extended (Process 3 and 5) (retired).
pub const JPEG_EXTENDED_P3_5: &str = "1.2.840.10008.1.2.4.52";
/// JPEG Spectral Selection, Non-Hierarchical (Process 6 and 8) (retired).
pub const JPEG_SPECTRAL_P6_8: &str = "1.2.840.10008.1.2.4.53";
/// JPEG Spectral Selection, Non-Hierarchical (Process 7 and 9) (retired).
pub const JPEG_SPECTRAL_P7_9: &str = "1.2.840.10008.1.2.4.54";
/// JPEG Full Progression, Non-Hierarchical (Process 10 and 12) (retired).
pub const JPEG_PROGRESSIVE_P10_12: &str = "1.2.840.10008.1.2.4.55";
/// JPEG Full Progression, Non-Hierarchical (Process 11 and 13) (retired).
pub const JPEG_PROGRESSIVE_P11_13: &str = "1.2.840.10008.1.2.4.56";
/// JPEG Lossless, Non-Hierarchical (Process 14).
pub const JPEG_LOSSLESS: &str = "1.2.840.10008.1.2.4.57";
/// JPEG Lossless, Non-Hierarchical (Process 15) (retired).
pub const JPEG_LOSSLESS_P15: &str = "1.2.840.10008.1.2.4.58";
/// JPEG Extended, Hierarchical (Process 16 and 18) (retired).
pub const JPEG_HIERARCHICAL_P16_18: &str = "1.2.840.10008.1.2.4.59";
/// JPEG Extended, Hierarchical (Process 17 and 19) (retired).
pub const JPEG_HIERARCHICAL_P17_19: &str = "1.2.840.10008.1.2.4.60";
/// JPEG Spectral Selection, Hierarchical (Process 20 and 22) (retired).
pub const JPEG_HIERARCHICAL_P20_22: &str = "1.2.840.10008.1.2.4.61";
/// JPEG Spectral Selection, Hierarchical (Process 21 and 23) (retired).
pub const JPEG_HIERARCHICAL_P21_23: &str = "1.2.840.10008.1.2.4.62";
/// JPEG Full Progression, Hierarchical (Process 24 and 26) (retired).
pub const JPEG_HIERARCHICAL_P24_26: &str = "1.2.840.10008.1.2.4.63";
/// JPEG Full Progression, Hierarchical (Process 25 and 27) (retired).
pub const JPEG_HIERARCHICAL_P25_27: &str = "1.2.840.10008.1.2.4.64";
/// JPEG Lossless, Hierarchical (Process 28) (retired).
pub const JPEG_HIERARCHICAL_P28: &str = "1.2.840.10008.1.2.4.65";
/// JPEG Lossless, Hierarchical (Process 29) (retired).
pub const JPEG_HIERARCHICAL_P29: &str = "1.2.840.10008.1.2.4.66";
/// JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 SV1).
pub const JPEG_LOSSLESS_SV1: &str = "1.2.840.10008.1.2.4.70";
/// JPEG-LS Lossless Image Compression.
pub const JPEG_LS_LOSSLESS: &str = "1.2.840.10008.1.2.4.80";
/// JPEG-LS Lossy (Near-Lossless) Image Compression.
pub const JPEG_LS_NEAR_LOSSLESS: &str = "1.2.840.10008.1.2.4.81";
/// JPEG 2000 Image Compression (Lossless Only).
pub const JPEG_2000_LOSSLESS: &str = "1.2.840.10008.1.2.4.90";
/// JPEG 2000 Image Compression.
pub const JPEG_2000: &str = "1.2.840.10008.1.2.4.91";
/// JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only).
pub const JPEG_2000_MC_LOSSLESS: &str = "1.2.840.10008.1.2.4.92";
/// JPEG 2000 Part 2 Multi-component Image Compression.
pub const JPEG_2000_MC: &str = "1.2.840.10008.1.2.4.93";
/// JPIP Referenced.
pub const JPIP_REFERENCED: &str = "1.2.840.10008.1.2.4.94";
/// JPIP Referenced Deflate.
pub const JPIP_REFERENCED_DEFLATE: &str = "1.2.840.10008.1.2.4.95";
/// MPEG2 Main Profile / Main Level.
pub const MPEG2_MPML: &str = "1.2.840.10008.1.2.4.100";
/// Fragmentable MPEG2 Main Profile / Main Level.
pub const MPEG2_MPML_F: &str = "1.2.840.10008.1.2.4.100.1";
/// MPEG2 Main Profile / High Level.
pub const MPEG2_MPHL: &str = "1.2.840.10008.1.2.4.101";
/// Fragmentable MPEG2 Main Profile / High Level.
pub const MPEG2_MPHL_F: &str = "1.2.840.10008.1.2.4.101.1";
/// MPEG-4 AVC/H.264 High Profile / Level 4.1.
pub const MPEG4_HP41: &str = "1.2.840.10008.1.2.4.102";
/// Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1.
pub const MPEG4_HP41_F: &str = "1.2.840.10008.1.2.4.102.1";
/// MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1.
pub const MPEG4_HP41_BD: &str = "1.2.840.10008.1.2.4.103";
/// Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1.
pub const MPEG4_HP41_BD_F: &str = "1.2.840.10008.1.2.4.103.1";
/// MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video.
pub const MPEG4_HP42_2D: &str = "1.2.840.10008.1.2.4.104";
/// Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video.
pub const MPEG4_HP42_2D_F: &str = "1.2.840.10008.1.2.4.104.1";
/// MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video.
pub const MPEG4_HP42_3D: &str = "1.2.840.10008.1.2.4.105";
/// Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video.
pub const MPEG4_HP42_3D_F: &str = "1.2.840.10008.1.2.4.105.1";
/// MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2.
pub const MPEG4_HP42_STEREO: &str = "1.2.840.10008.1.2.4.106";
/// Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2.
pub const MPEG4_HP42_STEREO_F: &str = "1.2.840.10008.1.2.4.106.1";
/// HEVC/H.265 Main Profile / Level 5.1.
pub const HEVC_MP51: &str = "1.2.840.10008.1.2.4.107";
/// HEVC/H.265 Main 10 Profile / Level 5.1.
pub const HEVC_M10P51: &str = "1.2.840.10008.1.2.4.108";
/// JPEG XL Lossless.
pub const JPEG_XL_LOSSLESS: &str = "1.2.840.10008.1.2.4.110";
/// JPEG XL JPEG Recompression.
pub const JPEG_XL_JPEG_RECOMPRESSION: &str = "1.2.840.10008.1.2.4.111";
/// JPEG XL.
pub const JPEG_XL: &str = "1.2.840.10008.1.2.4.112";
/// High-Throughput JPEG 2000 Image Compression (Lossless Only).
pub const HTJ2K_LOSSLESS: &str = "1.2.840.10008.1.2.4.201";
/// High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only).
pub const HTJ2K_LOSSLESS_RPCL: &str = "1.2.840.10008.1.2.4.202";
/// High-Throughput JPEG 2000 Image Compression.
pub const HTJ2K: &str = "1.2.840.10008.1.2.4.203";
/// JPIP HTJ2K Referenced.
pub const JPIP_HTJ2K_REFERENCED: &str = "1.2.840.10008.1.2.4.204";
/// JPIP HTJ2K Referenced Deflate.
pub const JPIP_HTJ2K_REFERENCED_DEFLATE: &str = "1.2.840.10008.1.2.4.205";
/// RLE Lossless.
pub const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";
/// Deflated Image Frame Compression (Supplement 244).
pub const DEFLATED_IMAGE_FRAME_COMPRESSION: &str = "1.2.840.10008.1.2.8.1";
/// RFC 2557 MIME encapsulation (retired).
pub const RFC_2557_MIME: &str = "1.2.840.10008.1.2.6.1";
/// XML Encoding (retired).
pub const XML_ENCODING: &str = "1.2.840.10008.1.2.6.2";
/// SMPTE ST 2110-20 Uncompressed Progressive Active Video.
pub const SMPTE_ST_2110_20_PROGRESSIVE: &str = "1.2.840.10008.1.2.7.1";
/// SMPTE ST 2110-20 Uncompressed Interlaced Active Video.
pub const SMPTE_ST_2110_20_INTERLACED: &str = "1.2.840.10008.1.2.7.2";
/// SMPTE ST 2110-30 PCM Digital Audio.
pub const SMPTE_ST_2110_30_PCM: &str = "1.2.840.10008.1.2.7.3";
/// Papyrus 3 Implicit VR Little Endian (retired).
pub const PAPYRUS_3_IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.20";
