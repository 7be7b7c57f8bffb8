//! Lookup tables: Modality LUT Sequence, VOI LUT Sequence and palette
//! colour LUTs, with their descriptors checked before use, and the expansion
//! of segmented palette colour LUT data (PS3.3 C.7.9.2).

use super::{par_frames, Sample};
use crate::error::{Error, Result};

/// Largest number of entries an expanded segmented LUT may have.
pub const MAX_SEGMENTED_ENTRIES: usize = 1 << 20;
/// Deepest nesting of indirect segments followed.
const MAX_INDIRECT_DEPTH: u32 = 16;

/// The three values of a LUT Descriptor (0028,3002) or a palette descriptor
/// (0028,1101-1103).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LutDescriptor {
    /// Number of entries as stored; 0 means 2^16.
    pub entries: u32,
    /// First stored value mapped (may be negative).
    pub first_map: i64,
    /// Bits per entry (1 to 16).
    pub bits: u32,
}

impl LutDescriptor {
    /// Number of entries (0 read as 2^16, as PS3.3 C.11.1.1 says).
    pub fn entry_count(&self) -> usize {
        if self.entries == 0 {
            1 << 16
        } else {
            self.entries as usize
        }
    }

    /// Checks the descriptor against the `available` entries of its data.
    pub fn check(&self, available: usize) -> Result<usize> {
        if self.bits == 0 || self.bits > 16 {
            return Err(Error::malformed(
                0,
                "LUT Descriptor",
                format!("{} bits per entry (1 to 16 allowed)", self.bits),
            ));
        }
        if self.entries > 1 << 16 {
            return Err(Error::malformed(
                0,
                "LUT Descriptor",
                format!("{} entries (at most 65536 allowed)", self.entries),
            ));
        }
        let n = self.entry_count();
        if available < n {
            return Err(Error::malformed(
                0,
                "LUT Data",
                format!(
                    "the descriptor says {n} entries{} but the data holds {available}",
                    if self.entries == 0 {
                        " (0 = 65536)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        Ok(n)
    }
}

/// A checked lookup table: `first_map` and exactly the descriptor's entries.
#[derive(Debug, Clone)]
pub struct Lut<E> {
    first_map: i64,
    entries: Vec<E>,
}

impl<E: Copy> Lut<E> {
    /// Builds a LUT from its descriptor and data; the data may hold more
    /// entries than described (the extra ones are ignored), not fewer.
    pub fn new(desc: LutDescriptor, data: &[E]) -> Result<Self> {
        let n = desc.check(data.len())?;
        Ok(Lut {
            first_map: desc.first_map,
            entries: data[..n].to_vec(),
        })
    }

    /// The entries.
    pub fn entries(&self) -> &[E] {
        &self.entries
    }

    /// Index of the entry a stored value maps to: values below `first_map`
    /// take the first entry, values past the end the last one. With
    /// `wrap_bits`, the offset is first reduced modulo 2^bits, as NumPy does
    /// when pydicom stores it in an array of the LUT's dtype.
    #[inline(always)]
    pub fn index<S: Sample>(&self, v: S, wrap_bits: Option<u32>) -> usize {
        match v.lut_offset(self.first_map) {
            None => 0,
            Some(d) => {
                let d = match wrap_bits {
                    Some(b) => d & ((1i64 << b) - 1),
                    None => d,
                };
                (d.max(0) as u64).min(self.entries.len() as u64 - 1) as usize
            }
        }
    }
}

/// Applies `lut` to every value of `src` into `dst` (same length).
pub fn apply_lut<S: Sample, E: Copy + Send + Sync>(
    src: &[S],
    lut: &Lut<E>,
    wrap_bits: Option<u32>,
    dst: &mut [E],
) -> Result<()> {
    let n = src.len().max(1);
    par_frames(src, dst, n, 1, 1, |_, s, d| {
        for (o, &v) in d.iter_mut().zip(s) {
            *o = lut.entries[lut.index(v, wrap_bits)];
        }
    })
}

/// Applies the palette LUTs (red, green, blue and optionally alpha, sharing
/// one descriptor) to `src`; `dst` holds `luts.len()` values per pixel.
pub fn apply_palette<S: Sample, E: Copy + Send + Sync>(
    src: &[S],
    luts: &[Lut<E>],
    wrap_bits: Option<u32>,
    dst: &mut [E],
) -> Result<()> {
    let k = luts.len();
    if !(1..=4).contains(&k) {
        return Err(Error::unsupported(format!(
            "{k} palette LUTs (1 to 4 allowed)"
        )));
    }
    let first = &luts[0];
    if luts
        .iter()
        .any(|l| l.entries.len() != first.entries.len() || l.first_map != first.first_map)
    {
        return Err(Error::malformed(
            0,
            "Palette Color Lookup Table Data",
            "LUT data must be the same length",
        ));
    }
    let n = src.len().max(1);
    par_frames(src, dst, n, 1, k, |_, s, d| {
        for (px, &v) in d.chunks_exact_mut(k).zip(s) {
            let i = first.index(v, wrap_bits);
            for (o, l) in px.iter_mut().zip(luts) {
                *o = l.entries[i];
            }
        }
    })
}

/// Expands segmented palette colour LUT data (PS3.3 C.7.9.2) exactly as
/// pydicom's `_expand_segmented_lut` does: discrete, linear (rounded half to
/// even, as `numpy.around(numpy.linspace(...))`) and indirect segments.
///
/// `data` holds the words of the element: bytes for 8-bit entries
/// (`eight_bit`), 16-bit values otherwise; `little_endian` says how the
/// dataset was encoded (it orders the bytes of 8-bit indirect offsets).
pub fn expand_segmented(data: &[u16], eight_bit: bool, little_endian: bool) -> Result<Vec<u16>> {
    let mut out = Vec::new();
    expand(data, 0, eight_bit, little_endian, None, None, 0, &mut out)?;
    Ok(out)
}

fn seg_err(at: usize, msg: impl std::fmt::Display) -> Error {
    Error::malformed(
        at as u64,
        "segmented palette colour LUT data (word offset)",
        msg,
    )
}

#[allow(clippy::too_many_arguments)]
fn expand(
    data: &[u16],
    base: usize,
    eight_bit: bool,
    little_endian: bool,
    nr_segments: Option<usize>,
    last_value: Option<u16>,
    depth: u32,
    total: &mut Vec<u16>,
) -> Result<()> {
    // `lut` of pydicom's call: this call's output starts at `start`.
    let start = total.len();
    let d = &data[base.min(data.len())..];
    let mut off = 0usize;
    let mut segments = 0usize;
    while off + 1 < d.len() {
        let opcode = d[off];
        let length = d[off + 1] as usize;
        off += 2;
        if total.len() + length > MAX_SEGMENTED_ENTRIES {
            return Err(Error::LimitExceeded {
                what: "expanded segmented palette LUT entries".into(),
                requested: (total.len() + length) as u64,
                limit: MAX_SEGMENTED_ENTRIES as u64,
            });
        }
        match opcode {
            0 => {
                let end = off + length;
                if end > d.len() {
                    return Err(seg_err(
                        base + off,
                        format!("discrete segment of {length} entries runs past the data"),
                    ));
                }
                total.extend_from_slice(&d[off..end]);
                off = end;
            }
            1 => {
                let y0 = if total.len() > start {
                    total[total.len() - 1]
                } else {
                    match last_value {
                        Some(v) if v != 0 => v,
                        _ => {
                            return Err(seg_err(
                                base + off,
                                "the first segment cannot be a linear segment",
                            ))
                        }
                    }
                };
                let Some(&y1) = d.get(off) else {
                    return Err(seg_err(base + off, "linear segment runs past the data"));
                };
                off += 1;
                if y0 == y1 {
                    total.extend(std::iter::repeat_n(y1, length));
                } else {
                    if length == 0 {
                        return Err(seg_err(base + off, "linear segment of length 0"));
                    }
                    linear(y0, y1, length, total);
                }
            }
            2 => {
                if total.len() == start {
                    return Err(seg_err(
                        base + off,
                        "the first segment cannot be an indirect segment",
                    ));
                }
                let target = if eight_bit {
                    let Some(w) = d.get(off..off + 4) else {
                        return Err(seg_err(base + off, "indirect segment runs past the data"));
                    };
                    let ii: [usize; 4] = if little_endian {
                        [3, 2, 1, 0]
                    } else {
                        [2, 3, 0, 1]
                    };
                    let b = |i: usize| w[ii[i]] as usize;
                    off += 4;
                    ((b(0) << 8 | b(1)) << 16) | (b(2) << 8 | b(3))
                } else {
                    let Some(w) = d.get(off..off + 2) else {
                        return Err(seg_err(base + off, "indirect segment runs past the data"));
                    };
                    off += 2;
                    (w[1] as usize) << 16 | w[0] as usize
                };
                if depth >= MAX_INDIRECT_DEPTH {
                    return Err(seg_err(
                        base + off,
                        "indirect segments nested too deeply (loop?)",
                    ));
                }
                let last = total[total.len() - 1];
                // pydicom slices `data[byte_offset:]` of the data it was given.
                expand(
                    d,
                    target,
                    eight_bit,
                    little_endian,
                    Some(length),
                    Some(last),
                    depth + 1,
                    total,
                )?;
            }
            op => {
                return Err(seg_err(
                    base + off - 2,
                    format!("unknown segment type {op}"),
                ))
            }
        }
        segments += 1;
        if Some(segments) == nr_segments {
            return Ok(());
        }
    }
    Ok(())
}

/// `numpy.around(numpy.linspace(y0 + step, y1, length))`, step = (y1-y0)/length.
fn linear(y0: u16, y1: u16, length: usize, out: &mut Vec<u16>) {
    let (y0f, y1f) = (y0 as f64, y1 as f64);
    let step = (y1f - y0f) / length as f64;
    let start = y0f + step;
    let stop = y1f;
    let push = |v: f64, out: &mut Vec<u16>| out.push(v.round_ties_even() as u16);
    if length == 1 {
        push(start, out);
        return;
    }
    let div = (length - 1) as f64;
    let delta = stop - start;
    let s = delta / div;
    for i in 0..length - 1 {
        let y = if s == 0.0 {
            (i as f64 / div) * delta
        } else {
            i as f64 * s
        };
        push(y + start, out);
    }
    push(stop, out);
}
