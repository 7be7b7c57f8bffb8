//! Huffman-coded DCT JPEG (ITU T.81: SOF0 baseline, SOF1 extended
//! sequential, SOF2 progressive), 8 and 12 bits, 1 to 4 components, bit-exact
//! with libjpeg-turbo: its "islow" integer IDCT ([`idct`]), its upsampling
//! and its YCbCr to RGB tables ([`output`]).
//!
//! Modules: `frame` (marker walk, headers, component geometry), `huff`
//! (look-up tables), `scan` (MCU walk and sequential blocks), `prog`
//! (progressive scans), `idct`, `arch` (IDCT dispatch), `output`
//! (upsampling, colour, interleaving).
//!
//! Colour: [`Colour::Keep`] returns the decoded components as they are
//! (YCbCr stays YCbCr); [`Colour::Rgb`] converts three-component YCbCr to RGB
//! (not when an Adobe APP14 marker says the components are not transformed,
//! or when the component ids are 'R', 'G', 'B'). [`decode_frame`] follows
//! what pydicom returns with `raw=True` through Pillow: the components as
//! stored, except that a three-component stream whose Adobe APP14 marker has
//! transform 1 is converted to RGB (Pillow lets libjpeg convert then).
//!
//! Tolerated and reported in the [`FrameReport`]: missing EOI, garbage
//! before markers, entropy-coded data that ends early (the rest of the
//! restart interval is decoded as zero coefficients, as libjpeg does),
//! missing or misnumbered restart markers, invalid Huffman codes (decoded as
//! symbol 0, as libjpeg does), a frame height different from the DICOM rows.
//! Not done: libjpeg's block smoothing of incomplete progressive frames.

mod arch;
mod arch_out;
mod frame;
mod huff;
mod idct;
mod output;
mod prog;
mod px;
mod restart;
mod scan;
#[cfg(test)]
mod tests;

use crate::codecs::jpeg::markers::Cursor;
use crate::error::{Error, Result};
use crate::pixels::{FrameReport, PixelDescription};
use frame::{Comp, CompSpec, Frame, Headers, Step};

/// A frame header, its component specifications and components.
type State<T> = (Frame, Vec<CompSpec>, Vec<Comp<T>>);

const CTX: &str = "JPEG stream";

pub use px::Px;

/// Colour handling of three-component streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Colour {
    /// The components as decoded (YCbCr stays YCbCr).
    #[default]
    Keep,
    /// YCbCr converted to RGB with libjpeg-turbo's integer tables.
    Rgb,
}

/// Decoding options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// YCbCr kept or converted to RGB.
    pub colour: Colour,
    /// Use the portable IDCT even where SIMD is available (for tests).
    pub portable: bool,
    /// Decode restart intervals of a large sequential frame in parallel
    /// (on the rayon pool the caller runs in).
    pub parallel: bool,
}

/// Header information of a DCT JPEG stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// SOF marker code (0xC0, 0xC1 or 0xC2).
    pub sof: u8,
    /// Sample precision (8 or 12).
    pub precision: u8,
    /// Samples per line.
    pub width: u32,
    /// Lines (from the frame header or DNL).
    pub height: u32,
    /// `(id, h, v)` per component.
    pub components: Vec<(u8, u8, u8)>,
    /// Restart interval of the first scan (0: none).
    pub restart_interval: u32,
    /// Adobe APP14 transform flag, if the marker is present.
    pub adobe_transform: Option<u8>,
    /// A JFIF APP0 marker is present.
    pub jfif: bool,
    /// True when three components are YCbCr-coded by libjpeg's rules (no
    /// Adobe marker saying otherwise, ids not 'R','G','B').
    pub ycbcr: bool,
}

pub use crate::pixels::Samples;

/// Result of [`decode`]: rows × columns × components, colour-by-pixel.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The stream's headers.
    pub info: Info,
    /// The samples.
    pub samples: Samples,
    /// What was tolerated.
    pub report: FrameReport,
}

fn make_info(f: &Frame, comps: &[CompSpec], hd: &Headers) -> Info {
    let ids: Vec<u8> = comps.iter().map(|c| c.0).collect();
    let ycbcr = comps.len() == 3
        && match hd.adobe {
            Some(t) => t != 0,
            None => hd.jfif || ids != [b'R', b'G', b'B'],
        };
    Info {
        sof: f.sof,
        precision: f.precision as u8,
        width: f.width as u32,
        height: f.height as u32,
        components: comps.iter().map(|c| (c.0, c.1 as u8, c.2 as u8)).collect(),
        restart_interval: hd.ri as u32,
        adobe_transform: hd.adobe,
        jfif: hd.jfif,
        ycbcr,
    }
}

fn start(src: &[u8]) -> Result<Cursor<'_>> {
    if src.get(0..2) != Some(&[0xFF, 0xD8]) {
        return Err(Error::malformed(
            0,
            CTX,
            "no SOI marker (0xFFD8) at the start: not a JPEG stream",
        ));
    }
    Ok(Cursor { data: src, pos: 2 })
}

/// Resolves a zero frame height from a DNL segment or `rows_hint`.
fn resolve_height(src: &[u8], f: &mut Frame, at: usize, rows_hint: Option<usize>) -> Result<()> {
    if f.height == 0 {
        f.height = match frame::find_dnl(src, at).or(rows_hint) {
            Some(n) if n > 0 => n,
            _ => {
                return Err(Error::malformed(
                    f.offset as u64 + 5,
                    CTX,
                    "frame height 0 and no DNL segment gives the number of lines",
                ))
            }
        };
    }
    Ok(())
}

/// Header information (walks the markers up to the first scan header).
pub fn info(src: &[u8]) -> Result<Info> {
    let mut cur = start(src)?;
    let mut hd = Headers::new();
    let mut report = FrameReport::default();
    let mut fr: Option<(Frame, Vec<CompSpec>)> = None;
    while let Step::Frame(mut f, c) =
        frame::step(&mut cur, &mut hd, fr.as_ref().map(|x| &x.0), &mut report)?
    {
        resolve_height(src, &mut f, cur.pos, None)?;
        fr = Some((f, c));
    }
    let Some((f, c)) = fr else {
        return Err(Error::malformed(
            src.len() as u64,
            CTX,
            "no frame header (SOF) in the stream",
        ));
    };
    Ok(make_info(&f, &c, &hd))
}

/// Decodes the stream into component planes.
///
/// `ext`: the caller's output buffer; a grey sequential frame whose plane
/// has exactly its layout (width and height multiples of 8, sampling 1x1)
/// is decoded straight into it (no plane to allocate and clear, no copy),
/// and then the returned flag is true and the component's plane is empty.
fn planes<T: Px>(
    src: &[u8],
    rows_hint: Option<usize>,
    opts: &Options,
    report: &mut FrameReport,
    mut ext: Option<&mut [T]>,
) -> Result<(Info, Frame, Vec<Comp<T>>, bool)> {
    let mut cur = start(src)?;
    let mut hd = Headers::new();
    let mut state: Option<State<T>> = None;
    let mut first_ri = None;
    let idct = if opts.portable {
        arch::Idct::portable()
    } else {
        arch::Idct::detect()
    };
    let mut eoi = false;
    let mut scans = 0;
    let mut inplace = false;
    loop {
        let st = frame::step(&mut cur, &mut hd, state.as_ref().map(|x| &x.0), report)?;
        match st {
            Step::Frame(mut f, c) => {
                resolve_height(src, &mut f, cur.pos, rows_hint)?;
                if (f.precision as usize) > 8 * std::mem::size_of::<T>() {
                    return Err(Error::malformed(f.offset as u64, CTX, "precision changed"));
                }
                inplace = ext.as_ref().is_some_and(|d| {
                    c.len() == 1
                        && (c[0].1, c[0].2) == (1, 1)
                        && !f.progressive()
                        && f.width % 8 == 0
                        && f.height % 8 == 0
                        && f.width * f.height == d.len()
                });
                if !inplace {
                    ext = None;
                }
                let comps = frame::make_comps::<T>(&mut f, &c, inplace)?;
                state = Some((f, c, comps));
            }
            Step::Scan(scan) => {
                let Some((f, _, comps)) = state.as_mut() else {
                    break;
                };
                first_ri.get_or_insert(hd.ri);
                scans += 1;
                for &(ci, _, _) in &scan.comps {
                    let comp = &mut comps[ci];
                    if comp.q.is_none() {
                        let Some(q) = hd.qt[comp.tq] else {
                            return Err(frame::bad(
                                scan.offset,
                                format!("quantisation table {} is not defined", comp.tq),
                            ));
                        };
                        let mut nat = [0i32; 64];
                        for k in 0..64 {
                            nat[scan::ZZ[k]] = q[k] as i32;
                        }
                        comp.q = Some(nat);
                    }
                }
                let blocks: usize = scan
                    .comps
                    .iter()
                    .map(|&(i, _, _)| comps[i].h * comps[i].v)
                    .sum();
                if scan.comps.len() > 1 && blocks > 10 {
                    return Err(frame::bad(
                        scan.offset,
                        format!("{blocks} blocks per MCU (at most 10)"),
                    ));
                }
                let geo: Vec<scan::Geo> = scan
                    .comps
                    .iter()
                    .map(|&(i, _, _)| {
                        let (rx, ry) = comps[i].real_blocks();
                        (comps[i].h, comps[i].v, rx, ry)
                    })
                    .collect();
                let end = if f.progressive() {
                    prog::check(&scan)?;
                    let need_dc = scan.ss == 0 && scan.ah == 0;
                    let tabs = scan::tables(&hd, &scan, need_dc, scan.ss > 0)?;
                    let mut sink = prog::Progressive {
                        comps,
                        tabs,
                        ss: scan.ss,
                        se: scan.se,
                        ah: scan.ah,
                        al: scan.al,
                        eobrun: 0,
                        bad: false,
                    };
                    scan::walk(src, f, &geo, hd.ri, &scan, &mut sink, report)
                } else {
                    if scan.ss != 0 || scan.se != 63 || scan.ah != 0 || scan.al != 0 {
                        report.warn("sequential scan with Ss, Se, Ah, Al other than 0, 63, 0, 0");
                    }
                    let tabs = scan::tables(&hd, &scan, true, true)?;
                    let par = (opts.parallel && hd.ri > 0 && restart::worth(f, comps.len()))
                        .then(|| {
                            let ext = ext.as_deref_mut();
                            restart::parallel(src, f, &geo, hd.ri, &scan, comps, &tabs, idct, ext)
                        })
                        .flatten();
                    match par {
                        Some(end) => end,
                        None => {
                            let lanes = scan::lanes(comps, &tabs, ext.as_deref_mut());
                            let mut sink = scan::Sequential::new(lanes, f.precision, idct);
                            scan::walk(src, f, &geo, hd.ri, &scan, &mut sink, report)
                        }
                    }
                };
                cur.pos = end;
            }
            Step::Eoi => {
                eoi = true;
                break;
            }
            Step::End => break,
        }
    }
    let Some((f, c, mut comps)) = state else {
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
        report.warn("no EOI marker at the end of the JPEG stream");
    }
    if f.progressive() {
        prog::finish(&f, &mut comps, idct);
    }
    hd.ri = first_ri.unwrap_or(0);
    let info = make_info(&f, &c, &hd);
    #[cfg(test)]
    if inplace {
        INPLACE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    Ok((info, f, comps, inplace))
}

/// Frames decoded straight into the caller's buffer (tests check that the
/// path is taken).
#[cfg(test)]
static INPLACE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The SOF precision, found by walking to the frame header.
fn precision(src: &[u8]) -> Result<u32> {
    let mut cur = start(src)?;
    let mut hd = Headers::new();
    let mut report = FrameReport::default();
    // The walk stops at the first frame header (a scan before it is an error).
    match frame::step(&mut cur, &mut hd, None, &mut report)? {
        Step::Frame(f, _) => Ok(f.precision),
        _ => Err(Error::malformed(
            src.len() as u64,
            CTX,
            "no frame header (SOF) in the stream",
        )),
    }
}

fn ycc_for(info: &Info, colour: Colour) -> Option<output::Ycc> {
    (colour == Colour::Rgb && info.ycbcr).then(|| output::Ycc::new(info.precision as u32))
}

fn decode_t<T: Px>(src: &[u8], opts: &Options) -> Result<(Info, Vec<T>, FrameReport)> {
    let mut report = FrameReport::default();
    let (info, f, mut comps, _) = planes::<T>(src, None, opts, &mut report, None)?;
    let nc = comps.len();
    if nc == 1 && comps[0].h == f.hmax && comps[0].v == f.vmax {
        // Grey: the plane becomes the output, its rows moved down in place
        // (no second image-sized buffer to allocate and fault in).
        let mut p = std::mem::take(&mut comps[0].plane);
        let s = comps[0].stride();
        if s != f.width {
            for y in 1..f.height {
                p.copy_within(y * s..y * s + f.width, y * f.width);
            }
        }
        p.truncate(f.width * f.height);
        return Ok((info, p, report));
    }
    let n = crate::limits::checked_size(
        "JPEG image",
        &[
            f.width as u64,
            f.height as u64,
            nc as u64,
            std::mem::size_of::<T>() as u64,
        ],
    )?;
    crate::limits::check_alloc("JPEG image", n)?;
    let mut out = vec![T::default(); f.width * f.height * nc];
    let ycc = ycc_for(&info, opts.colour);
    let simd = !opts.portable && arch_out::detect();
    output::rows(&f, &comps, 0..f.height, ycc.as_ref(), &mut out, simd);
    Ok((info, out, report))
}

/// Decodes a DCT JPEG stream.
pub fn decode(src: &[u8], opts: &Options) -> Result<Decoded> {
    Ok(if precision(src)? == 8 {
        let (info, s, report) = decode_t::<u8>(src, opts)?;
        Decoded {
            info,
            samples: Samples::U8(s),
            report,
        }
    } else {
        let (info, s, report) = decode_t::<u16>(src, opts)?;
        Decoded {
            info,
            samples: Samples::U16(s),
            report,
        }
    })
}

/// Decodes a stream into `dst`: rows × columns × components samples, u8 at
/// 8 bits or u16 little-endian at 12, colour-by-pixel (`dst` must have
/// exactly that length). Returns the header information and what was
/// tolerated.
pub fn decode_into(src: &[u8], opts: &Options, dst: &mut [u8]) -> Result<(Info, FrameReport)> {
    if precision(src)? == 8 {
        into_t::<u8>(src, opts, dst)
    } else {
        into_t::<u16>(src, opts, dst)
    }
}

fn into_t<T: Px>(src: &[u8], opts: &Options, dst: &mut [u8]) -> Result<(Info, FrameReport)> {
    let mut report = FrameReport::default();
    let size = std::mem::size_of::<T>();
    let ext = output::samples_of::<T>(dst, size);
    let (info, f, comps, inplace) = planes::<T>(src, None, opts, &mut report, ext)?;
    let need = f.width * f.height * comps.len() * size;
    if dst.len() != need {
        return Err(Error::unsupported(format!(
            "JPEG output buffer of {} bytes (the image needs {need})",
            dst.len()
        )));
    }
    if inplace {
        return Ok((info, report));
    }
    let ycc = ycc_for(&info, opts.colour);
    let simd = !opts.portable && arch_out::detect();
    output::write_rows(
        &f,
        &comps,
        f.height,
        ycc.as_ref(),
        dst,
        size,
        opts.parallel,
        simd,
    );
    Ok((info, report))
}

/// The Huffman DCT JPEG decoder of the registry (.50, .51, .55).
pub struct JpegDctCodec;

impl crate::codecs::FrameDecoder for JpegDctCodec {
    fn decode(
        &self,
        frame: &crate::codecs::Frame<'_>,
        desc: &PixelDescription,
        dst: &mut [u8],
        ctx: &crate::codecs::DecodeContext,
    ) -> Result<FrameReport> {
        // One frame of the call: its threads decode restart intervals and
        // rows in parallel (several frames are already decoded in parallel).
        if ctx.total_output > dst.len() || ctx.threads == Some(1) {
            decode_frame(frame.data, desc, dst)
        } else {
            crate::exec::with_threads(ctx.threads, |parallel| {
                decode_frame_with(frame.data, desc, dst, parallel)
            })?
        }
    }

    /// Checked by `every_byte_is_written` in `tests.rs` (fixtures, padded,
    /// truncated and damaged, decoded into two different fills): blocks a
    /// scan does not reach are filled in, rows the frame lacks are zeroed.
    fn writes_every_byte(&self) -> bool {
        true
    }
}

/// Decodes one frame into `dst` (`desc.frame_output_len()` bytes,
/// little-endian, colour-by-pixel) as pydicom returns it with `raw=True`.
pub fn decode_frame(src: &[u8], desc: &PixelDescription, dst: &mut [u8]) -> Result<FrameReport> {
    decode_frame_with(src, desc, dst, false)
}

/// [`decode_frame`], decoding restart intervals and output rows of a large
/// frame in parallel on the current rayon pool when `parallel`.
pub fn decode_frame_with(
    src: &[u8],
    desc: &PixelDescription,
    dst: &mut [u8],
    parallel: bool,
) -> Result<FrameReport> {
    if precision(src)? == 8 {
        frame_t::<u8>(src, desc, dst, parallel)
    } else {
        frame_t::<u16>(src, desc, dst, parallel)
    }
}

fn frame_t<T: Px>(
    src: &[u8],
    desc: &PixelDescription,
    dst: &mut [u8],
    parallel: bool,
) -> Result<FrameReport> {
    let mut report = FrameReport::default();
    let (rows, cols, spp) = (
        desc.rows as usize,
        desc.columns as usize,
        desc.samples_per_pixel as usize,
    );
    let size = desc.sample_type()?.size();
    let need = desc.frame_output_len()? as usize;
    if dst.len() != need || !(size == 1 || size == 2) {
        return Err(Error::unsupported(format!(
            "JPEG output buffer of {} bytes with {size}-byte samples (expected {need})",
            dst.len()
        )));
    }
    let opts = Options {
        parallel,
        ..Options::default()
    };
    let ext = output::samples_of::<T>(dst, size);
    let (info, f, comps, inplace) = planes::<T>(src, Some(rows), &opts, &mut report, ext)?;
    if f.width != cols || comps.len() != spp {
        return Err(Error::malformed(
            f.offset as u64,
            CTX,
            format!(
                "frame of {} columns and {} components, but the image has {cols} columns and {spp} samples per pixel",
                f.width,
                comps.len()
            ),
        ));
    }
    if size == 1 && f.precision > 8 {
        return Err(Error::malformed(
            f.offset as u64,
            CTX,
            format!("{}-bit samples with Bits Allocated 8", f.precision),
        ));
    }
    if f.height != rows {
        report.warn(format!(
            "frame header has {} lines but the image has {rows} rows",
            f.height
        ));
    }
    let colour = if spp == 3 && info.adobe_transform == Some(1) {
        Colour::Rgb
    } else {
        Colour::Keep
    };
    if inplace {
        return Ok(report);
    }
    let ycc = ycc_for(&info, colour);
    let rl = cols * spp * size;
    output::write_rows(
        &f,
        &comps,
        rows,
        ycc.as_ref(),
        dst,
        size,
        parallel,
        arch_out::detect(),
    );
    let done = rows.min(f.height) * rl;
    dst[done..].fill(0);
    Ok(report)
}
