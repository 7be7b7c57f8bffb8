//! JPEG Lossless (ITU T.81 process 14, SOF3).
//! Huffman DCT JPEG (SOF0, SOF1, SOF2) is in [`dct`].
//!
//! Modules: [`markers`] (marker walk and segment parsers), [`huffman`]
//! (tables and look-up tables), [`bitreader`] (64-bit entropy-data reader),
//! `lossless` (the fused decode loops), [`info`] (headers only).
//!
//! Supported: predictors 1-7, point transform, precision 2-16, 1-4
//! components with any sampling factors, interleaved and non-interleaved
//! scans, several scans per frame, restart intervals (whole MCU rows; decoded
//! in parallel when large), DNL (or the height from DICOM Rows), Huffman
//! tables defined anywhere before their scan and redefined between scans,
//! fill bytes, APPn/COM and other segments, SSSS = 16, anything after EOI.
//!
//! Tolerance (each noted in the [`FrameReport`], never silent):
//! * missing EOI; entropy-coded data that ends early (truncated stream or a
//!   marker inside a scan): what is there is decoded, the rows that ran out of
//!   data are zeroed; missing restart markers zero the intervals after them;
//! * a frame header whose line count differs from DICOM Rows (the rows both
//!   have are decoded, the rest zeroed); precision different from Bits Stored
//!   (the SOF precision is used to decode);
//! * Huffman codes longer than 16 bits written by the buggy Cornell 16-bit
//!   encoder: a 16-bit stream that hits an invalid code is decoded again with
//!   the Cornell workaround ([`DecodeOptions::cornell`] forces it on or off);
//! * the legacy encoder that computed predictors 5-7 with 16-bit signed
//!   intermediates: [`DecodeOptions::legacy_predictors`] (off by default: such
//!   streams cannot be told apart from correct ones).

mod arch;
pub mod bitreader;
#[cfg(feature = "jpeg-dct")]
pub mod dct;
pub mod encode;
pub mod huffman;
mod info;
mod lossless;
pub mod markers;

pub use info::{header, info, JpegInfo};
pub use lossless::Sample;

use super::{DecodeContext, EncodeContext, Frame, FrameDecoder, FrameEncoder};
use crate::error::{Error, Result};
use crate::limits;
use crate::pixels::{
    fit_bits_stored_u16, fit_bits_stored_u8, FrameReport, PixelDescription, SampleType,
};

/// The JPEG Lossless codec of the registry (.57 and .70).
pub struct JpegLosslessCodec;

impl FrameDecoder for JpegLosslessCodec {
    fn decode(
        &self,
        frame: &Frame<'_>,
        desc: &PixelDescription,
        dst: &mut [u8],
        _ctx: &DecodeContext,
    ) -> Result<FrameReport> {
        decode_frame(frame.data, desc, dst)
    }
}

impl FrameEncoder for JpegLosslessCodec {
    /// `ctx.params` [`EncodeParams::JpegLossless`](super::EncodeParams)
    /// (default: predictor 1, optimised tables, no restarts).
    fn encode(&self, src: &[u8], desc: &PixelDescription, ctx: &EncodeContext) -> Result<Vec<u8>> {
        let p = ctx.params.jpeg_lossless()?;
        let opts = encode::EncodeOptions {
            predictor: p.predictor,
            restart_interval: p.restart_interval,
            optimise: p.optimise,
            ..Default::default()
        };
        encode::encode_frame(src, desc, &opts)
    }
}

/// The JPEG Lossless SV1 (.70) encoder: [`JpegLosslessCodec`]'s, predictor 1
/// only (another predictor is an `InvalidArgument`).
pub struct JpegLosslessSv1Encoder;

impl FrameEncoder for JpegLosslessSv1Encoder {
    fn encode(&self, src: &[u8], desc: &PixelDescription, ctx: &EncodeContext) -> Result<Vec<u8>> {
        let p = ctx.params.jpeg_lossless()?;
        if p.predictor != 1 {
            return Err(Error::invalid_argument(format!(
                "JPEG Lossless SV1 uses predictor 1, not {}",
                p.predictor
            )));
        }
        JpegLosslessCodec.encode(src, desc, ctx)
    }
}

use arch::as_u16;
use huffman::{DecodeTable, HuffSpec, Ssss16};
use lossless::{decode_scan, ScanParams, HUFF_CTX};
use markers::{Event, FrameHeader, Walker, CTX};

/// A pair table is used when at least this fraction of its slots hold two
/// differences. 0: always, since an entry needs only the second code (not
/// its extra bits) to fit; even CR at 9.7 bits per sample gets 1.6 samples
/// per look-up (measured: on for every benchmark file pays 0-6%).
const PAIR_MIN_DENSITY: f64 = 0.0;

/// Decoding options (the defaults suit standard streams and real archives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Cornell 16-bit workaround: `None` (default) retries a 16-bit stream
    /// with it when a code matches no table entry; `Some(on)` forces it.
    pub cornell: Option<bool>,
    /// Decode predictors 5-7 as the legacy encoder computed them (16-bit
    /// signed intermediates, DCMTK's predictor 6 overflow workaround).
    pub legacy_predictors: bool,
    /// Decode restart intervals in parallel (rayon) when the scan is large.
    pub parallel: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            cornell: None,
            legacy_predictors: false,
            parallel: true,
        }
    }
}

pub use crate::pixels::Samples;

/// Result of [`decode`]: header information, samples (rows × columns ×
/// components, colour-by-pixel, subsampled components upsampled by
/// replication) and what was tolerated.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Header information.
    pub info: JpegInfo,
    /// The decoded samples.
    pub samples: Samples,
    /// What was tolerated.
    pub report: FrameReport,
}

/// Output geometry.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    width: usize,
    rows: usize,
    nf: usize,
}

/// Decodes one frame. `mode` selects the SSSS = 16 semantics; `precision`
/// receives the SOF precision as soon as it is known.
fn decode_impl<T: Sample>(
    src: &[u8],
    out: &mut [T],
    g: Geometry,
    opts: &DecodeOptions,
    mode: Ssss16,
    precision: &mut u8,
    report: &mut FrameReport,
) -> Result<(u32, bool)> {
    let mut walk = Walker::new(src)?;
    let mut specs: [Option<HuffSpec>; 4] = Default::default();
    let mut built: [Option<DecodeTable>; 4] = Default::default();
    let mut ri = 0u16;
    let mut frame: Option<FrameHeader> = None;
    let mut frame_rows = 0usize;
    let mut covered = [false; 4];
    let mut pts = [0u8; 4];
    let mut scans = 0u32;
    let mut eoi = false;
    let bits_t = 8 * std::mem::size_of::<T>();
    loop {
        let at = walk.pos();
        let (event, skipped) = walk.next_event()?;
        if skipped > 0 {
            report.warn(format!(
                "{skipped} bytes of garbage before a marker (after byte {at})"
            ));
        }
        match event {
            Event::Eoi => {
                eoi = true;
                break;
            }
            Event::End => break,
            Event::Frame(f) => {
                *precision = f.precision;
                let at = f.offset as u64;
                if f.width as usize != g.width || f.components.len() != g.nf {
                    return Err(Error::malformed(
                        at,
                        CTX,
                        format!(
                            "frame of {} columns and {} components, but the image has {} columns and {} samples per pixel",
                            f.width,
                            f.components.len(),
                            g.width,
                            g.nf
                        ),
                    ));
                }
                if f.precision as usize > bits_t {
                    return Err(Error::malformed(
                        at + 4,
                        CTX,
                        format!(
                            "sample precision {} does not fit {bits_t}-bit samples",
                            f.precision
                        ),
                    ));
                }
                frame_rows = if f.height == 0 {
                    g.rows
                } else {
                    f.height as usize
                };
                if frame_rows != g.rows {
                    report.warn(format!(
                        "frame header has {frame_rows} lines but the image has {} rows",
                        g.rows
                    ));
                }
                frame = Some(f);
            }
            Event::Tables(tables) => {
                for (tc, th, spec) in tables {
                    if tc == 0 {
                        specs[th as usize] = Some(spec);
                        built[th as usize] = None;
                    }
                }
            }
            Event::RestartInterval(n) => ri = n,
            Event::Scan(scan) => {
                // The walker only yields a scan after the frame header.
                let Some(f) = &frame else { break };
                for sc in &scan.components {
                    let th = sc.table as usize;
                    if built[th].is_none() {
                        let Some(spec) = &specs[th] else {
                            return Err(Error::malformed(
                                scan.data_start as u64,
                                CTX,
                                format!("scan uses Huffman table {th}, which is not defined"),
                            ));
                        };
                        let mut t = DecodeTable::new(spec, mode)
                            .map_err(|e| e.shift_offset(scan.data_start as u64))?;
                        t.build_pair(PAIR_MIN_DENSITY);
                        built[th] = Some(t);
                    }
                }
                let tables: Vec<&DecodeTable> = scan
                    .components
                    .iter()
                    .filter_map(|sc| built[sc.table as usize].as_ref())
                    .collect();
                let params = ScanParams {
                    tables,
                    restart_interval: ri,
                    out_rows: g.rows,
                    frame_rows,
                    nf: g.nf,
                    legacy_predictors: opts.legacy_predictors,
                    parallel: opts.parallel,
                };
                let end = decode_scan(src, f, &scan, &params, out, report)?;
                for sc in &scan.components {
                    covered[sc.index] = true;
                    pts[sc.index] = scan.point_transform;
                }
                scans += 1;
                walk.set_pos(end);
            }
            Event::Lines(n) => {
                if frame.as_ref().is_some_and(|f| f.height == 0) && n as usize != g.rows {
                    report.warn(format!(
                        "DNL gives {n} lines but the image has {} rows",
                        g.rows
                    ));
                }
            }
        }
    }
    let Some(f) = frame else {
        return Err(Error::malformed(
            src.len() as u64,
            CTX,
            "no frame header (SOF) in the stream",
        ));
    };
    if scans == 0 {
        return Err(Error::malformed(
            src.len() as u64,
            CTX,
            "no scan (SOS) in the stream",
        ));
    }
    if !eoi {
        report.warn(format!(
            "no EOI marker: the stream ends at byte {}",
            src.len()
        ));
    }
    let row_len = g.width * g.nf;
    if frame_rows < g.rows {
        out[frame_rows * row_len..].fill(T::default());
    }
    for c in 0..g.nf {
        if !covered[c] {
            report.warn(format!(
                "component {} is in no scan; its samples are zero",
                f.components[c].id
            ));
            for s in out.iter_mut().skip(c).step_by(g.nf) {
                *s = T::default();
            }
        } else if pts[c] > 0 {
            let pt = pts[c];
            for s in out.iter_mut().skip(c).step_by(g.nf) {
                *s = T::from_u16(s.to_u16() << pt);
            }
        }
    }
    Ok((scans, eoi))
}

/// [`decode_impl`] with the Cornell retry.
fn decode_samples<T: Sample>(
    src: &[u8],
    out: &mut [T],
    g: Geometry,
    opts: &DecodeOptions,
) -> Result<FrameReport> {
    decode_counted(src, out, g, opts).map(|(r, _)| r)
}

/// [`decode_samples`], also returning the number of scans and whether EOI
/// was found.
fn decode_counted<T: Sample>(
    src: &[u8],
    out: &mut [T],
    g: Geometry,
    opts: &DecodeOptions,
) -> Result<(FrameReport, (u32, bool))> {
    let mut report = FrameReport::default();
    let mut precision = 0u8;
    let first_mode = match opts.cornell {
        Some(true) => Ssss16::Cornell,
        _ => Ssss16::Standard,
    };
    let first = decode_impl(src, out, g, opts, first_mode, &mut precision, &mut report);
    match first {
        Err(Error::Malformed { ref context, .. })
            if context == HUFF_CTX && opts.cornell.is_none() && precision == 16 =>
        {
            let mut retry = FrameReport::default();
            retry.warn(
                "invalid Huffman code for the standard: decoded with the workaround for the \
                 buggy Cornell 16-bit encoder (codes longer than 16 bits)",
            );
            match decode_impl(
                src,
                out,
                g,
                opts,
                Ssss16::Cornell,
                &mut precision,
                &mut retry,
            ) {
                Ok(stats) => Ok((retry, stats)),
                Err(_) => first.map(|stats| (report, stats)),
            }
        }
        other => other.map(|stats| (report, stats)),
    }
}

/// Decodes 16-bit output into a little-endian byte buffer.
fn decode_u16_bytes(
    src: &[u8],
    dst: &mut [u8],
    g: Geometry,
    opts: &DecodeOptions,
    fix: impl Fn(&mut [u16]),
) -> Result<FrameReport> {
    let report = match as_u16(dst) {
        Some(v) => {
            let r = decode_samples(src, v, g, opts)?;
            fix(v);
            if cfg!(target_endian = "big") {
                for s in v.iter_mut() {
                    *s = s.to_le();
                }
            }
            r
        }
        None => {
            let mut tmp = vec![0u16; dst.len() / 2];
            let r = decode_samples(src, &mut tmp, g, opts)?;
            fix(&mut tmp);
            for (d, s) in dst.chunks_exact_mut(2).zip(&tmp) {
                d.copy_from_slice(&s.to_le_bytes());
            }
            r
        }
    };
    Ok(report)
}

/// Decodes one JPEG Lossless frame into `dst` (contract in [`crate::pixels`]).
pub fn decode_frame(src: &[u8], desc: &PixelDescription, dst: &mut [u8]) -> Result<FrameReport> {
    decode_frame_with(src, desc, dst, &DecodeOptions::default())
}

/// [`decode_frame`] with options.
///
/// Output matches pydicom 3 (`raw=True`): samples in the Bits Allocated
/// container; when Bits Stored < Bits Allocated, the unused high bits are
/// cleared (unsigned) or filled with the sign (signed), as pydicom does.
pub fn decode_frame_with(
    src: &[u8],
    desc: &PixelDescription,
    dst: &mut [u8],
    opts: &DecodeOptions,
) -> Result<FrameReport> {
    desc.validate()?;
    let st = desc.sample_type()?;
    let need = desc.frame_output_len()?;
    if dst.len() as u64 != need {
        return Err(Error::output_size("JPEG Lossless frame", dst.len(), need));
    }
    let g = Geometry {
        width: desc.columns as usize,
        rows: desc.rows as usize,
        nf: desc.samples_per_pixel as usize,
    };
    let bs = desc.bits_stored as u32;
    match st {
        SampleType::U8 | SampleType::I8 => {
            let r = decode_samples(src, dst, g, opts)?;
            fit_bits_stored_u8(dst, bs, st == SampleType::I8);
            Ok(r)
        }
        SampleType::U16 | SampleType::I16 => {
            let signed = st == SampleType::I16;
            decode_u16_bytes(src, dst, g, opts, |v| fit_bits_stored_u16(v, bs, signed))
        }
        other => Err(Error::unsupported(format!(
            "JPEG Lossless into {} samples (Bits Allocated {})",
            other.numpy_str(),
            desc.bits_allocated
        ))),
    }
}

/// Geometry of a raw stream's output, with a plausibility bound: a
/// lossless code needs at least one bit per sample, so a stream far too short
/// for its frame is refused before the output is allocated.
fn raw_geometry(src: &[u8], info: &JpegInfo) -> Result<(Geometry, u64)> {
    let g = Geometry {
        width: info.width as usize,
        rows: info.height as usize,
        nf: info.components(),
    };
    let samples = limits::checked_size(
        "JPEG Lossless image",
        &[g.width as u64, g.rows as u64, g.nf as u64],
    )?;
    if samples > 128 * src.len() as u64 + (1 << 20) {
        return Err(Error::malformed(
            src.len() as u64,
            CTX,
            format!(
                "a frame of {samples} samples cannot be coded in {} bytes",
                src.len()
            ),
        ));
    }
    Ok((g, samples))
}

/// Bytes per output sample of a raw stream (1 for precision <= 8, else 2).
pub fn output_itemsize(info: &JpegInfo) -> usize {
    if info.precision <= 8 {
        1
    } else {
        2
    }
}

/// Decodes a raw lossless JPEG stream.
pub fn decode(src: &[u8]) -> Result<Decoded> {
    decode_with(src, &DecodeOptions::default())
}

/// [`decode`] with options.
pub fn decode_with(src: &[u8], opts: &DecodeOptions) -> Result<Decoded> {
    let mut info = header(src)?;
    let (g, n) = raw_geometry(src, &info)?;
    limits::check_alloc("JPEG Lossless image", n * output_itemsize(&info) as u64)?;
    let (samples, (report, (scans, eoi))) = if output_itemsize(&info) == 1 {
        let mut v = vec![0u8; n as usize];
        let r = decode_counted(src, &mut v, g, opts)?;
        (Samples::U8(v), r)
    } else {
        let mut v = vec![0u16; n as usize];
        let r = decode_counted(src, &mut v, g, opts)?;
        (Samples::U16(v), r)
    };
    info.scans = scans;
    info.has_eoi = eoi;
    Ok(Decoded {
        info,
        samples,
        report,
    })
}

/// Decodes a raw stream into `dst`, which must hold exactly
/// rows × columns × components samples of [`output_itemsize`] bytes
/// (little-endian). `info` must come from [`info`] or [`header`] on the
/// same `src`.
pub fn decode_into(
    src: &[u8],
    info: &JpegInfo,
    dst: &mut [u8],
    opts: &DecodeOptions,
) -> Result<FrameReport> {
    let (g, n) = raw_geometry(src, info)?;
    let size = output_itemsize(info);
    if dst.len() as u64 != n * size as u64 {
        return Err(Error::output_size(
            "JPEG Lossless image",
            dst.len(),
            n * size as u64,
        ));
    }
    if size == 1 {
        decode_samples(src, dst, g, opts)
    } else {
        decode_u16_bytes(src, dst, g, opts, |_| {})
    }
}

#[cfg(test)]
mod tests;
