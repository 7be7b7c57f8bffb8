//! The reader and the decode dispatch never panic, whatever the bytes:
//! valid files (built here) are mutated at random (bytes flipped, truncated,
//! length fields rewritten, bytes inserted or removed) and every prefix and
//! every single-byte corruption is tried. Results may be errors; they must
//! never be panics, hangs or huge allocations (the allocation limit is set low).

use std::io::Write;

use dicodec_core::decode::decode_all;
use dicodec_core::limits;
use dicodec_core::parser::ParsedFile;
use proptest::prelude::*;

fn elem(
    explicit: bool,
    le: bool,
    tag: u32,
    vr: &[u8; 2],
    value: &[u8],
    len: Option<u32>,
) -> Vec<u8> {
    let mut v = Vec::new();
    let (g, e) = ((tag >> 16) as u16, (tag & 0xFFFF) as u16);
    let p16 = |x: u16| if le { x.to_le_bytes() } else { x.to_be_bytes() };
    let p32 = |x: u32| if le { x.to_le_bytes() } else { x.to_be_bytes() };
    let len = len.unwrap_or(value.len() as u32);
    v.extend_from_slice(&p16(g));
    v.extend_from_slice(&p16(e));
    if g == 0xFFFE || !explicit {
        v.extend_from_slice(&p32(len));
    } else {
        v.extend_from_slice(vr);
        if matches!(vr, b"OB" | b"OW" | b"OV" | b"SQ" | b"UN" | b"OF") {
            v.extend_from_slice(&[0, 0]);
            v.extend_from_slice(&p32(len));
        } else {
            v.extend_from_slice(&p16(len as u16));
        }
    }
    v.extend_from_slice(value);
    v
}

fn part10(ts: &str, dataset: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 128];
    f.extend_from_slice(b"DICM");
    let mut uid = ts.as_bytes().to_vec();
    if uid.len() % 2 == 1 {
        uid.push(0);
    }
    f.extend(elem(true, true, 0x0002_0001, b"OB", &[0, 1], None));
    f.extend(elem(true, true, 0x0002_0010, b"UI", &uid, None));
    f.extend_from_slice(dataset);
    f
}

/// Image Pixel module + a nested sequence, in the given encoding.
fn header(
    explicit: bool,
    le: bool,
    rows: u16,
    cols: u16,
    frames: u32,
    bits: u16,
    spp: u16,
) -> Vec<u8> {
    let us = |tag, n: u16| {
        let b = if le { n.to_le_bytes() } else { n.to_be_bytes() };
        elem(explicit, le, tag, b"US", &b, None)
    };
    let mut d = Vec::new();
    // SQ (undefined) > item (undefined) > Rows = 9 (ignored).
    let mut item = us(0x0028_0010, 9);
    item.extend(elem(explicit, le, 0xFFFE_E00D, b"  ", &[], None));
    let mut seq = elem(explicit, le, 0xFFFE_E000, b"  ", &item, Some(u32::MAX));
    seq.extend(elem(explicit, le, 0xFFFE_E0DD, b"  ", &[], None));
    d.extend(elem(explicit, le, 0x0008_1115, b"SQ", &seq, Some(u32::MAX)));
    d.extend(us(0x0028_0002, spp));
    let pi: &[u8] = if spp == 3 { b"RGB " } else { b"MONOCHROME2 " };
    d.extend(elem(explicit, le, 0x0028_0004, b"CS", pi, None));
    if spp == 3 {
        d.extend(us(0x0028_0006, 1));
    }
    let mut nf = frames.to_string().into_bytes();
    if nf.len() % 2 == 1 {
        nf.push(b' ');
    }
    d.extend(elem(explicit, le, 0x0028_0008, b"IS", &nf, None));
    d.extend(us(0x0028_0010, rows));
    d.extend(us(0x0028_0011, cols));
    d.extend(us(0x0028_0100, bits));
    d.extend(us(0x0028_0101, if bits == 16 { 12 } else { bits }));
    d.extend(us(0x0028_0102, if bits == 16 { 11 } else { bits - 1 }));
    d.extend(us(0x0028_0103, u16::from(bits == 16)));
    d
}

fn items(bot: &[u32], frags: &[&[u8]]) -> Vec<u8> {
    let mut v = elem(
        true,
        true,
        0xFFFE_E000,
        b"  ",
        &bot.iter().flat_map(|o| o.to_le_bytes()).collect::<Vec<_>>(),
        None,
    );
    for f in frags {
        v.extend(elem(true, true, 0xFFFE_E000, b"  ", f, None));
    }
    v.extend(elem(true, true, 0xFFFE_E0DD, b"  ", &[], None));
    v
}

/// A valid RLE frame: one segment per byte plane, literal runs only.
fn rle_frame(rows: u16, cols: u16, planes: usize) -> Vec<u8> {
    let n = rows as usize * cols as usize;
    let mut segs = Vec::new();
    for p in 0..planes {
        let mut s = Vec::new();
        for chunk in (0..n).collect::<Vec<_>>().chunks(128) {
            s.push((chunk.len() - 1) as u8);
            s.extend(chunk.iter().map(|&i| (i * 7 + p) as u8));
        }
        if s.len() % 2 == 1 {
            s.push(0);
        }
        segs.push(s);
    }
    let mut h = vec![planes as u32];
    let mut off = 64u32;
    for s in &segs {
        h.push(off);
        off += s.len() as u32;
    }
    h.resize(16, 0);
    let mut v: Vec<u8> = h.iter().flat_map(|x| x.to_le_bytes()).collect();
    for s in segs {
        v.extend(s);
    }
    v
}

fn bases() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    // Native: explicit LE 16-bit 3 frames, implicit LE 8-bit RGB planar, BE 16-bit,
    // 1-bit with frames not byte-aligned.
    let mut d = header(true, true, 3, 5, 3, 16, 1);
    d.extend(elem(
        true,
        true,
        0x7FE0_0010,
        b"OW",
        &(0..90u8).collect::<Vec<_>>(),
        None,
    ));
    out.push(part10("1.2.840.10008.1.2.1", &d));
    let mut d = header(false, true, 2, 3, 1, 8, 3);
    d.extend(elem(
        false,
        true,
        0x7FE0_0010,
        b"OB",
        &(0..18u8).collect::<Vec<_>>(),
        None,
    ));
    out.push(part10("1.2.840.10008.1.2", &d));
    out.push(d); // raw dataset, no preamble or meta
    let mut d = header(true, false, 2, 2, 2, 16, 1);
    d.extend(elem(
        true,
        false,
        0x7FE0_0010,
        b"OW",
        &(0..16u8).collect::<Vec<_>>(),
        None,
    ));
    out.push(part10("1.2.840.10008.1.2.2", &d));
    let mut d = header(true, true, 3, 3, 3, 1, 1);
    d.extend(elem(
        true,
        true,
        0x7FE0_0010,
        b"OB",
        &[0xA5, 0x5A, 0xFF, 0x01],
        None,
    ));
    out.push(part10("1.2.840.10008.1.2.1", &d));
    // Deflated.
    let mut d = header(true, true, 2, 2, 1, 8, 1);
    d.extend(elem(true, true, 0x7FE0_0010, b"OB", &[1, 2, 3, 4], None));
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&d).unwrap();
    out.push(part10("1.2.840.10008.1.2.1.99", &z.finish().unwrap()));
    // RLE: BOT, empty BOT, several fragments per frame.
    let f = rle_frame(4, 4, 2);
    let mut d = header(true, true, 4, 4, 2, 16, 1);
    let first = f.len() as u32 + 8;
    d.extend(elem(
        true,
        true,
        0x7FE0_0010,
        b"OB",
        &items(&[0, first], &[&f, &f]),
        Some(u32::MAX),
    ));
    out.push(part10("1.2.840.10008.1.2.5", &d));
    let g = rle_frame(3, 3, 1);
    let mut d = header(true, true, 3, 3, 1, 8, 1);
    d.extend(elem(
        true,
        true,
        0x7FE0_0010,
        b"OB",
        &items(&[], &[&g[..30], &g[30..]]),
        Some(u32::MAX),
    ));
    out.push(part10("1.2.840.10008.1.2.5", &d));
    // Encapsulated uncompressed with an Extended Offset Table.
    let mut d = header(true, true, 2, 2, 2, 8, 1);
    let eot: Vec<u8> = [0u64, 12].iter().flat_map(|x| x.to_le_bytes()).collect();
    let len: Vec<u8> = [4u64, 4].iter().flat_map(|x| x.to_le_bytes()).collect();
    d.extend(elem(true, true, 0x7FE0_0001, b"OV", &eot, None));
    d.extend(elem(true, true, 0x7FE0_0002, b"OV", &len, None));
    d.extend(elem(
        true,
        true,
        0x7FE0_0010,
        b"OB",
        &items(&[], &[&[1, 2, 3, 4], &[5, 6, 7, 8]]),
        Some(u32::MAX),
    ));
    out.push(part10("1.2.840.10008.1.2.1.98", &d));
    // JPEG Lossless with an empty BOT split on EOI markers.
    let mut d = header(true, true, 2, 2, 2, 8, 1);
    let frags: [&[u8]; 3] = [
        b"\xFF\xD8\xFF\xC3",
        b"\x00\x0B\xFF\xD9",
        b"\xFF\xD8\xFF\xD9",
    ];
    d.extend(elem(
        true,
        true,
        0x7FE0_0010,
        b"OB",
        &items(&[], &frags),
        Some(u32::MAX),
    ));
    out.push(part10("1.2.840.10008.1.2.4.70", &d));
    out
}

/// Everything the reader and the dispatch do with an input, results ignored.
fn exercise(data: &[u8]) {
    if let Ok(p) = ParsedFile::parse(data) {
        if let Ok(l) = p.layout() {
            let _ = p.frame_ranges(&l);
        }
        let _ = decode_all(&p, Some(1));
        let _ = decode_all(&p, None);
    }
}

fn low_limit() {
    limits::set_max_alloc(1 << 20);
}

#[test]
fn bases_are_valid() {
    low_limit();
    for (i, b) in bases().iter().enumerate() {
        let p = ParsedFile::parse(b).unwrap_or_else(|e| panic!("base {i}: {e}"));
        let l = p.layout().unwrap_or_else(|e| panic!("base {i}: {e}"));
        assert!(l.frames >= 1, "base {i}");
        let r = p.frame_ranges(&l).unwrap();
        assert_eq!(r.len(), l.frames, "base {i}");
        // Native and encapsulated-uncompressed bases decode; codec bases decode
        // or report that the codec is not there (until it is merged).
        match decode_all(&p, Some(1)) {
            Ok((_, out, _)) => assert_eq!(
                out.len() as u64,
                l.desc.frame_output_len().unwrap() * l.frames as u64
            ),
            Err(e) => assert!(
                matches!(
                    e,
                    dicodec_core::Error::Unsupported(_) | dicodec_core::Error::Malformed { .. }
                ),
                "base {i}: {e}"
            ),
        }
    }
}

#[test]
fn every_prefix_and_every_byte_corruption() {
    low_limit();
    for b in bases() {
        for n in 0..b.len() {
            exercise(&b[..n]);
        }
        for i in 0..b.len() {
            for v in [0x00, 0xFF, b[i] ^ 0x80] {
                let mut m = b.clone();
                m[i] = v;
                exercise(&m);
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Length(usize, u32),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Mutation::Flip(i, v)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            prop_oneof![
                Just(0u32),
                Just(1),
                Just(0xFFFF_FFFF),
                Just(0x7FFF_FFFF),
                Just(0xFFFF),
                any::<u32>()
            ]
        )
            .prop_map(|(i, v)| Mutation::Length(i, v)),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..12)
        )
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..16).prop_map(|(i, n)| Mutation::Remove(i, n)),
    ]
}

fn apply(data: &mut Vec<u8>, m: &Mutation) {
    if data.is_empty() {
        return;
    }
    let n = data.len();
    match m {
        Mutation::Flip(i, v) => data[i % n] ^= v | 1,
        Mutation::Truncate(i) => data.truncate(i % n),
        Mutation::Length(i, v) => {
            // Overwrite 4 (or 2) bytes, as a rewritten length field would.
            let at = i % n;
            let b = v.to_le_bytes();
            for (k, byte) in b.iter().enumerate() {
                if at + k < n {
                    data[at + k] = *byte;
                }
            }
        }
        Mutation::Insert(i, v) => {
            let at = i % (n + 1);
            data.splice(at..at, v.iter().copied());
        }
        Mutation::Remove(i, k) => {
            let at = i % n;
            let end = (at + k).min(n);
            data.drain(at..end);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_files_never_panic(
        which in any::<usize>(),
        muts in proptest::collection::vec(mutation(), 1..6),
    ) {
        low_limit();
        let b = bases();
        let mut data = b[which % b.len()].clone();
        for m in &muts {
            apply(&mut data, m);
        }
        exercise(&data);
    }

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        low_limit();
        exercise(&data);
        let mut with_preamble = vec![0u8; 128];
        with_preamble.extend_from_slice(b"DICM");
        with_preamble.extend_from_slice(&data);
        exercise(&with_preamble);
    }
}
