//! Tests of Deflated Image Frame Compression: frames compressed by Python's
//! zlib (`tests/data/deflate/make_fixtures.py`), by flate2 (another
//! implementation) and by our encoder, the corpus file vs zlib + NumPy,
//! bombs and garbage.

use super::*;
use crate::parser::ParsedFile;
use crate::pixels::PixelElement;
use flate2::{write::DeflateEncoder, Compression};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/deflate")
}

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn desc(
    rows: u32,
    cols: u32,
    spp: u16,
    ba: u16,
    bs: u16,
    pr: u16,
    planar: u16,
) -> PixelDescription {
    PixelDescription {
        rows,
        columns: cols,
        number_of_frames: 1,
        samples_per_pixel: spp,
        bits_allocated: ba,
        bits_stored: bs,
        high_bit: bs - 1,
        pixel_representation: pr,
        planar_configuration: planar,
        photometric_interpretation: if spp == 3 { "RGB" } else { "MONOCHROME2" }.into(),
        element: PixelElement::PixelData,
    }
}

fn flate2_raw(b: &[u8]) -> Vec<u8> {
    let mut e = DeflateEncoder::new(Vec::new(), Compression::new(5));
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

#[test]
fn zlib_frames_decode_to_the_originals() {
    let rows = crate::codecs::test_csv(&data_dir().join("frames.csv"));
    assert_eq!(rows.len(), 7);
    for r in rows {
        let n = |k: &str| r[k].parse::<u32>().unwrap();
        let d = desc(
            n("rows"),
            n("columns"),
            n("spp") as u16,
            n("ba") as u16,
            n("bs") as u16,
            n("pr") as u16,
            n("planar") as u16,
        );
        let src = std::fs::read(data_dir().join(&r["name"])).unwrap();
        assert_eq!(src.len() % 2, 0);
        let mut out = vec![0u8; d.frame_output_len().unwrap() as usize];
        let rep = decode_frame(&src, &d, &mut out).unwrap();
        assert!(rep.is_clean());
        assert_eq!(sha(&out), r["sha"], "{}", r["name"]);
    }
}

#[test]
fn our_encoder_round_trips_through_flate2_and_back() {
    let frame: Vec<u8> = (0..10_001u32).map(|i| ((i / 13) ^ (i % 7)) as u8).collect();
    for level in [0, 1, 6, 12] {
        let enc = encode_frame(&frame, level).unwrap();
        assert_eq!(enc.len() % 2, 0);
        // flate2 (another inflater) reads it, padding byte and all.
        let mut d = flate2::read::DeflateDecoder::new(&enc[..]);
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut d, &mut back).unwrap();
        assert_eq!(back, frame, "level {level}");
        let dsc = desc(1, 10_001, 1, 8, 8, 0, 0);
        let mut out = vec![0u8; frame.len()];
        decode_frame(&enc, &dsc, &mut out).unwrap();
        assert_eq!(out, frame);
    }
    assert!(encode_frame(&frame, 13).is_err());
    // flate2's stream, odd length, unpadded: decoded as well.
    let odd = flate2_raw(&frame);
    assert_eq!(decode(&odd, frame.len()).unwrap(), frame);
}

#[test]
fn bombs_stop_at_the_frame_size() {
    // 64 MiB of zeros in ~64 KiB of deflate, for a 4 KiB frame.
    let bomb = flate2_raw(&vec![0u8; 64 << 20]);
    let d = desc(64, 64, 1, 8, 8, 0, 0);
    let mut out = vec![0u8; 4096];
    let e = decode_frame(&bomb, &d, &mut out).unwrap_err();
    assert!(e.to_string().contains("more than the 4096 bytes"), "{e}");
    assert!(matches!(
        decode(&bomb, 1 << 20),
        Err(Error::LimitExceeded { .. })
    ));
    // Too short a frame, garbage, empty.
    let short = flate2_raw(&[1u8; 4000]);
    assert!(decode_frame(&short, &d, &mut out)
        .unwrap_err()
        .to_string()
        .contains("4000"));
    assert!(decode_frame(b"\xFF\xFF\xFF\xFF", &d, &mut out).is_err());
    assert!(decode_frame(b"", &d, &mut out).is_err());
    assert!(decode_frame(&short, &d, &mut out[1..]).is_err());
}

#[test]
fn corpus_file_matches_zlib_and_numpy() {
    let Some(dir) = crate::codecs::test_corpus_dir() else {
        eprintln!("SKIPPED: no corpus at ../shared/corpus/dev");
        return;
    };
    let rows = crate::codecs::test_csv(&data_dir().join("corpus.csv"));
    assert!(!rows.is_empty());
    for r in rows {
        let buf = std::fs::read(dir.join(&r["file"])).unwrap();
        let f = ParsedFile::parse(&buf).unwrap();
        let layout = f.layout().unwrap();
        let enc = f.encapsulated.as_ref().unwrap();
        let n = layout.desc.frame_output_len().unwrap() as usize;
        let mut out = vec![0u8; n * layout.frames];
        for (i, dst) in out.chunks_mut(n).enumerate() {
            let g = &enc.frames[i][0];
            decode_frame(&buf[g.offset..g.offset + g.length], &layout.desc, dst).unwrap();
        }
        assert_eq!(layout.frames.to_string(), r["frames"]);
        assert_eq!(sha(&out), r["sha"], "{}", r["file"]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    #[test]
    fn mutated_streams_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut s = std::fs::read(data_dir().join("u16.deflate")).unwrap();
        for (i, v) in edits {
            let k = i.index(s.len());
            s[k] = v;
        }
        let d = desc(64, 48, 1, 16, 16, 0, 0);
        let mut out = vec![0u8; 64 * 48 * 2];
        let _ = decode_frame(&s, &d, &mut out);
    }
}
