//! Tests of the JPEG 2000 codec against independent references: imagecodecs'
//! OpenJPEG 2.5.4 and OpenJPH decodes and the encoders' originals
//! (`tests/data/j2k/streams.csv`), pydicom 3 with the gdcm and imagecodecs
//! plugins (`dicom.csv`), and the corpus's `ref_sha256` (MANIFEST.csv, or
//! `corpus.csv` where the manifest has none). The fixtures and their
//! references come from `tests/data/j2k/make_fixtures.py`.

use super::*;
use crate::error::Error;
use crate::parser::ParsedFile;
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub(crate) fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/j2k")
}

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(data_dir().join(name)).unwrap()
}

/// Every build of OpenJPEG this binary runs here (x86-64-v3 and portable
/// on an AVX2 machine), then `Auto`.
fn builds() -> Vec<OpenJpegBuild> {
    let mut b = OpenJpegBuild::available();
    #[cfg(all(dicodec_openjpeg_v3, target_arch = "x86_64"))]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("bmi2") {
        assert_eq!(b[0], OpenJpegBuild::X86_64V3, "the AVX2 build is missing");
    }
    b.push(OpenJpegBuild::Auto);
    b
}

#[test]
fn streams_match_openjpeg_openjph_and_the_originals() {
    let rows = crate::codecs::test_csv(&data_dir().join("streams.csv"));
    assert!(rows.len() >= 50);
    let mut openjph_agrees = 0;
    let builds = builds();
    for r in &rows {
        let name = &r["name"];
        let src = fixture(name);
        for (threads, build) in [1, 3]
            .into_iter()
            .flat_map(|t| builds.iter().map(move |&b| (t, b)))
        {
            let d = decode(&src, &DecodeOptions { threads, build })
                .unwrap_or_else(|e| panic!("{name} ({build:?}): {e}"));
            assert_eq!(d.sample_type.numpy_str(), r["dtype"], "{name}");
            let mut shape = format!("{}x{}", d.info.height, d.info.width);
            if d.info.components.len() > 1 {
                shape += &format!("x{}", d.info.components.len());
            }
            assert_eq!(shape, r["shape"], "{name}");
            let got = sha(&d.data);
            assert_eq!(got, r["sha_openjpeg"], "{name} vs OpenJPEG");
            if r["lossless"] == "1" {
                assert_eq!(got, r["sha_original"], "{name} vs the original");
            }
            if !r["sha_openjph"].is_empty() {
                assert!(d.info.ht, "{name}");
                if r["lossless"] == "1" {
                    assert_eq!(got, r["sha_openjph"], "{name} vs OpenJPH");
                }
                openjph_agrees += (got == r["sha_openjph"]) as usize;
            } else {
                assert!(!d.info.ht, "{name}");
            }
            assert!(d.report.is_clean(), "{name}: {:?}", d.report);
        }
    }
    assert!(openjph_agrees > 10 * builds.len());
}

#[test]
fn builds_are_named_and_unusable_ones_refused() {
    assert_eq!(OpenJpegBuild::Portable.name(), "portable");
    let auto = OpenJpegBuild::Auto.name();
    assert!(auto == "portable" || auto == "x86-64-v3", "{auto}");
    let src = fixture("ht_u16_c1_tiles.j2k");
    for b in [OpenJpegBuild::X86_64V3, OpenJpegBuild::Portable] {
        let opts = DecodeOptions {
            threads: 1,
            build: b,
        };
        if OpenJpegBuild::available().contains(&b) {
            assert_eq!(
                b.name(),
                if b == OpenJpegBuild::Portable {
                    "portable"
                } else {
                    "x86-64-v3"
                }
            );
            assert!(decode(&src, &opts).is_ok());
        } else {
            let e = decode(&src, &opts).unwrap_err();
            assert!(matches!(e, Error::Unsupported(_)), "{e}");
        }
    }
}

#[test]
fn info_reads_tiles_levels_and_ht() {
    let i = info(&fixture("ht_u16_c1_tiles.j2k")).unwrap();
    assert!(i.ht);
    assert_eq!((i.width, i.height, i.tiles, i.levels), (80, 96, 9, 3));
    assert_eq!((i.precision, i.signed), (16, false));
    let i = info(&fixture("j2k_u8_c3_tiles.j2k")).unwrap();
    assert_eq!((i.tiles, i.levels, i.components.len()), (9, 2, 3));
    assert!(!i.ht && i.reversible && !i.mct);
    assert!(info(&fixture("j2k_u8_c3_lossy.j2k")).unwrap().mct);
    let i = info(&fixture("j2k_u8_c3.jp2")).unwrap();
    assert!(i.jp2 && i.codestream_offset > 0);
    let i = info(&fixture("j2k_s12_c1.j2k")).unwrap();
    assert_eq!((i.precision, i.signed, i.levels), (12, true, 1));
    let i = info(&fixture("j2k_u16_c1_lossy.j2k")).unwrap();
    assert!(!i.reversible);
}

/// A description from dicom.csv's attributes.
fn desc_of(r: &HashMap<String, String>) -> PixelDescription {
    let n = |k: &str| r[k].parse::<u32>().unwrap();
    PixelDescription {
        rows: n("rows"),
        columns: n("columns"),
        number_of_frames: 1,
        samples_per_pixel: n("spp") as u16,
        bits_allocated: n("ba") as u16,
        bits_stored: n("bs") as u16,
        high_bit: n("bs") as u16 - 1,
        pixel_representation: n("pr") as u16,
        planar_configuration: 0,
        photometric_interpretation: r["pi"].clone(),
        element: PixelElement::PixelData,
    }
}

#[test]
fn dicom_attributes_are_applied_as_pydicom_does() {
    let rows = crate::codecs::test_csv(&data_dir().join("dicom.csv"));
    assert_eq!(rows.len(), 12);
    let mut by_gdcm = 0;
    for r in &rows {
        let name = &r["name"];
        let desc = desc_of(r);
        let mut out = vec![0u8; desc.frame_output_len().unwrap() as usize];
        let rep = decode_frame(&fixture(name), &desc, &mut out).unwrap();
        let got = sha(&out);
        assert_eq!(got, r["sha_imagecodecs"], "{name}: {:?}", rep.warnings);
        if !r["sha_gdcm"].starts_with("fail") {
            assert_eq!(got, r["sha_gdcm"], "{name}");
            by_gdcm += 1;
        }
        assert_eq!(desc.sample_type().unwrap().numpy_str(), r["dtype"]);
    }
    assert_eq!(by_gdcm, 10);
}

/// Decodes every frame of a corpus file with [`decode_frame`].
fn decode_file(path: &Path, opts: &DecodeOptions) -> Result<Vec<u8>> {
    let buf = std::fs::read(path).unwrap();
    let f = ParsedFile::parse(&buf)?;
    let layout = f.layout()?;
    let enc = f
        .encapsulated
        .as_ref()
        .ok_or_else(|| Error::unsupported("not encapsulated"))?;
    let n = layout.desc.frame_output_len()? as usize;
    let mut out = vec![0u8; n * layout.frames];
    for (i, dst) in out.chunks_mut(n).enumerate() {
        let mut src = Vec::new();
        for g in enc.frames.get(i).map_or(&[][..], |v| v.as_slice()) {
            src.extend_from_slice(&buf[g.offset..g.offset + g.length]);
        }
        decode_frame_with(&src, &layout.desc, dst, opts)?;
    }
    Ok(out)
}

#[test]
fn corpus_files_match_their_references() {
    let Some(dir) = crate::codecs::test_corpus_dir() else {
        eprintln!("SKIPPED: no corpus at ../shared/corpus/dev");
        return;
    };
    let extra: HashMap<String, String> = crate::codecs::test_csv(&data_dir().join("corpus.csv"))
        .into_iter()
        .map(|r| (r["file"].clone(), r["sha_imagecodecs"].clone()))
        .collect();
    let manifest = crate::codecs::test_csv(&dir.join("MANIFEST.csv"));
    let ref_of = |f: &str| {
        manifest
            .iter()
            .find(|r| r["file"] == f)
            .map(|r| r["ref_sha256"].clone())
    };
    // pydicom stops at the missing sequence delimiter of this truncated
    // file; dicodec reads its 10 complete frames: those of its twin.
    let twins = [(
        "pydicomdata__emri_small_jpeg_2k_lossless_too_short.dcm",
        "pydicomdata__emri_small_jpeg_2k_lossless.dcm",
    )];
    let (mut exact, mut errors) = (0, 0);
    for r in &manifest {
        let ts = &r["transfer_syntax_uid"];
        let Some(last) = ts.strip_prefix("1.2.840.10008.1.2.4.") else {
            continue;
        };
        if !["90", "91", "201", "202", "203"].contains(&last) {
            continue;
        }
        let file = &r["file"];
        let twin = twins.iter().find(|t| t.0 == file).and_then(|t| ref_of(t.1));
        let want = if let Some(twin) = twin {
            twin
        } else if r["ref_sha256"].is_empty() {
            extra.get(file).cloned().unwrap_or_default()
        } else {
            r["ref_sha256"].clone()
        };
        for build in builds() {
            let got = decode_file(&dir.join(file), &DecodeOptions { threads: 2, build });
            if want.starts_with("fail") || want.is_empty() {
                // No reference decoder could decode it: an error, not a crash.
                assert!(got.is_err(), "{file} decodes but no reference does");
                errors += 1;
            } else {
                let got = got.unwrap_or_else(|e| panic!("{file} ({build:?}): {e}"));
                assert_eq!(sha(&got), want, "{file} ({build:?})");
                exact += 1;
            }
        }
    }
    assert_eq!((exact, errors), (10 * builds().len(), 2 * builds().len()));
    for ((file, want), build) in extra
        .iter()
        .flat_map(|e| builds().into_iter().map(move |b| (e, b)))
    {
        if let Some(stream) = file.strip_prefix("jpeg/") {
            let d = decode(
                &std::fs::read(dir.join("jpeg").join(stream)).unwrap(),
                &DecodeOptions { threads: 1, build },
            )
            .unwrap();
            let mut shape = format!("{}x{}", d.info.height, d.info.width);
            if d.info.components.len() > 1 {
                shape += &format!("x{}", d.info.components.len());
            }
            let got = format!("{} {} {shape}", sha(&d.data), d.sample_type.numpy_str());
            assert_eq!(&got, want, "{file} ({build:?})");
        }
    }
}

#[test]
fn attributes_that_contradict_the_codestream_are_errors() {
    let src = fixture("j2k_u12_c1.j2k");
    let good = PixelDescription {
        rows: 29,
        columns: 37,
        number_of_frames: 1,
        samples_per_pixel: 1,
        bits_allocated: 16,
        bits_stored: 12,
        high_bit: 11,
        pixel_representation: 0,
        planar_configuration: 0,
        photometric_interpretation: "MONOCHROME2".into(),
        element: PixelElement::PixelData,
    };
    let mut out = vec![0u8; 29 * 37 * 2];
    assert!(decode_frame(&src, &good, &mut out).unwrap().is_clean());
    for bad in [
        PixelDescription {
            rows: 30,
            ..good.clone()
        },
        PixelDescription {
            columns: 36,
            ..good.clone()
        },
        PixelDescription {
            samples_per_pixel: 3,
            ..good.clone()
        },
    ] {
        let mut out = vec![0u8; bad.frame_output_len().unwrap() as usize];
        let e = decode_frame(&src, &bad, &mut out).unwrap_err();
        assert!(matches!(e, Error::Malformed { .. }), "{e}");
    }
    assert!(decode_frame(&src, &good, &mut out[1..]).is_err());
    let float = PixelDescription {
        element: PixelElement::FloatPixelData,
        bits_allocated: 32,
        ..good.clone()
    };
    let mut out = vec![0u8; 29 * 37 * 4];
    assert!(matches!(
        decode_frame(&src, &float, &mut out),
        Err(Error::Unsupported(_))
    ));
    // Precision below Bits Stored: decoded, reported.
    let bs16 = PixelDescription {
        bits_stored: 16,
        ..good
    };
    let mut out = vec![0u8; 29 * 37 * 2];
    let rep = decode_frame(&src, &bs16, &mut out).unwrap();
    assert!(rep.warnings[0].contains("precision 12 differs from Bits Stored 16"));
}

#[test]
fn huge_sizes_are_refused_before_decoding() {
    // A header claiming 60000 × 60000 × 3 (43 GB of planes).
    let mut h = header::tests::minimal(60000, 60000, 15, 0);
    h[41] = 3;
    h[5] = 47;
    h.splice(45..45, [15, 1, 1, 15, 1, 1]);
    let e = decode(&h, &Default::default()).unwrap_err();
    assert!(matches!(e, Error::LimitExceeded { .. }), "{e}");
    // 1×1 tiles on a 1000 × 1000 image: a million tiles.
    let mut h = header::tests::minimal(1000, 1000, 7, 0);
    h[24..32].copy_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1]);
    let e = decode(&h, &Default::default()).unwrap_err();
    assert!(e.to_string().contains("tiles"), "{e}");
}

#[test]
fn malformed_codestreams_are_errors() {
    // Header only, garbage, every truncation of a small stream, and the
    // SOT/SOD region overwritten.
    let h = header::tests::minimal(16, 16, 7, 0);
    assert!(decode(&h, &Default::default()).is_err());
    assert!(decode(b"\xFF\x4F\xFF\x51garbage", &Default::default()).is_err());
    assert!(decode(b"", &Default::default()).is_err());
    for (name, build) in ["j2k_u8_c1.j2k", "ht_u12_c3.j2k", "j2k_u8_c3.jp2"]
        .into_iter()
        .flat_map(|n| OpenJpegBuild::available().into_iter().map(move |b| (n, b)))
    {
        let src = fixture(name);
        let opts = DecodeOptions { threads: 1, build };
        for n in (0..src.len() - 2).step_by(7) {
            assert!(
                decode(&src[..n], &opts).is_err(),
                "{name}[..{n}] ({build:?})"
            );
        }
        let mut bad = src.clone();
        let mid = bad.len() / 2;
        bad[mid..mid + 16].fill(0xFF);
        let _ = decode(&bad, &opts);
    }
}

fn mutation_corpus() -> Vec<Vec<u8>> {
    [
        "j2k_u8_c1.j2k",
        "ht_u12_c1.j2k",
        "j2k_s16_c3.j2k",
        "j2k_u8_c3.jp2",
    ]
    .iter()
    .map(|n| fixture(n))
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    #[test]
    fn mutated_streams_never_panic(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut s = mutation_corpus()[which].clone();
        for (i, v) in edits {
            let k = i.index(s.len());
            s[k] = v;
        }
        let keep = s.len() - cut.index(s.len() / 4 + 1);
        s.truncate(keep);
        let _ = info(&s);
        let _ = decode(&s, &Default::default());
    }
}

#[test]
fn openjpeg_is_2_5() {
    assert!(
        openjpeg_version().starts_with("2.5."),
        "{}",
        openjpeg_version()
    );
}

/// `J2kCodec::writes_every_byte`: every frame decoded without error gives
/// the same bytes into a zeroed and a dirty buffer: the DICOM fixtures
/// (every mapping of `dicom.csv`), truncated and damaged copies of each, on
/// one and two threads.
#[test]
fn every_byte_is_written() {
    use crate::codecs::{DecodeContext, Frame, FrameDecoder};
    let rows = crate::codecs::test_csv(&data_dir().join("dicom.csv"));
    let mut checked = 0;
    for r in &rows {
        let desc = desc_of(r);
        let src = fixture(&r["name"]);
        let n = src.len();
        let mut streams: Vec<Vec<u8>> = [n / 2, n * 3 / 4, n - 2]
            .iter()
            .map(|&cut| src[..cut].to_vec())
            .collect();
        let mut bad = src.clone();
        for k in 3..9 {
            bad[n * k / 10] ^= 0x5A;
        }
        streams.extend([bad, src]);
        let len = desc.frame_output_len().unwrap() as usize;
        for s in &streams {
            for threads in [Some(1), Some(2)] {
                let ctx = DecodeContext::new(len, threads);
                let mut a = vec![0u8; len];
                let ra = J2kCodec.decode(&Frame::encapsulated(s), &desc, &mut a, &ctx);
                let mut b = vec![0xEEu8; len];
                let rb = J2kCodec.decode(&Frame::encapsulated(s), &desc, &mut b, &ctx);
                assert_eq!(ra.is_ok(), rb.is_ok(), "{}", r["name"]);
                if ra.is_ok() {
                    assert!(a == b, "{}", r["name"]);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 24, "{checked} decoded");
}
