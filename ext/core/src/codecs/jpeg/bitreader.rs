//! Bit reader over JPEG entropy-coded data (T.81 F.2.2.5): MSB first, 0xFF00
//! stuffing removed, stops at the first marker.
//!
//! The 64-bit buffer holds `nbits` valid bits at its top. [`BitReader::refill`]
//! loads 8 bytes at once when none of them is 0xFF (the common case) and tops
//! the buffer up to 56..=63 bits with a branch-free shift (bits below `nbits`
//! may already hold the next bytes, which is harmless because they are the same
//! bits the next refill ORs in). Otherwise it goes byte by byte, removing
//! stuffed zeros and skipping fill bytes; at a marker or at the end of the data
//! it inserts zero bits and counts them, so a decoder that consumed any of them
//! knows its data was short ([`BitReader::overrun`]).
//!
//! Invariant the decode loops rely on: after `refill`, `nbits >= 56`; `nbits`
//! never reaches 64 (a shift by 64 would be undefined on x86).

pub use crate::codecs::ff::next_ff;

/// Position and kind of the marker that stopped a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    /// Offset of the marker's 0xFF (or the data length at the end of data).
    pub offset: usize,
    /// Marker code (second byte), `None` at the end of the data.
    pub marker: Option<u8>,
}

/// The hot part of a reader: what the decode loops keep in registers.
#[derive(Clone, Copy)]
pub struct Bits<'a> {
    pub(super) data: &'a [u8],
    /// Next byte to load.
    pub(super) pos: usize,
    /// The fast refill may count bytes up to here: the next 0xFF byte at or
    /// after `pos`, and no closer to the end than 8 bytes (0 once stopped).
    pub(super) fast_lim: usize,
    /// Valid bits, MSB first.
    pub buf: u64,
    /// Number of valid bits in `buf` (< 64).
    pub nbits: u32,
}

/// The cold part of a reader, touched only by the byte-by-byte refill.
#[derive(Clone, Copy, Default)]
pub struct Cold {
    stop: Option<Stop>,
    /// Zero bits inserted after `stop` (saturating).
    pad: u32,
}

/// A bit reader: [`Bits`] plus [`Cold`].
#[derive(Clone, Copy)]
pub struct BitReader<'a> {
    /// The hot state (kept in registers).
    pub b: Bits<'a>,
    /// The cold state.
    pub c: Cold,
}

impl<'a> Bits<'a> {
    /// Sets `fast_lim` after the slow path (or at the start).
    fn find_ff(&mut self, c: &Cold) {
        self.fast_lim = if c.stop.is_some() {
            0
        } else {
            next_ff(self.data, self.pos).min(self.data.len().saturating_sub(8))
        };
    }

    /// Drops `n` bits (`n <= nbits`).
    #[inline(always)]
    pub fn consume(&mut self, n: u32) {
        debug_assert!(n <= self.nbits && n < 64);
        self.buf <<= n;
        self.nbits -= n;
    }

    fn refill_bytes(&mut self, c: &mut Cold) {
        // Drop look-ahead bits below `nbits`: bytes are re-inserted one by one.
        self.buf &= if self.nbits == 0 {
            0
        } else {
            !0u64 << (64 - self.nbits)
        };
        while self.nbits < 56 {
            if c.stop.is_some() {
                self.nbits += 8;
                c.pad = c.pad.saturating_add(8);
                continue;
            }
            // Bytes before the next 0xFF go in at once.
            if let Some(b) = self.data.get(self.pos..self.pos + 8) {
                let le = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
                // Exact per byte: no carry crosses a byte boundary.
                let ff = ((le & 0x7F7F_7F7F_7F7F_7F7F) + 0x0101_0101_0101_0101)
                    & le
                    & 0x8080_8080_8080_8080;
                let before = if ff == 0 { 8 } else { ff.trailing_zeros() / 8 };
                let take = before.min((63 - self.nbits) / 8);
                if take > 0 {
                    let chunk = le.swap_bytes() & !(u64::MAX >> (8 * take));
                    self.buf |= chunk >> self.nbits;
                    self.nbits += 8 * take;
                    self.pos += take as usize;
                    continue;
                }
            }
            let Some(&b) = self.data.get(self.pos) else {
                c.stop = Some(Stop {
                    offset: self.data.len(),
                    marker: None,
                });
                continue;
            };
            let byte = if b == 0xFF {
                let mut q = self.pos + 1;
                while q < self.data.len() && self.data[q] == 0xFF {
                    q += 1;
                }
                match self.data.get(q) {
                    Some(0) => {
                        self.pos = q + 1;
                        0xFF
                    }
                    Some(&m) => {
                        c.stop = Some(Stop {
                            offset: q - 1,
                            marker: Some(m),
                        });
                        continue;
                    }
                    None => {
                        c.stop = Some(Stop {
                            offset: self.pos,
                            marker: None,
                        });
                        continue;
                    }
                }
            } else {
                self.pos += 1;
                b
            };
            self.buf |= (byte as u64) << (56 - self.nbits);
            self.nbits += 8;
        }
    }
}

/// A reader split for the decode loops: the hot part by value (kept in
/// registers), the cold part by reference. Build it with
/// `let BitReader { b, c } = r; let mut h = Hot { b: *b, c };` and write
/// `h.b` back when done.
pub struct Hot<'x, 'a> {
    /// The hot state (kept in registers).
    pub b: Bits<'a>,
    /// The cold state.
    pub c: &'x mut Cold,
}

impl Hot<'_, '_> {
    /// The next bits, MSB first (at least `nbits` valid).
    #[inline(always)]
    pub fn buf(&self) -> u64 {
        self.b.buf
    }

    /// Tops the buffer up to at least 56 bits.
    #[inline(always)]
    pub fn refill(&mut self) {
        self.b.refill(self.c);
    }

    /// Drops `n` bits (`n <= nbits`).
    #[inline(always)]
    pub fn consume(&mut self, n: u32) {
        self.b.consume(n);
    }

    /// Byte offset of the next unread bit, for error messages.
    #[cold]
    pub fn offset(&self) -> usize {
        BitReader {
            b: self.b,
            c: *self.c,
        }
        .offset()
    }
}

/// Byte-by-byte refill, taking and returning the hot part by value so that
/// the decode loops keep it in registers.
#[inline(never)]
pub(super) fn refill_slow<'a>(mut b: Bits<'a>, c: &mut Cold) -> Bits<'a> {
    b.refill_bytes(c);
    b.find_ff(c);
    b
}

impl<'a> BitReader<'a> {
    /// A reader over `data[pos..]`, already refilled.
    pub fn new(data: &'a [u8], pos: usize) -> BitReader<'a> {
        let mut r = BitReader {
            b: Bits {
                data,
                pos: pos.min(data.len()),
                fast_lim: 0,
                buf: 0,
                nbits: 0,
            },
            c: Cold::default(),
        };
        r.b.find_ff(&r.c);
        r.refill();
        r
    }

    /// Tops the buffer up to at least 56 bits.
    #[inline(always)]
    pub fn refill(&mut self) {
        self.b.refill(&mut self.c);
    }

    /// Drops `n` bits (`n <= nbits`).
    #[inline(always)]
    pub fn consume(&mut self, n: u32) {
        self.b.consume(n);
    }

    /// True when the decoder consumed zero bits inserted past a marker or
    /// the end of the data: its data was truncated or corrupt.
    #[inline(always)]
    pub fn overrun(&self) -> bool {
        self.c.pad > self.b.nbits
    }

    /// The marker (or end of data) that stopped the reader, if reached.
    pub fn stop(&self) -> Option<Stop> {
        self.c.stop
    }

    /// Offset for error messages: the byte the next unread bit came from
    /// (approximate near stuffed bytes).
    pub fn offset(&self) -> usize {
        if let Some(s) = self.c.stop {
            if self.c.pad > 0 {
                return s.offset;
            }
        }
        self.b.pos.saturating_sub((self.b.nbits / 8) as usize)
    }

    /// Where the entropy-coded segment ends: the offset of the marker that
    /// follows it, found by skipping any whole bytes still unread (the
    /// partial byte's bits are padding). Returns `(marker offset, extraneous
    /// bytes skipped)`; the offset is the data length when no marker follows.
    pub fn finish(&self) -> (usize, usize) {
        if let Some(s) = self.c.stop {
            let unread = (self.b.nbits.saturating_sub(self.c.pad) / 8) as usize;
            return (s.offset, unread);
        }
        let from = self.offset();
        let end = next_marker(self.b.data, from);
        (end, end - from)
    }

    /// Restarts after an interval (F.2.2.5): expects an RSTn marker where the
    /// interval's data ends. Returns the marker's number, or `Err(stop)` when
    /// the data ends or another marker comes first (the reader is then left
    /// stopped there). `skipped` is set to the extraneous bytes passed over.
    pub fn restart(&mut self, skipped: &mut usize) -> std::result::Result<u8, Stop> {
        let (at, extra) = self.finish();
        *skipped = extra;
        let data = self.b.data;
        let mut q = at;
        while q < data.len() && data[q] == 0xFF {
            q += 1;
        }
        match data.get(q) {
            Some(&m) if (0xD0..=0xD7).contains(&m) && q > at => {
                *self = BitReader::new(data, q + 1);
                Ok(m - 0xD0)
            }
            other => {
                let stop = Stop {
                    offset: at,
                    marker: other.copied().filter(|_| q > at),
                };
                self.c = Cold {
                    stop: Some(stop),
                    pad: 0,
                };
                self.b.buf = 0;
                self.b.nbits = 0;
                self.b.pos = at;
                self.b.fast_lim = 0;
                Err(stop)
            }
        }
    }
}

/// Offset of the next marker at or after `from` (0xFF followed by a byte
/// other than 0x00 and 0xFF; fill bytes belong to the marker), or
/// `data.len()`. Searches 8 bytes at a time.
pub fn next_marker(data: &[u8], from: usize) -> usize {
    let mut i = from;
    loop {
        i = next_ff(data, i);
        if i >= data.len() {
            return data.len();
        }
        let mut q = i + 1;
        while q < data.len() && data[q] == 0xFF {
            q += 1;
        }
        match data.get(q) {
            None => return data.len(),
            Some(0) => i = q + 1,
            Some(_) => return q - 1,
        }
    }
}

/// Entropy-coded segments of a scan split at RSTn markers, as `(start, end)`
/// pairs, at most `max` of them: stops after the segment that a marker other
/// than RSTn (or the end of the data) ends, or after `max` segments.
pub fn restart_segments(data: &[u8], start: usize, max: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut s = start;
    while out.len() < max {
        let m = next_marker(data, s);
        out.push((s, m));
        // `m` is the last 0xFF before the marker code.
        match data.get(m + 1) {
            Some(c) if (0xD0..=0xD7).contains(c) => s = m + 2,
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_bits(r: &mut BitReader, n: u32) -> u64 {
        r.refill();
        let v = r.b.buf >> (64 - n);
        r.consume(n);
        v
    }

    #[test]
    fn unstuffs_and_stops_at_marker() {
        let data = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xFF, 0xD9, 0x99];
        let mut r = BitReader::new(&data, 0);
        assert_eq!(read_bits(&mut r, 8), 0x12);
        assert_eq!(read_bits(&mut r, 8), 0xFF);
        assert_eq!(read_bits(&mut r, 8), 0x34);
        assert!(!r.overrun());
        assert_eq!(
            r.stop(),
            Some(Stop {
                offset: 5,
                marker: Some(0xD9)
            })
        );
        assert_eq!(read_bits(&mut r, 8), 0);
        assert!(r.overrun());
    }

    #[test]
    fn fast_path_matches_slow_path() {
        let data: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
        let mut r = BitReader::new(&data, 0);
        let mut acc = Vec::new();
        for k in 0..300 {
            let n = 1 + (k * 7 % 13) as u32;
            acc.push((n, read_bits(&mut r, n)));
        }
        // Reference: plain bit walk.
        let mut bitpos = 0usize;
        for (n, v) in acc {
            let mut want = 0u64;
            for _ in 0..n {
                let byte = data.get(bitpos / 8).copied().unwrap_or(0);
                want = (want << 1) | ((byte >> (7 - bitpos % 8)) & 1) as u64;
                bitpos += 1;
            }
            assert_eq!(v, want);
        }
    }

    #[test]
    fn stuffed_bytes_at_every_alignment() {
        // Random bytes with many 0xFF, stuffed as an encoder would.
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let raw: Vec<u8> = (0..4000)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                if s % 5 == 0 {
                    0xFF
                } else {
                    (s >> 24) as u8
                }
            })
            .collect();
        let mut stuffed = Vec::new();
        for &b in &raw {
            stuffed.push(b);
            if b == 0xFF {
                stuffed.push(0);
            }
        }
        stuffed.extend_from_slice(&[0xFF, 0xD9]);
        for step in [1u32, 3, 7, 12, 13, 16] {
            let mut r = BitReader::new(&stuffed, 0);
            let mut bitpos = 0usize;
            while bitpos + step as usize <= raw.len() * 8 {
                let got = read_bits(&mut r, step);
                let mut want = 0u64;
                for _ in 0..step {
                    want = (want << 1) | ((raw[bitpos / 8] >> (7 - bitpos % 8)) & 1) as u64;
                    bitpos += 1;
                }
                assert_eq!(got, want, "step {step} at bit {bitpos}");
            }
            assert!(!r.overrun());
            assert_eq!(r.finish().0, stuffed.len() - 2);
        }
    }

    #[test]
    fn restart_finds_rst_and_segments() {
        let data = [
            0xAB, 0xFF, 0xD0, 0xCD, 0xFF, 0x00, 0xFF, 0xD1, 0xEE, 0xFF, 0xD9,
        ];
        let mut r = BitReader::new(&data, 0);
        assert_eq!(read_bits(&mut r, 8), 0xAB);
        let mut skipped = 0;
        assert_eq!(r.restart(&mut skipped), Ok(0));
        assert_eq!(skipped, 0);
        assert_eq!(read_bits(&mut r, 16), 0xCDFF);
        assert_eq!(r.restart(&mut skipped), Ok(1));
        assert_eq!(read_bits(&mut r, 8), 0xEE);
        assert!(r.restart(&mut skipped).is_err());
        assert_eq!(restart_segments(&data, 0, 10), vec![(0, 1), (3, 6), (8, 9)]);
        assert_eq!(restart_segments(&data, 0, 2), vec![(0, 1), (3, 6)]);
        assert_eq!(next_marker(&data, 3), 6);
    }
}
