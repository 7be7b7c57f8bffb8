//! Python bindings of the RLE Lossless codec (`dicodec_core::codecs::rle`).
//!
//! The public API is `dicodec.rle` (Python): it turns any buffer into a 1-D
//! `uint8` array view (zero-copy) and allocates the output array, so these
//! functions only borrow NumPy buffers, release the GIL around the codec and
//! map errors once.

use crate::errors::{invalid_argument, IntoPyResult};
use dicodec_core::codecs::rle;
use dicodec_core::pixels::PixelDescription;
use numpy::{PyReadonlyArray1, PyReadwriteArray1};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rle_decode_into, m)?)?;
    m.add_function(wrap_pyfunction!(rle_encode_frame, m)?)?;
    m.add_function(wrap_pyfunction!(rle_check, m)?)?;
    Ok(())
}

fn description(
    rows: u32,
    columns: u32,
    samples_per_pixel: u16,
    bits_allocated: u16,
    pixel_representation: u16,
) -> PyResult<PixelDescription> {
    if rows == 0 || columns == 0 {
        return Err(invalid_argument(format!(
            "rows and columns must be positive, got {rows} × {columns}"
        )));
    }
    if !matches!(samples_per_pixel, 1 | 3 | 4) {
        return Err(invalid_argument(format!(
            "samples_per_pixel must be 1, 3 or 4, got {samples_per_pixel}"
        )));
    }
    if !matches!(bits_allocated, 1 | 8 | 16 | 32 | 64) {
        return Err(invalid_argument(format!(
            "bits_allocated must be 1, 8, 16, 32 or 64, got {bits_allocated}"
        )));
    }
    if pixel_representation > 1 {
        return Err(invalid_argument(format!(
            "pixel_representation must be 0 or 1, got {pixel_representation}"
        )));
    }
    Ok(PixelDescription::single_frame(
        rows,
        columns,
        samples_per_pixel,
        bits_allocated,
        bits_allocated,
        pixel_representation,
    ))
}

/// True if the two byte ranges share memory.
fn overlaps(a: &[u8], b: &[u8]) -> bool {
    let (a0, b0) = (a.as_ptr() as usize, b.as_ptr() as usize);
    a0 < b0 + b.len() && b0 < a0 + a.len()
}

/// Decodes one RLE frame into `out` (a writable, C-contiguous `uint8` view of
/// exactly the frame's length: little-endian, colour-by-pixel). Returns the
/// warnings of the lenient policy (empty when the frame was clean).
#[pyfunction]
#[pyo3(signature = (data, out, rows, columns, samples_per_pixel, bits_allocated, strict=false, lsb_first=false))]
#[allow(clippy::too_many_arguments)]
fn rle_decode_into(
    py: Python<'_>,
    data: PyReadonlyArray1<'_, u8>,
    mut out: PyReadwriteArray1<'_, u8>,
    rows: u32,
    columns: u32,
    samples_per_pixel: u16,
    bits_allocated: u16,
    strict: bool,
    lsb_first: bool,
) -> PyResult<Vec<String>> {
    let desc = description(rows, columns, samples_per_pixel, bits_allocated, 0)?;
    let src = data
        .as_slice()
        .map_err(|e| invalid_argument(format!("data: {e}")))?;
    let dst = out
        .as_slice_mut()
        .map_err(|e| invalid_argument(format!("out: {e}")))?;
    if overlaps(src, dst) {
        return Err(invalid_argument("out shares memory with data"));
    }
    let opts = rle::DecodeOptions {
        strict,
        lsb_first,
        ..Default::default()
    };
    let report = py
        .detach(|| rle::decode_frame_with(src, &desc, dst, &opts))
        .py_err(py)?;
    Ok(report.warnings)
}

/// Encodes one frame (little-endian, colour-by-pixel samples of
/// `len(data) / (rows·columns·samples)` bytes each, widened to
/// `bits_allocated`; sign-extended when `pixel_representation` is 1).
#[pyfunction]
#[pyo3(signature = (data, rows, columns, samples_per_pixel, bits_allocated, pixel_representation=0))]
fn rle_encode_frame<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u8>,
    rows: u32,
    columns: u32,
    samples_per_pixel: u16,
    bits_allocated: u16,
    pixel_representation: u16,
) -> PyResult<Bound<'py, PyBytes>> {
    let desc = description(
        rows,
        columns,
        samples_per_pixel,
        bits_allocated,
        pixel_representation,
    )?;
    let src = data
        .as_slice()
        .map_err(|e| invalid_argument(format!("data: {e}")))?;
    let encoded = py.detach(|| rle::encode_frame(src, &desc)).py_err(py)?;
    Ok(PyBytes::new(py, &encoded))
}

/// True if `data` starts with a plausible RLE Lossless frame header.
#[pyfunction]
fn rle_check(data: PyReadonlyArray1<'_, u8>) -> PyResult<bool> {
    let src = data
        .as_slice()
        .map_err(|e| invalid_argument(format!("data: {e}")))?;
    Ok(rle::check(src))
}
