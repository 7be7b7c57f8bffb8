//! Python bindings for JPEG Lossless: buffer in (a uint8 array view made by
//! the Python layer), GIL released around all decoding, samples written
//! straight into the caller's NumPy array.

use crate::errors::{invalid_argument, IntoPyResult};
use dicodec_core::codecs::jpeg::{self, DecodeOptions, JpegInfo};
use dicodec_core::pixels::PixelDescription;
use numpy::{PyReadonlyArray1, PyReadwriteArray1};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict};

fn options(cornell: Option<bool>, legacy_predictors: bool, parallel: bool) -> DecodeOptions {
    DecodeOptions {
        cornell,
        legacy_predictors,
        parallel,
    }
}

fn slice<'a>(a: &'a PyReadonlyArray1<'_, u8>, what: &str) -> PyResult<&'a [u8]> {
    a.as_slice()
        .map_err(|e| invalid_argument(format!("{what}: {e}")))
}

fn info_dict<'py>(py: Python<'py>, info: &JpegInfo) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("precision", info.precision)?;
    d.set_item("rows", info.height)?;
    d.set_item("columns", info.width)?;
    d.set_item("components", info.components())?;
    d.set_item("component_ids", info.component_ids.clone())?;
    d.set_item("sampling", info.sampling.clone())?;
    d.set_item("predictor", info.predictor)?;
    d.set_item("point_transform", info.point_transform)?;
    d.set_item("restart_interval", info.restart_interval)?;
    d.set_item("scans", info.scans)?;
    d.set_item("height_from_dnl", info.height_from_dnl)?;
    d.set_item("has_eoi", info.has_eoi)?;
    Ok(d)
}

/// Header information of a raw lossless JPEG stream (nothing is decoded).
/// With `full=False` the walk stops at the first scan (`scans` and `has_eoi`
/// are then not known).
#[pyfunction]
#[pyo3(signature = (data, full=true))]
fn jpegll_info<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u8>,
    full: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let s = slice(&data, "data")?;
    let info = py
        .detach(|| if full { jpeg::info(s) } else { jpeg::header(s) })
        .py_err(py)?;
    info_dict(py, &info)
}

/// Decodes a raw lossless JPEG stream into `out`, a writable C-contiguous
/// uint8 view of exactly rows × columns × components samples of 1 byte
/// (precision <= 8) or 2 bytes (little-endian). Returns the tolerated
/// problems (empty when the stream was clean).
#[pyfunction]
#[pyo3(signature = (data, out, *, cornell=None, legacy_predictors=false, parallel=true))]
fn jpegll_decode_into(
    py: Python<'_>,
    data: PyReadonlyArray1<'_, u8>,
    mut out: PyReadwriteArray1<'_, u8>,
    cornell: Option<bool>,
    legacy_predictors: bool,
    parallel: bool,
) -> PyResult<Vec<String>> {
    let src = slice(&data, "data")?;
    let dst = out
        .as_slice_mut()
        .map_err(|e| invalid_argument(format!("out: {e}")))?;
    let opts = options(cornell, legacy_predictors, parallel);
    let report = py
        .detach(|| {
            let info = jpeg::header(src)?;
            jpeg::decode_into(src, &info, dst, &opts)
        })
        .py_err(py)?;
    Ok(report.warnings)
}

/// Decodes one DICOM frame for the pydicom plugin: returns a bytearray of
/// the frame (Bits Allocated container, little-endian, colour-by-pixel, the
/// unused high bits handled as pydicom does) and the tolerated problems.
#[pyfunction]
#[pyo3(signature = (data, rows, columns, samples_per_pixel, bits_allocated, bits_stored, pixel_representation, *, cornell=None, legacy_predictors=false, parallel=true))]
#[allow(clippy::too_many_arguments)]
fn jpegll_decode_frame<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u8>,
    rows: u32,
    columns: u32,
    samples_per_pixel: u16,
    bits_allocated: u16,
    bits_stored: u16,
    pixel_representation: u16,
    cornell: Option<bool>,
    legacy_predictors: bool,
    parallel: bool,
) -> PyResult<(Bound<'py, PyByteArray>, Vec<String>)> {
    let s = slice(&data, "data")?;
    let desc = PixelDescription::single_frame(
        rows,
        columns,
        samples_per_pixel,
        bits_allocated,
        bits_stored,
        pixel_representation,
    );
    desc.validate().py_err(py)?;
    let n = desc.frame_output_len().py_err(py)?;
    dicodec_core::limits::check_alloc("decoded frame", n).py_err(py)?;
    let opts = options(cornell, legacy_predictors, parallel);
    let mut warnings = Vec::new();
    let out = PyByteArray::new_with(py, n as usize, |dst| {
        let r = py
            .detach(|| jpeg::decode_frame_with(s, &desc, dst, &opts))
            .py_err(py)?;
        warnings = r.warnings;
        Ok(())
    })?;
    Ok((out, warnings))
}

/// Encodes one frame (`data`: little-endian samples of `bits_allocated` 8 or
/// 16, colour-by-pixel) as a JPEG Lossless stream; GIL released.
#[pyfunction]
#[pyo3(signature = (data, rows, columns, samples_per_pixel, bits_allocated, bits_stored, pixel_representation, *, predictor=1, restart_interval=0, optimise=true))]
#[allow(clippy::too_many_arguments)]
fn jpegll_encode_frame<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u8>,
    rows: u32,
    columns: u32,
    samples_per_pixel: u16,
    bits_allocated: u16,
    bits_stored: u16,
    pixel_representation: u16,
    predictor: u8,
    restart_interval: u16,
    optimise: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    let s = slice(&data, "data")?;
    let desc = PixelDescription::single_frame(
        rows,
        columns,
        samples_per_pixel,
        bits_allocated,
        bits_stored,
        pixel_representation,
    );
    let opts = jpeg::encode::EncodeOptions {
        predictor,
        precision: 16,
        restart_interval,
        optimise,
    };
    let stream = py
        .detach(|| jpeg::encode::encode_frame(s, &desc, &opts))
        .py_err(py)?;
    Ok(PyBytes::new(py, &stream))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(jpegll_encode_frame, m)?)?;
    m.add_function(wrap_pyfunction!(jpegll_info, m)?)?;
    m.add_function(wrap_pyfunction!(jpegll_decode_into, m)?)?;
    m.add_function(wrap_pyfunction!(jpegll_decode_frame, m)?)?;
    Ok(())
}
