//! Python bindings for JPEG Lossless: buffer in, GIL released around all
//! decoding, samples written straight into the NumPy array (or bytearray).

use crate::errors::IntoPyResult;
use dicodec_core::jpeg::{self, DecodeOptions, JpegInfo};
use dicodec_core::pixels::PixelDescription;
use numpy::{PyArrayDyn, PyArrayMethods, PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList};

/// Input bytes: `bytes` (zero-copy) or a 1-D uint8 NumPy array (what the
/// Python layer makes of any other buffer with `numpy.frombuffer`; the
/// limited API of Python 3.10 has no buffer protocol).
enum Bytes<'py> {
    Bytes(Bound<'py, PyBytes>),
    Array(PyReadonlyArray1<'py, u8>),
}

impl<'py> Bytes<'py> {
    fn get(obj: &Bound<'py, PyAny>) -> PyResult<Bytes<'py>> {
        if let Ok(b) = obj.cast::<PyBytes>() {
            return Ok(Bytes::Bytes(b.clone()));
        }
        match obj.extract::<PyReadonlyArray1<'py, u8>>() {
            Ok(a) => Ok(Bytes::Array(a)),
            Err(_) => Err(PyTypeError::new_err(
                "data must be bytes or a 1-D uint8 numpy array",
            )),
        }
    }

    fn as_slice(&self) -> PyResult<&[u8]> {
        match self {
            Bytes::Bytes(b) => Ok(b.as_bytes()),
            Bytes::Array(a) => a.as_slice().map_err(|_| {
                PyValueError::new_err("data must be a contiguous array")
            }),
        }
    }
}

fn options(cornell: Option<bool>, legacy_predictors: bool, parallel: bool) -> DecodeOptions {
    DecodeOptions {
        cornell,
        legacy_predictors,
        parallel,
    }
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
#[pyfunction]
fn _jpegll_info<'py>(py: Python<'py>, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let src = Bytes::get(data)?;
    let s = src.as_slice()?;
    let info = py.detach(|| jpeg::info(s)).py_err(py)?;
    info_dict(py, &info)
}

/// Decodes a raw lossless JPEG stream into a new or the given array
/// (uint8 for precision <= 8, else uint16; shape (rows, columns[, components])).
/// Returns the array and the list of tolerated problems.
#[pyfunction]
#[pyo3(signature = (data, out=None, *, cornell=None, legacy_predictors=false, parallel=true))]
fn _jpegll_decode<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
    cornell: Option<bool>,
    legacy_predictors: bool,
    parallel: bool,
) -> PyResult<(Bound<'py, PyAny>, Vec<String>)> {
    let src = Bytes::get(data)?;
    let s = src.as_slice()?;
    let opts = options(cornell, legacy_predictors, parallel);
    let info = py.detach(|| jpeg::header(s)).py_err(py)?;
    let size = jpeg::output_itemsize(&info);
    let mut shape = vec![info.height as usize, info.width as usize];
    if info.components() > 1 {
        shape.push(info.components());
    }
    let nbytes = shape.iter().product::<usize>() as u64 * size as u64;
    dicodec_core::limits::check_alloc("JPEG Lossless image", nbytes).py_err(py)?;
    let arr: Bound<'py, PyAny> = match out {
        Some(o) => {
            check_out(o, size, &shape)?;
            o.clone()
        }
        // SAFETY (both): the elements are plain integers; decode_into writes
        // every one of them (decoded, or zero where data is missing) before
        // the array reaches Python, and on error the array is dropped unseen.
        None if size == 1 => unsafe { PyArrayDyn::<u8>::new(py, shape.as_slice(), false) }.into_any(),
        None => unsafe { PyArrayDyn::<u16>::new(py, shape.as_slice(), false) }.into_any(),
    };
    let report = if size == 1 {
        let a = arr.cast::<PyArrayDyn<u8>>()?;
        let mut rw = a.try_readwrite()?;
        let dst = rw.as_slice_mut()?;
        py.detach(|| jpeg::decode_into(s, &info, dst, &opts))
            .py_err(py)?
    } else {
        let a = arr.cast::<PyArrayDyn<u16>>()?;
        let mut rw = a.try_readwrite()?;
        let dst = rw.as_slice_mut()?;
        // SAFETY: a u16 slice is also a valid, aligned u8 slice of twice the
        // length over the same memory; it is only written through `bytes`.
        let bytes = unsafe {
            std::slice::from_raw_parts_mut(dst.as_mut_ptr() as *mut u8, dst.len() * 2)
        };
        py.detach(|| jpeg::decode_into(s, &info, bytes, &opts))
            .py_err(py)?
    };
    Ok((arr, report.warnings))
}

fn check_out(o: &Bound<'_, PyAny>, size: usize, shape: &[usize]) -> PyResult<()> {
    let ok_type = if size == 1 {
        o.cast::<PyArrayDyn<u8>>().is_ok()
    } else {
        o.cast::<PyArrayDyn<u16>>().is_ok()
    };
    if !ok_type {
        return Err(PyTypeError::new_err(format!(
            "out must be a numpy.ndarray of dtype {}",
            if size == 1 { "uint8" } else { "uint16" }
        )));
    }
    let arr = o.cast::<numpy::PyUntypedArray>()?;
    if !arr.is_c_contiguous() || arr.len() != shape.iter().product::<usize>() {
        return Err(PyValueError::new_err(format!(
            "out must be C-contiguous with {} elements (shape {:?}); got shape {:?}",
            shape.iter().product::<usize>(),
            shape,
            arr.shape()
        )));
    }
    Ok(())
}

/// Decodes one DICOM frame for the pydicom plugin: returns (bytearray of the
/// frame in the Bits Allocated container, little-endian, colour-by-pixel,
/// list of tolerated problems).
#[pyfunction]
#[pyo3(signature = (data, rows, columns, samples_per_pixel, bits_allocated, bits_stored, pixel_representation, *, cornell=None, legacy_predictors=false, parallel=true))]
#[allow(clippy::too_many_arguments)]
fn _jpegll_decode_frame<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    rows: u32,
    columns: u32,
    samples_per_pixel: u16,
    bits_allocated: u16,
    bits_stored: u16,
    pixel_representation: u16,
    cornell: Option<bool>,
    legacy_predictors: bool,
    parallel: bool,
) -> PyResult<(Bound<'py, PyByteArray>, Bound<'py, PyList>)> {
    let src = Bytes::get(data)?;
    let s = src.as_slice()?;
    let desc = PixelDescription {
        rows,
        columns,
        number_of_frames: 1,
        samples_per_pixel,
        bits_allocated,
        bits_stored,
        high_bit: bits_stored.saturating_sub(1),
        pixel_representation,
        ..Default::default()
    };
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
    Ok((out, PyList::new(py, warnings)?))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_jpegll_info, m)?)?;
    m.add_function(wrap_pyfunction!(_jpegll_decode, m)?)?;
    m.add_function(wrap_pyfunction!(_jpegll_decode_frame, m)?)?;
    Ok(())
}
