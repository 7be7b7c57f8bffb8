//! The general path: subsampled components (and legacy predictors), MCU by
//! MCU into one plane per component, upsampled by replication.

use super::kernels::*;
#[allow(unused_imports)]
use super::*;

/// One component's plane in the general path.
pub(super) struct Plane {
    /// Frame component index.
    pub(super) index: usize,
    /// Samples per MCU horizontally / vertically.
    pub(super) h: usize,
    pub(super) v: usize,
    pub(super) width: usize,
    pub(super) height: usize,
    pub(super) data: Vec<u16>,
}

/// General path: any sampling factors, restart intervals of whole MCU rows,
/// legacy predictors. Decodes into planes, then upsamples by replication.
pub(super) fn general_scan<T: Sample>(
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
