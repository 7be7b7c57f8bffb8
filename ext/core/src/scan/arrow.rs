//! Columns in the Apache Arrow memory layout, built without any Arrow library.
//!
//! Each [`ArrowArray`] holds exactly the buffers Arrow's columnar format
//! specifies: a validity bitmap (bit `i` set = slot `i` valid, least
//! significant bit first), and per type either fixed-width values, or
//! `i32` offsets plus a data buffer (UTF-8 / binary), or `i32` offsets plus a
//! child array (list). The Python bindings hand these buffers to
//! `pyarrow.Array.from_buffers` without copying and without creating one
//! Python object per value.

use crate::error::{Error, Result};

/// The Arrow type of a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnType {
    /// 64-bit signed integers.
    Int64,
    /// 64-bit unsigned integers.
    UInt64,
    /// 64-bit floats.
    Float64,
    /// UTF-8 strings.
    Utf8,
    /// Bytes.
    Binary,
    /// Lists of the inner type.
    List(Box<ColumnType>),
}

impl ColumnType {
    /// Name as used by the Python side (`"int64"`, `"list<float64>"`, …).
    pub fn name(&self) -> String {
        match self {
            ColumnType::Int64 => "int64".into(),
            ColumnType::UInt64 => "uint64".into(),
            ColumnType::Float64 => "float64".into(),
            ColumnType::Utf8 => "utf8".into(),
            ColumnType::Binary => "binary".into(),
            ColumnType::List(c) => format!("list<{}>", c.name()),
        }
    }
}

/// The buffers of one array besides its validity bitmap.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayData {
    /// Fixed-width values in native byte order (8 bytes each).
    Fixed(Vec<u8>),
    /// UTF-8 (`utf8 = true`) or binary: `len + 1` offsets into `data`.
    Var {
        /// Strings (else bytes).
        utf8: bool,
        /// Arrow offsets (one more than the length).
        offsets: Vec<i32>,
        /// The concatenated values.
        data: Vec<u8>,
    },
    /// List: `len + 1` offsets into the child array.
    List {
        /// Arrow offsets (one more than the length).
        offsets: Vec<i32>,
        /// The values of all lists.
        child: Box<ArrowArray>,
    },
}

/// One column (or list child) in Arrow layout.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrowArray {
    /// The column type.
    pub ty: ColumnType,
    len: usize,
    null_count: usize,
    validity: Vec<u8>,
    /// The values.
    pub data: ArrayData,
    /// Set when an offset no longer fits in `i32`; reported by [`Self::check`].
    overflow: bool,
}

impl ArrowArray {
    /// An empty array of this type.
    pub fn new(ty: &ColumnType) -> Self {
        Self::with_capacity(ty, 0)
    }

    /// An empty array with room for `n` slots (and some bytes per slot).
    pub fn with_capacity(ty: &ColumnType, n: usize) -> Self {
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        let data = match ty {
            ColumnType::Int64 | ColumnType::UInt64 | ColumnType::Float64 => {
                ArrayData::Fixed(Vec::with_capacity(n * 8))
            }
            ColumnType::Utf8 | ColumnType::Binary => ArrayData::Var {
                utf8: *ty == ColumnType::Utf8,
                offsets,
                data: Vec::with_capacity(n * 16),
            },
            ColumnType::List(c) => ArrayData::List {
                offsets,
                child: Box::new(ArrowArray::with_capacity(c, n * 2)),
            },
        };
        ArrowArray {
            ty: ty.clone(),
            len: 0,
            null_count: 0,
            validity: Vec::with_capacity(n.div_ceil(8)),
            data,
            overflow: false,
        }
    }

    /// Number of values (nulls included).
    pub fn len(&self) -> usize {
        self.len
    }
    /// No values.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Number of nulls.
    pub fn null_count(&self) -> usize {
        self.null_count
    }

    /// The validity bitmap, or `None` when no slot is null (Arrow allows
    /// omitting it then).
    pub fn validity(&self) -> Option<&[u8]> {
        (self.null_count > 0).then_some(&self.validity[..])
    }

    /// Takes the validity bitmap out (`None` when no slot is null).
    pub fn take_validity(&mut self) -> Option<Vec<u8>> {
        (self.null_count > 0).then(|| std::mem::take(&mut self.validity))
    }

    /// Fails when a string, binary or list column grew past what `i32`
    /// offsets can address (2 GiB per batch).
    pub fn check(&self) -> Result<()> {
        if self.overflow {
            return Err(Error::LimitExceeded {
                what: "one column of one scan batch (use a smaller batch_size)".into(),
                requested: i32::MAX as u64 + 1,
                limit: i32::MAX as u64,
            });
        }
        if let ArrayData::List { child, .. } = &self.data {
            child.check()?;
        }
        Ok(())
    }

    #[inline]
    fn push_bit(&mut self, valid: bool) {
        let i = self.len;
        if i % 8 == 0 {
            self.validity.push(0);
        }
        if valid {
            self.validity[i / 8] |= 1 << (i % 8);
        } else {
            self.null_count += 1;
        }
        self.len += 1;
    }

    #[inline]
    fn offset_of(len: usize, overflow: &mut bool) -> i32 {
        match i32::try_from(len) {
            Ok(v) => v,
            Err(_) => {
                *overflow = true;
                i32::MAX
            }
        }
    }

    /// Appends a null slot.
    pub fn push_null(&mut self) {
        match &mut self.data {
            ArrayData::Fixed(v) => v.extend_from_slice(&[0; 8]),
            ArrayData::Var { offsets, .. } | ArrayData::List { offsets, .. } => {
                let last = *offsets.last().unwrap_or(&0);
                offsets.push(last);
            }
        }
        self.push_bit(false);
    }

    fn push_fixed(&mut self, bytes: [u8; 8]) {
        if let ArrayData::Fixed(v) = &mut self.data {
            v.extend_from_slice(&bytes);
            self.push_bit(true);
        } else {
            debug_assert!(false, "fixed value pushed to {:?}", self.ty);
            self.push_null();
        }
    }

    /// Appends an integer.
    pub fn push_i64(&mut self, x: i64) {
        self.push_fixed(x.to_ne_bytes())
    }
    /// Appends an unsigned integer.
    pub fn push_u64(&mut self, x: u64) {
        self.push_fixed(x.to_ne_bytes())
    }
    /// Appends a float.
    pub fn push_f64(&mut self, x: f64) {
        self.push_fixed(x.to_ne_bytes())
    }

    /// Appends bytes to a UTF-8 or binary array (the caller guarantees UTF-8
    /// for UTF-8 arrays; [`Self::push_str`] is the checked form).
    pub fn push_bytes(&mut self, b: &[u8]) {
        self.push_parts(&[b])
    }

    /// Appends a string.
    pub fn push_str(&mut self, s: &str) {
        self.push_bytes(s.as_bytes())
    }

    /// Appends the concatenation of `parts` as one value.
    pub fn push_parts(&mut self, parts: &[&[u8]]) {
        for p in parts {
            self.extend_value(p);
        }
        self.finish_value();
    }

    /// Adds bytes to the UTF-8/binary value being built (see [`Self::finish_value`]).
    #[inline]
    pub fn extend_value(&mut self, b: &[u8]) {
        if let ArrayData::Var { data, .. } = &mut self.data {
            data.extend_from_slice(b);
        }
    }

    /// Closes a UTF-8/binary slot holding the bytes added since the last one.
    pub fn finish_value(&mut self) {
        if let ArrayData::Var { offsets, data, .. } = &mut self.data {
            let off = Self::offset_of(data.len(), &mut self.overflow);
            offsets.push(off);
            self.push_bit(true);
        } else {
            debug_assert!(false, "bytes pushed to {:?}", self.ty);
            self.push_null();
        }
    }

    /// The child array of a list array, to push the items of the list being
    /// built; finish the list with [`Self::finish_list`].
    pub fn child_mut(&mut self) -> Option<&mut ArrowArray> {
        match &mut self.data {
            ArrayData::List { child, .. } => Some(child),
            _ => None,
        }
    }

    /// Closes a list slot holding every child item pushed since the previous
    /// slot.
    pub fn finish_list(&mut self) {
        if let ArrayData::List { offsets, child } = &mut self.data {
            let off = Self::offset_of(child.len, &mut self.overflow);
            offsets.push(off);
            self.push_bit(true);
        } else {
            debug_assert!(false, "finish_list on {:?}", self.ty);
            self.push_null();
        }
    }

    /// Number of child items pushed since the last finished list slot.
    pub fn open_list_items(&self) -> usize {
        match &self.data {
            ArrayData::List { offsets, child } => {
                child.len - *offsets.last().unwrap_or(&0) as usize
            }
            _ => 0,
        }
    }

    /// Drops child items pushed since the last finished list slot (used to
    /// turn a partly built list into a null slot).
    pub fn abandon_list(&mut self) {
        if let ArrayData::List { offsets, child } = &mut self.data {
            let keep = *offsets.last().unwrap_or(&0) as usize;
            child.truncate(keep);
        }
    }

    fn truncate(&mut self, n: usize) {
        if n >= self.len {
            return;
        }
        // Recount nulls in the dropped tail.
        for i in n..self.len {
            if self.validity[i / 8] & (1 << (i % 8)) == 0 {
                self.null_count -= 1;
            }
        }
        self.validity.truncate(n.div_ceil(8));
        if n % 8 != 0 {
            if let Some(last) = self.validity.last_mut() {
                *last &= (1u8 << (n % 8)) - 1;
            }
        }
        match &mut self.data {
            ArrayData::Fixed(v) => v.truncate(n * 8),
            ArrayData::Var { offsets, data, .. } => {
                offsets.truncate(n + 1);
                data.truncate(offsets[n] as usize);
            }
            ArrayData::List { offsets, child } => {
                offsets.truncate(n + 1);
                let keep = offsets[n] as usize;
                child.truncate(keep);
            }
        }
        self.len = n;
    }

    /// Concatenates arrays of type `ty`, allocating each buffer once.
    pub fn concat(ty: &ColumnType, parts: Vec<ArrowArray>) -> ArrowArray {
        let mut out = ArrowArray::new(ty);
        out.reserve_for(&parts.iter().collect::<Vec<_>>());
        for p in parts {
            out.append(p);
        }
        out
    }

    fn reserve_for(&mut self, parts: &[&ArrowArray]) {
        let slots: usize = parts.iter().map(|p| p.len).sum();
        self.validity.reserve(slots.div_ceil(8) + 1);
        match &mut self.data {
            ArrayData::Fixed(v) => v.reserve(slots * 8),
            ArrayData::Var { offsets, data, .. } => {
                offsets.reserve(slots);
                let bytes = parts.iter().map(|p| match &p.data {
                    ArrayData::Var { data, .. } => data.len(),
                    _ => 0,
                });
                data.reserve(bytes.sum());
            }
            ArrayData::List { offsets, child } => {
                offsets.reserve(slots);
                let children: Vec<&ArrowArray> = parts
                    .iter()
                    .filter_map(|p| match &p.data {
                        ArrayData::List { child, .. } => Some(&**child),
                        _ => None,
                    })
                    .collect();
                child.reserve_for(&children);
            }
        }
    }

    /// Appends all slots of `other` (same type).
    pub fn append(&mut self, other: ArrowArray) {
        debug_assert_eq!(self.ty, other.ty);
        // Validity: fast path when aligned on a byte.
        if self.len % 8 == 0 {
            self.validity.extend_from_slice(&other.validity);
            self.len += other.len;
            self.null_count += other.null_count;
        } else {
            for i in 0..other.len {
                let bit = other.validity[i / 8] & (1 << (i % 8)) != 0;
                self.push_bit(bit);
            }
        }
        self.overflow |= other.overflow;
        match (&mut self.data, other.data) {
            (ArrayData::Fixed(a), ArrayData::Fixed(b)) => a.extend_from_slice(&b),
            (
                ArrayData::Var {
                    offsets: ao,
                    data: ad,
                    ..
                },
                ArrayData::Var {
                    offsets: bo,
                    data: bd,
                    ..
                },
            ) => {
                let base = ad.len();
                ad.extend_from_slice(&bd);
                for &o in &bo[1..] {
                    ao.push(Self::offset_of(base + o as usize, &mut self.overflow));
                }
            }
            (
                ArrayData::List {
                    offsets: ao,
                    child: ac,
                },
                ArrayData::List {
                    offsets: bo,
                    child: bc,
                },
            ) => {
                let base = ac.len;
                ac.append(*bc);
                for &o in &bo[1..] {
                    ao.push(Self::offset_of(base + o as usize, &mut self.overflow));
                }
            }
            _ => debug_assert!(false, "append of mismatched arrays"),
        }
    }

    /// Reads slot `i` as a test helper: `None` for null.
    #[cfg(test)]
    pub(crate) fn is_valid(&self, i: usize) -> bool {
        self.validity[i / 8] & (1 << (i % 8)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(a: &ArrowArray) -> Vec<Option<String>> {
        let ArrayData::Var { offsets, data, .. } = &a.data else {
            panic!()
        };
        (0..a.len())
            .map(|i| {
                a.is_valid(i).then(|| {
                    String::from_utf8(data[offsets[i] as usize..offsets[i + 1] as usize].to_vec())
                        .unwrap()
                })
            })
            .collect()
    }

    #[test]
    fn strings_with_nulls_and_append_unaligned() {
        let mut a = ArrowArray::new(&ColumnType::Utf8);
        a.push_str("ab");
        a.push_null();
        a.push_str("");
        let mut b = ArrowArray::new(&ColumnType::Utf8);
        b.push_str("c");
        b.push_null();
        a.append(b);
        assert_eq!(a.len(), 5);
        assert_eq!(a.null_count(), 2);
        assert_eq!(
            strs(&a),
            vec![
                Some("ab".into()),
                None,
                Some("".into()),
                Some("c".into()),
                None
            ]
        );
        assert!(a.check().is_ok());
    }

    #[test]
    fn lists_append_and_abandon() {
        let ty = ColumnType::List(Box::new(ColumnType::Float64));
        let mut a = ArrowArray::new(&ty);
        a.child_mut().unwrap().push_f64(1.0);
        a.child_mut().unwrap().push_f64(2.0);
        a.finish_list();
        a.child_mut().unwrap().push_f64(3.0);
        assert_eq!(a.open_list_items(), 1);
        a.abandon_list();
        a.push_null();
        let mut b = ArrowArray::new(&ty);
        b.child_mut().unwrap().push_null();
        b.finish_list();
        a.append(b);
        let ArrayData::List { offsets, child } = &a.data else {
            panic!()
        };
        assert_eq!(offsets, &vec![0, 2, 2, 3]);
        assert_eq!(child.len(), 3);
        assert_eq!(child.null_count(), 1);
        assert_eq!(a.null_count(), 1);
        assert!(a.validity().is_some());
    }

    #[test]
    fn no_validity_without_nulls() {
        let mut a = ArrowArray::new(&ColumnType::Int64);
        for i in 0..20 {
            a.push_i64(i);
        }
        assert!(a.validity().is_none());
        let mut b = ArrowArray::new(&ColumnType::Int64);
        b.push_null();
        a.append(b);
        assert_eq!(a.validity().unwrap().len(), 3);
        assert!(!a.is_valid(20) && a.is_valid(19));
    }
}
