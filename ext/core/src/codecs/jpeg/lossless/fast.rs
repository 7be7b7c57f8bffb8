//! Full-resolution scans: per-row kernels, restart intervals in parallel.

use super::arch::row_any;
#[allow(unused_imports)]
use super::*;

/// Which row kernel a scan uses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kernel {
    Gray,
    Flat,
    Generic,
}

/// Geometry of a full-resolution scan in the output.
#[derive(Clone, Copy)]
pub(super) struct Fast<const N: usize> {
    pub(super) width: usize,
    /// Elements per output row.
    pub(super) row_len: usize,
    /// Elements per output pixel.
    pub(super) stride: usize,
    pub(super) offs: [usize; N],
    pub(super) initial: u16,
    pub(super) kernel: Kernel,
    /// Run the BMI1/BMI2 builds of the row kernels ([`use_bmi2`]).
    pub(super) bmi2: bool,
}

/// Whether predictor-1 rows use the pair table. A pair step costs more than
/// a single look-up (a refill every step, the extra-bits arithmetic), so
/// where nearly every look-up yields one sample the decoder turns pairs
/// off: below [`PAIRS_MIN_GAIN`] samples per look-up in a row, until
/// [`PAIRS_RETRY`] rows later. (Since a pair entry needs only the second
/// code, not its extra bits, to fit, real images get 1.6-1.95 samples per
/// look-up: CT, MR, CR, RGB.)
pub(super) struct Pairs {
    pub(super) on: bool,
    pub(super) retry_at: usize,
}

pub(super) const PAIRS_MIN_GAIN: f64 = 1.05;
pub(super) const PAIRS_RETRY: usize = 64;

impl Pairs {
    fn update(&mut self, y: usize, samples: usize, lookups: usize, available: bool) {
        if !available {
            return;
        }
        if lookups > 0 && (samples as f64) < PAIRS_MIN_GAIN * lookups as f64 {
            self.on = false;
            self.retry_at = y + PAIRS_RETRY;
        } else if !self.on && y >= self.retry_at {
            self.on = true;
        }
    }
}

/// Decodes one restart interval (or a whole scan) into `block` (whole
/// rows). Returns the first row that ran out of data (that row and the ones
/// after it are zeroed), or `None` when every row was decoded.
pub(super) fn interval<T: Sample, const N: usize, const PRED: u8>(
    br: &mut BitReader,
    tabs: &[Tab; N],
    g: &Fast<N>,
    block: &mut [T],
) -> Result<Option<usize>> {
    let r = br;
    let rows = block.len() / g.row_len;
    let has_pairs = tabs[0].pair.is_some();
    let mut pairs = Pairs {
        on: has_pairs,
        retry_at: 0,
    };
    for y in 0..rows {
        let (above, below) = block.split_at_mut(y * g.row_len);
        let cur = &mut below[..g.row_len];
        let lookups = if y == 0 {
            row_any::<T, N, 1>(r, tabs, g, cur, &[], [g.initial; N], &pairs)?
        } else {
            let prev = &above[(y - 1) * g.row_len..];
            let mut first = [0u16; N];
            for c in 0..N {
                first[c] = prev[g.offs[c]].to_u16();
            }
            row_any::<T, N, PRED>(r, tabs, g, cur, prev, first, &pairs)?
        };
        pairs.update(y, g.width.saturating_sub(1), lookups, has_pairs);
        if r.overrun() {
            zero_comps(&mut block[y * g.row_len..], g.stride, &g.offs);
            return Ok(Some(y));
        }
    }
    Ok(None)
}

/// Zeroes the samples of the given components in whole rows.
pub(super) fn zero_comps<T: Sample>(rows: &mut [T], stride: usize, offs: &[usize]) {
    if offs.len() == stride {
        rows.fill(T::default());
    } else {
        for px in rows.chunks_mut(stride) {
            for &o in offs {
                if let Some(s) = px.get_mut(o) {
                    *s = T::default();
                }
            }
        }
    }
}

pub(super) const PARALLEL_MIN_SAMPLES: usize = 1 << 17;

#[allow(clippy::too_many_arguments)]
pub(super) fn fast_scan<T: Sample, const N: usize, const PRED: u8>(
    data: &[u8],
    scan: &ScanHeader,
    p: &ScanParams,
    g: Fast<N>,
    out: &mut [T],
    report: &mut FrameReport,
) -> Result<usize> {
    let t: [Tab; N] = std::array::from_fn(|c| Tab::new(p.tables[c]));
    let rows = p.frame_rows.min(p.out_rows);
    let out = &mut out[..rows * g.row_len];
    let ri = p.restart_interval as usize;
    let rows_per = if ri == 0 { rows.max(1) } else { ri / g.width };
    let nint = rows.div_ceil(rows_per);

    if ri > 0
        && p.parallel
        && nint >= 2
        && rows == p.frame_rows
        && rows * g.width * N >= PARALLEL_MIN_SAMPLES
    {
        let segs = restart_segments(data, scan.data_start, nint);
        if segs.len() == nint {
            let results: Vec<Result<Option<usize>>> = out
                .par_chunks_mut(rows_per * g.row_len)
                .zip(segs.par_iter())
                .map(|(block, &(s, e))| {
                    let mut br = BitReader::new(&data[..e], s);
                    interval::<T, N, PRED>(&mut br, &t, &g, block)
                })
                .collect();
            for (k, res) in results.into_iter().enumerate() {
                if let Some(r) = res? {
                    report.warn(format!(
                        "restart interval {k}: entropy-coded data ends early (at byte {}); rows {} to {} zeroed",
                        segs[k].1,
                        k * rows_per + r,
                        ((k + 1) * rows_per).min(rows) - 1
                    ));
                }
            }
            let end = segs[nint - 1].1;
            return Ok(end);
        }
    }

    let mut br = BitReader::new(data, scan.data_start);
    for (k, block) in out.chunks_mut(rows_per * g.row_len).enumerate() {
        if k > 0 {
            let mut skipped = 0;
            match br.restart(&mut skipped) {
                Ok(n) => {
                    if n as usize != (k - 1) % 8 {
                        report.warn(format!(
                            "restart marker RST{n} where RST{} was expected",
                            (k - 1) % 8
                        ));
                    }
                    if skipped > 0 {
                        report.warn(format!(
                            "{skipped} extraneous bytes before restart marker {k}"
                        ));
                    }
                }
                Err(stop) => {
                    let zeroed = out.len() - (k * rows_per * g.row_len);
                    zero_comps(&mut out[k * rows_per * g.row_len..], g.stride, &g.offs);
                    report.warn(format!(
                        "restart marker {k} missing (found {} at byte {}); rows {} to {} zeroed",
                        match stop.marker {
                            Some(m) => format!("marker 0xFF{m:02X}"),
                            None => "end of data".to_string(),
                        },
                        stop.offset,
                        k * rows_per,
                        k * rows_per + zeroed / g.row_len - 1
                    ));
                    return Ok(skip_entropy(data, stop.offset));
                }
            }
        }
        if let Some(r) = interval::<T, N, PRED>(&mut br, &t, &g, block)? {
            let first = k * rows_per + r;
            if ri == 0 {
                report.warn(format!(
                    "entropy-coded data ends early (at byte {}); rows {first} to {} zeroed",
                    br.offset(),
                    rows - 1
                ));
            } else {
                report.warn(format!(
                    "restart interval {k}: entropy-coded data ends early (at byte {}); rows {first} to {} zeroed",
                    br.offset(),
                    (k * rows_per + block.len() / g.row_len) - 1
                ));
            }
        }
    }
    Ok(scan_end(data, &br, rows < p.frame_rows, report))
}
