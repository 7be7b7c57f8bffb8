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
    fn from_u16(v: u16) -> Self;
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

/// Pair density from which the fixed two-sample step (a second look-up when
/// only one code fitted) beats single look-ups.
const PAIR2_MIN_DENSITY: f64 = 0.75;

/// The same for gray rows with predictors 2-7, where the plain loop does
/// better (measured: CT with predictor 7, density 0.84-0.88, 6% faster
/// without the fixed step; MR, 0.92, the same).
const PAIR2_GRAY_MIN_DENSITY: f64 = 0.9;

/// Decodes two differences with the pair table: one look-up when the entry
/// holds two, else a second, single look-up. Needs at least 12 valid bits,
/// leaves at least 17.
#[inline(always)]
fn diff2(r: &mut Hot, tab: Tab, pair: &[u32; LUT_SIZE]) -> Result<(u16, u16)> {
    let e = pair[(r.buf() >> 52) as usize];
    r.refill();
    if e & PAIR_TWO != 0 {
        let d = pair_diffs(r.buf(), e);
        r.consume(e & 0x3F);
        Ok(d)
    } else {
        let d0 = if e != 0 {
            let (d, _) = pair_diffs(r.buf(), e);
            r.consume(e & 0x3F);
            d
        } else {
            let e1 = tab.lut[(r.buf() >> 52) as usize];
            diff_rest(r, tab.t, e1)?
        };
        Ok((d0, diff::<false>(r, tab)?))
    }
}

/// Slow path, by value so that callers keep their reader in registers.
#[inline(never)]
fn diff_slow(r: &mut Hot, t: &DecodeTable) -> Result<u16> {
    match t.decode_slow(r.buf()) {
        Ok((n, d)) => {
            r.consume(n);
            r.refill();
            Ok(d)
        }
        Err(m) => Err(code_error(r, m)),
    }
}

/// Decodes the difference whose look-up entry `e` is not a full one (with
/// `AFTER`, refills after it too).
#[inline(always)]
fn diff_rest_with<const AFTER: bool>(r: &mut Hot, t: &DecodeTable, e: u32) -> Result<u16> {
    r.refill();
    if e != SLOW {
        let l = e & 0xFF;
        let s = (e >> 8) & 0xFF;
        let v = ((r.buf() << l) >> (64 - s)) as u32;
        r.consume(l + s);
        if AFTER {
            r.refill();
        }
        Ok(extend(v, s) as u16)
    } else {
        // By value, so that the caller's hot state stays in registers.
        let mut h = Hot { b: r.b, c: r.c };
        let d = diff_slow(&mut h, t)?;
        r.b = h.b;
        Ok(d)
    }
}

/// [`diff_rest_with`] without the refill after.
#[inline(always)]
fn diff_rest(r: &mut Hot, t: &DecodeTable, e: u32) -> Result<u16> {
    diff_rest_with::<false>(r, t, e)
}

/// Decodes one difference (mod 2^16). Look-up first, then refill, then
/// consume: the refill is off the critical path. A call with
/// `REFILL = false` must follow one with `REFILL = true` (at least 12 + 12
/// valid bits are left then: full entries need no refill, the others refill
/// themselves). With `AFTER` (non-full entries refill after they consume
/// too), two calls with `REFILL = false` may follow one with `REFILL = true`:
/// 56 - 3 x 12 still leaves the 12 bits the next look-up needs.
#[inline(always)]
fn diff<const REFILL: bool>(r: &mut Hot, tab: Tab) -> Result<u16> {
    diff_with::<REFILL, false>(r, tab)
}

#[inline(always)]
fn diff_with<const REFILL: bool, const AFTER: bool>(r: &mut Hot, tab: Tab) -> Result<u16> {
    let e = tab.lut[(r.buf() >> 52) as usize];
    if REFILL {
        r.refill();
    }
    if e & 0xFF00 == 0 {
        r.consume(e & 0xFF);
        Ok((e >> 16) as u16)
    } else {
        diff_rest_with::<AFTER>(r, tab.t, e)
    }
}

/// Predictor `p` (Table H.1) from Ra, Rb, Rc, modulo 2^16.
#[inline(always)]
fn predictor(p: u8, a: i32, b: i32, c: i32) -> u16 {
    (match p {
        1 => a,
        2 => b,
        3 => c,
        4 => a + b - c,
        5 => a + ((b - c) >> 1),
        6 => b + ((a - c) >> 1),
        _ => (a + b) >> 1,
    }) as u16
}

/// Predictor `PRED` with 32-bit intermediates, as T.81 computes it.
#[inline(always)]
fn predict<const PRED: u8>(ra: u16, rb: u16, rc: u16) -> u16 {
    predictor(PRED, ra as i32, rb as i32, rc as i32)
}

/// Predictor `p` with the legacy encoder's 16-bit signed intermediates.
#[inline(always)]
fn predict_legacy(p: u8, ra: u16, rb: u16, rc: u16) -> u16 {
    predictor(p, ra as i16 as i32, rb as i16 as i32, rc as i16 as i32)
}

/// One look-up of the pair table for predictor 1 on a gray row: stores one
/// or two samples in `w` (the next two), returns the step, 1 or 2 (with 1,
/// the sample in `w[1]` is overwritten by the next step). Needs at least 12
/// valid bits, leaves at least 29 (it refills every time: an entry may
/// consume up to 27 bits).
#[inline(always)]
fn pair_step<T: Sample>(
    r: &mut Hot,
    tab: Tab,
    pair: &[u32; LUT_SIZE],
    w: &mut [T],
    a: &mut u16,
) -> Result<usize> {
    let e = pair[(r.buf() >> 52) as usize];
    r.refill();
    if e != 0 {
        let (a1, a2) = pair_sums(r.buf(), e, *a);
        r.consume(e & 0x3F);
        w[0] = T::from_u16(a1);
        w[1] = T::from_u16(a2);
        *a = a2;
        Ok(1 + (e >> 6 & 1) as usize)
    } else {
        let e1 = tab.lut[(r.buf() >> 52) as usize];
        *a = a.wrapping_add(diff_rest(r, tab.t, e1)?);
        w[0] = T::from_u16(*a);
        Ok(1)
    }
}

/// One row of a single component at full resolution, contiguous in `cur`
/// (`prev`: the row above, unused when `PRED == 1`; `first` predicts x = 0).
/// With a pair table, one look-up decodes two samples whenever both codes
/// fit in its index. Inlined into [`row_gray_plain`] and [`row_gray_bmi2`].
#[inline(always)]
fn row_gray<'a, T: Sample, const PRED: u8>(
    rdr: &mut BitReader<'a>,
    tab: Tab,
    cur: &mut [T],
    prev: &[T],
    first: u16,
    use_pairs: bool,
) -> Result<usize> {
    // The hot state in registers (written back at the end).
    let BitReader { b: hot, c: cold } = rdr;
    let mut rd = Hot { b: *hot, c: cold };
    let r = &mut rd;
    let width = cur.len();
    let mut lookups = 0;
    if width == 0 {
        return Ok(0);
    }
    let d = diff::<true>(r, tab)?;
    let mut a = first.wrapping_add(d);
    cur[0] = T::from_u16(a);
    // Rb of the last decoded sample (Rc of the next one).
    let mut b = if PRED == 1 { 0 } else { prev[0].to_u16() };
    let mut x = 1;
    // Pairs pay for predictor 1 only: with the others the row above must be
    // read at a position that depends on the look-up (measured 20-40% slower).
    let pair = if PRED == 1 && use_pairs {
        tab.pair
    } else {
        None
    };
    if let Some(pair) = pair {
        while let Some(w) = cur.get_mut(x..x + 2) {
            x += pair_step(r, tab, pair, w, &mut a)?;
            lookups += 1;
        }
    } else if let (Some(pair), false, true) = (
        tab.pair2,
        PRED == 1,
        tab.t.pair_density >= PAIR2_GRAY_MIN_DENSITY,
    ) {
        // Fixed step of two: the row above is read at positions that do not
        // depend on the look-ups.
        while x + 1 < width {
            let (d0, d1) = diff2(r, tab, pair)?;
            let (b1, b2) = (prev[x].to_u16(), prev[x + 1].to_u16());
            let a1 = predict::<PRED>(a, b1, b).wrapping_add(d0);
            a = predict::<PRED>(a1, b2, b1).wrapping_add(d1);
            cur[x] = T::from_u16(a1);
            cur[x + 1] = T::from_u16(a);
            b = b2;
            x += 2;
        }
    } else {
        if PRED == 1 {
            // Three look-ups per refill (measured: pays for predictor 1 only).
            while x + 2 < width {
                a = a.wrapping_add(diff_with::<true, true>(r, tab)?);
                cur[x] = T::from_u16(a);
                a = a.wrapping_add(diff_with::<false, true>(r, tab)?);
                cur[x + 1] = T::from_u16(a);
                a = a.wrapping_add(diff_with::<false, true>(r, tab)?);
                cur[x + 2] = T::from_u16(a);
                x += 3;
            }
        }
        while x + 1 < width {
            let d0 = diff::<true>(r, tab)?;
            let b1 = if PRED == 1 { 0 } else { prev[x].to_u16() };
            a = predict::<PRED>(a, b1, b).wrapping_add(d0);
            cur[x] = T::from_u16(a);
            let d1 = diff::<false>(r, tab)?;
            let b2 = if PRED == 1 { 0 } else { prev[x + 1].to_u16() };
            a = predict::<PRED>(a, b2, b1).wrapping_add(d1);
            cur[x + 1] = T::from_u16(a);
            b = b2;
            x += 2;
        }
    }
    if x < width {
        let d = diff::<true>(r, tab)?;
        let b1 = if PRED == 1 { 0 } else { prev[x].to_u16() };
        a = predict::<PRED>(a, b1, b).wrapping_add(d);
        cur[x] = T::from_u16(a);
    }
    *hot = rd.b;
    Ok(lookups)
}

/// Prediction for sample `i` of a flat colour-by-pixel row of `N` components.
#[inline(always)]
fn predict_flat<T: Sample, const N: usize, const PRED: u8>(cur: &[T], prev: &[T], i: usize) -> u16 {
    match PRED {
        1 => cur[i - N].to_u16(),
        2 => prev[i].to_u16(),
        3 => prev[i - N].to_u16(),
        _ => predict::<PRED>(cur[i - N].to_u16(), prev[i].to_u16(), prev[i - N].to_u16()),
    }
}

/// One row of `N >= 2` interleaved components in frame order sharing one
/// Huffman table: the row is one flat sequence of samples where sample `i`
/// is predicted from `i - N` (left) and the row above, so pairs of codes may
/// straddle components. Inlined into [`row_flat_plain`] and
/// [`row_flat_bmi2`].
#[inline(always)]
fn row_flat<'a, T: Sample, const N: usize, const PRED: u8>(
    rdr: &mut BitReader<'a>,
    tab: Tab,
    cur: &mut [T],
    prev: &[T],
    first: [u16; N],
) -> Result<()> {
    // The hot state in registers (written back at the end).
    let BitReader { b: hot, c: cold } = rdr;
    let mut rd = Hot { b: *hot, c: cold };
    let r = &mut rd;
    let len = cur.len();
    if len < N {
        return Ok(());
    }
    for c in 0..N {
        let d = diff::<true>(r, tab)?;
        cur[c] = T::from_u16(first[c].wrapping_add(d));
    }
    let mut i = N;
    if let Some(pair) = tab.pair2 {
        while i + 1 < len {
            let (d0, d1) = diff2(r, tab, pair)?;
            let v1 = predict_flat::<T, N, PRED>(cur, prev, i).wrapping_add(d0);
            cur[i] = T::from_u16(v1);
            let v2 = predict_flat::<T, N, PRED>(cur, prev, i + 1).wrapping_add(d1);
            cur[i + 1] = T::from_u16(v2);
            i += 2;
        }
    } else {
        while i + 1 < len {
            let d0 = diff::<true>(r, tab)?;
            let v1 = predict_flat::<T, N, PRED>(cur, prev, i).wrapping_add(d0);
            cur[i] = T::from_u16(v1);
            let d1 = diff::<false>(r, tab)?;
            let v2 = predict_flat::<T, N, PRED>(cur, prev, i + 1).wrapping_add(d1);
            cur[i + 1] = T::from_u16(v2);
            i += 2;
        }
    }
    if i < len {
        let d = diff::<true>(r, tab)?;
        let v = predict_flat::<T, N, PRED>(cur, prev, i).wrapping_add(d);
        cur[i] = T::from_u16(v);
    }
    *hot = rd.b;
    Ok(())
}

/// One row of `N` components with their own tables and any layout: sample
/// `c` of pixel `x` at `x * stride + offs[c]`.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn row_generic<'a, T: Sample, const N: usize, const PRED: u8>(
    rdr: &mut BitReader<'a>,
    tabs: &[Tab; N],
    cur: &mut [T],
    prev: &[T],
    width: usize,
    stride: usize,
    offs: &[usize; N],
    first: [u16; N],
) -> Result<()> {
    // The hot state in registers (written back at the end).
    let BitReader { b: hot, c: cold } = rdr;
    let mut rd = Hot { b: *hot, c: cold };
    let r = &mut rd;
    let mut ra = [0u16; N];
    let mut rb = [0u16; N];
    for c in 0..N {
        let d = diff::<true>(r, tabs[c])?;
        ra[c] = first[c].wrapping_add(d);
        cur[offs[c]] = T::from_u16(ra[c]);
        if PRED != 1 {
            rb[c] = prev[offs[c]].to_u16();
        }
    }
    for x in 1..width {
        let base = x * stride;
        for c in 0..N {
            let i = base + offs[c];
            let d = if c % 2 == 0 {
                diff::<true>(r, tabs[c])?
            } else {
                diff::<false>(r, tabs[c])?
            };
            let v = if PRED == 1 {
                ra[c].wrapping_add(d)
            } else {
                let rc = rb[c];
                rb[c] = prev[i].to_u16();
                predict::<PRED>(ra[c], rb[c], rc).wrapping_add(d)
            };
            ra[c] = v;
            cur[i] = T::from_u16(v);
        }
    }
    *hot = rd.b;
    Ok(())
}

/// Whether the row kernels run their BMI1/BMI2 builds (shlx/shrx on the bit
/// buffer without the shift count in CL), which they do for predictor 1
/// (and the first row of every interval): measured 2.5-4.5% faster on CT,
/// CR and RGB; with predictor 7 the same to 1-3% slower (CR, RGB).
/// Detected at run time; tests turn it off to cover the portable builds.
fn use_bmi2() -> bool {
    #[cfg(test)]
    if NO_BMI2.with(|c| c.get()) {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("bmi1") && std::is_x86_feature_detected!("bmi2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(test)]
thread_local! {
    /// Test switch: decode with the portable row kernels on this thread.
    pub static NO_BMI2: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Two builds of a row kernel: `$plain` (portable) and `$bmi2` (BMI1/BMI2,
/// an `unsafe fn`: the CPU must support both, see [`use_bmi2`]).
macro_rules! row_builds {
    ($kernel:ident, $plain:ident, $bmi2:ident, [$($gen:tt)*], [$($targ:tt)*], $ret:ty,
     ($($arg:ident: $ty:ty),*)) => {
        #[doc = concat!("[`", stringify!($kernel), "`], portable build.")]
        #[inline(never)]
        fn $plain<$($gen)*>(r: &mut BitReader, tab: Tab, $($arg: $ty),*) -> Result<$ret> {
            $kernel::<$($targ)*>(r, tab, $($arg),*)
        }

        #[doc = concat!("[`", stringify!($kernel), "`] built for BMI1/BMI2.")]
        ///
        /// # Safety
        /// The CPU must support BMI1 and BMI2 (see [`use_bmi2`]).
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "bmi1,bmi2")]
        #[inline(never)]
        unsafe fn $bmi2<$($gen)*>(r: &mut BitReader, tab: Tab, $($arg: $ty),*) -> Result<$ret> {
            $kernel::<$($targ)*>(r, tab, $($arg),*)
        }
    };
}

row_builds!(row_gray, row_gray_plain, row_gray_bmi2, [T: Sample, const PRED: u8], [T, PRED], usize,
    (cur: &mut [T], prev: &[T], first: u16, use_pairs: bool));
row_builds!(row_flat, row_flat_plain, row_flat_bmi2, [T: Sample, const N: usize, const PRED: u8],
    [T, N, PRED], (), (cur: &mut [T], prev: &[T], first: [u16; N]));

/// Which row kernel a scan uses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Gray,
    Flat,
    Generic,
}

/// Geometry of a full-resolution scan in the output.
#[derive(Clone, Copy)]
struct Fast<const N: usize> {
    width: usize,
    /// Elements per output row.
    row_len: usize,
    /// Elements per output pixel.
    stride: usize,
    offs: [usize; N],
    initial: u16,
    kernel: Kernel,
    /// Run the BMI1/BMI2 builds of the row kernels ([`use_bmi2`]).
    bmi2: bool,
}

/// Decodes one row with the scan's kernel; returns the pair look-ups made
/// (0 when the pair path was not used).
#[inline(always)]
fn row_any<T: Sample, const N: usize, const PRED: u8>(
    r: &mut BitReader,
    tabs: &[Tab; N],
    g: &Fast<N>,
    cur: &mut [T],
    prev: &[T],
    first: [u16; N],
    pairs: &Pairs,
) -> Result<usize> {
    match g.kernel {
        Kernel::Gray => {
            #[cfg(target_arch = "x86_64")]
            if g.bmi2 && PRED == 1 {
                // SAFETY: `g.bmi2` comes from `use_bmi2`, true only when the
                // CPU reports BMI1 and BMI2. Covered by `bmi2_and_portable_kernels_agree`.
                return unsafe {
                    row_gray_bmi2::<T, PRED>(r, tabs[0], cur, prev, first[0], pairs.on)
                };
            }
            row_gray_plain::<T, PRED>(r, tabs[0], cur, prev, first[0], pairs.on)
        }
        Kernel::Flat => {
            #[cfg(target_arch = "x86_64")]
            if g.bmi2 && PRED == 1 {
                // SAFETY: as for `Kernel::Gray` above.
                return unsafe { row_flat_bmi2::<T, N, PRED>(r, tabs[0], cur, prev, first) }
                    .map(|()| 0);
            }
            row_flat_plain::<T, N, PRED>(r, tabs[0], cur, prev, first).map(|()| 0)
        }
        Kernel::Generic => {
            row_generic::<T, N, PRED>(r, tabs, cur, prev, g.width, g.stride, &g.offs, first)
                .map(|()| 0)
        }
    }
}

/// Whether predictor-1 rows use the pair table. A pair step costs more than
/// a single look-up (a refill every step, the extra-bits arithmetic), so
/// where nearly every look-up yields one sample the decoder turns pairs
/// off: below [`PAIRS_MIN_GAIN`] samples per look-up in a row, until
/// [`PAIRS_RETRY`] rows later. (Since a pair entry needs only the second
/// code, not its extra bits, to fit, real images get 1.6-1.95 samples per
/// look-up: CT, MR, CR, RGB.)
struct Pairs {
    on: bool,
    retry_at: usize,
}

const PAIRS_MIN_GAIN: f64 = 1.05;
const PAIRS_RETRY: usize = 64;

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
fn interval<T: Sample, const N: usize, const PRED: u8>(
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
fn zero_comps<T: Sample>(rows: &mut [T], stride: usize, offs: &[usize]) {
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

const PARALLEL_MIN_SAMPLES: usize = 1 << 17;

#[allow(clippy::too_many_arguments)]
fn fast_scan<T: Sample, const N: usize, const PRED: u8>(
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

/// One component's plane in the general path.
struct Plane {
    /// Frame component index.
    index: usize,
    /// Samples per MCU horizontally / vertically.
    h: usize,
    v: usize,
    width: usize,
    height: usize,
    data: Vec<u16>,
}

/// General path: any sampling factors, restart intervals of whole MCU rows,
/// legacy predictors. Decodes into planes, then upsamples by replication.
fn general_scan<T: Sample>(
    data: &[u8],
    frame: &FrameHeader,
    scan: &ScanHeader,
    p: &ScanParams,
    out: &mut [T],
    report: &mut FrameReport,
) -> Result<usize> {
    let ns = scan.components.len();
    let x = frame.width as usize;
    let y = p.frame_rows;
    let (hmax, vmax) = (frame.hmax() as usize, frame.vmax() as usize);
    // Lines of the frame worth decoding (the output may be shorter).
    let y_needed = y.min(p.out_rows);
    let (mcux, mcuy_total) = if ns == 1 {
        let c = frame.components[scan.components[0].index];
        (
            (x * c.h as usize).div_ceil(hmax),
            (y * c.v as usize).div_ceil(vmax),
        )
    } else {
        (x.div_ceil(hmax), y.div_ceil(vmax))
    };
    let mcuy = if ns == 1 {
        let c = frame.components[scan.components[0].index];
        (y_needed * c.v as usize).div_ceil(vmax)
    } else {
        y_needed.div_ceil(vmax)
    };
    let ri = p.restart_interval as usize;
    if ri > 0 && ri % mcux != 0 {
        return Err(Error::unsupported(format!(
            "restart interval of {ri} MCUs is not a whole number of MCU rows ({mcux} MCUs)"
        )));
    }
    let rows_per = if ri == 0 { usize::MAX } else { ri / mcux };
    let mut planes = Vec::with_capacity(ns);
    for sc in &scan.components {
        let c = frame.components[sc.index];
        let (h, v) = if ns == 1 {
            (1, 1)
        } else {
            (c.h as usize, c.v as usize)
        };
        let (w, hgt) = (mcux * h, mcuy * v);
        let n = limits::checked_size("JPEG component plane", &[w as u64, hgt as u64, 2])?;
        limits::check_alloc("JPEG component plane", n)?;
        planes.push(Plane {
            index: sc.index,
            h,
            v,
            width: w,
            height: hgt,
            data: vec![0u16; w * hgt],
        });
    }
    let initial = 1u16 << (frame.precision - scan.point_transform - 1);
    let pred = scan.predictor;
    let legacy = p.legacy_predictors;
    let mut br = BitReader::new(data, scan.data_start);
    let mut stopped_early = false;
    let mut my = 0usize;
    while my < mcuy {
        if my > 0 && my % rows_per == 0 {
            let mut skipped = 0;
            if let Err(stop) = br.restart(&mut skipped) {
                report.warn(format!(
                    "restart marker missing at byte {} (MCU row {my}); the rest of the scan is zeroed",
                    stop.offset
                ));
                stopped_early = true;
                br = BitReader::new(data, stop.offset);
                break;
            }
            if skipped > 0 {
                report.warn(format!(
                    "{skipped} extraneous bytes before a restart marker"
                ));
            }
        }
        let first_row = my % rows_per == 0;
        let BitReader { b: hot, c: cold } = &mut br;
        let mut h = Hot { b: *hot, c: cold };
        for mx in 0..mcux {
            for (k, pl) in planes.iter_mut().enumerate() {
                let t = Tab::new(p.tables[k]);
                for vv in 0..pl.v {
                    let r = my * pl.v + vv;
                    for hh in 0..pl.h {
                        let c = mx * pl.h + hh;
                        let d = diff::<true>(&mut h, t)?;
                        let w = pl.width;
                        let px = if first_row && vv == 0 {
                            if c == 0 {
                                initial
                            } else {
                                pl.data[r * w + c - 1]
                            }
                        } else if c == 0 {
                            pl.data[(r - 1) * w]
                        } else {
                            let (ra, rb, rc) = (
                                pl.data[r * w + c - 1],
                                pl.data[(r - 1) * w + c],
                                pl.data[(r - 1) * w + c - 1],
                            );
                            if legacy {
                                predict_legacy(pred, ra, rb, rc)
                            } else {
                                match pred {
                                    1 => predict::<1>(ra, rb, rc),
                                    2 => predict::<2>(ra, rb, rc),
                                    3 => predict::<3>(ra, rb, rc),
                                    4 => predict::<4>(ra, rb, rc),
                                    5 => predict::<5>(ra, rb, rc),
                                    6 => predict::<6>(ra, rb, rc),
                                    _ => predict::<7>(ra, rb, rc),
                                }
                            }
                        };
                        pl.data[r * w + c] = px.wrapping_add(d);
                    }
                }
            }
        }
        *hot = h.b;
        if br.overrun() {
            let last = if ri == 0 {
                mcuy
            } else {
                ((my / rows_per + 1) * rows_per).min(mcuy)
            };
            for pl in planes.iter_mut() {
                let w = pl.width;
                pl.data[my * pl.v * w..last * pl.v * w].fill(0);
            }
            report.warn(format!(
                "entropy-coded data ends early (at byte {}); MCU rows {my} to {} zeroed",
                br.offset(),
                last - 1
            ));
            if ri == 0 {
                stopped_early = true;
                break;
            }
            my = last;
            continue;
        }
        my += 1;
    }
    // Upsample into the output.
    let rows = y_needed;
    for pl in &planes {
        let c = frame.components[pl.index];
        let (ch, cv) = (c.h as usize, c.v as usize);
        for oy in 0..rows {
            let py = oy * cv / vmax;
            let src = &pl.data[py.min(pl.height - 1) * pl.width..][..pl.width];
            let dst = &mut out[oy * x * p.nf..(oy + 1) * x * p.nf];
            for ox in 0..x {
                let px = (ox * ch / hmax).min(pl.width - 1);
                dst[ox * p.nf + pl.index] = T::from_u16(src[px]);
            }
        }
    }
    Ok(scan_end(
        data,
        &br,
        stopped_early || mcuy < mcuy_total,
        report,
    ))
}
