//! One frame of any encapsulated transfer syntax, decoded through the codec
//! registry (`dicodec_core::codecs::registry`): the generic path of the
//! pydicom plugin (`dicodec.pydicom_plugin`), which knows the frame's bytes
//! and the Image Pixel attributes but not the whole data set.

use crate::errors::{invalid_argument, IntoPyResult};
use dicodec_core::codecs::{registry, DecodeContext, Frame};
use dicodec_core::pixels::PixelDescription;
use numpy::{PyReadonlyArray1, PyReadwriteArray1};
use pyo3::prelude::*;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(decode_frame_into, m)?)?;
    Ok(())
}

/// True if the two byte ranges share memory.
fn overlaps(a: &[u8], b: &[u8]) -> bool {
    let (a0, b0) = (a.as_ptr() as usize, b.as_ptr() as usize);
    a0 < b0 + b.len() && b0 < a0 + a.len()
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
    if pixel_representation > 1 {
        return Err(invalid_argument(format!(
            "pixel_representation must be 0 or 1, got {pixel_representation}"
        )));
    }
    let decoder = entry.decoder().py_err(py)?;
    let desc = PixelDescription {
        photometric_interpretation: photometric_interpretation.trim().to_owned(),
        ..PixelDescription::single_frame(
            rows,
            columns,
            samples_per_pixel,
            bits_allocated,
            bits_stored,
            pixel_representation,
        )
    };
    desc.validate().py_err(py)?;
    let need = desc.frame_output_len().py_err(py)?;
    let src = data
        .as_slice()
        .map_err(|e| invalid_argument(format!("data: {e}")))?;
    let dst = out
        .as_slice_mut()
        .map_err(|e| invalid_argument(format!("out: {e}")))?;
    if dst.len() as u64 != need {
        return Err(invalid_argument(format!(
            "out has {} bytes, the frame needs {need}",
            dst.len()
        )));
    }
    if overlaps(src, dst) {
        return Err(invalid_argument("out shares memory with data"));
    }
    let mut ctx = DecodeContext::new(dst.len(), threads);
    ctx.strict = strict;
    let report = py
        .detach(|| decoder.decode(&Frame::encapsulated(src), &desc, dst, &ctx))
        .py_err(py)?;
    Ok(report.warnings)
}
