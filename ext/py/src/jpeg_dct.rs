//! Python bindings for DCT JPEG (baseline, extended, progressive): buffer in,
//! GIL released while decoding, samples written into the caller's array.

use crate::errors::IntoPyResult;
use dicodec_core::codecs::jpeg::dct::{self, Colour, Info, Options};
use numpy::{PyReadonlyArray1, PyReadwriteArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

fn info_dict<'py>(py: Python<'py>, info: &Info) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("sof", info.sof)?;
    d.set_item("precision", info.precision)?;
    d.set_item("rows", info.height)?;
    d.set_item("columns", info.width)?;
    d.set_item(
        "component_ids",
        info.components.iter().map(|c| c.0).collect::<Vec<_>>(),
    )?;
    d.set_item(
        "sampling",
        info.components
            .iter()
            .map(|c| (c.1, c.2))
            .collect::<Vec<_>>(),
    )?;
    d.set_item("restart_interval", info.restart_interval)?;
    d.set_item("adobe_transform", info.adobe_transform)?;
    d.set_item("jfif", info.jfif)?;
    d.set_item("ycbcr", info.ycbcr)?;
    Ok(d)
}

fn colour(s: &str) -> PyResult<Colour> {
    match s {
        "keep" => Ok(Colour::Keep),
        "rgb" => Ok(Colour::Rgb),
        _ => Err(PyValueError::new_err(format!(
            "colour must be 'keep' or 'rgb', not {s:?}"
        ))),
    }
}

/// Header information of a DCT JPEG stream (nothing is decoded).
#[pyfunction]
fn jpeg_info<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u8>,
) -> PyResult<Bound<'py, PyDict>> {
    let s = data
        .as_slice()
        .map_err(|e| PyValueError::new_err(format!("data: {e}")))?;
    let info = py.detach(|| dct::info(s)).py_err(py)?;
    info_dict(py, &info)
}

/// Decodes a DCT JPEG stream into `out` (a writable C-contiguous uint8 view
/// of rows × columns × components samples of 1 byte, or 2 bytes
/// little-endian at 12 bits). Returns the tolerated problems.
#[pyfunction]
#[pyo3(signature = (data, out, *, colour="keep"))]
fn jpeg_decode_into(
    py: Python<'_>,
    data: PyReadonlyArray1<'_, u8>,
    mut out: PyReadwriteArray1<'_, u8>,
    colour: &str,
) -> PyResult<Vec<String>> {
    let opts = Options {
        colour: self::colour(colour)?,
        portable: false,
        parallel: false,
    };
    let src = data
        .as_slice()
        .map_err(|e| PyValueError::new_err(format!("data: {e}")))?;
    let dst = out
        .as_slice_mut()
        .map_err(|e| PyValueError::new_err(format!("out: {e}")))?;
    let (_, report) = py.detach(|| dct::decode_into(src, &opts, dst)).py_err(py)?;
    Ok(report.warnings)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(jpeg_info, m)?)?;
    m.add_function(wrap_pyfunction!(jpeg_decode_into, m)?)?;
    Ok(())
}
