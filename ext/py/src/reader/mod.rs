//! Python bindings of the reader: `read_pixels` and `frame_info` from a path
//! (memory-mapped or read once in Rust), from any C-contiguous buffer
//! (zero-copy) or from a pydicom dataset's parts (attributes + pixel bytes).
//!
//! [`input`] parses the input, [`output`] checks or allocates the NumPy array
//! and decodes into it, [`info`] is the `FrameInfo` class. All core work
//! (I/O, parsing, inflating, decoding) runs with the GIL released; the GIL
//! is taken back only to allocate (or check) the NumPy output, which the
//! decoders then write straight into.

mod info;
mod input;
mod output;

use std::path::PathBuf;

use dicodec_core::exec::with_threads;
use dicodec_core::parser::source::INFO_MMAP_THRESHOLD;
use dicodec_core::summary::summarize;
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::to_pyerr;
use info::FrameInfo;
use input::{array_bytes, with_parsed, Failure, Input};
use output::{read_impl, ReadArgs};

/// Decodes pixel data from a file (mapped or read in Rust).
#[pyfunction]
#[pyo3(signature = (path, frames=None, single=false, threads=None, out=None))]
fn _read_pixels_file(
    py: Python<'_>,
    path: PathBuf,
    frames: Option<Vec<i64>>,
    single: bool,
    threads: Option<usize>,
    out: Option<Py<PyAny>>,
) -> PyResult<(Py<PyAny>, Vec<String>)> {
    let args = ReadArgs {
        frames,
        single,
        threads,
        out,
    };
    read_impl(py, Input::File(path), args)
}

/// Decodes pixel data from a buffer holding a whole file or dataset (zero-copy).
#[pyfunction]
#[pyo3(signature = (data, frames=None, single=false, threads=None, out=None))]
fn _read_pixels_buffer(
    py: Python<'_>,
    data: PyReadonlyArray1<'_, u8>,
    frames: Option<Vec<i64>>,
    single: bool,
    threads: Option<usize>,
    out: Option<Py<PyAny>>,
) -> PyResult<(Py<PyAny>, Vec<String>)> {
    let args = ReadArgs {
        frames,
        single,
        threads,
        out,
    };
    read_impl(py, Input::Bytes(array_bytes(&data)?), args)
}

/// Decodes pixel data from a dataset's parts: transfer syntax UID, Image
/// Pixel attributes (dict), pixel element keyword and VR, and its value.
#[pyfunction]
#[pyo3(signature = (syntax_uid, attrs, element, vr, value, frames=None, single=false, threads=None, out=None))]
#[allow(clippy::too_many_arguments)]
fn _read_pixels_parts(
    py: Python<'_>,
    syntax_uid: String,
    attrs: &Bound<'_, PyDict>,
    element: &str,
    vr: Option<&str>,
    value: PyReadonlyArray1<'_, u8>,
    frames: Option<Vec<i64>>,
    single: bool,
    threads: Option<usize>,
    out: Option<Py<PyAny>>,
) -> PyResult<(Py<PyAny>, Vec<String>)> {
    let input = Input::parts(syntax_uid, attrs, element, vr, &value)?;
    let args = ReadArgs {
        frames,
        single,
        threads,
        out,
    };
    read_impl(py, input, args)
}

fn info_impl(py: Python<'_>, input: Input<'_>) -> PyResult<FrameInfo> {
    py.detach(|| {
        with_parsed(&input, INFO_MMAP_THRESHOLD, |p, _| {
            Ok::<_, Failure>(FrameInfo(summarize(p)?))
        })
    })
    .map_err(|f| f.into_py(py))
}

/// Describes the pixel data of a file.
#[pyfunction]
fn _frame_info_file(py: Python<'_>, path: PathBuf) -> PyResult<FrameInfo> {
    info_impl(py, Input::File(path))
}

/// Describes the pixel data of many files at once, on `threads` threads
/// (`None`: all cores) without the GIL: one item per path, the `FrameInfo`
/// of `_frame_info_file` or the exception it would have raised (returned,
/// not raised).
#[pyfunction]
#[pyo3(signature = (paths, threads=None))]
fn _frame_info_files<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyList>> {
    use rayon::prelude::*;
    let infos: Vec<Result<FrameInfo, Failure>> = py
        .detach(|| {
            with_threads(threads.map(|n| n.min(paths.len().max(1))), |parallel| {
                let one = |p: &PathBuf| {
                    with_parsed(&Input::File(p.clone()), INFO_MMAP_THRESHOLD, |f, _| {
                        Ok(FrameInfo(summarize(f)?))
                    })
                };
                if parallel {
                    paths.par_iter().map(one).collect()
                } else {
                    paths.iter().map(one).collect()
                }
            })
        })
        .map_err(|e| to_pyerr(py, e))?;
    let out = PyList::empty(py);
    for r in infos {
        match r {
            Ok(i) => out.append(Bound::new(py, i)?)?,
            Err(f) => out.append(f.into_py(py).into_value(py))?,
        }
    }
    Ok(out)
}

/// Describes the pixel data of a buffer holding a whole file or dataset.
#[pyfunction]
fn _frame_info_buffer(py: Python<'_>, data: PyReadonlyArray1<'_, u8>) -> PyResult<FrameInfo> {
    info_impl(py, Input::Bytes(array_bytes(&data)?))
}

/// Describes the pixel data given as a dataset's parts.
#[pyfunction]
fn _frame_info_parts(
    py: Python<'_>,
    syntax_uid: String,
    attrs: &Bound<'_, PyDict>,
    element: &str,
    vr: Option<&str>,
    value: PyReadonlyArray1<'_, u8>,
) -> PyResult<FrameInfo> {
    let input = Input::parts(syntax_uid, attrs, element, vr, &value)?;
    info_impl(py, input)
}

/// Name of a transfer syntax UID (None when unknown).
#[pyfunction]
fn _transfer_syntax_name(uid: &str) -> Option<&'static str> {
    dicodec_core::parser::syntax::lookup(uid).map(|s| s.name)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<FrameInfo>()?;
    m.add_function(wrap_pyfunction!(_read_pixels_file, m)?)?;
    m.add_function(wrap_pyfunction!(_read_pixels_buffer, m)?)?;
    m.add_function(wrap_pyfunction!(_read_pixels_parts, m)?)?;
    m.add_function(wrap_pyfunction!(_frame_info_file, m)?)?;
    m.add_function(wrap_pyfunction!(_frame_info_buffer, m)?)?;
    m.add_function(wrap_pyfunction!(_frame_info_files, m)?)?;
    m.add_function(wrap_pyfunction!(_frame_info_parts, m)?)?;
    m.add_function(wrap_pyfunction!(_transfer_syntax_name, m)?)?;
    Ok(())
}
