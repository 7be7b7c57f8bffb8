//! Decode dispatch end to end on small built files: frames in parallel or
//! not, fragment concatenation, error context and offsets, unsupported syntaxes.

use dicodec_core::decode::{decode_all, decode_frames};
use dicodec_core::parser::dataset::ImageAttrs;
use dicodec_core::parser::element::Vr;
use dicodec_core::parser::encaps::build_items;
use dicodec_core::parser::{FrameStorage, ParsedFile};
use dicodec_core::pixels::PixelElement;
use dicodec_core::Error;

fn attrs(rows: i64, cols: i64, frames: i64) -> ImageAttrs {
    ImageAttrs {
        samples_per_pixel: Some(1),
        photometric_interpretation: Some("MONOCHROME2".into()),
        rows: Some(rows),
        columns: Some(cols),
        number_of_frames: Some(frames),
        bits_allocated: Some(8),
        bits_stored: Some(8),
        pixel_representation: Some(0),
        ..Default::default()
    }
}

const UNCOMPRESSED: &str = "1.2.840.10008.1.2.1.98";

#[test]
fn fragments_are_concatenated_per_frame() {
    // Frame 0 in fragments "ab" + "cd", frame 1 in "efgh" (BOT [0, 20]).
    let v = build_items(&[0, 20], &[b"ab", b"cd", b"efgh"]);
    let p = ParsedFile::from_parts(
        UNCOMPRESSED,
        attrs(2, 2, 2),
        PixelElement::PixelData,
        Vr::OB,
        &v,
    )
    .unwrap();
    for threads in [Some(1), Some(2), None] {
        let (layout, out, warnings) = decode_all(&p, threads).unwrap();
        assert_eq!(layout.frames, 2);
        assert_eq!(&out, b"abcdefgh");
        assert!(warnings.is_empty());
    }
    let l = p.layout().unwrap();
    let mut two = vec![0u8; 8];
    decode_frames(&p, &l, &[1, 0], &mut two, Some(2)).unwrap();
    assert_eq!(&two, b"efghabcd");
    // Wrong output size and bad indices are errors, not panics.
    assert!(decode_frames(&p, &l, &[0], &mut two, None).is_err());
    let mut one = vec![0u8; 4];
    assert!(decode_frames(&p, &l, &[2], &mut one, None).is_err());
}

#[test]
fn frame_errors_name_the_frame_and_a_data_offset() {
    // Frame 1 is one byte short: the native unpacker fails on it.
    let v = build_items(&[], &[b"abcd", b"efg"]);
    let p = ParsedFile::from_parts(
        UNCOMPRESSED,
        attrs(2, 2, 2),
        PixelElement::PixelData,
        Vr::OB,
        &v,
    )
    .unwrap();
    let e = decode_all(&p, None).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("frame 1: "), "{msg}");
    let off = e.offset().unwrap() as usize;
    assert!(off >= 20 && off <= v.len(), "{off}");
}

#[test]
fn unsupported_syntaxes_are_named() {
    let v = build_items(&[], &[b"\xFF\x4F\xFF\x51"]);
    for (uid, name) in [
        ("1.2.840.10008.1.2.4.100", "MPEG2"),
        ("1.2.840.10008.1.2.4.52", "JPEG Extended"),
        ("1.2.3.4.5", "unknown"),
    ] {
        let p = ParsedFile::from_parts(uid, attrs(2, 2, 1), PixelElement::PixelData, Vr::OB, &v)
            .unwrap();
        assert!(matches!(
            p.layout().unwrap().storage,
            FrameStorage::Encapsulated
        ));
        match decode_all(&p, None) {
            Err(Error::Unsupported(m)) => assert!(m.contains(uid) && m.contains(name), "{m}"),
            other => panic!("{uid}: {other:?}"),
        }
    }
}

#[test]
fn native_big_endian_ow_8_bit_is_swapped_like_pydicom() {
    // 1 x 3 x 8-bit in OW big endian: stored as 02 01 00 03.
    let mut a = attrs(1, 3, 1);
    a.bits_allocated = Some(8);
    let v = [2u8, 1, 0, 3];
    let p = ParsedFile::from_parts(
        "1.2.840.10008.1.2.2",
        a.clone(),
        PixelElement::PixelData,
        Vr::OW,
        &v,
    )
    .unwrap();
    assert_eq!(decode_all(&p, Some(1)).unwrap().1, vec![1, 2, 3]);
    // OB: bytes as stored.
    let p = ParsedFile::from_parts(
        "1.2.840.10008.1.2.2",
        a,
        PixelElement::PixelData,
        Vr::OB,
        &v,
    )
    .unwrap();
    assert_eq!(decode_all(&p, Some(1)).unwrap().1, vec![2, 1, 0]);
}
