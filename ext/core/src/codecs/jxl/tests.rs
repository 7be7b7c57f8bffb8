//! Tests of the JPEG XL codec against libjxl (imagecodecs) and the encoder's
//! originals (`tests/data/jxl/make_fixtures.py`).

use super::*;
use crate::parser::ParsedFile;
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/jxl")
}

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// Largest absolute difference between two sample buffers of `t`.
fn max_diff(a: &[u8], b: &[u8], t: SampleType) -> i64 {
    assert_eq!(a.len(), b.len());
    match t {
        SampleType::U8 => a
            .iter()
            .zip(b)
            .map(|(&x, &y)| (x as i64 - y as i64).abs())
            .max()
            .unwrap_or(0),
        _ => a
            .chunks_exact(2)
            .zip(b.chunks_exact(2))
            .map(|(x, y)| {
                (u16::from_le_bytes([x[0], x[1]]) as i64 - u16::from_le_bytes([y[0], y[1]]) as i64)
                    .abs()
            })
            .max()
            .unwrap_or(0),
    }
}

#[test]
fn streams_match_libjxl_and_the_originals() {
    let rows = crate::codecs::test_csv(&data_dir().join("streams.csv"));
    assert_eq!(rows.len(), 8);
    for r in rows {
        let name = &r["name"];
        let src = std::fs::read(data_dir().join(name)).unwrap();
        for threads in [1, 2] {
            let d =
                decode(&src, &DecodeOptions { threads }).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(d.sample_type.numpy_str(), r["dtype"], "{name}");
            let mut shape = format!("{}x{}", d.info.height, d.info.width);
            if d.info.channels > 1 {
                shape += &format!("x{}", d.info.channels);
            }
            assert_eq!(shape, r["shape"], "{name}");
            if r["lossless"] == "1" {
                assert_eq!(sha(&d.data), r["sha_original"], "{name} vs the original");
                assert_eq!(sha(&d.data), r["sha_libjxl"], "{name} vs libjxl");
            } else {
                let reference =
                    std::fs::read(data_dir().join(name.replace(".jxl", ".ref"))).unwrap();
                let diff = max_diff(&d.data, &reference, d.sample_type);
                // jxl-oxide and libjxl round their float pipelines differently.
                let tol = if d.sample_type == SampleType::U8 {
                    1
                } else {
                    64
                };
                assert!(diff <= tol, "{name}: differs from libjxl by {diff}");
            }
        }
    }
}

#[test]
fn frames_check_the_dicom_attributes() {
    let src = std::fs::read(data_dir().join("u12_c1.jxl")).unwrap();
    let good = PixelDescription {
        rows: 40,
        columns: 33,
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
    let mut out = vec![0u8; 40 * 33 * 2];
    assert!(decode_frame(&src, &good, &mut out).unwrap().is_clean());
    let d = decode(&src, &Default::default()).unwrap();
    assert_eq!(out, d.data);
    for bad in [
        PixelDescription {
            rows: 41,
            ..good.clone()
        },
        PixelDescription {
            samples_per_pixel: 3,
            ..good.clone()
        },
    ] {
        let mut out = vec![0u8; bad.frame_output_len().unwrap() as usize];
        assert!(decode_frame(&src, &bad, &mut out).is_err());
    }
    let ba8 = PixelDescription {
        bits_allocated: 8,
        bits_stored: 8,
        high_bit: 7,
        ..good.clone()
    };
    let mut out = vec![0u8; 40 * 33];
    assert!(matches!(
        decode_frame(&src, &ba8, &mut out),
        Err(Error::Unsupported(_))
    ));
    let bs16 = PixelDescription {
        bits_stored: 16,
        ..good
    };
    let mut out = vec![0u8; 40 * 33 * 2];
    let rep = decode_frame(&src, &bs16, &mut out).unwrap();
    assert!(rep.warnings[0].contains("bit depth 12"), "{rep:?}");
    let i = info(&src).unwrap();
    assert_eq!(
        (i.width, i.height, i.channels, i.bits_per_sample),
        (33, 40, 1, 12)
    );
    assert!(!i.float && !i.xyb);
}

#[test]
fn corpus_file_is_close_to_libjxl() {
    let Some(dir) = crate::codecs::test_corpus_dir() else {
        eprintln!("SKIPPED: no corpus at ../shared/corpus/dev");
        return;
    };
    let rows = crate::codecs::test_csv(&data_dir().join("corpus.csv"));
    let file = &rows[0]["file"];
    let buf = std::fs::read(dir.join(file)).unwrap();
    let f = ParsedFile::parse(&buf).unwrap();
    let layout = f.layout().unwrap();
    let enc = f.encapsulated.as_ref().unwrap();
    let n = layout.desc.frame_output_len().unwrap() as usize;
    let mut out = vec![0u8; n];
    let mut exact = 0;
    for r in &rows {
        let i: usize = r["frame"].parse().unwrap();
        let g = &enc.frames[i][0];
        let rep =
            decode_frame(&buf[g.offset..g.offset + g.length], &layout.desc, &mut out).unwrap();
        assert!(rep.warnings.iter().any(|w| w.contains("renders RGB")));
        exact += (sha(&out) == r["sha_libjxl"]) as usize;
        if i == 0 {
            let want = std::fs::read(data_dir().join(format!("{file}_f0.ref"))).unwrap();
            let cols = layout.desc.columns as usize;
            let mut crop = Vec::new();
            for y in 300..332 {
                crop.extend_from_slice(&out[(y * cols + 500) * 3..(y * cols + 532) * 3]);
            }
            let diff = max_diff(&crop, &want, SampleType::U8);
            eprintln!("{file} frame 0: crop differs from libjxl by at most {diff}");
            assert!(diff <= 2, "{diff}");
        }
    }
    eprintln!(
        "{file}: {exact} of {} frames bit-exact with libjxl",
        rows.len()
    );
}

#[test]
fn garbage_is_an_error() {
    for bad in [
        &b""[..],
        b"\xFF\x0A",
        b"\xFF\x0Agarbage-garbage",
        b"\0\0\0\x0cJXL \r\n\x87\n",
    ] {
        assert!(decode(bad, &Default::default()).is_err());
    }
    let src = std::fs::read(data_dir().join("u8_c3.jxl")).unwrap();
    for n in (0..src.len()).step_by(37) {
        assert!(decode(&src[..n], &Default::default()).is_err(), "{n}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]
    #[test]
    fn mutated_streams_never_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let name = ["u8_c3.jxl", "u12_c1.jxl", "u8_c3_lossy.jxl"][which];
        let mut s = std::fs::read(data_dir().join(name)).unwrap();
        for (i, v) in edits {
            let k = i.index(s.len());
            s[k] = v;
        }
        let _ = decode(&s, &Default::default());
    }
}
