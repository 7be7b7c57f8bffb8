//! Tests of the file reader: layouts, encapsulation, deflate, pydicom's
//! Image Pixel rules.

use super::super::dataset::testutil::*;
use super::super::dataset::*;
use super::super::encaps::build_items;
use super::*;

pub(crate) fn part10(ts: &str, enc: Encoding, body: &[u8]) -> Vec<u8> {
    let le = Encoding::EXPLICIT_LE;
    let mut f = vec![0u8; 128];
    f.extend_from_slice(b"DICM");
    let mut uid = ts.as_bytes().to_vec();
    if uid.len() % 2 == 1 {
        uid.push(0);
    }
    f.extend(elem(le, 0x0002_0001, b"OB", &[0, 1]));
    f.extend(elem(le, 0x0002_0010, b"UI", &uid));
    let _ = enc;
    f.extend_from_slice(body);
    f
}

pub(crate) fn image(
    enc: Encoding,
    rows: u16,
    cols: u16,
    frames: u32,
    ba: u16,
    spp: u16,
) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend(us(enc, SAMPLES_PER_PIXEL, spp));
    d.extend(text(
        enc,
        PHOTOMETRIC_INTERPRETATION,
        b"CS",
        if spp == 3 { "RGB" } else { "MONOCHROME2" },
    ));
    if spp == 3 {
        d.extend(us(enc, PLANAR_CONFIGURATION, 0));
    }
    d.extend(text(enc, NUMBER_OF_FRAMES, b"IS", &frames.to_string()));
    d.extend(us(enc, ROWS, rows));
    d.extend(us(enc, COLUMNS, cols));
    d.extend(us(enc, BITS_ALLOCATED, ba));
    d.extend(us(enc, BITS_STORED, ba));
    d.extend(us(enc, HIGH_BIT, ba - 1));
    d.extend(us(enc, PIXEL_REPRESENTATION, 0));
    d
}

#[test]
fn encapsulated_file_frames() {
    let enc = Encoding::EXPLICIT_LE;
    let mut body = image(enc, 2, 2, 2, 8, 1);
    let items = build_items(&[], &[b"ab", b"cd"]);
    body.extend(elem_len(enc, PIXEL_DATA, b"OB", &items, 0xFFFF_FFFF));
    let f = part10("1.2.840.10008.1.2.5", enc, &body);
    let p = ParsedFile::parse(&f).unwrap();
    assert!(p.has_preamble && p.has_file_meta);
    let l = p.layout().unwrap();
    assert_eq!(l.frames, 2);
    assert_eq!(l.storage, FrameStorage::Encapsulated);
    let r = p.frame_ranges(&l).unwrap();
    assert_eq!(r.len(), 2);
    let (o, n) = r[1][0];
    assert_eq!(&f[o as usize..(o + n) as usize], b"cd");
}

#[test]
fn encapsulated_from_parts_and_unknown_syntax() {
    let items = build_items(&[], &[b"ab"]);
    let attrs = ImageAttrs {
        samples_per_pixel: Some(1),
        photometric_interpretation: Some("MONOCHROME2".into()),
        rows: Some(1),
        columns: Some(1),
        bits_allocated: Some(8),
        bits_stored: Some(8),
        pixel_representation: Some(0),
        ..Default::default()
    };
    let p = ParsedFile::from_parts(
        "1.2.840.10008.1.2.4.52",
        attrs.clone(),
        PixelElement::PixelData,
        Vr::OB,
        &items,
    )
    .unwrap();
    let l = p.layout().unwrap();
    assert_eq!(l.storage, FrameStorage::Encapsulated);
    let p = ParsedFile::from_parts(
        "1.2.3.4",
        attrs.clone(),
        PixelElement::PixelData,
        Vr::OB,
        &items,
    )
    .unwrap();
    assert_eq!(p.layout().unwrap().storage, FrameStorage::Encapsulated);
    // Encapsulated syntax but raw bytes: malformed.
    let p = ParsedFile::from_parts(
        "1.2.840.10008.1.2.5",
        attrs,
        PixelElement::PixelData,
        Vr::OB,
        &[1, 2, 3, 4],
    )
    .unwrap();
    assert!(p.layout().is_err());
}

#[test]
fn deflated_offsets_refer_to_the_inflated_buffer() {
    use flate2::write::DeflateEncoder;
    use std::io::Write;
    let enc = Encoding::EXPLICIT_LE;
    let mut body = image(enc, 2, 2, 1, 8, 1);
    let items = build_items(&[], &[b"ab"]);
    // Encapsulated pixel data in a deflated dataset is odd but lets this
    // test run without the native unpacker.
    body.extend(elem_len(enc, PIXEL_DATA, b"OB", &items, 0xFFFF_FFFF));
    let mut e = DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&body).unwrap();
    let z = e.finish().unwrap();
    let f = part10("1.2.840.10008.1.2.1.99", enc, &z);
    let p = ParsedFile::parse(&f).unwrap();
    assert!(p.deflated);
    assert_eq!(&p.data[..p.dataset_offset], &f[..p.dataset_offset]);
    assert_eq!(&p.data[p.dataset_offset..], &body[..]);
    let frag = p.encapsulated.as_ref().unwrap().frames[0][0];
    assert_eq!(&p.data[frag.offset..frag.offset + 2], b"ab");
    // Garbage deflate stream: malformed.
    let f = part10("1.2.840.10008.1.2.1.99", enc, &[0xFF; 64]);
    assert!(ParsedFile::parse(&f).is_err());
    // Inflation respects the allocation limit.
    let big = vec![0u8; 1 << 20];
    let mut e = DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&big).unwrap();
    let f = part10("1.2.840.10008.1.2.1.99", enc, &e.finish().unwrap());
    let old = limits::max_alloc();
    limits::set_max_alloc(1 << 16);
    let r = ParsedFile::parse(&f);
    limits::set_max_alloc(old);
    assert!(matches!(r, Err(Error::LimitExceeded { .. })));
}

#[test]
fn pydicom_validation_rules() {
    let base = ImageAttrs {
        samples_per_pixel: Some(3),
        photometric_interpretation: Some("RGB".into()),
        planar_configuration: Some(1),
        rows: Some(4),
        columns: Some(5),
        bits_allocated: Some(16),
        bits_stored: Some(12),
        pixel_representation: Some(1),
        ..Default::default()
    };
    let d = describe(&base, PixelElement::PixelData).unwrap();
    assert_eq!(
        (d.rows, d.columns, d.number_of_frames, d.high_bit),
        (4, 5, 1, 11)
    );
    let bad = |f: &dyn Fn(&mut ImageAttrs)| {
        let mut a = base.clone();
        f(&mut a);
        describe(&a, PixelElement::PixelData)
            .unwrap_err()
            .to_string()
    };
    assert!(bad(&|a| a.rows = None).contains("(0028,0010) 'Rows'"));
    assert!(bad(&|a| a.columns = Some(0)).contains("Columns"));
    assert!(bad(&|a| a.bits_allocated = Some(12)).contains("Bits Allocated"));
    assert!(bad(&|a| a.bits_stored = Some(17)).contains("Bits Stored"));
    assert!(bad(&|a| a.planar_configuration = None).contains("Planar"));
    assert!(bad(&|a| a.samples_per_pixel = Some(4)).contains("Samples"));
    assert!(bad(&|a| a.photometric_interpretation = Some("FOO".into())).contains("FOO"));
    assert!(bad(&|a| a.pixel_representation = Some(2)).contains("Pixel Representation"));
    assert!(bad(&|a| a.number_of_frames = Some(-1)).contains("Number of Frames"));
    // Float pixel data needs neither Bits Stored nor Pixel Representation.
    let mut f = base.clone();
    f.bits_allocated = Some(32);
    f.bits_stored = None;
    f.pixel_representation = None;
    f.samples_per_pixel = Some(1);
    assert!(describe(&f, PixelElement::FloatPixelData).is_ok());
    assert!(describe(&f, PixelElement::DoubleFloatPixelData).is_err());
    // 24 bits allocated passes pydicom's rule but has no numpy dtype.
    let mut g = base.clone();
    g.bits_allocated = Some(24);
    assert!(matches!(
        describe(&g, PixelElement::PixelData),
        Err(Error::Unsupported(_))
    ));
}

#[test]
fn no_pixel_data_and_referenced_syntax() {
    let enc = Encoding::EXPLICIT_LE;
    let f = part10("1.2.840.10008.1.2.1", enc, &image(enc, 1, 1, 1, 8, 1));
    let p = ParsedFile::parse(&f).unwrap();
    assert!(p.pixel.is_none());
    assert!(p
        .layout()
        .unwrap_err()
        .to_string()
        .contains("no Pixel Data"));
    let mut body = image(enc, 1, 1, 1, 8, 1);
    body.extend(elem(enc, PIXEL_DATA, b"OB", &[0, 0]));
    let f = part10("1.2.840.10008.1.2.4.94", enc, &body);
    let p = ParsedFile::parse(&f).unwrap();
    assert!(matches!(p.layout(), Err(Error::Unsupported(_))));
}
