//! From OpenJPEG's 32-bit component planes to the output array, as pydicom
//! 3 returns it with `raw=True` (decoders `pylibjpeg` and `gdcm`).
//!
//! pydicom's rules for JPEG 2000, step by step, for a codestream value `v`
//! of precision `p` and signedness `s` (both from the first SIZ component):
//!
//! 1. The plugin returns each sample in a container of 8, 16 or 32 bits
//!    chosen by `p` (`v` truncated to it), read with the signedness of
//!    *Pixel Representation*.
//! 2. That value is assigned into the array of the dataset's type (*Bits
//!    Allocated*, *Pixel Representation*): NumPy's conversion, which wraps
//!    when narrowing.
//! 3. For MONOCHROME1/2 only, when `s` differs from *Pixel Representation*,
//!    the values are shifted left then right by `bits(dtype) − p`: sign
//!    extension from `p` bits when the array is signed, masking to `p`
//!    bits when it is not. *Bits Stored* is not used.
//!
//! YBR_RCT / YBR_ICT: OpenJPEG applies the inverse component transform the
//! COD segment asks for, so the samples are RGB, which is what pydicom
//! returns (it relabels the photometric interpretation RGB).

use crate::error::{Error, Result};
use crate::pixels::SampleType;

/// How codestream values become output samples (see the module notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mapping {
    /// Bits of the plugin's container (8, 16 or 32, from the precision).
    pub container: u32,
    /// The container is read as signed (*Pixel Representation* 1).
    pub container_signed: bool,
    /// Bits of the output element.
    pub out_bits: u32,
    /// The output element is signed.
    pub out_signed: bool,
    /// Step 3: extend (sign or zero, by `out_signed`) from this many bits.
    pub correct_from: Option<u32>,
}

impl Mapping {
    /// The mapping for codestream precision `precision`, signedness
    /// `j2k_signed`, output type `out`, *Pixel Representation* signedness
    /// `pr_signed`, monochrome or not.
    pub fn new(
        precision: u32,
        j2k_signed: bool,
        out: SampleType,
        pr_signed: bool,
        monochrome: bool,
    ) -> Result<Mapping> {
        let container = match precision {
            1..=8 => 8,
            9..=16 => 16,
            17..=32 => 32,
            p => {
                return Err(Error::unsupported(format!(
                    "JPEG 2000 precision {p} (more than 32 bits)"
                )))
            }
        };
        let (out_bits, out_signed) = match out {
            SampleType::U8 => (8, false),
            SampleType::I8 => (8, true),
            SampleType::U16 => (16, false),
            SampleType::I16 => (16, true),
            SampleType::U32 => (32, false),
            SampleType::I32 => (32, true),
            t => {
                return Err(Error::unsupported(format!(
                    "JPEG 2000 decoded to {}",
                    t.numpy_str()
                )))
            }
        };
        let correct_from =
            (monochrome && j2k_signed != pr_signed && precision < out_bits).then_some(precision);
        Ok(Mapping {
            container,
            container_signed: pr_signed,
            out_bits,
            out_signed,
            correct_from,
        })
    }

    /// True when every value in range for (`precision`, `j2k_signed`) maps
    /// to itself, so that the plain conversion loop may be used.
    pub fn is_identity_for(&self, precision: u32, j2k_signed: bool) -> bool {
        self.correct_from.is_none()
            && j2k_signed == self.container_signed
            && j2k_signed == self.out_signed
            && precision <= self.container
            && self.container == self.out_bits
    }

    /// The output value of codestream value `v`.
    #[inline]
    pub fn map(&self, v: i32) -> i64 {
        let w = extend(v as i64, self.container, self.container_signed);
        let t = extend(w, self.out_bits, self.out_signed);
        match self.correct_from {
            Some(p) => extend(t, p, self.out_signed),
            None => t,
        }
    }
}

/// Sign-extends (`signed`) or zero-extends the low `bits` bits of `x`.
#[inline]
fn extend(x: i64, bits: u32, signed: bool) -> i64 {
    let s = 64 - bits;
    if signed {
        (x << s) >> s
    } else {
        ((x as u64) << s >> s) as i64
    }
}

/// Interleaves the component planes (`w × h` each, all the same size) into
/// `dst`, colour-by-pixel, `N` little-endian bytes per sample.
fn interleave<const N: usize>(planes: &[&[i32]], dst: &mut [u8], f: impl Fn(i32) -> i64) {
    let nc = planes.len();
    match planes {
        [p] => {
            for (o, &v) in dst.chunks_exact_mut(N).zip(p.iter()) {
                o.copy_from_slice(&f(v).to_le_bytes()[..N]);
            }
        }
        [r, g, b] => {
            for (((o, &r), &g), &b) in dst.chunks_exact_mut(3 * N).zip(*r).zip(*g).zip(*b) {
                o[..N].copy_from_slice(&f(r).to_le_bytes()[..N]);
                o[N..2 * N].copy_from_slice(&f(g).to_le_bytes()[..N]);
                o[2 * N..].copy_from_slice(&f(b).to_le_bytes()[..N]);
            }
        }
        _ => {
            for (i, o) in dst.chunks_exact_mut(nc * N).enumerate() {
                for (c, p) in planes.iter().enumerate() {
                    o[c * N..(c + 1) * N].copy_from_slice(&f(p[i]).to_le_bytes()[..N]);
                }
            }
        }
    }
}

/// Writes the planes into `dst` with `m` (`dst` holds exactly
/// `w × h × planes × out_bits / 8` bytes; checked by the caller).
pub(super) fn write(planes: &[&[i32]], dst: &mut [u8], m: &Mapping, identity: bool) {
    match (m.out_bits, identity) {
        (8, true) => interleave::<1>(planes, dst, |v| v as i64),
        (16, true) => interleave::<2>(planes, dst, |v| v as i64),
        (32, true) => interleave::<4>(planes, dst, |v| v as i64),
        (8, false) => interleave::<1>(planes, dst, |v| m.map(v)),
        (16, false) => interleave::<2>(planes, dst, |v| m.map(v)),
        _ => interleave::<4>(planes, dst, |v| m.map(v)),
    }
}

/// Samples below which [`write_parallel`] writes on the calling thread
/// alone (a thread costs tens of microseconds to start).
const PARALLEL_MIN_SAMPLES: usize = 1 << 18;

/// [`write`] split by rows over up to `threads` threads (the calling one
/// and `threads - 1` scoped ones): each part is a run of whole pixels, so
/// the bytes are those of [`write`]. The conversion runs after OpenJPEG's
/// decode, while its worker threads wait; on one thread it was a sixth of
/// a 1024×1024 HTJ2K frame's serial time.
pub(super) fn write_parallel(
    planes: &[&[i32]],
    dst: &mut [u8],
    m: &Mapping,
    identity: bool,
    threads: usize,
) {
    let n = planes.first().map_or(0, |p| p.len());
    let parts = threads.min(n / PARALLEL_MIN_SAMPLES).max(1);
    if parts == 1 || planes.is_empty() {
        return write(planes, dst, m, identity);
    }
    let pixel_bytes = dst.len() / n;
    let step = n.div_ceil(parts);
    std::thread::scope(|s| {
        let mut rest = dst;
        let mut start = 0;
        while start < n {
            let end = (start + step).min(n);
            let (mine, tail) = rest.split_at_mut((end - start) * pixel_bytes);
            rest = tail;
            let part: Vec<&[i32]> = planes.iter().map(|p| &p[start..end]).collect();
            if end == n {
                write(&part, mine, m, identity);
            } else {
                s.spawn(move || write(&part, mine, m, identity));
            }
            start = end;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_codestream_signed_dataset_monochrome() {
        // pydicom's example: 13-bit, PR 1, codestream unsigned: -2000 stored
        // as the 13-bit pattern 0x1830 decodes to -2000.
        let m = Mapping::new(13, false, SampleType::I16, true, true).unwrap();
        assert_eq!(m.map(0x1830), -2000);
        assert_eq!(m.map(5), 5);
        // Colour: no correction, the 16-bit container is read as signed.
        let m = Mapping::new(13, false, SampleType::I16, true, false).unwrap();
        assert_eq!(m.map(0x1830), 0x1830);
        let m = Mapping::new(8, false, SampleType::I8, true, false).unwrap();
        assert_eq!(m.map(200), -56);
    }

    #[test]
    fn signed_codestream_unsigned_dataset_monochrome() {
        // 12-bit signed codestream, PR 0: masked to 12 bits.
        let m = Mapping::new(12, true, SampleType::U16, false, true).unwrap();
        assert_eq!(m.map(-1), 0x0FFF);
        assert_eq!(m.map(100), 100);
        // 16-bit signed codestream, PR 0: no shift possible (16 − 16 = 0).
        let m = Mapping::new(16, true, SampleType::U16, false, true).unwrap();
        assert_eq!(m.map(-1), 0xFFFF);
    }

    #[test]
    fn narrower_container_widens_with_the_dataset_sign() {
        // Precision 8 in a 16-bit dataset: the 8-bit container is read with
        // PR's signedness, then widened.
        let m = Mapping::new(8, true, SampleType::I16, true, true).unwrap();
        assert_eq!(m.map(-3), -3);
        let m = Mapping::new(8, false, SampleType::U16, false, true).unwrap();
        assert_eq!(m.map(255), 255);
        assert_eq!(m.map(300), 44);
        assert!(!m.is_identity_for(8, false));
        let m = Mapping::new(12, false, SampleType::U16, false, true).unwrap();
        assert!(m.is_identity_for(12, false));
        // Precision 16 into 8-bit output: wraps like NumPy.
        let m = Mapping::new(16, false, SampleType::U8, false, true).unwrap();
        assert_eq!(m.map(0x1234), 0x34);
        assert!(!m.is_identity_for(16, false));
    }

    #[test]
    fn interleaves_three_planes() {
        let (r, g, b) = ([1, 2], [3, 4], [5, -1]);
        let mut out = [0u8; 12];
        let m = Mapping::new(16, true, SampleType::I16, true, false).unwrap();
        write(&[&r, &g, &b], &mut out, &m, true);
        assert_eq!(out, [1, 0, 3, 0, 5, 0, 2, 0, 4, 0, 0xFF, 0xFF]);
    }

    #[test]
    fn parallel_write_gives_the_same_bytes() {
        // Large enough for 2 and 3 parts; an uneven length; 1 and 3 planes.
        let n = 3 * PARALLEL_MIN_SAMPLES + 7;
        let plane: Vec<i32> = (0..n as i32).map(|i| (i % 91_001) - 40_000).collect();
        let m = Mapping::new(16, true, SampleType::U16, false, true).unwrap();
        for planes in [vec![&plane[..]], vec![&plane[..], &plane[..], &plane[..]]] {
            for identity in [true, false] {
                let mut one = vec![0u8; n * planes.len() * 2];
                write(&planes, &mut one, &m, identity);
                for threads in [1, 2, 3, 8] {
                    let mut par = vec![0xA5u8; one.len()];
                    write_parallel(&planes, &mut par, &m, identity, threads);
                    assert!(par == one, "threads {threads}");
                }
            }
        }
    }
}
