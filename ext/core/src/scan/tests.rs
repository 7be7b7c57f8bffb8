//! End-to-end tests of the scanner on files written here byte by byte.

use super::arrow::{ArrayData, ArrowArray, ColumnType};
use super::*;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    I(i64),
    F(f64),
    S(String),
    B(Vec<u8>),
    L(Vec<Cell>),
}

fn cell(a: &ArrowArray, i: usize) -> Cell {
    if a.validity().is_some_and(|v| v[i / 8] & (1 << (i % 8)) == 0) {
        return Cell::Null;
    }
    match (&a.ty, &a.data) {
        (ColumnType::Int64, ArrayData::Fixed(v)) => {
            Cell::I(i64::from_ne_bytes(v[i * 8..i * 8 + 8].try_into().unwrap()))
        }
        (ColumnType::UInt64, ArrayData::Fixed(v)) => {
            Cell::I(u64::from_ne_bytes(v[i * 8..i * 8 + 8].try_into().unwrap()) as i64)
        }
        (ColumnType::Float64, ArrayData::Fixed(v)) => {
            Cell::F(f64::from_ne_bytes(v[i * 8..i * 8 + 8].try_into().unwrap()))
        }
        (ty, ArrayData::Var { offsets, data, .. }) => {
            let b = data[offsets[i] as usize..offsets[i + 1] as usize].to_vec();
            if *ty == ColumnType::Utf8 {
                Cell::S(String::from_utf8(b).unwrap())
            } else {
                Cell::B(b)
            }
        }
        (_, ArrayData::List { offsets, child }) => Cell::L(
            (offsets[i] as usize..offsets[i + 1] as usize)
                .map(|j| cell(child, j))
                .collect(),
        ),
        _ => panic!("bad array"),
    }
}

fn s(x: &str) -> Cell {
    Cell::S(x.into())
}

/// Element writer for the three encodings.
#[derive(Clone, Copy)]
struct W {
    explicit: bool,
    le: bool,
}

const ELE: W = W {
    explicit: true,
    le: true,
};
const ILE: W = W {
    explicit: false,
    le: true,
};
const EBE: W = W {
    explicit: true,
    le: false,
};

impl W {
    fn u16(&self, v: u16) -> [u8; 2] {
        if self.le {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    }
    fn u32(&self, v: u32) -> [u8; 4] {
        if self.le {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    }
    fn header(&self, tag: u32, vr: &[u8; 2], len: u32) -> Vec<u8> {
        let mut o = Vec::new();
        o.extend(self.u16((tag >> 16) as u16));
        o.extend(self.u16(tag as u16));
        if tag >> 16 == 0xFFFE || !self.explicit {
            o.extend(self.u32(len));
        } else {
            o.extend(vr);
            if matches!(vr, b"OB" | b"OW" | b"SQ" | b"UN" | b"UT" | b"UC" | b"UR") {
                o.extend([0, 0]);
                o.extend(self.u32(len));
            } else {
                o.extend(self.u16(len as u16));
            }
        }
        o
    }
    fn el(&self, tag: u32, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut v = value.to_vec();
        if v.len() % 2 == 1 {
            v.push(if vr == b"UI" || vr == b"OB" { 0 } else { b' ' });
        }
        let mut o = self.header(tag, vr, v.len() as u32);
        o.extend(v);
        o
    }
    fn us(&self, tag: u32, v: u16) -> Vec<u8> {
        self.el(tag, b"US", &self.u16(v))
    }
}

fn part10(ts: &str, body: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 128];
    f.extend_from_slice(b"DICM");
    let mut meta = ELE.el(0x0002_0001, b"OB", &[0, 1]);
    meta.extend(ELE.el(0x0002_0002, b"UI", b"1.2.840.10008.5.1.4.1.1.2"));
    meta.extend(ELE.el(0x0002_0010, b"UI", ts.as_bytes()));
    f.extend(ELE.el(0x0002_0000, b"UL", &(meta.len() as u32).to_le_bytes()));
    f.extend(meta);
    f.extend_from_slice(body);
    f
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("dicodec-scan-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(name: &str, data: &[u8]) -> PathBuf {
    let p = dir().join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// A CT-like body: charset, ImageType, dates, UIDs, names, geometry, a
/// private sequence of undefined length, then 1 MB of pixel data.
fn body(w: W, charset: &[u8], name: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    if !charset.is_empty() {
        b.extend(w.el(0x0008_0005, b"CS", charset));
    }
    b.extend(w.el(0x0008_0008, b"CS", b"ORIGINAL\\PRIMARY\\AXIAL"));
    b.extend(w.el(0x0008_0020, b"DA", b"20240131"));
    b.extend(w.el(0x0008_0060, b"CS", b"CT"));
    b.extend(w.el(0x0008_0070, b"LO", b" ACME  "));
    b.extend(w.el(0x0010_0010, b"PN", name));
    b.extend(w.el(0x0010_0020, b"LO", b"ID42"));
    // Undefined-length private sequence with a nested undefined item and an
    // OB value that must be skipped.
    b.extend(w.header(0x0011_0010, b"LO", 4));
    b.extend(b"ACME");
    b.extend(w.header(0x0011_1001, b"SQ", 0xFFFF_FFFF));
    b.extend(w.header(0xFFFE_E000, b"  ", 0xFFFF_FFFF));
    b.extend(w.el(0x0011_0010, b"LO", b"INNER"));
    b.extend(w.el(0x0011_1002, b"OB", &[0x55; 300]));
    b.extend(w.header(0xFFFE_E00D, b"  ", 0));
    b.extend(w.header(0xFFFE_E0DD, b"  ", 0));
    b.extend(w.el(0x0018_0050, b"DS", b"1.25"));
    b.extend(w.el(0x0020_000D, b"UI", b"1.2.3.4"));
    b.extend(w.el(0x0020_0013, b"IS", b" 7"));
    b.extend(w.el(0x0020_0032, b"DS", b"-125.5\\-130\\42.0 "));
    b.extend(w.us(0x0028_0010, 512));
    b.extend(w.us(0x0028_0011, 256));
    b.extend(w.el(0x0028_0030, b"DS", b"0.5\\0.75"));
    b.extend(w.us(0x0028_0100, 16));
    b.extend(w.us(0x0028_0103, 1));
    b.extend(w.el(0x0028_0106, b"SS", &w.u16((-5i16) as u16)));
    b.extend(w.el(0x0028_1050, b"DS", b"40\\400"));
    b.extend(w.el(0x0018_9219, b"SS", &w.u16(3)));
    b.extend(w.header(0x7FE0_0010, b"OW", 1 << 20));
    b.extend(vec![0xABu8; 1 << 20]);
    b
}

fn spec(tag: u32, vr: &str, vm: &str) -> TagSpec {
    TagSpec::new(tag, vr, vm).unwrap()
}

fn broad() -> Vec<TagSpec> {
    vec![
        spec(0x0010_0010, "PN", "1"),
        spec(0x0010_0020, "LO", "1"),
        spec(0x0008_0008, "CS", "2-n"),
        spec(0x0008_0020, "DA", "1"),
        spec(0x0008_0060, "CS", "1"),
        spec(0x0008_0070, "LO", "1"),
        spec(0x0018_0050, "DS", "1"),
        spec(0x0020_000D, "UI", "1"),
        spec(0x0020_0013, "IS", "1"),
        spec(0x0020_0032, "DS", "3"),
        spec(0x0028_0010, "US", "1"),
        spec(0x0028_0030, "DS", "2"),
        spec(0x0028_0106, "US or SS", "1"),
        spec(0x0028_1050, "DS", "1-n"),
        spec(0x0002_0002, "UI", "1"),
    ]
}

fn scan_paths(scanner: &Scanner, paths: &[&Path]) -> Batch {
    let entries: Vec<Entry> = paths.iter().map(|p| Entry::file(p.to_path_buf())).collect();
    scanner.scan(&entries).unwrap()
}

fn row(b: &Batch, i: usize) -> Vec<Cell> {
    b.columns.iter().map(|c| cell(c, i)).collect()
}

fn expected(name: &str) -> Vec<Cell> {
    vec![
        s(name),
        s("ID42"),
        Cell::L(vec![s("ORIGINAL"), s("PRIMARY"), s("AXIAL")]),
        s("20240131"),
        s("CT"),
        s(" ACME"),
        Cell::F(1.25),
        s("1.2.3.4"),
        Cell::I(7),
        Cell::L(vec![Cell::F(-125.5), Cell::F(-130.0), Cell::F(42.0)]),
        Cell::I(512),
        Cell::L(vec![Cell::F(0.5), Cell::F(0.75)]),
        Cell::I(-5),
        Cell::L(vec![Cell::F(40.0), Cell::F(400.0)]),
        s("1.2.840.10008.5.1.4.1.1.2"),
    ]
}

#[test]
fn every_encoding_gives_the_same_values_and_stops_before_pixels() {
    let sc = Scanner::new(broad()).unwrap();
    let ele = write(
        "ele.dcm",
        &part10(
            "1.2.840.10008.1.2.1",
            &body(ELE, b"ISO_IR 100", b"M\xfcller^Hans"),
        ),
    );
    let ile = write(
        "ile.dcm",
        &part10(
            "1.2.840.10008.1.2",
            &body(ILE, b"ISO_IR 100", b"M\xfcller^Hans"),
        ),
    );
    let ebe = write(
        "ebe.dcm",
        &part10(
            "1.2.840.10008.1.2.2",
            &body(EBE, b"ISO_IR 100", b"M\xfcller^Hans"),
        ),
    );
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
    enc.write_all(&body(ELE, b"ISO_IR 100", b"M\xfcller^Hans"))
        .unwrap();
    let dfl = write(
        "dfl.dcm",
        &part10("1.2.840.10008.1.2.1.99", &enc.finish().unwrap()),
    );
    let b = scan_paths(&sc, &[&ele, &ile, &ebe, &dfl]);
    assert_eq!(b.len, 4);
    for i in 0..4 {
        assert_eq!(cell(&b.error, i), Cell::Null, "row {i}");
        assert_eq!(row(&b, i), expected("Müller^Hans"), "row {i}");
        // The 1 MiB of pixel data is never read.
        let Cell::I(n) = cell(&b.bytes_read, i) else {
            panic!()
        };
        assert!(
            n as usize <= DEFAULT_READ_SIZE + 4096,
            "row {i} read {n} bytes"
        );
    }
    assert_eq!(cell(&b.transfer_syntax, 2), s("1.2.840.10008.1.2.2"));
    assert!(b.deferred.is_empty());
}

#[test]
fn raw_datasets_without_meta() {
    // Implicit VR LE with no preamble and no meta: VRs from the dictionary.
    let sc = Scanner::new(broad()).unwrap();
    let raw = write("raw_ile.dcm", &body(ILE, b"", b"Doe^John"));
    let be = write("raw_ebe.dcm", &body(EBE, b"ISO_IR 192", "Dö^J".as_bytes()));
    let b = scan_paths(&sc, &[&raw, &be]);
    let mut want = expected("Doe^John");
    want[14] = Cell::Null;
    assert_eq!(row(&b, 0), want);
    assert_eq!(cell(&b.transfer_syntax, 0), s("1.2.840.10008.1.2"));
    let mut want = expected("Dö^J");
    want[14] = Cell::Null;
    assert_eq!(row(&b, 1), want);
    assert_eq!(cell(&b.transfer_syntax, 1), s("1.2.840.10008.1.2.2"));
}

#[test]
fn stops_after_the_highest_requested_tag() {
    let sc = Scanner::new(vec![spec(0x0008_0060, "CS", "1")])
        .unwrap()
        .with_read_size(512);
    let mut body = ELE.el(0x0008_0060, b"CS", b"MR");
    // A large element after the requested one is never read.
    body.extend(ELE.el(0x0009_1001, b"OB", &vec![7u8; 100_000]));
    body.extend(ELE.el(0x0010_0010, b"PN", b"X"));
    let p = write("stop.dcm", &part10("1.2.840.10008.1.2.1", &body));
    let b = scan_paths(&sc, &[&p]);
    assert_eq!(cell(&b.columns[0], 0), s("MR"));
    assert_eq!(cell(&b.bytes_read, 0), Cell::I(512));
}

#[test]
fn large_skipped_values_are_jumped_over() {
    let sc = Scanner::new(vec![spec(0x0010_0010, "PN", "1")])
        .unwrap()
        .with_read_size(1024);
    let mut body = ELE.el(0x0009_1001, b"OB", &vec![7u8; 300_000]);
    body.extend(ELE.el(0x0010_0010, b"PN", b"After^Blob"));
    let p = write("jump.dcm", &part10("1.2.840.10008.1.2.1", &body));
    let b = scan_paths(&sc, &[&p]);
    assert_eq!(cell(&b.columns[0], 0), s("After^Blob"));
    let Cell::I(n) = cell(&b.bytes_read, 0) else {
        panic!()
    };
    assert!(n < 3000, "{n}");
}

#[test]
fn iso_2022_decoded_here_gb18030_deferred_with_its_charset() {
    let sc = Scanner::new(vec![
        spec(0x0010_0010, "PN", "1"),
        spec(0x0010_0020, "LO", "1"),
    ])
    .unwrap();
    let name = b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B";
    let mut body = ELE.el(0x0008_0005, b"CS", b"\\ISO 2022 IR 87");
    body.extend(ELE.el(0x0010_0010, b"PN", name));
    body.extend(ELE.el(0x0010_0020, b"LO", b"ascii"));
    let jis = write("jis.dcm", &part10("1.2.840.10008.1.2.1", &body));
    let mut body = ELE.el(0x0008_0005, b"CS", b"GB18030");
    body.extend(ELE.el(0x0010_0010, b"PN", b"\xcd\xf5^\xd0\xa1\xb6\xab"));
    let gb = write("gb.dcm", &part10("1.2.840.10008.1.2.1", &body));
    let b = scan_paths(&sc, &[&jis, &gb, &gb]);
    assert_eq!(cell(&b.columns[0], 0), s("Yamada^Tarou=山田^太郎"));
    assert_eq!(cell(&b.columns[1], 0), s("ascii"));
    assert_eq!(b.deferred.len(), 2);
    assert_eq!(b.deferred[1].row, 2);
    assert_eq!(b.deferred[0].column, 0);
    assert_eq!(b.deferred[0].vr, "PN");
    assert_eq!(&b.deferred[0].charset, b"GB18030 ");
    assert_eq!(cell(&b.columns[0], 1), Cell::Null);
}

#[test]
fn bad_files_become_error_rows() {
    let sc = Scanner::new(broad()).unwrap();
    let good = part10("1.2.840.10008.1.2.1", &body(ELE, b"", b"A^B"));
    let empty = write("empty.dcm", b"");
    let text = write("text.txt", b"Hello, this is not DICOM at all.\n");
    // Cut inside the PatientName value.
    let cut_at = good.windows(4).position(|w| w == b"A^B ").unwrap() + 2;
    let trunc = write("trunc.dcm", &good[..cut_at]);
    // Cut inside the file meta.
    let trunc_meta = write("trunc_meta.dcm", &good[..150]);
    let missing = dir().join("does-not-exist.dcm");
    let folder = dir().join("folder.dcm");
    std::fs::create_dir_all(&folder).unwrap();
    let b = scan_paths(
        &sc,
        &[&empty, &text, &trunc, &trunc_meta, &missing, &folder],
    );
    let errs: Vec<String> = (0..b.len)
        .map(|i| match cell(&b.error, i) {
            Cell::S(e) => e,
            other => panic!("row {i}: {other:?}"),
        })
        .collect();
    assert!(errs[0].contains("empty file"), "{}", errs[0]);
    assert!(errs[1].contains("not a DICOM file"), "{}", errs[1]);
    assert!(
        errs[2].contains("(0010,0010)") && errs[2].contains("truncated"),
        "{}",
        errs[2]
    );
    // Values found before the cut are kept.
    assert_eq!(cell(&b.columns[4], 2), s("CT"));
    assert!(errs[3].contains("file meta"), "{}", errs[3]);
    assert!(errs[4].contains("I/O error"), "{}", errs[4]);
    assert!(errs[5].contains("I/O error"), "{}", errs[5]);
    assert_eq!(b.first_error(), Some(0));
}

#[test]
fn truncated_inside_a_skipped_value_is_reported() {
    let sc = Scanner::new(vec![spec(0x0010_0010, "PN", "1")]).unwrap();
    let mut body = ELE.el(0x0009_1001, b"OB", &vec![7u8; 50_000]);
    body.extend(ELE.el(0x0010_0010, b"PN", b"X^Y"));
    let f = part10("1.2.840.10008.1.2.1", &body);
    let p = write("trunc_skip.dcm", &f[..30_000]);
    let b = scan_paths(&sc, &[&p]);
    let Cell::S(e) = cell(&b.error, 0) else {
        panic!()
    };
    assert!(e.contains("(0009,1001)") && e.contains("truncated"), "{e}");
}

#[test]
fn chance_dicm_at_128_in_a_raw_dataset() {
    // A raw explicit LE dataset whose bytes 128..132 happen to read "DICM".
    let mut body = ELE.el(0x0008_0005, b"CS", b"ISO_IR 100");
    body.extend(ELE.el(0x0008_0060, b"CS", b"MG"));
    let pad = 128 - body.len() - 16;
    body.extend(ELE.el(0x0008_0070, b"LO", &vec![b'X'; pad]));
    body.extend(ELE.el(0x0008_1010, b"SH", b"DICMA1"));
    assert_eq!(&body[128..132], b"DICM");
    let p = write("chance.dcm", &body);
    let sc = Scanner::new(vec![
        spec(0x0008_0060, "CS", "1"),
        spec(0x0008_1010, "SH", "1"),
    ])
    .unwrap();
    let b = scan_paths(&sc, &[&p]);
    assert_eq!(cell(&b.error, 0), Cell::Null);
    assert_eq!(row(&b, 0), vec![s("MG"), s("DICMA1")]);
}

#[test]
fn every_prefix_of_a_file_is_handled() {
    let sc = Scanner::new(broad()).unwrap().with_read_size(256);
    let f = part10(
        "1.2.840.10008.1.2.1",
        &body(ELE, b"ISO_IR 192", "Ünïcode".as_bytes()),
    );
    let upto = f.len() - (1 << 20) + 16;
    let paths: Vec<PathBuf> = (0..upto)
        .step_by(7)
        .map(|n| write(&format!("prefix_{n}.dcm"), &f[..n]))
        .collect();
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    let b = scan_paths(&sc, &refs);
    assert_eq!(b.len, paths.len());
    for p in &paths {
        let _ = std::fs::remove_file(p);
    }
}

#[test]
fn walker_and_scanner_together() {
    let root = dir().join("tree");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("s1/s2")).unwrap();
    let f = part10("1.2.840.10008.1.2.1", &body(ELE, b"", b"T^T"));
    for p in ["a.dcm", "s1/b.dcm", "s1/s2/c.dcm"] {
        std::fs::write(root.join(p), &f).unwrap();
    }
    let sc = Scanner::new(vec![spec(0x0010_0010, "PN", "1")]).unwrap();
    let mut w = Walker::new(true);
    w.add_sources([root.clone()]);
    let entries = w.next_batch(100);
    let b = sc.scan(&entries).unwrap();
    assert_eq!(b.len, 3);
    for i in 0..3 {
        assert_eq!(cell(&b.columns[0], i), s("T^T"));
    }
    assert_eq!(b.first_error(), None);
}

#[test]
fn unchecked_paths_folders_come_back_to_the_walker() {
    let root = dir().join("unchecked");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("sub")).unwrap();
    let f = part10("1.2.840.10008.1.2.1", &body(ELE, b"", b"U^U"));
    std::fs::write(root.join("sub/a.dcm"), &f).unwrap();
    std::fs::write(root.join("f.dcm"), &f).unwrap();
    let sc = Scanner::new(vec![spec(0x0010_0010, "PN", "1")]).unwrap();
    let mut w = Walker::new(true);
    w.add_unchecked([
        root.join("f.dcm"),
        root.join("sub"),
        root.join("missing.dcm"),
    ]);
    let first = sc.scan_next(&mut w, 3).unwrap().unwrap();
    assert_eq!(first.len, 2);
    assert_eq!(cell(&first.columns[0], 0), s("U^U"));
    let Cell::S(e) = cell(&first.error, 1) else {
        panic!()
    };
    assert!(e.contains("No such file"), "{e}");
    let second = sc.scan_next(&mut w, 3).unwrap().unwrap();
    assert_eq!(second.len, 1);
    assert!(cell(&second.path, 0) == s(root.join("sub/a.dcm").to_str().unwrap()));
    assert!(sc.scan_next(&mut w, 3).unwrap().is_none());
}

#[test]
fn large_requested_values_are_read_and_memory_given_back() {
    // A requested 6 MiB private OB value, then a small file on the same thread.
    let sc = Scanner::new(vec![
        spec(0x0009_1001, "", ""),
        spec(0x0010_0010, "PN", "1"),
    ])
    .unwrap();
    let mut body = ELE.el(0x0009_1001, b"OB", &vec![9u8; 6 << 20]);
    body.extend(ELE.el(0x0010_0010, b"PN", b"Big^Value"));
    let big = write("bigvalue.dcm", &part10("1.2.840.10008.1.2.1", &body));
    let small = write(
        "small.dcm",
        &part10("1.2.840.10008.1.2.1", &ELE.el(0x0010_0010, b"PN", b"S")),
    );
    let b = scan_paths(&sc, &[&big, &small]);
    let Cell::B(v) = cell(&b.columns[0], 0) else {
        panic!()
    };
    assert_eq!(v.len(), 6 << 20);
    assert_eq!(cell(&b.columns[1], 0), s("Big^Value"));
    assert_eq!(cell(&b.columns[1], 1), s("S"));
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        /// Corrupted headers (any byte, any encoding, deflated or not) give a
        /// row, never a panic or a hang.
        #[test]
        fn corrupted_files_never_panic(
            edits in proptest::collection::vec((0usize..1400, any::<u8>()), 1..12),
            which in 0usize..4,
            cut in 200usize..1600,
        ) {
            let w = [ELE, ILE, EBE, ELE][which];
            let mut body = body(w, b"\\ISO 2022 IR 87", b"\x1b$B;3ED\x1b(B^Taro");
            body.truncate(body.len() - (1 << 20));
            let mut f = if which == 3 {
                let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
                enc.write_all(&body).unwrap();
                part10("1.2.840.10008.1.2.1.99", &enc.finish().unwrap())
            } else {
                part10(["1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.2"][which], &body)
            };
            for (at, v) in edits {
                if at < f.len() {
                    f[at] = v;
                }
            }
            f.truncate(cut.min(f.len()));
            let p = write(&format!("fuzz_{}.dcm", std::process::id()), &f);
            let sc = Scanner::new(broad()).unwrap().with_read_size(256);
            let b = scan_paths(&sc, &[&p]);
            prop_assert_eq!(b.len, 1);
        }
    }
}

/// Scanner vs reader: stray items, multiple values, element order.
mod agree;
