//! JPEG XL (the lossless, JPEG recompression and lossy transfer syntaxes of
//! 2024) through `jxl-oxide` (pure Rust).
//!
//! A frame is read from memory; its header (size, channels, bit depth) is
//! checked against the DICOM attributes and [`crate::limits`] before any
//! pixel is decoded, and jxl-oxide's own allocations are capped by an
//! allocation tracker set to the same limit.
//!
//! Output (colour-by-pixel, little-endian): the samples at the codestream's
//! bit depth, as integers (an 8-bit image as `u8`, 9 to 16 bits as `u16`,
//! not rescaled to 16 bits). Integer (modular) samples come out exactly;
//! float (VarDCT, XYB, JPEG recompression) samples are rounded from
//! jxl-oxide's rendering. A JPEG-recompressed (`.111`) YCbCr JPEG renders
//! as RGB (what every JPEG XL decoder outputs); the [`FrameReport`] says so
//! when *Photometric Interpretation* is YBR. Float samples (exponent bits)
//! and orientations other than 1 are [`Error::Unsupported`].

use crate::error::{Error, Result};
use crate::limits;
use crate::pixels::{FrameReport, PixelDescription, PixelElement, SampleType};

use jxl_oxide::{AllocTracker, JxlImage, JxlThreadPool};

/// Context of errors.
const CTX: &str = "JPEG XL codestream";

/// Decoding options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Threads for this frame (1: the calling thread only; n > 1: a cached
    /// pool of n threads).
    pub threads: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions { threads: 1 }
    }
}

/// What the image header of a JPEG XL codestream says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JxlInfo {
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Channels rendered: colour (1 or 3), plus alpha or black if present.
    pub channels: usize,
    /// Bits per sample of the colour channels.
    pub bits_per_sample: u32,
    /// The samples are floats (exponent bits), not integers.
    pub float: bool,
    /// The colour channels are XYB-encoded (lossy).
    pub xyb: bool,
    /// Orientation (1: as stored).
    pub orientation: u32,
    /// The file can reconstruct a JPEG bitstream (JPEG recompression).
    pub jpeg_reconstruction: bool,
}

fn threads_pool(threads: usize) -> Result<JxlThreadPool> {
    Ok(if threads <= 1 {
        JxlThreadPool::none()
    } else {
        JxlThreadPool::with_rayon_thread_pool(crate::decode::thread_pool(threads)?)
    })
}

/// Runs `f`, turning a panic inside jxl-oxide into an error (defence in
/// depth: nothing in this crate may panic on input).
fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(Error::malformed(0, CTX, "jxl-oxide failed on this input")))
}

/// Parses the headers (no pixels are decoded).
fn open(src: &[u8], threads: usize) -> Result<(JxlImage, JxlInfo)> {
    guarded(|| open_unguarded(src, threads))
}

fn open_unguarded(src: &[u8], threads: usize) -> Result<(JxlImage, JxlInfo)> {
    let tracker =
        AllocTracker::with_limit(usize::try_from(limits::max_alloc()).unwrap_or(usize::MAX));
    let image = JxlImage::builder()
        .pool(threads_pool(threads)?)
        .alloc_tracker(tracker)
        .read(src)
        .map_err(|e| Error::malformed(0, CTX, e))?;
    let md = &image.image_header().metadata;
    let (bits, float) = match md.bit_depth {
        jxl_oxide::image::BitDepth::IntegerSample { bits_per_sample } => (bits_per_sample, false),
        jxl_oxide::image::BitDepth::FloatSample {
            bits_per_sample, ..
        } => (bits_per_sample, true),
    };
    let info = JxlInfo {
        width: image.width(),
        height: image.height(),
        channels: image.pixel_format().channels(),
        bits_per_sample: bits,
        float,
        xyb: md.xyb_encoded,
        orientation: md.orientation,
        jpeg_reconstruction: !matches!(
            image.jpeg_reconstruction_status(),
            jxl_oxide::JpegReconstructionStatus::Unavailable
                | jxl_oxide::JpegReconstructionStatus::Invalid
        ),
    };
    Ok((image, info))
}

/// Reads the headers of a JPEG XL codestream or container: size, channels,
/// bit depth. Decodes no pixels.
pub fn info(src: &[u8]) -> Result<JxlInfo> {
    Ok(open(src, 1)?.1)
}

/// Checks what decoding will produce and allocate.
fn check(info: &JxlInfo) -> Result<SampleType> {
    if info.float {
        return Err(Error::unsupported("JPEG XL float samples"));
    }
    if info.orientation != 1 {
        return Err(Error::unsupported(format!(
            "JPEG XL orientation {}",
            info.orientation
        )));
    }
    if info.bits_per_sample == 0 || info.bits_per_sample > 16 {
        return Err(Error::unsupported(format!(
            "JPEG XL {} bits per sample",
            info.bits_per_sample
        )));
    }
    // jxl-oxide renders f32 planes (and keeps modular buffers besides).
    let planes = limits::checked_size(
        "JPEG XL decoded channels",
        &[
            info.width as u64,
            info.height as u64,
            info.channels as u64,
            8,
        ],
    )?;
    limits::check_alloc("JPEG XL decoded channels", planes)?;
    Ok(if info.bits_per_sample <= 8 {
        SampleType::U8
    } else {
        SampleType::U16
    })
}

/// Renders keyframe 0 into `dst` (`width × height × channels` samples of
/// `out`), colour-by-pixel.
fn render(
    image: &JxlImage,
    info: &JxlInfo,
    out: SampleType,
    dst: &mut [u8],
    report: &mut FrameReport,
) -> Result<()> {
    if image.num_loaded_keyframes() == 0 {
        return Err(Error::malformed(0, CTX, "no complete frame"));
    }
    if image.num_loaded_keyframes() > 1 {
        report.warn(format!(
            "JPEG XL image has {} frames; the first is decoded",
            image.num_loaded_keyframes()
        ));
    }
    let render = guarded(|| {
        image
            .render_frame(0)
            .map_err(|e| Error::malformed(0, CTX, e))
    })?;
    let mut stream = render.stream();
    let n = info.width as usize * info.height as usize * info.channels;
    if stream.channels() as usize != info.channels
        || stream.width() != info.width
        || stream.height() != info.height
    {
        return Err(Error::malformed(
            0,
            CTX,
            "rendered image differs from the header",
        ));
    }
    let bits = info.bits_per_sample;
    let written = match (out, bits) {
        (SampleType::U8, 8) => stream.write_to_buffer::<u8>(&mut dst[..n]),
        (SampleType::U16, 16) => {
            let mut tmp = vec![0u16; n];
            let w = stream.write_to_buffer::<u16>(&mut tmp);
            for (o, v) in dst.chunks_exact_mut(2).zip(&tmp) {
                o.copy_from_slice(&v.to_le_bytes());
            }
            w
        }
        _ => {
            // Other depths: jxl-oxide's [0, 1] floats, scaled back.
            let mut tmp = vec![0f32; n];
            let w = stream.write_to_buffer::<f32>(&mut tmp);
            let max = ((1u32 << bits) - 1) as f32;
            let q = |v: f32| (v * max + 0.5).clamp(0.0, max) as u16;
            if out == SampleType::U8 {
                for (o, &v) in dst.iter_mut().zip(&tmp) {
                    *o = q(v) as u8;
                }
            } else {
                for (o, &v) in dst.chunks_exact_mut(2).zip(&tmp) {
                    o.copy_from_slice(&q(v).to_le_bytes());
                }
            }
            w
        }
    };
    if written != n {
        return Err(Error::malformed(
            0,
            CTX,
            "rendered fewer samples than the image has",
        ));
    }
    Ok(())
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
        return Err(Error::unsupported("JPEG XL for float pixel data"));
    }
    let expected = desc.frame_output_len()?;
    if dst.len() as u64 != expected {
        return Err(Error::malformed(
            0,
            "output buffer",
            format!("has {} bytes but the frame needs {expected}", dst.len()),
        ));
    }
    let (image, info) = open(src, opts.threads)?;
    if info.width != desc.columns
        || info.height != desc.rows
        || info.channels != desc.samples_per_pixel as usize
    {
        return Err(Error::malformed(
            0,
            CTX,
            format!(
                "image of {}×{} with {} channels, but the DICOM attributes say {}×{} with {} samples per pixel",
                info.width, info.height, info.channels, desc.columns, desc.rows, desc.samples_per_pixel
            ),
        ));
    }
    let decoded = check(&info)?;
    let out = desc.sample_type()?;
    if !matches!(
        (decoded, out),
        (SampleType::U8, SampleType::U8 | SampleType::I8)
            | (SampleType::U16, SampleType::U16 | SampleType::I16)
    ) {
        return Err(Error::unsupported(format!(
            "JPEG XL {}-bit samples with Bits Allocated {}",
            info.bits_per_sample, desc.bits_allocated
        )));
    }
    let mut report = FrameReport::default();
    if info.bits_per_sample != desc.bits_stored as u32 {
        report.warn(format!(
            "JPEG XL bit depth {} differs from Bits Stored {}",
            info.bits_per_sample, desc.bits_stored
        ));
    }
    if info.channels == 3 && desc.photometric_interpretation.starts_with("YBR") {
        report.warn(format!(
            "JPEG XL renders RGB; Photometric Interpretation is {}",
            desc.photometric_interpretation
        ));
    }
    render(&image, &info, decoded, dst, &mut report)?;
    Ok(report)
}

/// Result of [`decode`]: header, samples (rows × columns × channels,
/// little-endian) and what was tolerated.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The codestream's header.
    pub info: JxlInfo,
    /// `u8` up to 8 bits per sample, else `u16`.
    pub sample_type: SampleType,
    /// The samples' bytes.
    pub data: Vec<u8>,
    /// What was tolerated.
    pub report: FrameReport,
}

/// Decodes a JPEG XL codestream or container on its own.
pub fn decode(src: &[u8], opts: &DecodeOptions) -> Result<Decoded> {
    let (image, info) = open(src, opts.threads)?;
    let (sample_type, len) = output_size(&info)?;
    let mut data = vec![0u8; len];
    let mut report = FrameReport::default();
    render(&image, &info, sample_type, &mut data, &mut report)?;
    Ok(Decoded {
        info,
        sample_type,
        data,
        report,
    })
}

/// The element type and output bytes of [`decode`] for `info`, checked
/// against the allocation limit.
fn output_size(info: &JxlInfo) -> Result<(SampleType, usize)> {
    let sample_type = check(info)?;
    let len = limits::checked_size(
        "JPEG XL output",
        &[
            info.width as u64,
            info.height as u64,
            info.channels as u64,
            sample_type.size() as u64,
        ],
    )?;
    limits::check_alloc("JPEG XL output", len)?;
    Ok((sample_type, len as usize))
}

/// [`decode`] into `dst`, which must have exactly the output's length (rows
/// × columns × channels samples of the element type [`decode`] returns,
/// little-endian). Returns the header and what was tolerated.
pub fn decode_into(
    src: &[u8],
    opts: &DecodeOptions,
    dst: &mut [u8],
) -> Result<(JxlInfo, SampleType, FrameReport)> {
    let (image, info) = open(src, opts.threads)?;
    let (sample_type, len) = output_size(&info)?;
    if dst.len() != len {
        return Err(Error::invalid_argument(format!(
            "the output buffer has {} bytes, the image needs {len}",
            dst.len()
        )));
    }
    let mut report = FrameReport::default();
    render(&image, &info, sample_type, dst, &mut report)?;
    Ok((info, sample_type, report))
}

/// The JPEG XL codec of the registry (.110, .111, .112).
pub struct JxlCodec;

impl crate::codecs::FrameDecoder for JxlCodec {
    fn decode(
        &self,
        frame: &crate::codecs::Frame<'_>,
        desc: &PixelDescription,
        dst: &mut [u8],
        ctx: &crate::codecs::DecodeContext,
    ) -> Result<FrameReport> {
        let threads = ctx.frame_threads(dst.len());
        decode_frame_with(frame.data, desc, dst, &DecodeOptions { threads })
    }
}

#[cfg(test)]
mod tests;
