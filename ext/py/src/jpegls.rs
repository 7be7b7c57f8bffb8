//! Python bindings for JPEG-LS raw streams: buffer in (a uint8 array view
//! made by the Python layer), GIL released around all decoding and
//! encoding, samples written straight into the caller's NumPy array.

use crate::errors::{invalid_argument, IntoPyResult};
use dicodec_core::codecs::jpegls::{self, raw, DecodeOptions, EncodeOptions, Image, JlsInfo};
use numpy::{PyReadonlyArray1, PyReadwriteArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

fn info_dict<'py>(py: Python<'py>, info: &JlsInfo) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("precision", info.precision)?;
    d.set_item("rows", info.height)?;
    d.set_item("columns", info.width)?;
    d.set_item("components", info.components)?;
    d.set_item("near", info.near)?;
    d.set_item("interleave", info.interleave)?;
    d.set_item("scans", info.scans)?;
    d.set_item("restart_interval", info.restart_interval)?;
    d.set_item("maxval", info.maxval)?;
    d.set_item("t1", info.t1)?;
    d.set_item("t2", info.t2)?;
    d.set_item("t3", info.t3)?;
    d.set_item("reset", info.reset)?;
    d.set_item("custom_preset", info.custom_preset)?;
    d.set_item("colour_transform", info.colour_transform)?;
    d.set_item("mapping_tables", info.mapping_tables)?;
    Ok(d)
}

fn options(legacy_thresholds: Option<bool>) -> DecodeOptions {
    DecodeOptions { legacy_thresholds }
}

/// Header information of a JPEG-LS stream (nothing is decoded). With
/// `full=False` the walk stops at the first scan (`scans` is then 1).
#[pyfunction]
#[pyo3(signature = (data, full=true))]
fn jpegls_info<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u8>,
    full: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let s = data
        .as_slice()
        .map_err(|e| invalid_argument(format!("data: {e}")))?;
    let info = py
        .detach(|| {
            if full {
                jpegls::info(s)
            } else {
                raw::header_info(s)
            }
        })
        .py_err(py)?;
    info_dict(py, &info)
}

/// Decodes a JPEG-LS stream into `out`, a writable C-contiguous uint8 view
/// of exactly rows × columns × components samples of 1 byte (precision <= 8)
/// or 2 bytes (little-endian). Returns the tolerated problems.
#[pyfunction]
#[pyo3(signature = (data, out, *, legacy_thresholds=None))]
fn jpegls_decode_into(
    py: Python<'_>,
    data: PyReadonlyArray1<'_, u8>,
    mut out: PyReadwriteArray1<'_, u8>,
    legacy_thresholds: Option<bool>,
) -> PyResult<Vec<String>> {
    let src = data
        .as_slice()
        .map_err(|e| invalid_argument(format!("data: {e}")))?;
    let dst = out
        .as_slice_mut()
        .map_err(|e| invalid_argument(format!("out: {e}")))?;
    let opts = options(legacy_thresholds);
    let (_, report) = py.detach(|| raw::decode_into(src, dst, &opts)).py_err(py)?;
    Ok(report.warnings)
}

/// Encodes samples (rows × columns × components, colour-by-pixel, each
/// below 2^precision) as a JPEG-LS stream; GIL released.
#[pyfunction]
#[pyo3(signature = (samples, rows, columns, components, precision, *, near=0, interleave=2, restart_interval=0))]
#[allow(clippy::too_many_arguments)]
fn jpegls_encode_samples<'py>(
    py: Python<'py>,
    samples: PyReadonlyArray1<'py, u16>,
    rows: u32,
    columns: u32,
    components: u8,
    precision: u8,
    near: u8,
    interleave: u8,
    restart_interval: u16,
) -> PyResult<Bound<'py, PyBytes>> {
    let s = samples
        .as_slice()
        .map_err(|e| invalid_argument(format!("samples: {e}")))?;
    let img = Image {
        samples: s,
        width: columns,
        height: rows,
        components,
        precision,
    };
    let opts = EncodeOptions {
        near,
        interleave,
        restart_interval,
        preset: None,
    };
    let stream = py.detach(|| jpegls::encode(&img, &opts)).py_err(py)?;
    Ok(PyBytes::new(py, &stream))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(jpegls_info, m)?)?;
    m.add_function(wrap_pyfunction!(jpegls_decode_into, m)?)?;
    m.add_function(wrap_pyfunction!(jpegls_encode_samples, m)?)?;
    Ok(())
}
