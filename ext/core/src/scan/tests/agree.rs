//! The scanner reads a data set as the reader (`parser::dataset`) does.

use super::*;

/// `b` with `extra` inserted before the first occurrence of `before`.
fn splice(b: &[u8], before: &[u8], extra: &[u8]) -> Vec<u8> {
    let at = b.windows(before.len()).position(|w| w == before).unwrap();
    [&b[..at], extra, &b[at..]].concat()
}

#[test]
fn stray_items_multi_values_and_bad_numbers_follow_the_reader() {
    // A stray item with a defined length between (0018,0050) and (0020,000D),
    // as in a real ultrasound file: skipped by its length, as the reader and
    // pydicom do; later tags are still found.
    let sc = Scanner::new(broad()).unwrap();
    let mut paths = Vec::new();
    for (i, (w, ts)) in [
        (ELE, "1.2.840.10008.1.2.1"),
        (ILE, "1.2.840.10008.1.2"),
        (EBE, "1.2.840.10008.1.2.2"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut item = w.header(0xFFFE_E000, b"  ", 6);
        item.extend(b"ABCDEF");
        let b = splice(
            &body(w, b"", b"Doe^J"),
            &w.el(0x0020_000D, b"UI", b"1.2.3.4"),
            &item,
        );
        paths.push(write(&format!("stray{i}.dcm"), &part10(ts, &b)));
    }
    // Rows with two US values (VM 1): the first, as frame_info; IS "1A": null.
    let b = body(ELE, b"", b"Doe^J");
    let rows2 = [ELE.header(0x0028_0010, b"US", 4), [0, 2, 7, 0].to_vec()].concat();
    let b = b.replacen_bytes(&ELE.us(0x0028_0010, 512), &rows2);
    let b = b.replacen_bytes(
        &ELE.el(0x0020_0013, b"IS", b" 7"),
        &ELE.el(0x0020_0013, b"IS", b"1A"),
    );
    paths.push(write("multi.dcm", &part10("1.2.840.10008.1.2.1", &b)));
    // An undefined-length item at the top level is malformed (as in the reader).
    let b = splice(
        &body(ELE, b"", b"Doe^J"),
        &ELE.el(0x0020_000D, b"UI", b"1.2.3.4"),
        &ELE.header(0xFFFE_E000, b"  ", 0xFFFF_FFFF),
    );
    paths.push(write("stray_undef.dcm", &part10("1.2.840.10008.1.2.1", &b)));
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    let got = scan_paths(&sc, &refs);
    for i in 0..3 {
        assert_eq!(cell(&got.error, i), Cell::Null, "row {i}");
        assert_eq!(cell(&got.notes, i), Cell::Null, "row {i}: nothing lost");
        assert_eq!(row(&got, i)[..14], expected("Doe^J")[..14], "row {i}");
    }
    let r = row(&got, 3);
    assert_eq!(r[10], Cell::I(512), "first of two Rows values");
    assert_eq!(r[8], Cell::Null, "IS '1A'");
    // Both are noted (the file itself was read: no error).
    assert_eq!(cell(&got.error, 3), Cell::Null);
    assert_eq!(
        cell(&got.notes, 3),
        s("(0020,0013) IS value '1A' is not an integer: null; \
           (0028,0010) 2 values where VM is 1: the first is kept")
    );
    let Cell::S(msg) = cell(&got.error, 4) else {
        panic!("no error for an undefined-length item at the top level")
    };
    assert!(msg.contains("undefined length at the top level"), "{msg}");

    // Elements out of order within the highest requested group are found;
    // the walk stops at the next group.
    let sc = Scanner::new(vec![spec(0x0028_0010, "US", "1")]).unwrap();
    let mut b = ELE.us(0x0028_0103, 0);
    b.extend(ELE.us(0x0028_0010, 32));
    b.extend(ELE.el(0x0029_1001, b"OB", &[1; 40_000]));
    b.extend(ELE.us(0x0028_0010, 99));
    let p = write("order.dcm", &part10("1.2.840.10008.1.2.1", &b));
    let got = scan_paths(&sc, &[&p]);
    assert_eq!(cell(&got.columns[0], 0), Cell::I(32));
}

trait ReplaceBytes {
    fn replacen_bytes(&self, from: &[u8], to: &[u8]) -> Vec<u8>;
}

impl ReplaceBytes for Vec<u8> {
    fn replacen_bytes(&self, from: &[u8], to: &[u8]) -> Vec<u8> {
        let at = self.windows(from.len()).position(|w| w == from).unwrap();
        [&self[..at], to, &self[at + from.len()..]].concat()
    }
}
