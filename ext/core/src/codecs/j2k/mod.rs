//! JPEG 2000 (ISO/IEC 15444-1: the lossless-only and lossy syntaxes) and
//! High-Throughput JPEG 2000 (15444-15: lossless, lossless RPCL, lossy)
//! through OpenJPEG ≥ 2.5 (`openjpeg-sys`: the bundled C sources, compiled
//! with `cc`).
//!
//! Encoding (lossless, .90): `encode` ([`encode_frame`]).
//!
//! Modules: `header` (the main header read in Rust: [`info`] and the checks
//! made before OpenJPEG runs), `sys` (OpenJPEG through a memory stream, its
//! messages captured by callbacks), `api` (the decoder's OpenJPEG functions
//! as a table: the portable build or the x86-64-v3 one, see
//! [`OpenJpegBuild`]), `output` (component planes to pydicom's `raw=True`
//! array). `sys` and `api` hold the only `unsafe` code.
//!
//! A frame is decoded from memory. Before OpenJPEG decodes anything, the
//! codestream's size, components and subsampling are checked against the
//! DICOM attributes and its buffers against [`crate::limits`]. OpenJPEG's
//! warnings go to the [`FrameReport`], its errors into the [`Error`]; nothing
//! is printed.
//!
//! Output, as pydicom 3 returns it with `raw=True` (see `output` for the
//! exact rules): the codestream's precision and signedness (first
//! component) decide the container; a signedness that differs from *Pixel
//! Representation* is corrected for monochrome images; *Bits Stored* is not
//! used (a precision that differs from it is reported as a warning);
//! YBR_RCT / YBR_ICT come out as RGB (OpenJPEG applies the component
//! transform); colour-by-pixel.
//!
//! Tolerance: none beyond OpenJPEG's own (its warnings are reported);
//! truncated codestreams are errors (OpenJPEG's strict mode).

mod api;
mod encode;
mod header;
mod output;
mod sys;

pub use encode::{encode_frame, max_levels, DEFAULT_LEVELS};
pub use header::{is_jp2, ComponentInfo, J2kInfo, Progression};

use crate::error::{Error, Result};
use crate::limits;
use crate::pixels::{FrameReport, PixelDescription, PixelElement, SampleType};
use header::CTX;
use output::Mapping;

/// Tile indices (Isot) are 16-bit and 65535 is reserved.
const MAX_TILES: u64 = 65535;

/// Decoding options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// OpenJPEG worker threads for this frame (1: the calling thread only).
    /// Worth it for a single large frame; frames of a multi-frame file are
    /// better decoded in parallel, one thread each.
    pub threads: usize,
    /// Which compiled copy of OpenJPEG decodes (both give the same samples).
    pub build: OpenJpegBuild,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            threads: 1,
            build: OpenJpegBuild::Auto,
        }
    }
}

/// The copies of OpenJPEG in this binary: the same sources, compiled twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpenJpegBuild {
    /// The fastest this CPU runs: [`OpenJpegBuild::X86_64V3`] where compiled
    /// in and the CPU has AVX2, BMI1/2, FMA, F16C, LZCNT and MOVBE, else
    /// [`OpenJpegBuild::Portable`]; `DICODEC_J2K_PORTABLE=1` in the
    /// environment (read once) forces the portable one.
    #[default]
    Auto,
    /// No `-march` (SSE2 on x86-64): built by `build.rs` with a GCC-like
    /// compiler (`-ffp-contract=off`, and a branch-free sign conversion in
    /// the HT block decoder), else `openjpeg-sys`'s build.
    Portable,
    /// On x86-64 with a GCC-like compiler: as the portable copy, with
    /// `-march=x86-64-v3` (see `build.rs`).
    X86_64V3,
}

impl OpenJpegBuild {
    /// "portable" or "x86-64-v3" (`Auto`: the one it picks).
    pub fn name(self) -> &'static str {
        match api::get(self).map_or(self, |a| a.build) {
            OpenJpegBuild::X86_64V3 => "x86-64-v3",
            _ => "portable",
        }
    }

    /// The builds this binary can run on this CPU, fastest first.
    pub fn available() -> Vec<OpenJpegBuild> {
        api::available()
    }
}

/// Reads the main header of a JPEG 2000 codestream (or JP2 file): size,
/// components, precision, signedness, tiles, levels, HT or not. Decodes
/// nothing.
pub fn info(src: &[u8]) -> Result<J2kInfo> {
    header::info(src)
}

/// The version of the OpenJPEG library in use ("2.5.3").
pub fn openjpeg_version() -> String {
    sys::version()
}

/// Decodes one frame into `dst` (exactly [`PixelDescription::frame_output_len`]
/// bytes), one thread.
pub fn decode_frame(src: &[u8], desc: &PixelDescription, dst: &mut [u8]) -> Result<FrameReport> {
    decode_frame_with(src, desc, dst, &DecodeOptions::default())
}

/// [`decode_frame`] with options.
pub fn decode_frame_with(
    src: &[u8],
    desc: &PixelDescription,
    dst: &mut [u8],
    opts: &DecodeOptions,
) -> Result<FrameReport> {
    if desc.element != PixelElement::PixelData {
        return Err(Error::unsupported("JPEG 2000 for float pixel data"));
    }
    let expected = desc.frame_output_len()?;
    if dst.len() as u64 != expected {
        return Err(Error::malformed(
            0,
            "output buffer",
            format!("has {} bytes but the frame needs {expected}", dst.len()),
        ));
    }
    let info = header::info(src)?;
    let mut report = FrameReport::default();
    check_geometry(&info, desc)?;
    let pr_signed = desc.pixel_representation == 1;
    let monochrome = desc.photometric_interpretation.starts_with("MONOCHROME");
    let mapping = Mapping::new(
        info.precision as u32,
        info.signed,
        desc.sample_type()?,
        pr_signed,
        monochrome,
    )?;
    if info.precision as u16 != desc.bits_stored && desc.bits_allocated != 1 {
        report.warn(format!(
            "JPEG 2000 precision {} differs from Bits Stored {} (the precision is used)",
            info.precision, desc.bits_stored
        ));
    }
    if info.signed != pr_signed {
        report.warn(format!(
            "JPEG 2000 samples are {} but Pixel Representation is {}{}",
            if info.signed { "signed" } else { "unsigned" },
            desc.pixel_representation,
            if mapping.correct_from.is_some() {
                " (values re-extended from the precision, as pydicom does)"
            } else {
                ""
            }
        ));
    }
    if info.precision as u32 > mapping.out_bits {
        report.warn(format!(
            "JPEG 2000 precision {} exceeds Bits Allocated {} (values wrap, as in pydicom)",
            info.precision, desc.bits_allocated
        ));
    }
    let identity = mapping.is_identity_for(info.precision as u32, info.signed);
    // `run` passes as many planes of width × height samples as components,
    // so `write` fills `dst` whole (J2kCodec::writes_every_byte).
    let pixels = info.width as u64 * info.height as u64 * info.components.len() as u64;
    if pixels * u64::from(mapping.out_bits / 8) != expected {
        return Err(Error::unsupported(format!(
            "JPEG 2000 output of {expected} bytes for {pixels} samples of {} bits",
            mapping.out_bits
        )));
    }
    run(src, &info, opts, &mut report, |planes| {
        output::write_parallel(planes, dst, &mapping, identity, opts.threads)
    })?;
    Ok(report)
}

/// Checks the codestream against the DICOM attributes and the limits, before
/// any decoding.
fn check_geometry(info: &J2kInfo, desc: &PixelDescription) -> Result<()> {
    let at = info.codestream_offset as u64 + 8;
    if info.components.len() != desc.samples_per_pixel as usize {
        return Err(Error::malformed(
            at,
            CTX,
            format!(
                "{} components, but Samples per Pixel is {}",
                info.components.len(),
                desc.samples_per_pixel
            ),
        ));
    }
    if info.width != desc.columns || info.height != desc.rows {
        return Err(Error::malformed(
            at,
            CTX,
            format!(
                "image of {}×{} (columns × rows), but the DICOM attributes say {}×{}",
                info.width, info.height, desc.columns, desc.rows
            ),
        ));
    }
    check_codestream(info)
}

/// Checks what OpenJPEG will allocate, and what it cannot output.
fn check_codestream(info: &J2kInfo) -> Result<()> {
    let at = info.codestream_offset as u64 + 8;
    if let Some(c) = info.components.iter().position(|c| c.dx != 1 || c.dy != 1) {
        return Err(Error::unsupported(format!(
            "JPEG 2000 component {c} subsampled ({}×{})",
            info.components[c].dx, info.components[c].dy
        )));
    }
    if info.tiles > MAX_TILES {
        return Err(Error::malformed(
            at,
            CTX,
            format!("{} tiles (at most {MAX_TILES})", info.tiles),
        ));
    }
    // OpenJPEG's component planes, 32 bits per sample.
    let planes = limits::checked_size(
        "JPEG 2000 decoded components",
        &[
            info.width as u64,
            info.height as u64,
            info.components.len() as u64,
            4,
        ],
    )?;
    limits::check_alloc("JPEG 2000 decoded components", planes)
}

/// Decodes with OpenJPEG and hands the component planes (checked: same
/// size as the header says, not subsampled) to `write`.
fn run(
    src: &[u8],
    info: &J2kInfo,
    opts: &DecodeOptions,
    report: &mut FrameReport,
    write: impl FnOnce(&[&[i32]]),
) -> Result<()> {
    let failed = |m: sys::Messages| {
        let what = if m.errors.is_empty() {
            "OpenJPEG could not decode the codestream".to_owned()
        } else {
            format!("OpenJPEG: {}", m.errors.join("; "))
        };
        Error::malformed(m.read_to as u64, CTX, what)
    };
    let api = api::get(opts.build).ok_or_else(|| {
        Error::unsupported(format!(
            "the {:?} build of OpenJPEG on this binary or CPU",
            opts.build
        ))
    })?;
    let session = sys::Session::open(api, src, info.jp2, opts.threads.max(1)).map_err(failed)?;
    let same = |comps: &[sys::Component<'_>]| {
        comps.len() == info.components.len()
            && comps
                .iter()
                .all(|c| c.dx == 1 && c.dy == 1 && c.w == info.width && c.h == info.height)
    };
    if !same(&session.header().components()) {
        return Err(Error::malformed(
            info.codestream_offset as u64,
            CTX,
            "OpenJPEG reads other components or sizes from the header than the SIZ segment has",
        ));
    }
    let (image, messages) = session.decode().map_err(failed)?;
    for w in messages.warnings {
        report.warn(format!("OpenJPEG: {w}"));
    }
    let (x0, y0, x1, y1) = image.area();
    let comps = image.components();
    let n = info.width as usize * info.height as usize;
    let planes: Vec<&[i32]> = comps
        .iter()
        .filter_map(|c| {
            (c.dx == 1 && c.dy == 1 && c.w == info.width && c.h == info.height)
                .then_some(c.data?)
                .filter(|d| d.len() == n)
        })
        .collect();
    if planes.len() != info.components.len()
        || x1.saturating_sub(x0) != info.width
        || y1.saturating_sub(y0) != info.height
    {
        return Err(Error::malformed(
            0,
            CTX,
            format!(
                "OpenJPEG decoded {} components of {}×{}, not the {} of {}×{} of the header",
                comps.len(),
                x1.saturating_sub(x0),
                y1.saturating_sub(y0),
                info.components.len(),
                info.width,
                info.height
            ),
        ));
    }
    write(&planes);
    Ok(())
}

/// Result of [`decode`]: the header, the samples (rows × columns ×
/// components, colour-by-pixel, little-endian) and what was tolerated.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The codestream's header.
    pub info: J2kInfo,
    /// Element type: 8, 16 or 32 bits by precision, signed as the codestream.
    pub sample_type: SampleType,
    /// The samples' bytes.
    pub data: Vec<u8>,
    /// What was tolerated.
    pub report: FrameReport,
}

/// Decodes a codestream (or JP2 file) on its own, without DICOM attributes:
/// the samples as the codestream defines them (`u8`/`i8` up to 8 bits,
/// `u16`/`i16` up to 16, `u32`/`i32` beyond).
pub fn decode(src: &[u8], opts: &DecodeOptions) -> Result<Decoded> {
    let info = header::info(src)?;
    let (sample_type, len) = output_size(&info)?;
    let mut data = vec![0u8; len];
    let report = decode_into_with(src, &info, sample_type, opts, &mut data)?;
    Ok(Decoded {
        info,
        sample_type,
        data,
        report,
    })
}

/// The element type and output bytes of [`decode`] for `info`, checked
/// against the allocation limit.
fn output_size(info: &J2kInfo) -> Result<(SampleType, usize)> {
    check_codestream(info)?;
    let bits = match info.precision {
        1..=8 => 8,
        9..=16 => 16,
        _ => 32,
    };
    let sample_type = SampleType::for_integer(bits, info.signed)?;
    let len = limits::checked_size(
        "JPEG 2000 output",
        &[
            info.width as u64,
            info.height as u64,
            info.components.len() as u64,
            bits as u64 / 8,
        ],
    )?;
    limits::check_alloc("JPEG 2000 output", len)?;
    Ok((sample_type, len as usize))
}

/// [`decode`] into `dst`, which must have exactly the output's length (rows
/// × columns × components samples of the element type [`decode`] returns,
/// little-endian). Returns the header and what was tolerated.
pub fn decode_into(
    src: &[u8],
    opts: &DecodeOptions,
    dst: &mut [u8],
) -> Result<(J2kInfo, SampleType, FrameReport)> {
    let info = header::info(src)?;
    let (sample_type, len) = output_size(&info)?;
    if dst.len() != len {
        return Err(Error::invalid_argument(format!(
            "the output buffer has {} bytes, the image needs {len}",
            dst.len()
        )));
    }
    let report = decode_into_with(src, &info, sample_type, opts, dst)?;
    Ok((info, sample_type, report))
}

fn decode_into_with(
    src: &[u8],
    info: &J2kInfo,
    sample_type: SampleType,
    opts: &DecodeOptions,
    dst: &mut [u8],
) -> Result<FrameReport> {
    let mapping = Mapping::new(
        info.precision as u32,
        info.signed,
        sample_type,
        info.signed,
        false,
    )?;
    let mut report = FrameReport::default();
    run(src, info, opts, &mut report, |planes| {
        output::write(planes, dst, &mapping, true)
    })?;
    Ok(report)
}

/// The JPEG 2000 / HTJ2K codec of the registry (.90, .91, .201, .202, .203).
pub struct J2kCodec;

impl crate::codecs::FrameDecoder for J2kCodec {
    fn decode(
        &self,
        frame: &crate::codecs::Frame<'_>,
        desc: &PixelDescription,
        dst: &mut [u8],
        ctx: &crate::codecs::DecodeContext,
    ) -> Result<FrameReport> {
        let threads = ctx.frame_threads(dst.len());
        let opts = DecodeOptions {
            threads,
            ..Default::default()
        };
        decode_frame_with(frame.data, desc, dst, &opts)
    }

    /// Checked by `every_byte_is_written` in `j2k/tests.rs` (fixtures and
    /// damaged copies decoded into two different fills).
    fn writes_every_byte(&self) -> bool {
        true
    }
}

impl crate::codecs::FrameEncoder for J2kCodec {
    /// Lossless (reversible 5/3), `ctx.params` [`crate::codecs::J2kParams`];
    /// MCT exactly for YBR_RCT (see [`encode_frame`]).
    fn encode(
        &self,
        src: &[u8],
        desc: &PixelDescription,
        ctx: &crate::codecs::EncodeContext,
    ) -> Result<Vec<u8>> {
        encode_frame(src, desc, &ctx.params.j2k()?)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_encode;
