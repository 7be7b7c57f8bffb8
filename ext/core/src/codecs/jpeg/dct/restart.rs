//! Restart intervals of a sequential scan decoded in parallel (rayon, on the
//! pool the caller installed): each interval resets the DC predictions, so
//! intervals are independent once the RSTn markers are found.
//!
//! Intervals are grouped so that every group starts at an MCU row: a group
//! holds `mx / gcd(ri, mx)` intervals (one when the interval is a whole number
//! of MCU rows, as encoders usually write it), and each group writes its own
//! band of block rows of every plane. Only a clean scan is decoded this way
//! (every RSTn found, numbered in order, no data missing or left over, no
//! invalid code); anything else makes [`parallel`] give up so that the
//! caller decodes the scan serially, with its warnings, overwriting every
//! block: the output is the serial decoder's in every case.

use super::arch::Idct;
use super::frame::{Comp, Frame, Scan};
use super::huff::Table;
use super::scan::{mcu, mcus, Geo, Lane, Sequential, Sink};
use super::Px;
use crate::codecs::jpeg::bitreader::{restart_segments, BitReader};
use rayon::prelude::*;

/// Frames with fewer samples (width × height × components) are decoded
/// serially: below it the threads cost more than they save.
const MIN_SAMPLES: usize = 1 << 18;

/// True when a frame is large enough for parallel decoding (always in
/// tests, so that the small fixtures take the parallel path).
pub(super) fn worth(f: &Frame, components: usize) -> bool {
    cfg!(test) || f.width * f.height * components >= MIN_SAMPLES
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Decodes a sequential scan with restart interval `ri` (> 0) in parallel.
/// Returns the offset of the marker after the scan, or `None` (having
/// written some blocks, or none) when the scan is not clean or too short
/// for two groups: the caller then decodes it serially.
#[allow(clippy::too_many_arguments)]
pub(super) fn parallel<T: Px>(
    src: &[u8],
    f: &Frame,
    geom: &[Geo],
    ri: usize,
    scan: &Scan,
    comps: &mut [Comp<T>],
    tabs: &[(usize, &Table, &Table)],
    idct: Idct,
    ext: Option<&mut [T]>,
) -> Option<usize> {
    let (mx, my) = mcus(f, geom);
    let total = mx * my;
    if ri == 0 || total == 0 {
        return None;
    }
    let nint = total.div_ceil(ri);
    // Intervals per group and MCU rows per group.
    let per = mx / gcd(ri, mx);
    let rows = ri * per / mx;
    let ngroups = nint.div_ceil(per);
    if ngroups < 2 {
        return None;
    }
    let segs = restart_segments(src, scan.data_start, nint);
    if segs.len() != nint {
        return None;
    }
    for (k, &(_, e)) in segs[..nint - 1].iter().enumerate() {
        if src.get(e + 1) != Some(&(0xD0 + (k & 7) as u8)) {
            return None;
        }
    }
    // Per group, its band of each lane's plane.
    let interleaved = geom.len() > 1;
    let mut bands: Vec<Vec<Lane<T>>> = (0..ngroups).map(|_| Vec::new()).collect();
    for (k, lane) in super::scan::lanes(comps, tabs, ext).into_iter().enumerate() {
        let v = if interleaved { geom[k].1 } else { 1 };
        let band = rows * v * 8 * lane.stride;
        let mut chunks = lane.plane.chunks_mut(band);
        for (g, b) in bands.iter_mut().enumerate() {
            b.push(Lane {
                plane: chunks.next()?,
                stride: lane.stride,
                by0: g * rows * v,
                q: lane.q,
                pred: 0,
                dc: lane.dc,
                ac: lane.ac,
            });
        }
    }
    let bits = f.precision;
    let ends: Vec<Option<usize>> = bands
        .into_par_iter()
        .enumerate()
        .map(|(g, lanes)| {
            let mut sink = Sequential::new(lanes, bits, idct);
            let mut end = 0;
            let first = g * per;
            for (k, &(start, stop)) in segs.iter().enumerate().take(first + per).skip(first) {
                sink.restart();
                let mut r = BitReader::new(src, start);
                let mut b = r.b;
                for m in k * ri..((k + 1) * ri).min(total) {
                    mcu(&mut sink, &mut b, &mut r.c, geom, m % mx, m / mx, false);
                }
                r.b = b;
                let (at, extra) = r.finish();
                if r.overrun() || extra > 0 || (k + 1 < nint && at != stop) {
                    return None;
                }
                end = at;
            }
            (!sink.bad_code()).then_some(end)
        })
        .collect();
    let mut end = 0;
    for e in ends {
        end = e?;
    }
    #[cfg(test)]
    DECODED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Some(end)
}

/// Scans decoded by [`parallel`] (tests check that the path is taken).
#[cfg(test)]
pub(super) static DECODED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
