use super::testutil::*;
use super::*;

const UNDEF: u32 = 0xFFFF_FFFF;

fn image_header(enc: Encoding) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend(text(enc, 0x0008_0060, b"CS", "CT"));
    d.extend(us(enc, SAMPLES_PER_PIXEL, 1));
    d.extend(text(enc, PHOTOMETRIC_INTERPRETATION, b"CS", "MONOCHROME2"));
    d.extend(text(enc, NUMBER_OF_FRAMES, b"IS", "2 "));
    d.extend(us(enc, ROWS, 2));
    d.extend(us(enc, COLUMNS, 3));
    d.extend(us(enc, BITS_ALLOCATED, 16));
    d.extend(us(enc, BITS_STORED, 12));
    d.extend(us(enc, HIGH_BIT, 11));
    d.extend(us(enc, PIXEL_REPRESENTATION, 1));
    d
}

#[test]
fn finds_attributes_in_each_encoding() {
    for enc in [
        Encoding::IMPLICIT_LE,
        Encoding::EXPLICIT_LE,
        Encoding::EXPLICIT_BE,
    ] {
        let mut d = image_header(enc);
        let px = d.len();
        d.extend(elem(enc, PIXEL_DATA, b"OW", &[0u8; 24]));
        let s = scan_dataset(&d, 0, enc).unwrap();
        let a = &s.attrs;
        assert_eq!(
            (
                a.rows,
                a.columns,
                a.number_of_frames,
                a.bits_stored,
                a.pixel_representation
            ),
            (Some(2), Some(3), Some(2), Some(12), Some(1)),
            "{enc:?}"
        );
        assert_eq!(a.photometric_interpretation.as_deref(), Some("MONOCHROME2"));
        let p = s.pixel.unwrap();
        assert_eq!(p.header_offset, px);
        assert_eq!(p.length, Some(24));
        assert_eq!(p.element, PixelElement::PixelData);
        assert!(s.warnings.is_empty());
    }
}

#[test]
fn nested_sequences_are_skipped_and_their_tags_ignored() {
    for enc in [
        Encoding::IMPLICIT_LE,
        Encoding::EXPLICIT_LE,
        Encoding::EXPLICIT_BE,
    ] {
        // SQ (undefined) > item (undefined) > SQ (undefined) > item (defined)
        // holding Rows = 99, then a defined-length SQ, then Rows = 7.
        let inner_item = us(enc, ROWS, 99);
        let mut inner_seq = elem(enc, ITEM, b"  ", &inner_item);
        inner_seq.extend(elem(enc, SEQUENCE_DELIMITATION, b"  ", &[]));
        let mut item = elem_len(enc, 0x0008_1140, b"SQ", &inner_seq, UNDEF);
        item.extend(us(enc, COLUMNS, 99));
        item.extend(elem(enc, ITEM_DELIMITATION, b"  ", &[]));
        let mut seq = elem_len(enc, ITEM, b"  ", &item, UNDEF);
        seq.extend(elem(enc, SEQUENCE_DELIMITATION, b"  ", &[]));
        let mut d = elem_len(enc, 0x0008_1115, b"SQ", &seq, UNDEF);
        let defined_item = elem(enc, ITEM, b"  ", &us(enc, ROWS, 98));
        d.extend(elem(enc, 0x0008_1120, b"SQ", &defined_item));
        d.extend(us(enc, ROWS, 7));
        d.extend(elem(enc, PIXEL_DATA, b"OB", &[1, 2]));
        let s = scan_dataset(&d, 0, enc).unwrap();
        assert_eq!(s.attrs.rows, Some(7), "{enc:?}");
        assert_eq!(s.attrs.columns, None);
        assert_eq!(s.pixel.unwrap().length, Some(2));
    }
}

#[test]
fn undefined_length_un_is_implicit_le_inside() {
    let enc = Encoding::EXPLICIT_BE;
    let li = Encoding::IMPLICIT_LE;
    let mut seq = elem_len(li, ITEM, b"  ", &us(li, ROWS, 5), UNDEF);
    seq.extend(elem(li, ITEM_DELIMITATION, b"  ", &[]));
    seq.extend(elem(li, SEQUENCE_DELIMITATION, b"  ", &[]));
    let mut d = elem_len(enc, 0x0009_1010, b"UN", &seq, UNDEF);
    d.extend(us(enc, ROWS, 4));
    let s = scan_dataset(&d, 0, enc).unwrap();
    assert_eq!(s.attrs.rows, Some(4));
    assert!(s.pixel.is_none());
    assert_eq!(s.end, d.len());
}

#[test]
fn first_top_level_pixel_element_wins() {
    let enc = Encoding::EXPLICIT_LE;
    let mut d = image_header(enc);
    d.extend(elem(enc, EXTENDED_OFFSET_TABLE, b"OV", &[0; 16]));
    d.extend(elem(
        enc,
        EXTENDED_OFFSET_TABLE_LENGTHS,
        b"OV",
        &[4, 0, 0, 0, 0, 0, 0, 0],
    ));
    d.extend(elem(enc, FLOAT_PIXEL_DATA, b"OF", &[0; 8]));
    d.extend(elem(enc, PIXEL_DATA, b"OW", &[0; 8]));
    let s = scan_dataset(&d, 0, enc).unwrap();
    assert_eq!(s.pixel.unwrap().element, PixelElement::FloatPixelData);
    assert_eq!(s.attrs.extended_offsets, Some(vec![0, 0]));
    assert_eq!(s.attrs.extended_lengths, Some(vec![4]));
}

#[test]
fn number_of_frames_forms() {
    assert_eq!(parse_is(" 12 "), Some(Ok(12)));
    assert_eq!(parse_is("3.0"), Some(Ok(3)));
    assert_eq!(parse_is("1\\2"), Some(Ok(1)));
    assert_eq!(parse_is(""), None);
    assert_eq!(parse_is("x"), Some(Err(())));
    let enc = Encoding::EXPLICIT_LE;
    let d = text(enc, NUMBER_OF_FRAMES, b"IS", "0");
    let s = scan_dataset(&d, 0, enc).unwrap();
    assert_eq!(s.attrs.number_of_frames, None);
    assert_eq!(s.warnings.len(), 1);
    let d = text(enc, NUMBER_OF_FRAMES, b"IS", "abc");
    assert!(scan_dataset(&d, 0, enc).is_err());
}

#[test]
fn truncation_and_bad_structure_are_malformed() {
    let enc = Encoding::EXPLICIT_LE;
    let mut d = image_header(enc);
    d.extend(elem(enc, 0x0009_0010, b"LO", b"ABCD"));
    d.extend(elem(enc, PIXEL_DATA, b"OW", &[0; 12]));
    for n in 0..d.len() {
        // Never panics; every cut inside an element is an error or stops
        // before pixel data.
        if let Ok(s) = scan_dataset(&d[..n], 0, enc) {
            assert!(s.pixel.is_none() || s.pixel.unwrap().header_offset + 12 <= n);
        }
    }
    // Length past the end.
    let mut bad = us(enc, ROWS, 1);
    bad[6] = 0x40;
    let e = scan_dataset(&bad, 0, enc).unwrap_err();
    assert_eq!(e.offset(), Some(0));
    // Unterminated sequence.
    let d = elem_len(enc, 0x0008_1115, b"SQ", &[], UNDEF);
    assert!(scan_dataset(&d, 0, enc).is_err());
    // Garbage inside a sequence.
    let d = elem_len(enc, 0x0008_1115, b"SQ", &[1, 2, 3, 4, 5, 6, 7, 8], UNDEF);
    assert!(scan_dataset(&d, 0, enc).is_err());
    // Deeply nested sequences do not overflow the stack.
    let mut d = Vec::new();
    for _ in 0..100_000 {
        d.extend(elem_len(enc, 0x0008_1115, b"SQ", &[], UNDEF));
        d.extend(elem_len(enc, ITEM, b"  ", &[], UNDEF));
    }
    assert!(scan_dataset(&d, 0, enc).is_err());
}
