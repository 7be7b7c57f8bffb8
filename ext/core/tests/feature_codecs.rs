//! JPEG 2000 / HTJ2K, JPEG XL and Deflated Image Frames end to end through
//! the decode dispatch (`decode_all`), one thread and several: the corpus
//! files against their references (MANIFEST.csv `ref_sha256`, else the
//! fixtures' imagecodecs / zlib references). Skipped without the corpus
//! (`../shared/corpus/dev` from the repository root, or `$DICODEC_CORPUS`).

#![cfg(any(feature = "j2k", feature = "jxl", feature = "deflate-frames"))]

use dicodec_core::decode::decode_all;
use dicodec_core::parser::ParsedFile;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::var_os("DICODEC_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain([repo.join("../shared/corpus/dev")])
        .find(|d| d.join("MANIFEST.csv").is_file())
}

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn check(file: &str, want: &str, warns: Option<&str>) {
    let Some(dir) = corpus() else {
        eprintln!("SKIPPED: no corpus");
        return;
    };
    let buf = std::fs::read(dir.join(file)).unwrap();
    let p = ParsedFile::parse(&buf).unwrap();
    for threads in [Some(1), Some(2), None] {
        let (_, out, warnings) = decode_all(&p, threads).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(sha(&out), want, "{file} threads {threads:?}");
        if let Some(w) = warns {
            assert!(warnings.iter().any(|x| x.contains(w)), "{warnings:?}");
        }
    }
}

#[cfg(feature = "j2k")]
#[test]
fn j2k_files() {
    // Multi-frame lossless, 1-bit, YBR_RCT in JP2, signed lossy, HTJ2K RGB.
    check(
        "pydicomdata__emri_small_jpeg_2k_lossless.dcm",
        "9719c5d0f62ce971a1039c9cd73a6785427f4f80a1d3b6969cb9ffc425fba054",
        None,
    );
    check(
        "pydicomdata__liver_j2k.dcm",
        "86ceb97b138085d01b005c48e893bb4348fcdcf6a9c5c73c54d4efaa0288a1f2",
        None,
    );
    check(
        "pydicom__GDCMJ2K_TextGBR.dcm",
        "bea5673fdd49313fd8c391f115e57ac501f44194aa3915c22293ddb55f1d0b88",
        None,
    );
    check(
        "pydicom__693_J2KI.dcm",
        "f249f833d5e3cbc361b4ced94aeeb8db7fc7376087b9f395a2ccf2f6f3059268",
        None,
    );
    check(
        "pylibjpeg__JPEG2000Lossless_TOSHIBA_J2K_SIZ1_PixRep0.dcm",
        "587b5852a5d3873b2d0f187000357aa696ec07afd6a75ccdccf4c3d4d108f359",
        Some("signed but Pixel Representation is 0"),
    );
    check(
        "pydicomdata__HTJ2KLossless_08_RGB.dcm",
        "9d87240604f5d7522c6a8056ace6cefc2c8d6d0b07bd6e7303d5e5b21af9a49e",
        None,
    );
}

#[cfg(feature = "deflate-frames")]
#[test]
fn deflated_frames_file() {
    check(
        "pydicomdata__liver_nonbyte_aligned_deflate.dcm",
        "842dd64c92ce1a92a823bd219ae4a0796881cee25c1a507f73c0b52d37fa2e9f",
        None,
    );
}

#[cfg(feature = "jxl")]
#[test]
fn jxl_file_decodes() {
    let Some(dir) = corpus() else {
        eprintln!("SKIPPED: no corpus");
        return;
    };
    let buf = std::fs::read(dir.join("dcm4che__will-jxl.dcm")).unwrap();
    let p = ParsedFile::parse(&buf).unwrap();
    let (layout, one, w) = decode_all(&p, Some(1)).unwrap();
    assert_eq!(layout.frames, 27);
    assert!(w.iter().any(|x| x.contains("renders RGB")));
    let (_, two, _) = decode_all(&p, Some(2)).unwrap();
    assert_eq!(one, two);
}
