//! Python bindings for the library codecs: JPEG 2000 / HTJ2K (OpenJPEG),
//! JPEG XL (jxl-oxide), Deflated Image Frames (libdeflate). Buffers in (uint8
//! array views made by the Python layer), the GIL released around all work.

use crate::errors::IntoPyResult;
use dicodec_core::codecs::{deflate_frames, j2k, jxl};
use numpy::{PyReadonlyArray1, PyReadwriteArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

fn slice<'a>(a: &'a PyReadonlyArray1<'_, u8>, what: &str) -> PyResult<&'a [u8]> {
    a.as_slice()
        .map_err(|e| PyValueError::new_err(format!("{what}: {e}")))
}

fn slice_mut<'a>(a: &'a mut PyReadwriteArray1<'_, u8>) -> PyResult<&'a mut [u8]> {
    a.as_slice_mut()
        .map_err(|e| PyValueError::new_err(format!("out: {e}")))
}

/// Main header of a JPEG 2000 codestream or JP2 file (nothing is decoded).
#[pyfunction]
fn _j2k_info<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u8>,
) -> PyResult<Bound<'py, PyDict>> {
    let s = slice(&data, "data")?;
    let i = py.detach(|| j2k::info(s)).py_err(py)?;
    let d = PyDict::new(py);
    d.set_item("rows", i.height)?;
    d.set_item("columns", i.width)?;
    d.set_item("components", i.components.len())?;
    d.set_item("precision", i.precision)?;
    d.set_item("signed", i.signed)?;
    d.set_item("tiles", i.tiles)?;
    d.set_item("tile_size", (i.tile_height, i.tile_width))?;
    d.set_item("levels", i.levels)?;
    d.set_item("layers", i.layers)?;
    d.set_item("progression", i.progression.name())?;
    d.set_item("mct", i.mct)?;
    d.set_item("reversible", i.reversible)?;
    d.set_item("ht", i.ht)?;
    d.set_item("jp2", i.jp2)?;
    Ok(d)
}

/// The OpenJPEG build that decodes JPEG 2000 here ("x86-64-v3" or
/// "portable"; `DICODEC_J2K_PORTABLE=1` forces the portable one).
#[pyfunction]
fn _j2k_build() -> &'static str {
    j2k::OpenJpegBuild::Auto.name()
}

/// Runs `decode(data, out)` with the GIL released: the decoders write
/// straight into the caller's array. Returns the warnings.
fn decode_into<F>(
    py: Python<'_>,
    data: PyReadonlyArray1<'_, u8>,
    mut out: PyReadwriteArray1<'_, u8>,
    decode: F,
) -> PyResult<Vec<String>>
where
    F: FnOnce(&[u8], &mut [u8]) -> dicodec_core::Result<Vec<String>> + Send,
{
    let src = slice(&data, "data")?;
    let dst = slice_mut(&mut out)?;
    py.detach(|| decode(src, dst)).py_err(py)
}

/// Decodes a JPEG 2000 codestream into `out` (a uint8 view of exactly rows ×
/// columns × components samples of 1, 2 or 4 bytes by precision). Returns
/// the warnings.
#[pyfunction]
#[pyo3(signature = (data, out, threads=1))]
fn _j2k_decode_into(
    py: Python<'_>,
    data: PyReadonlyArray1<'_, u8>,
    out: PyReadwriteArray1<'_, u8>,
    threads: usize,
) -> PyResult<Vec<String>> {
    decode_into(py, data, out, |s, d| {
        let opts = j2k::DecodeOptions {
            threads,
            ..Default::default()
        };
        Ok(j2k::decode_into(s, &opts, d)?.2.warnings)
    })
}

/// Header of a JPEG XL codestream or container (nothing is decoded).
#[pyfunction]
fn _jxl_info<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u8>,
) -> PyResult<Bound<'py, PyDict>> {
    let s = slice(&data, "data")?;
    let i = py.detach(|| jxl::info(s)).py_err(py)?;
    let d = PyDict::new(py);
    d.set_item("rows", i.height)?;
    d.set_item("columns", i.width)?;
    d.set_item("channels", i.channels)?;
    d.set_item("bits_per_sample", i.bits_per_sample)?;
    d.set_item("float", i.float)?;
    d.set_item("xyb", i.xyb)?;
    d.set_item("jpeg_reconstruction", i.jpeg_reconstruction)?;
    Ok(d)
}

/// Decodes a JPEG XL image into `out` (uint8 view of rows × columns ×
/// channels samples of 1 byte up to 8 bits, else 2). Returns the warnings.
#[pyfunction]
#[pyo3(signature = (data, out, threads=1))]
fn _jxl_decode_into(
    py: Python<'_>,
    data: PyReadonlyArray1<'_, u8>,
    out: PyReadwriteArray1<'_, u8>,
    threads: usize,
) -> PyResult<Vec<String>> {
    decode_into(py, data, out, |s, d| {
        let opts = jxl::DecodeOptions { threads };
        Ok(jxl::decode_into(s, &opts, d)?.2.warnings)
    })
}

/// Inflates one raw deflate frame into all of `out` (an error when it
/// inflates to more or fewer bytes).
#[pyfunction]
fn _deflate_frame_decode_into(
    py: Python<'_>,
    data: PyReadonlyArray1<'_, u8>,
    out: PyReadwriteArray1<'_, u8>,
) -> PyResult<()> {
    decode_into(py, data, out, |s, d| {
        deflate_frames::inflate_exact(s, d).map(|()| Vec::new())
    })
    .map(|_| ())
}

/// Compresses one frame's bytes as raw deflate, padded to an even length.
#[pyfunction]
#[pyo3(signature = (data, level=deflate_frames::DEFAULT_LEVEL))]
fn _deflate_frame_encode<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u8>,
    level: i32,
) -> PyResult<Bound<'py, PyBytes>> {
    let src = slice(&data, "data")?;
    let v = py
        .detach(|| deflate_frames::encode_frame(src, level))
        .py_err(py)?;
    Ok(PyBytes::new(py, &v))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_j2k_info, m)?)?;
    m.add_function(wrap_pyfunction!(_j2k_build, m)?)?;
    m.add_function(wrap_pyfunction!(_j2k_decode_into, m)?)?;
    m.add_function(wrap_pyfunction!(_jxl_info, m)?)?;
    m.add_function(wrap_pyfunction!(_jxl_decode_into, m)?)?;
    m.add_function(wrap_pyfunction!(_deflate_frame_decode_into, m)?)?;
    m.add_function(wrap_pyfunction!(_deflate_frame_encode, m)?)?;
    Ok(())
}
