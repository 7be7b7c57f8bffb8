//! Lossless scan decoding (T.81 Annex H): Huffman difference, predictor and
//! store fused in one pass over the output.
//!
//! * The fast path ([`decode_scan`] when every scan component is at full
//!   resolution) writes samples straight into the colour-by-pixel output and
//!   is specialised per predictor and per number of interleaved components.
//!   Restart intervals (whole rows) are decoded in parallel when the scan is
//!   large enough: each interval resets the predictor, so intervals are
//!   independent.
//! * The general path (subsampled components, legacy predictors) decodes MCU
//!   by MCU into one plane per component and upsamples by replication.
//!
//! Modules: `kernels` (Huffman differences, predictors, row kernels),
//! `arch` (the BMI1/BMI2 builds of the row kernels and their run-time
//! dispatch: the only `unsafe` here), `fast` (full-resolution scans,
//! parallel restart intervals), `general` (subsampled components).

mod arch;
mod fast;
mod general;
mod kernels;

use arch::use_bmi2;
use fast::{fast_scan, Fast, Kernel};
use general::general_scan;
use kernels::PAIR2_MIN_DENSITY;

#[cfg(test)]
pub(crate) use arch::NO_BMI2;

use super::bitreader::{restart_segments, BitReader, Hot};
use super::huffman::{extend, pair_diffs, pair_sums, DecodeTable, LUT_SIZE, PAIR_TWO, SLOW};
use super::info::skip_entropy;
use super::markers::{FrameHeader, ScanHeader};
use crate::error::{Error, Result};
use crate::limits;
use crate::pixels::FrameReport;
use rayon::prelude::*;

/// Output element: u8 or u16 (samples are reconstructed modulo 2^16).
pub trait Sample: Copy + Default + Send + Sync + 'static {
    /// The sample from a 16-bit value (truncated for `u8`).
    fn from_u16(v: u16) -> Self;
    /// The sample as a 16-bit value.
    fn to_u16(self) -> u16;
}

impl Sample for u8 {
    #[inline(always)]
    fn from_u16(v: u16) -> Self {
        v as u8
    }
    #[inline(always)]
    fn to_u16(self) -> u16 {
        self as u16
    }
}

impl Sample for u16 {
    #[inline(always)]
    fn from_u16(v: u16) -> Self {
        v
    }
    #[inline(always)]
    fn to_u16(self) -> u16 {
        self
    }
}

/// Everything a scan decoder needs besides the data.
pub struct ScanParams<'t> {
    /// Decoding table of each scan component, in scan order.
    pub tables: Vec<&'t DecodeTable>,
    /// Restart interval in MCUs (0: none).
    pub restart_interval: u16,
    /// Lines the output has room for (<= the frame's lines is typical).
    pub out_rows: usize,
    /// Lines in the frame (SOF, DNL or DICOM Rows).
    pub frame_rows: usize,
    /// Components per output pixel.
    pub nf: usize,
    /// Decode predictors 5-7 with 16-bit signed intermediates (the legacy
    /// encoder bug, DCMTK `WORKAROUND_PREDICTOR6OVERFLOW`).
    pub legacy_predictors: bool,
    /// Decode restart intervals in parallel where possible.
    pub parallel: bool,
}

/// Context of the error for a code no table entry matches (the driver may
/// retry such a stream with the Cornell workaround).
pub const HUFF_CTX: &str = "JPEG entropy-coded data";

#[cold]
#[inline(never)]
fn code_error(r: &Hot, msg: &str) -> Error {
    Error::malformed(r.offset() as u64, HUFF_CTX, msg)
}

/// What the decode loops need of one Huffman table.
#[derive(Clone, Copy)]
pub struct Tab<'t> {
    lut: &'t [u32; LUT_SIZE],
    pair: Option<&'t [u32; LUT_SIZE]>,
    /// The pair table, when dense enough for the fixed two-sample step.
    pair2: Option<&'t [u32; LUT_SIZE]>,
    t: &'t DecodeTable,
}

impl<'t> Tab<'t> {
    pub fn new(t: &'t DecodeTable) -> Tab<'t> {
        Tab {
            lut: &t.lut,
            pair: t.pair.as_deref(),
            pair2: t
                .pair
                .as_deref()
                .filter(|_| t.pair_density >= PAIR2_MIN_DENSITY),
            t,
        }
    }
}

/// Where the marker walk resumes after a scan: the marker after the
/// entropy-coded data (found by skipping the rest of the scan when decoding
/// `stopped_early`); extra bytes before it are reported.
fn scan_end(data: &[u8], br: &BitReader, stopped_early: bool, report: &mut FrameReport) -> usize {
    if stopped_early {
        return skip_entropy(data, br.offset());
    }
    let (end, extra) = br.finish();
    if extra > 0 {
        report.warn(format!(
            "{extra} extraneous bytes after the entropy-coded data (before byte {end})"
        ));
    }
    end
}

/// Decodes one scan into `out` (colour-by-pixel, `p.nf` components, `out_rows`
/// rows of the frame width). Returns the offset of the marker after the scan.
pub fn decode_scan<T: Sample>(
    data: &[u8],
    frame: &FrameHeader,
    scan: &ScanHeader,
    p: &ScanParams,
    out: &mut [T],
    report: &mut FrameReport,
) -> Result<usize> {
    let ns = scan.components.len();
    let width = frame.width as usize;
    let (hmax, vmax) = (frame.hmax(), frame.vmax());
    let full_res = scan.components.iter().all(|sc| {
        let c = frame.components[sc.index];
        if ns == 1 {
            c.h == hmax && c.v == vmax
        } else {
            c.h == 1 && c.v == 1 && hmax == 1 && vmax == 1
        }
    });
    let ri = p.restart_interval as usize;
    let whole_rows = ri == 0 || ri % width == 0;
    let legacy = p.legacy_predictors && scan.predictor >= 5;
    if !(full_res && whole_rows && !legacy) {
        return general_scan(data, frame, scan, p, out, report);
    }
    let initial = 1u16 << (frame.precision - scan.point_transform - 1);
    macro_rules! go {
        ($n:literal) => {{
            let offs: [usize; $n] = std::array::from_fn(|c| scan.components[c].index);
            let shared = p.tables.iter().all(|t| std::ptr::eq(*t, p.tables[0]));
            let in_order = offs.iter().enumerate().all(|(c, &o)| c == o);
            let kernel = if $n == 1 && p.nf == 1 {
                Kernel::Gray
            } else if $n == p.nf && in_order && shared {
                Kernel::Flat
            } else {
                Kernel::Generic
            };
            let g = Fast::<$n> {
                width,
                row_len: width * p.nf,
                stride: p.nf,
                offs,
                initial,
                kernel,
                bmi2: use_bmi2(),
            };
            match scan.predictor {
                1 => fast_scan::<T, $n, 1>(data, scan, p, g, out, report),
                2 => fast_scan::<T, $n, 2>(data, scan, p, g, out, report),
                3 => fast_scan::<T, $n, 3>(data, scan, p, g, out, report),
                4 => fast_scan::<T, $n, 4>(data, scan, p, g, out, report),
                5 => fast_scan::<T, $n, 5>(data, scan, p, g, out, report),
                6 => fast_scan::<T, $n, 6>(data, scan, p, g, out, report),
                _ => fast_scan::<T, $n, 7>(data, scan, p, g, out, report),
            }
        }};
    }
    match ns {
        1 => go!(1),
        2 => go!(2),
        3 => go!(3),
        _ => go!(4),
    }
}
