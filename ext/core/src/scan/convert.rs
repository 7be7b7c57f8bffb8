//! One found value → one slot of its column.
//!
//! Numbers: binary VRs (US, SS, UL, SL, SV, UV, FL, FD, AT) are read in the
//! dataset's byte order; IS and DS are parsed as pydicom does. A scalar column
//! takes the first value; a list column takes all (an unparsable item becomes
//! a null item). Text: decoded and split/trimmed per VR (see [`super::text`]);
//! a scalar text column holding several values gets them joined by `\`.
//!
//! What is not kept as read is noted (the `notes` column, see
//! [`super::Batch::notes`]): an unparsable number (IS `"1A"` → null), a value
//! whose length does not fit its binary VR, a number the column's type cannot
//! hold, and a scalar (VM 1) number column given several values (the first
//! is kept).

use super::arrow::ArrowArray;
use super::charset::Charset;
use super::spec::Base;
use super::text::{self, Decoded, TextRule};

/// Outcome of [`append`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Appended {
    Done,
    /// A null was pushed; the value needs pydicom's character set decoding.
    Defer,
}

#[derive(Debug, Clone, Copy)]
enum Num {
    I(i64),
    U(u64),
    F(f64),
}

fn bin_size(vr: &[u8; 2]) -> Option<usize> {
    Some(match vr {
        b"US" | b"SS" => 2,
        b"UL" | b"SL" | b"FL" | b"AT" => 4,
        b"SV" | b"UV" | b"FD" => 8,
        _ => return None,
    })
}

fn read_bin(vr: &[u8; 2], c: &[u8], le: bool) -> Num {
    macro_rules! rd {
        ($t:ty) => {{
            let a = c.try_into().unwrap_or_default();
            if le {
                <$t>::from_le_bytes(a)
            } else {
                <$t>::from_be_bytes(a)
            }
        }};
    }
    match vr {
        b"US" => Num::I(rd!(u16) as i64),
        b"SS" => Num::I(rd!(i16) as i64),
        b"UL" => Num::I(rd!(u32) as i64),
        b"SL" => Num::I(rd!(i32) as i64),
        b"SV" => Num::I(rd!(i64)),
        b"UV" => Num::U(rd!(u64)),
        b"FL" => Num::F(rd!(f32) as f64),
        b"FD" => Num::F(rd!(f64)),
        b"AT" => {
            let (g, e) = if le {
                (
                    u16::from_le_bytes([c[0], c[1]]),
                    u16::from_le_bytes([c[2], c[3]]),
                )
            } else {
                (
                    u16::from_be_bytes([c[0], c[1]]),
                    u16::from_be_bytes([c[2], c[3]]),
                )
            };
            Num::I(((g as i64) << 16) | e as i64)
        }
        _ => Num::I(0),
    }
}

/// Calls `f` with each number of the value and its text (IS/DS; empty for
/// binary VRs); `false` if the VR holds no numbers or the length does not
/// fit the VR (pydicom raises there).
fn for_each_number(vr: [u8; 2], b: &[u8], le: bool, mut f: impl FnMut(Option<Num>, &str)) -> bool {
    if let Some(size) = bin_size(&vr) {
        if b.len() % size != 0 {
            return false;
        }
        b.chunks_exact(size)
            .for_each(|c| f(Some(read_bin(&vr, c, le)), ""));
        return true;
    }
    match &vr {
        b"IS" => {
            let s = text::latin1(b);
            text::numeric_items(vr, &s, |x| f(text::parse_is(x).map(Num::I), x));
            true
        }
        b"DS" => {
            let s = text::latin1(b);
            text::numeric_items(vr, &s, |x| f(text::parse_f64(x).map(Num::F), x));
            true
        }
        _ => false,
    }
}

/// Notes an item that became null although it held text (not empty).
fn note_unparsable(note: &mut String, vr: [u8; 2], n: Option<Num>, raw: &str) {
    let t = raw.trim_matches(|c: char| text::py_space(c) || c == '\0');
    if n.is_none() && !t.is_empty() && note.is_empty() {
        let shown: String = t.chars().take(32).collect();
        let what = if &vr == b"IS" {
            "an integer"
        } else {
            "a number"
        };
        note.push_str(&format!(
            "{} value '{shown}' is not {what}: null",
            String::from_utf8_lossy(&vr)
        ));
    }
}

/// Notes a number the column's type cannot hold (pushed as null).
fn note_unfit(note: &mut String, pushed: bool, n: Option<Num>, base: Base) {
    if !pushed && n.is_some() && note.is_empty() {
        let v = match n {
            Some(Num::I(v)) => v.to_string(),
            Some(Num::U(v)) => v.to_string(),
            Some(Num::F(v)) => v.to_string(),
            None => String::new(),
        };
        let ty = match base {
            Base::Int => "an integer",
            Base::UInt => "an unsigned integer",
            _ => "a number",
        };
        note.push_str(&format!("{v} is not {ty}: null"));
    }
}

/// Pushes `n` (null when the column's type cannot hold it); `true` when a
/// value was pushed.
fn push_num(col: &mut ArrowArray, base: Base, n: Option<Num>) -> bool {
    let exact_int = |x: f64| x.fract() == 0.0 && x.abs() < 9.2e18;
    match (base, n) {
        (Base::Int, Some(Num::I(v))) => col.push_i64(v),
        (Base::Int, Some(Num::U(v))) if v <= i64::MAX as u64 => col.push_i64(v as i64),
        (Base::Int, Some(Num::F(v))) if exact_int(v) => col.push_i64(v as i64),
        (Base::UInt, Some(Num::I(v))) if v >= 0 => col.push_u64(v as u64),
        (Base::UInt, Some(Num::U(v))) => col.push_u64(v),
        (Base::UInt, Some(Num::F(v))) if exact_int(v) && v >= 0.0 => col.push_u64(v as u64),
        (Base::Float, Some(Num::I(v))) => col.push_f64(v as f64),
        (Base::Float, Some(Num::U(v))) => col.push_f64(v as f64),
        (Base::Float, Some(Num::F(v))) => col.push_f64(v),
        _ => {
            col.push_null();
            return false;
        }
    }
    true
}

/// Notes a binary value whose length is not a multiple of its VR's size.
fn note_length(note: &mut String, vr: [u8; 2], len: usize) {
    if note.is_empty() {
        note.push_str(&format!(
            "{len} bytes do not fit VR {}: null",
            String::from_utf8_lossy(&vr)
        ));
    }
}

fn push_null(col: &mut ArrowArray) {
    col.push_null()
}

/// Appends the value `b` (VR `vr`, as read) to `col`; what was not kept as
/// read is described in `note` (left empty otherwise).
#[allow(clippy::too_many_arguments)]
pub(crate) fn append(
    col: &mut ArrowArray,
    base: Base,
    list: bool,
    vr: [u8; 2],
    b: &[u8],
    le: bool,
    cs: &Charset,
    note: &mut String,
) -> Appended {
    match base {
        Base::Bytes => {
            col.push_bytes(b);
            Appended::Done
        }
        Base::Int | Base::UInt | Base::Float => {
            if list {
                let Some(child) = col.child_mut() else {
                    push_null(col);
                    return Appended::Done;
                };
                let (mut count, mut last_none) = (0usize, false);
                let ok = for_each_number(vr, b, le, |n, raw| {
                    count += 1;
                    last_none = n.is_none();
                    note_unparsable(note, vr, n, raw);
                    let pushed = push_num(child, base, n);
                    note_unfit(note, pushed, n, base);
                });
                if !ok {
                    note_length(note, vr, b.len());
                }
                // No value, or one empty/unparsable one: null (pydicom: None or '').
                if ok && !(count == 0 || (count == 1 && last_none)) {
                    col.finish_list();
                } else {
                    col.abandon_list();
                    push_null(col);
                }
            } else {
                let mut first: Option<Option<Num>> = None;
                let mut count = 0usize;
                let ok = for_each_number(vr, b, le, |n, raw| {
                    count += 1;
                    if first.is_none() {
                        first = Some(n);
                        note_unparsable(note, vr, n, raw);
                    }
                });
                match first {
                    Some(n) if ok => {
                        let pushed = push_num(col, base, n);
                        note_unfit(note, pushed, n, base);
                    }
                    _ => push_null(col),
                }
                if !ok {
                    note_length(note, vr, b.len());
                } else if count > 1 && note.is_empty() {
                    note.push_str(&format!("{count} values where VM is 1: the first is kept"));
                }
            }
            Appended::Done
        }
        Base::Text => {
            let rule = match TextRule::for_vr(vr) {
                Some(r) => r,
                None if &vr == b"IS" || &vr == b"DS" => TextRule::Plain,
                None => {
                    push_null(col);
                    return Appended::Done;
                }
            };
            let s = match text::decode(vr, b, cs) {
                Decoded::Text(s) => s,
                Decoded::Defer => {
                    push_null(col);
                    return Appended::Defer;
                }
            };
            if list {
                let Some(child) = col.child_mut() else {
                    push_null(col);
                    return Appended::Done;
                };
                let mut n = 0usize;
                let mut only_empty = true;
                text::items(rule, &s, |x| {
                    n += 1;
                    only_empty &= x.is_empty();
                    child.push_str(x);
                });
                if n == 1 && only_empty {
                    // An empty value is an empty list (pydicom: '').
                    col.abandon_list();
                }
                col.finish_list();
            } else {
                let mut first = true;
                text::items(rule, &s, |x| {
                    if !first {
                        col.extend_value(b"\\");
                    }
                    first = false;
                    col.extend_value(x.as_bytes());
                });
                col.finish_value();
            }
            Appended::Done
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::arrow::{ArrayData, ColumnType};
    use super::*;

    fn fixed(a: &ArrowArray) -> Vec<[u8; 8]> {
        let ArrayData::Fixed(v) = &a.data else {
            panic!()
        };
        v.chunks(8).map(|c| c.try_into().unwrap()).collect()
    }

    /// Appends each (vr, bytes) little endian, ISO 8859-1.
    fn fill(
        ty: ColumnType,
        base: Base,
        values: &[(&[u8; 2], &[u8])],
    ) -> (ArrowArray, Vec<Appended>) {
        let list = matches!(ty, ColumnType::List(_));
        let mut c = ArrowArray::new(&ty);
        let r = values
            .iter()
            .map(|(vr, b)| {
                let mut note = String::new();
                append(
                    &mut c,
                    base,
                    list,
                    **vr,
                    b,
                    true,
                    &Charset::default(),
                    &mut note,
                )
            })
            .collect();
        (c, r)
    }

    #[test]
    fn numbers_scalar_and_list() {
        let (c, _) = fill(
            ColumnType::Int64,
            Base::Int,
            &[
                (b"US", &[0, 2]),
                (b"IS", b" 7 \\8"),
                (b"US", &[1]),
                (b"IS", b""),
            ],
        );
        let v = fixed(&c);
        assert_eq!(i64::from_ne_bytes(v[0]), 512);
        assert_eq!(i64::from_ne_bytes(v[1]), 7);
        assert_eq!(c.null_count(), 2);
        let mut be = ArrowArray::new(&ColumnType::Int64);
        append(
            &mut be,
            Base::Int,
            false,
            *b"SS",
            &[0xFF, 0xFE],
            false,
            &Charset::default(),
            &mut String::new(),
        );
        assert_eq!(i64::from_ne_bytes(fixed(&be)[0]), -2);

        let (c, _) = fill(
            ColumnType::List(Box::new(ColumnType::Float64)),
            Base::Float,
            &[(b"DS", b"0.5\\0.25 "), (b"DS", b""), (b"FD", &[0; 7])],
        );
        let ArrayData::List { offsets, child } = &c.data else {
            panic!()
        };
        assert_eq!(offsets, &vec![0, 2, 2, 2]);
        assert_eq!(f64::from_ne_bytes(fixed(child)[1]), 0.25);
        assert_eq!(c.null_count(), 2);
    }

    #[test]
    fn text_scalar_list_and_defer() {
        let (c, r) = fill(
            ColumnType::Utf8,
            Base::Text,
            &[(b"CS", b"A\\B "), (b"PN", b"\x1b$B")],
        );
        assert_eq!(r, vec![Appended::Done, Appended::Defer]);
        let ArrayData::Var { data, .. } = &c.data else {
            panic!()
        };
        assert_eq!(data, b"A\\B");
        assert_eq!(c.null_count(), 1);

        let (c, _) = fill(
            ColumnType::List(Box::new(ColumnType::Utf8)),
            Base::Text,
            &[(b"CS", b"A\\B "), (b"CS", b"  ")],
        );
        let ArrayData::List { offsets, .. } = &c.data else {
            panic!()
        };
        assert_eq!(offsets, &vec![0, 2, 2]);
        assert_eq!(c.null_count(), 0);
    }

    #[test]
    fn lost_values_are_noted() {
        let note = |base: Base, list: bool, vr: &[u8; 2], b: &[u8]| {
            let ty = match (base, list) {
                (Base::Float, false) => ColumnType::Float64,
                (Base::UInt, false) => ColumnType::UInt64,
                (Base::Int, true) => ColumnType::List(Box::new(ColumnType::Int64)),
                _ => ColumnType::Int64,
            };
            let mut c = ArrowArray::new(&ty);
            let mut n = String::new();
            append(
                &mut c,
                base,
                list,
                *vr,
                b,
                true,
                &Charset::default(),
                &mut n,
            );
            n
        };
        assert_eq!(
            note(Base::Int, false, b"IS", b"1A"),
            "IS value '1A' is not an integer: null"
        );
        assert_eq!(
            note(Base::Int, false, b"IS", b"1.5 "),
            "IS value '1.5' is not an integer: null"
        );
        assert_eq!(
            note(Base::Float, false, b"DS", b"x"),
            "DS value 'x' is not a number: null"
        );
        assert_eq!(
            note(Base::Int, true, b"IS", b"1\\B"),
            "IS value 'B' is not an integer: null"
        );
        assert_eq!(
            note(Base::Int, false, b"US", &[1, 0, 2, 0]),
            "2 values where VM is 1: the first is kept"
        );
        assert_eq!(
            note(Base::Int, false, b"US", &[1, 0, 2]),
            "3 bytes do not fit VR US: null"
        );
        assert_eq!(
            note(Base::UInt, false, b"SS", &[0xFF, 0xFF]),
            "-1 is not an unsigned integer: null"
        );
        // Kept as read: nothing to note (an empty value is null, not lost).
        for (base, list, vr, b) in [
            (Base::Int, false, b"IS", &b" 7 "[..]),
            (Base::Int, false, b"IS", &b""[..]),
            (Base::Int, true, b"IS", &b"1\\2"[..]),
            (Base::Float, false, b"DS", &b"0.5"[..]),
            (Base::Int, false, b"US", &[1, 0][..]),
        ] {
            assert_eq!(note(base, list, vr, b), "", "{vr:?} {b:?}");
        }
    }
}
