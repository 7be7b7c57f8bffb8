//! JPEG-LS (ITU-T T.87 / ISO 14495-1): DICOM's JPEG-LS Lossless and
//! JPEG-LS Near-Lossless transfer syntaxes.
//!
//! Modules: [`markers`] (marker walk, segment parsers), [`params`] (coding
//! parameters, default thresholds), [`bits`] (bit reader), `decoder` (scan
//! decoding: contexts, regular and run modes).
//!
//! Supported: precision 2-16, 1-4 components, interleave none / line /
//! sample, NEAR 0-255, default and custom preset parameters (LSE type 1:
//! MAXVAL, T1-T3, RESET, anywhere before their scan, also between scans),
//! oversize dimensions (LSE type 4), restart intervals (DRI with 2-4 byte
//! Ri, RSTn), DNL (or the height from DICOM Rows), APPn/COM, fill bytes,
//! anything after EOI.
//!
//! HP colour transforms HP1-HP3 (APP8 "mrfx", 3 components at 8 or 16 bits)
//! are inverted after decoding, as CharLS does.
//!
//! Refused with [`Error::Unsupported`] naming the feature: other colour
//! transforms or bit depths, mapping tables
//! (a scan with a table selector; LSE types 2/3 themselves are skipped),
//! point transform, subsampled components, more than 4 components.
//!
//! Tolerance (each reported in the [`FrameReport`], never silent):
//!
//! | Oddity | What dicodec does | Peers |
//! |---|---|---|
//! | no EOI | decodes what is there | CharLS: error |
//! | frame lines differ from DICOM Rows | decodes the rows both have, zeroes the rest | — |
//! | more RSTn markers than the interval needs | ignored | CharLS: error |
//! | bytes before a marker | skipped | CharLS: error |
//! | default thresholds of the JAI encoder (> 12 bits) or CharLS < 2.1 (6-7 bits) | see below | JAI streams: dcmtk, GDCM, fo-dicom decode them wrongly |
//! | samples above DICOM Bits Stored (precision > Bits Stored) | fitted to Bits Stored as pydicom does | GDCM: same bits, no warning |
//!
//! Legacy default thresholds: T.87 C.2.4.1.1.1 computes FACTOR from
//! min(MAXVAL, 4095), and uses other formulas for MAXVAL < 128. The Java JAI
//! ImageIO encoder did not clamp (CharLS issue #25, GDCM's FixJAIBugJPEGLS),
//! and CharLS before 2.1 (CharLS issue #51; the copy inside dcmtk's dcmjpls;
//! GDCM fails on standard 6-7-bit streams, pydicom issue #2008) used the MAXVAL >= 128 formulas
//! for every MAXVAL, which differ from the standard at 6 and 7 bits. Streams
//! of those encoders without an LSE segment decode wrongly with the standard
//! defaults, and nothing in them says so. dicodec decodes the standard way;
//! [`DecodeOptions::legacy_thresholds`] forces the legacy defaults, and a
//! standard decode that fails on a > 12-bit or 6-7-bit stream without LSE
//! is retried with them (with a warning) before giving up; the retry counts
//! only when it decodes an otherwise clean stream (EOI, no garbage).

//! Python: `dicodec.jpegls_*` (ext/py/src/jpegls.rs, through [`raw`]).

pub(crate) mod bits;
mod decoder;
mod encoder;
mod fit;
pub(crate) mod markers;
pub(crate) mod params;
pub mod raw;
mod samples;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_dicom;
#[cfg(test)]
mod tests_encode;
#[cfg(test)]
mod tests_tolerance;

mod frame_encoder;

use super::{DecodeContext, Frame, FrameDecoder};
use crate::error::{Error, Result};
use crate::limits;
use crate::pixels::{
    fit_bits_stored_u16, fit_bits_stored_u8, FrameReport, PixelDescription, SampleType,
};
use decoder::{decode_scan, Out, Target};
pub use encoder::{encode, EncodeOptions, Image};
use markers::{resolve_components, Event, FrameHeader, Walker, CTX};
use params::{Coding, Preset};

/// The JPEG-LS codec of the registry (.80 decode and encode, .81 decode).
pub struct JpegLsCodec;

impl FrameDecoder for JpegLsCodec {
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

/// Encodes one frame (little-endian, colour-by-pixel samples as
/// [`decode_frame`] writes them) with precision Bits Stored; signed samples
/// are stored as their Bits Stored low bits (two's complement), as DICOM
/// requires.
pub fn encode_frame(src: &[u8], desc: &PixelDescription, opts: &EncodeOptions) -> Result<Vec<u8>> {
    desc.validate()?;
    let need = desc.frame_output_len()?;
    if src.len() as u64 != need {
        return Err(Error::malformed(
            0,
            "JPEG-LS encoder input",
            format!("{} bytes for a frame of {need} bytes", src.len()),
        ));
    }
    let bs = desc.bits_stored;
    if !(2..=16).contains(&bs) {
        return Err(Error::unsupported(format!(
            "JPEG-LS encoding of Bits Stored {bs}"
        )));
    }
    let mask = ((1u32 << bs) - 1) as u16;
    let size = desc.sample_type()?.size();
    if !matches!(size, 1 | 2) {
        return Err(Error::unsupported(format!(
            "JPEG-LS encoding of {size}-byte samples"
        )));
    }
    if opts
        .preset
        .is_some_and(|p| p.maxval != 0 && p.maxval < mask)
    {
        // A MAXVAL below Bits Stored: the samples are checked against it.
        let samples: Vec<u16> = match size {
            1 => src.iter().map(|&b| b as u16 & mask).collect(),
            _ => src
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]) & mask)
                .collect(),
        };
        let img = Image {
            samples: &samples,
            width: desc.columns,
            height: desc.rows,
            components: desc.samples_per_pixel as u8,
            precision: bs as u8,
        };
        return encode(&img, opts);
    }
    // The frame's bytes straight to the encoder, masked to Bits Stored.
    let source = match size {
        1 => encoder::Source::U8(src, mask as u8),
        _ => encoder::Source::Le16(src, mask),
    };
    encoder::encode_source(
        source,
        desc.columns,
        desc.rows,
        desc.samples_per_pixel as u8,
        bs as u8,
        opts,
    )
}

/// Decoding options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeOptions {
    /// `Some(true)`: default thresholds as old encoders computed them (the
    /// JAI encoder for more than 12 bits, CharLS < 2.1 for 6-7 bits);
    /// `Some(false)`: the standard's; `None` (default): the standard's,
    /// retried with the legacy ones when that fails (see the module docs).
    pub legacy_thresholds: Option<bool>,
}

/// Header information of a JPEG-LS stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JlsInfo {
    /// Samples per line.
    pub width: u32,
    /// Lines (from DNL when the frame header gives 0).
    pub height: u32,
    /// Number of components.
    pub components: u8,
    /// Bits per sample (P).
    pub precision: u8,
    /// NEAR of the first scan.
    pub near: u8,
    /// Interleave mode of the first scan: 0 none, 1 line, 2 sample.
    pub interleave: u8,
    /// Number of scans.
    pub scans: u32,
    /// Lines per restart interval (0: none).
    pub restart_interval: u32,
    /// Parameters of the first scan (defaults resolved).
    pub maxval: u16,
    /// Threshold T1 of the first scan.
    pub t1: u16,
    /// Threshold T2 of the first scan.
    pub t2: u16,
    /// Threshold T3 of the first scan.
    pub t3: u16,
    /// RESET of the first scan.
    pub reset: u16,
    /// Whether an LSE type 1 segment was present.
    pub custom_preset: bool,
    /// HP colour transform of APP8 "mrfx" (0: none).
    pub colour_transform: u8,
    /// Whether LSE mapping tables were present.
    pub mapping_tables: bool,
}

pub use crate::pixels::Samples;

/// Result of [`decode`]: samples (lines × columns × components,
/// colour-by-pixel), header information and what was tolerated.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The stream's headers.
    pub info: JlsInfo,
    /// The samples.
    pub samples: Samples,
    /// What was tolerated.
    pub report: FrameReport,
}

/// Output geometry expected by the caller (None: taken from the stream).
#[derive(Debug, Clone, Copy)]
struct Geometry {
    width: usize,
    rows: usize,
    nf: usize,
}

/// Walks the stream, decoding each scan into `out` when `out` is given.
fn walk<T: Out>(
    src: &[u8],
    mut out: Option<&mut [T]>,
    geom: Option<Geometry>,
    legacy: bool,
    report: &mut FrameReport,
    header_only: bool,
) -> Result<JlsInfo> {
    let mut w = Walker::new(src)?;
    let mut info = JlsInfo::default();
    let mut preset = Preset::default();
    let mut ri = 0u32;
    let mut frame: Option<FrameHeader> = None;
    let mut lines = 0usize;
    let mut covered = [false; 4];
    let mut eoi = false;
    loop {
        let at = w.pos();
        let (ev, skipped) = w.next_event()?;
        if skipped > 0 {
            report.warn(format!(
                "{skipped} bytes of garbage before a marker (after byte {at})"
            ));
        }
        match ev {
            Event::Eoi => {
                eoi = true;
                break;
            }
            Event::End => break,
            Event::Frame(f) => {
                info.width = f.width;
                info.height = f.height;
                info.components = f.ids.len() as u8;
                info.precision = f.precision;
                frame = Some(f);
            }
            Event::Oversize { width, height } => {
                let Some(f) = frame.as_mut() else {
                    return Err(Error::malformed(
                        at as u64,
                        CTX,
                        "LSE type 4 before the frame header",
                    ));
                };
                f.width = width;
                f.height = height;
                info.width = width;
                info.height = height;
            }
            Event::Preset(p) => {
                preset = p;
                info.custom_preset = true;
            }
            Event::MappingTable => info.mapping_tables = true,
            Event::RestartInterval(n) => {
                ri = n;
                if info.scans == 0 {
                    info.restart_interval = n;
                }
            }
            Event::ColourTransform(t) => {
                info.colour_transform = t;
                if t > 3 {
                    return Err(Error::unsupported(format!(
                        "JPEG-LS HP colour transform {t} (APP8 \"mrfx\")"
                    )));
                }
            }
            Event::Lines(n) => {
                if info.height == 0 {
                    info.height = n;
                }
            }
            Event::Scan(mut s) => {
                let Some(f) = frame.as_ref() else { break };
                if let Some(w) = resolve_components(f, &mut s, &covered)? {
                    report.warn(w);
                }
                if info.scans == 0 {
                    // Geometry is fixed at the first scan.
                    if f.height == 0 {
                        let n = markers::find_dnl(src, s.data_start)
                            .or(geom.map(|g| g.rows as u32))
                            .unwrap_or(0);
                        if n == 0 {
                            return Err(Error::malformed(
                                f.offset as u64,
                                CTX,
                                "frame of 0 lines and no DNL segment",
                            ));
                        }
                        info.height = n;
                    }
                    if f.width == 0 {
                        return Err(Error::malformed(f.offset as u64, CTX, "frame of 0 columns"));
                    }
                    lines = info.height as usize;
                    if let Some(g) = geom {
                        if f.width as usize != g.width || f.ids.len() != g.nf {
                            return Err(Error::malformed(
                                f.offset as u64,
                                CTX,
                                format!(
                                    "frame of {} columns and {} components, but the image has {} columns and {} samples per pixel",
                                    f.width, f.ids.len(), g.width, g.nf
                                ),
                            ));
                        }
                        if lines != g.rows {
                            report.warn(format!(
                                "frame has {lines} lines but the image has {} rows",
                                g.rows
                            ));
                            lines = lines.min(g.rows);
                        }
                    }
                }
                let coding = Coding::new(f.precision, s.near, &preset, legacy, s.offset as u64)?;
                if info.scans == 0 {
                    info.near = s.near;
                    info.interleave = s.ilv;
                    info.maxval = coding.maxval as u16;
                    info.t1 = coding.t1 as u16;
                    info.t2 = coding.t2 as u16;
                    info.t3 = coding.t3 as u16;
                    info.reset = coding.reset as u16;
                }
                info.scans += 1;
                let end = match out.as_deref_mut() {
                    Some(o) => {
                        let mut t = Target {
                            out: o,
                            width: f.width as usize,
                            height: lines,
                            nf: f.ids.len(),
                        };
                        decode_scan(src, &s, coding, ri as usize, &mut t, report)?
                    }
                    None if header_only => return Ok(info),
                    None => markers::split_intervals(src, s.data_start).1,
                };
                for &c in &s.comps {
                    covered[c] = true;
                }
                w.set_pos(end);
            }
        }
    }
    let Some(f) = frame else {
        return Err(Error::malformed(
            src.len() as u64,
            CTX,
            "no frame header (SOF55)",
        ));
    };
    if info.scans == 0 {
        return Err(Error::malformed(src.len() as u64, CTX, "no scan (SOS)"));
    }
    if !eoi {
        report.warn(format!(
            "no EOI marker: the stream ends at byte {}",
            src.len()
        ));
    }
    let t = info.colour_transform;
    if t != 0 && (f.ids.len() != 3 || !matches!(f.precision, 8 | 16)) {
        return Err(Error::unsupported(format!(
            "JPEG-LS HP colour transform HP{t} (APP8 \"mrfx\") of {} components at {} bits (defined for 3 components at 8 or 16 bits)",
            f.ids.len(),
            f.precision
        )));
    }
    if let Some(o) = out {
        let nf = f.ids.len();
        if t != 0 {
            decoder::inverse_colour_transform(o, t);
        }
        for (c, _) in covered.iter().enumerate().take(nf).filter(|(_, &v)| !v) {
            report.warn(format!(
                "component {} is in no scan; its samples are zero",
                f.ids[c]
            ));
            for s in o.iter_mut().skip(c).step_by(nf) {
                *s = T::default();
            }
        }
        if let Some(g) = geom {
            let done = (lines * g.width * nf).min(o.len());
            o[done..].fill(T::default());
        }
    }
    Ok(info)
}

/// Decodes with the legacy-threshold retry of [`DecodeOptions`].
fn walk_retry<T: Out>(
    src: &[u8],
    out: &mut [T],
    geom: Option<Geometry>,
    opts: &DecodeOptions,
) -> Result<(JlsInfo, FrameReport)> {
    let mut report = FrameReport::default();
    let forced = opts.legacy_thresholds == Some(true);
    let first = walk(src, Some(&mut *out), geom, forced, &mut report, false);
    match first {
        Err(Error::Malformed { .. }) if opts.legacy_thresholds.is_none() => {
            let p = match info(src) {
                Ok(i) if !i.custom_preset => i.precision,
                _ => return first.map(|i| (i, report)),
            };
            let who = match p {
                13.. => "the Java JAI encoder for > 12 bits",
                6 | 7 => "CharLS before 2.1 (dcmtk) for 6-7 bits",
                _ => return first.map(|i| (i, report)),
            };
            let mut retry = FrameReport::default();
            retry.warn(format!(
                "decoded with the default thresholds of {who} (the standard ones fail on this stream)"
            ));
            // Only a clean legacy decode counts: a damaged standard stream
            // (no EOI, garbage) keeps its error.
            match walk(src, Some(&mut *out), geom, true, &mut retry, false) {
                Ok(i) if retry.warnings.len() == 1 => Ok((i, retry)),
                _ => first.map(|i| (i, report)),
            }
        }
        other => other.map(|i| (i, report)),
    }
}

/// Header information of a JPEG-LS stream (walks the whole stream, decodes
/// nothing).
pub fn info(src: &[u8]) -> Result<JlsInfo> {
    walk::<u8>(src, None, None, false, &mut FrameReport::default(), false)
}

/// The headers up to the first scan (geometry and first-scan parameters;
/// `scans` is 1): what [`decode`] needs to size its output.
fn header(src: &[u8]) -> Result<JlsInfo> {
    walk::<u8>(src, None, None, false, &mut FrameReport::default(), true)
}

/// Decodes a JPEG-LS stream on its own (not DICOM): samples as the stream
/// defines them.
pub fn decode(src: &[u8]) -> Result<Decoded> {
    decode_with(src, &DecodeOptions::default())
}

/// [`decode`] with options.
pub fn decode_with(src: &[u8], opts: &DecodeOptions) -> Result<Decoded> {
    let i = header(src)?;
    let n = limits::checked_size(
        "JPEG-LS image",
        &[i.width as u64, i.height as u64, i.components as u64],
    )?;
    let g = Some(Geometry {
        width: i.width as usize,
        rows: i.height as usize,
        nf: i.components as usize,
    });
    if i.precision <= 8 {
        limits::check_alloc("JPEG-LS image", n)?;
        let mut v = vec![0u8; n as usize];
        let (info, report) = walk_retry(src, &mut v, g, opts)?;
        Ok(Decoded {
            info,
            samples: Samples::U8(v),
            report,
        })
    } else {
        limits::check_alloc("JPEG-LS image", n * 2)?;
        let mut v = vec![0u16; n as usize];
        let (info, report) = walk_retry(src, &mut v, g, opts)?;
        Ok(Decoded {
            info,
            samples: Samples::U16(v),
            report,
        })
    }
}

/// Decodes one JPEG-LS frame into `dst` (contract in [`crate::pixels`]).
pub fn decode_frame(src: &[u8], desc: &PixelDescription, dst: &mut [u8]) -> Result<FrameReport> {
    decode_frame_with(src, desc, dst, &DecodeOptions::default())
}

/// [`decode_frame`] with options.
///
/// Output matches pydicom 3 (`raw=True`): samples in the Bits Allocated
/// container; when Bits Stored < Bits Allocated the unused high bits are
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
        return Err(Error::malformed(
            0,
            "output buffer",
            format!("{} bytes for a frame of {need} bytes", dst.len()),
        ));
    }
    let g = Some(Geometry {
        width: desc.columns as usize,
        rows: desc.rows as usize,
        nf: desc.samples_per_pixel as usize,
    });
    let bs = desc.bits_stored as u32;
    match st {
        SampleType::U8 | SampleType::I8 => {
            let (i, mut r) = walk_retry(src, dst, g, opts)?;
            check_precision(&i, 8)?;
            let it = dst.iter().map(|&v| v as u32);
            fit::report_outside(it, i.precision as u32, bs, st == SampleType::I8, &mut r);
            fit_bits_stored_u8(dst, bs, st == SampleType::I8);
            Ok(r)
        }
        SampleType::U16 | SampleType::I16 => {
            let mut tmp = vec![0u16; dst.len() / 2];
            let (i, mut r) = walk_retry(src, &mut tmp, g, opts)?;
            check_precision(&i, 16)?;
            let signed = st == SampleType::I16;
            let it = tmp.iter().map(|&v| v as u32);
            fit::report_outside(it, i.precision as u32, bs, signed, &mut r);
            fit_bits_stored_u16(&mut tmp, bs, signed);
            for (d, s) in dst.chunks_exact_mut(2).zip(&tmp) {
                d.copy_from_slice(&s.to_le_bytes());
            }
            Ok(r)
        }
        other => Err(Error::unsupported(format!(
            "JPEG-LS into {} samples (Bits Allocated {})",
            other.numpy_str(),
            desc.bits_allocated
        ))),
    }
}

/// The stream's precision must fit the output container.
fn check_precision(i: &JlsInfo, bits: u8) -> Result<()> {
    if i.precision > bits {
        return Err(Error::malformed(
            0,
            CTX,
            format!(
                "sample precision {} does not fit {bits}-bit samples",
                i.precision
            ),
        ));
    }
    Ok(())
}
