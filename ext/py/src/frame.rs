//! One frame of any encapsulated transfer syntax, decoded through the codec
//! registry (`dicodec_core::codecs::registry`): the generic path of the
//! pydicom plugin (`dicodec.pydicom_plugin`), which knows the frame's bytes
//! and the Image Pixel attributes but not the whole data set.

use crate::errors::{invalid_argument, IntoPyResult};
use dicodec_core::codecs::{registry, DecodeContext, Frame, FrameDecoder};
use dicodec_core::exec::with_threads;
use dicodec_core::pixels::PixelDescription;
use numpy::{PyReadonlyArray1, PyReadwriteArray1};
use pyo3::prelude::*;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(decode_frame_into, m)?)?;
    m.add_function(wrap_pyfunction!(decode_frames_into, m)?)?;
    Ok(())
}

/// True if the two byte ranges share memory.
fn overlaps(a: &[u8], b: &[u8]) -> bool {
    let (a0, b0) = (a.as_ptr() as usize, b.as_ptr() as usize);
    a0 < b0 + b.len() && b0 < a0 + a.len()
}

/// The Image Pixel description of the frames of a call: rows, columns,
/// samples per pixel, bits allocated, bits stored, pixel representation,
/// photometric interpretation.
type Geometry = (u32, u32, u16, u16, u16, u16, String);

/// The codec of `transfer_syntax_uid` (encapsulated) and the description
/// of one frame, checked; with the frame's output length.
fn frame_decoder(
    py: Python<'_>,
    transfer_syntax_uid: &str,
    g: &Geometry,
) -> PyResult<(&'static dyn FrameDecoder, PixelDescription, usize)> {
    let entry = registry::lookup(transfer_syntax_uid).ok_or_else(|| {
        invalid_argument(format!(
            "no codec for transfer syntax {transfer_syntax_uid:?}"
        ))
    })?;
    if !entry.encapsulated {
        return Err(invalid_argument(format!(
            "{} is not encapsulated: decode_frame_into decodes one compressed frame",
            entry.name()
        )));
    }
    let (rows, columns, samples, bits_allocated, bits_stored, sign, ref pi) = *g;
    if sign > 1 {
        return Err(invalid_argument(format!(
            "pixel_representation must be 0 or 1, got {sign}"
        )));
    }
    let decoder = entry.decoder().py_err(py)?;
    let desc = PixelDescription {
        photometric_interpretation: pi.trim().to_owned(),
        ..PixelDescription::single_frame(rows, columns, samples, bits_allocated, bits_stored, sign)
    };
    desc.validate().py_err(py)?;
    let need = desc.frame_output_len().py_err(py)?;
    let need = usize::try_from(need).map_err(|_| invalid_argument("frame too large"))?;
    Ok((decoder, desc, need))
}

/// `src` and `out` as one decoding job, checked: `out` holds exactly the
/// frame (`need` bytes) and shares no memory with `src`.
fn job<'a>(
    src: &'a PyReadonlyArray1<'_, u8>,
    out: &'a mut PyReadwriteArray1<'_, u8>,
    need: usize,
) -> PyResult<(&'a [u8], &'a mut [u8])> {
    let src = src
        .as_slice()
        .map_err(|e| invalid_argument(format!("data: {e}")))?;
    let dst = out
        .as_slice_mut()
        .map_err(|e| invalid_argument(format!("out: {e}")))?;
    if dst.len() != need {
        return Err(invalid_argument(format!(
            "out has {} bytes, the frame needs {need}",
            dst.len()
        )));
    }
    if overlaps(src, dst) {
        return Err(invalid_argument("out shares memory with data"));
    }
    Ok((src, dst))
}

/// Decodes the bytes of one frame of the encapsulated transfer syntax
/// `transfer_syntax_uid` into `out` (a writable, C-contiguous `uint8` view
/// of exactly the frame's output length: little-endian, colour-by-pixel, in
/// the *Bits Allocated* container, as pydicom returns it with `raw=True`),
/// with the GIL released. `threads`: the codec's own threads for this frame
/// (`None`: all cores; only codecs with internal parallelism use them).
/// Returns the warnings of the codec's tolerance policy.
#[pyfunction]
#[pyo3(signature = (transfer_syntax_uid, data, out, rows, columns, samples_per_pixel,
    bits_allocated, bits_stored, pixel_representation, photometric_interpretation,
    *, threads=None, strict=false))]
#[allow(clippy::too_many_arguments)]
fn decode_frame_into(
    py: Python<'_>,
    transfer_syntax_uid: &str,
    data: PyReadonlyArray1<'_, u8>,
    mut out: PyReadwriteArray1<'_, u8>,
    rows: u32,
    columns: u32,
    samples_per_pixel: u16,
    bits_allocated: u16,
    bits_stored: u16,
    pixel_representation: u16,
    photometric_interpretation: &str,
    threads: Option<usize>,
    strict: bool,
) -> PyResult<Vec<String>> {
    let g = (
        rows,
        columns,
        samples_per_pixel,
        bits_allocated,
        bits_stored,
        pixel_representation,
        photometric_interpretation.to_owned(),
    );
    let (decoder, desc, need) = frame_decoder(py, transfer_syntax_uid, &g)?;
    let (src, dst) = job(&data, &mut out, need)?;
    let mut ctx = DecodeContext::new(dst.len(), threads);
    ctx.strict = strict;
    let report = py
        .detach(|| decoder.decode(&Frame::encapsulated(src), &desc, dst, &ctx))
        .py_err(py)?;
    Ok(report.warnings)
}

/// [`decode_frame_into`] for many frames of the same `geometry` (rows,
/// columns, samples per pixel, bits allocated, bits stored, pixel
/// representation, photometric interpretation) at once, in parallel on
/// `threads` threads (`None`: all cores), with the GIL released: `data[i]`
/// into `out[i]`. Returns, per frame, the warnings, or `None` where the
/// frame failed: one bad frame does not stop the others (the pydicom plugin
/// decodes a failed frame again on its own when pydicom asks for it, to
/// raise its error there).
#[pyfunction]
#[pyo3(signature = (transfer_syntax_uid, data, out, geometry, *, threads=None))]
fn decode_frames_into(
    py: Python<'_>,
    transfer_syntax_uid: &str,
    data: Vec<PyReadonlyArray1<'_, u8>>,
    mut out: Vec<PyReadwriteArray1<'_, u8>>,
    geometry: Geometry,
    threads: Option<usize>,
) -> PyResult<Vec<Option<Vec<String>>>> {
    use rayon::prelude::*;
    let (decoder, desc, need) = frame_decoder(py, transfer_syntax_uid, &geometry)?;
    if data.len() != out.len() {
        return Err(invalid_argument(format!(
            "{} frames of data but {} outputs",
            data.len(),
            out.len()
        )));
    }
    let jobs = data
        .iter()
        .zip(out.iter_mut())
        .map(|(d, o)| job(d, o, need))
        .collect::<PyResult<Vec<_>>>()?;
    let ctx = DecodeContext::new(need.saturating_mul(jobs.len()), threads);
    let one = |(src, dst): (&[u8], &mut [u8])| {
        decoder
            .decode(&Frame::encapsulated(src), &desc, dst, &ctx)
            .ok()
            .map(|r| r.warnings)
    };
    let threads = threads.map(|n| n.min(jobs.len().max(1)));
    py.detach(|| {
        with_threads(threads, |parallel| {
            if parallel {
                jobs.into_par_iter().map(one).collect()
            } else {
                jobs.into_iter().map(one).collect()
            }
        })
    })
    .py_err(py)
}
