//! The JPEG-LS DICOM files of the shared corpus (MANIFEST.csv rows with
//! transfer syntax .80/.81), read through the core file reader and decoded
//! frame by frame, bit-exact against their `ref_sha256` (pydicom's output
//! with GDCM / pylibjpeg, see the corpus README).

use super::decode_frame;
use super::tests::{corpus_dir, sha256};
use crate::parser::ParsedFile;
use crate::uid;

/// (file, ref_sha256) of the corpus's JPEG-LS rows that have a reference.
fn rows() -> Vec<(String, String)> {
    let Some(dir) = corpus_dir() else {
        return Vec::new();
    };
    let text = std::fs::read_to_string(dir.join("MANIFEST.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (f, ts, r) = (col("file"), col("transfer_syntax_uid"), col("ref_sha256"));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|c| {
            c.len() > r
                && [uid::JPEG_LS_LOSSLESS, uid::JPEG_LS_NEAR_LOSSLESS].contains(&c[ts])
                && !c[r].is_empty()
        })
        .map(|c| (c[f].to_string(), c[r].to_string()))
        .collect()
}

#[test]
fn corpus_jpegls_files_are_bit_exact() {
    let rows = rows();
    let Some(dir) = corpus_dir() else { return };
    assert!(!rows.is_empty(), "no JPEG-LS rows in the manifest");
    for (name, want) in &rows {
        let buf = std::fs::read(dir.join(name)).unwrap();
        let file = ParsedFile::parse(&buf).unwrap_or_else(|e| panic!("{name}: {e}"));
        let layout = file.layout().unwrap();
        let frame_len = layout.desc.frame_output_len().unwrap() as usize;
        let enc = file.encapsulated.as_ref().expect("encapsulated");
        let mut out = vec![0u8; frame_len * layout.frames];
        for (i, dst) in out.chunks_mut(frame_len).enumerate() {
            let mut src = Vec::new();
            for g in &enc.frames[i] {
                src.extend_from_slice(&file.data[g.offset..g.offset + g.length]);
            }
            let r = decode_frame(&src, &layout.desc, dst)
                .unwrap_or_else(|e| panic!("{name} frame {i}: {e}"));
            assert!(r.is_clean(), "{name} frame {i}: {:?}", r.warnings);
        }
        assert_eq!(&sha256(&out), want, "{name}");
    }
    eprintln!("{} JPEG-LS DICOM files bit-exact", rows.len());
}

/// The same files through the registry and the dispatch (what `read_pixels`
/// runs: frames in parallel, fragments concatenated).
#[test]
fn corpus_jpegls_files_decode_through_the_dispatch() {
    let rows = rows();
    let Some(dir) = corpus_dir() else { return };
    for (name, want) in &rows {
        let buf = std::fs::read(dir.join(name)).unwrap();
        let file = ParsedFile::parse(&buf).unwrap();
        let (_, out, warnings) =
            crate::decode::decode_all(&file, Some(2)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(warnings.is_empty(), "{name}: {warnings:?}");
        assert_eq!(&sha256(&out), want, "{name}");
    }
}

/// The registry's encoder writes streams the decoder reads back exactly
/// (CharLS agreement of the encoder: tests/jpegls_charls_check.py).
#[test]
fn registry_encoder_round_trips_signed_and_unsigned() {
    use crate::codecs::{lookup, EncodeContext};
    use crate::pixels::PixelDescription;
    let enc = lookup(crate::uid::JPEG_LS_LOSSLESS)
        .unwrap()
        .encoder()
        .unwrap();
    for (bs, pr, spp) in [(12u16, 1u16, 1u16), (16, 0, 1), (8, 0, 3), (7, 1, 1)] {
        let ba = if bs > 8 { 16 } else { 8 };
        let desc = PixelDescription {
            rows: 9,
            columns: 13,
            number_of_frames: 1,
            samples_per_pixel: spp,
            bits_allocated: ba,
            bits_stored: bs,
            high_bit: bs - 1,
            pixel_representation: pr,
            planar_configuration: 0,
            photometric_interpretation: if spp == 3 { "RGB" } else { "MONOCHROME2" }.into(),
            ..Default::default()
        };
        let n = desc.frame_output_len().unwrap() as usize;
        // Values as pydicom returns them: sign-extended from Bits Stored.
        let src: Vec<u8> = if ba == 16 {
            (0..n / 2)
                .flat_map(|i| {
                    let v = ((i * 2654435761usize) >> 7) as u16;
                    let sh = 16 - bs;
                    let v = if pr == 1 {
                        (((v << sh) as i16) >> sh) as u16
                    } else {
                        (v << sh) >> sh
                    };
                    v.to_le_bytes()
                })
                .collect()
        } else {
            (0..n)
                .map(|i| {
                    let v = ((i * 2654435761usize) >> 9) as u8;
                    let sh = 8 - bs;
                    if pr == 1 {
                        (((v << sh) as i8) >> sh) as u8
                    } else {
                        (v << sh) >> sh
                    }
                })
                .collect()
        };
        let s = enc.encode(&src, &desc, &EncodeContext::default()).unwrap();
        let mut out = vec![0u8; n];
        decode_frame(&s, &desc, &mut out).unwrap();
        assert_eq!(out, src, "bits stored {bs} pr {pr} spp {spp}");
    }
}
