//! Python bindings of the tag scanner.
//!
//! `Scanner.scan_next(walker, n)` walks and scans the next `n` files with the
//! GIL released and returns each column as Arrow buffers (NumPy arrays that
//! own the Rust vectors, no copy): `(type, length, null_count, validity,
//! buffers...)`. `dicodec.scan` assembles them with
//! `pyarrow.Array.from_buffers`, so no Python object is made per value.

use std::path::PathBuf;

use dicodec_core::scan::arrow::{ArrayData, ArrowArray};
use dicodec_core::scan::{Scanner, TagSpec, Walker};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::errors::{invalid_argument, IntoPyResult};

/// Lazy, parallel walk over files and folders (order is deterministic).
#[pyclass(module = "dicodec._native", name = "Walker")]
pub struct PyWalker {
    inner: Walker,
}

#[pymethods]
impl PyWalker {
    #[new]
    #[pyo3(signature = (recursive = true))]
    fn new(recursive: bool) -> Self {
        PyWalker {
            inner: Walker::new(recursive),
        }
    }

    /// Queues more sources (files or folders). `check=False`: the paths
    /// are most likely files, checked only once opened (saves a stat call per
    /// file; folders among them are still walked, after the batch that met them).
    #[pyo3(signature = (paths, check = true))]
    fn add(&mut self, paths: Vec<PathBuf>, check: bool) {
        if check {
            self.inner.add_sources(paths);
        } else {
            self.inner.add_unchecked(paths);
        }
    }

    /// Sources queued but not yet looked at.
    fn pending_sources(&self) -> usize {
        self.inner.pending_sources()
    }

    /// True when every file has been handed out.
    fn is_done(&self) -> bool {
        self.inner.is_done()
    }
}

/// A configured scan over a thread pool.
#[pyclass(module = "dicodec._native", name = "Scanner")]
pub struct PyScanner {
    inner: Scanner,
    pool: rayon::ThreadPool,
}

fn specs(py: Python<'_>, tags: &[u32], vrs: &[String], vms: &[String]) -> PyResult<Vec<TagSpec>> {
    if tags.len() != vrs.len() || tags.len() != vms.len() {
        return Err(invalid_argument(
            "tags, vrs and vms must have the same length",
        ));
    }
    tags.iter()
        .zip(vrs)
        .zip(vms)
        .map(|((&t, vr), vm)| TagSpec::new(t, vr, vm))
        .collect::<Result<Vec<_>, _>>()
        .py_err(py)
}

/// Arrow type names of the columns for these tags (see `Scanner`).
#[pyfunction]
fn scan_column_types(
    py: Python<'_>,
    tags: Vec<u32>,
    vrs: Vec<String>,
    vms: Vec<String>,
) -> PyResult<Vec<String>> {
    Ok(specs(py, &tags, &vrs, &vms)?
        .iter()
        .map(|s| s.column_type().name())
        .collect())
}

/// Decodes a text value as the scanner does (before splitting into values):
/// `None` when the scanner leaves it to pydicom. For tests against pydicom.
#[pyfunction]
#[pyo3(signature = (vr, value, charset = None))]
fn scan_decode_text(vr: &str, value: &[u8], charset: Option<&[u8]>) -> PyResult<Option<String>> {
    let vr: [u8; 2] = vr
        .as_bytes()
        .try_into()
        .map_err(|_| invalid_argument("vr must be two letters"))?;
    let cs = dicodec_core::scan::charset::Charset::parse(charset);
    Ok(match dicodec_core::scan::text::decode(vr, value, &cs) {
        dicodec_core::scan::text::Decoded::Text(s) => Some(s.into_owned()),
        dicodec_core::scan::text::Decoded::Defer => None,
    })
}

fn export<'py>(py: Python<'py>, mut a: ArrowArray) -> PyResult<Bound<'py, PyTuple>> {
    let ty = a.ty.name();
    let len = a.len();
    let nulls = a.null_count();
    let validity: Option<Bound<'py, PyAny>> = a
        .take_validity()
        .map(|v| PyArray1::from_vec(py, v).into_any());
    let head = (ty, len, nulls, validity);
    match a.data {
        ArrayData::Fixed(v) => {
            let values = PyArray1::from_vec(py, v);
            (head.0, head.1, head.2, head.3, values).into_pyobject(py)
        }
        ArrayData::Var { offsets, data, .. } => {
            let o = PyArray1::from_vec(py, offsets);
            let d = PyArray1::from_vec(py, data);
            (head.0, head.1, head.2, head.3, o, d).into_pyobject(py)
        }
        ArrayData::List { offsets, child } => {
            let o = PyArray1::from_vec(py, offsets);
            let c = export(py, *child)?;
            (head.0, head.1, head.2, head.3, o, c).into_pyobject(py)
        }
    }
}

#[pymethods]
impl PyScanner {
    /// `tags`, `vrs`, `vms`: one entry per column (dictionary VR and VM as
    /// `pydicom.datadict` gives them, "" when unknown).
    #[new]
    #[pyo3(signature = (tags, vrs, vms, threads = None, read_size = 4096))]
    fn new(
        py: Python<'_>,
        tags: Vec<u32>,
        vrs: Vec<String>,
        vms: Vec<String>,
        threads: Option<usize>,
        read_size: usize,
    ) -> PyResult<Self> {
        let specs = specs(py, &tags, &vrs, &vms)?;
        let inner = Scanner::new(specs).py_err(py)?.with_read_size(read_size);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or(0))
            .thread_name(|i| format!("dicodec-scan-{i}"))
            .build()
            .map_err(|e| {
                crate::errors::to_pyerr(
                    py,
                    dicodec_core::Error::Resource(format!("cannot start scan threads: {e}")),
                )
            })?;
        Ok(PyScanner { inner, pool })
    }

    /// Arrow type names of the tag columns ("int64", "list<utf8>", …).
    #[getter]
    fn column_types(&self) -> Vec<String> {
        self.inner.column_types().iter().map(|t| t.name()).collect()
    }

    /// Number of scan threads.
    #[getter]
    fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Walks and scans the next (at most) `max_files` files of `walker`.
    /// Returns None when the walk is over, else a dict of Arrow buffers:
    /// `length`, `path`, `columns`, `transfer_syntax`, `error`, `notes`, `bytes_read`,
    /// and `deferred` (rows whose text needs pydicom's character set decoding:
    /// `(row, column, vr, value, specific_character_set)`).
    fn scan_next<'py>(
        &self,
        py: Python<'py>,
        mut walker: PyRefMut<'_, PyWalker>,
        max_files: usize,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let w = &mut walker.inner;
        let scanner = &self.inner;
        let pool = &self.pool;
        let batch = py
            .detach(|| pool.install(|| scanner.scan_next(w, max_files)))
            .py_err(py)?;
        let Some(b) = batch else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("length", b.len)?;
        d.set_item("path", export(py, b.path)?)?;
        let cols = PyList::empty(py);
        for c in b.columns {
            cols.append(export(py, c)?)?;
        }
        d.set_item("columns", cols)?;
        d.set_item("transfer_syntax", export(py, b.transfer_syntax)?)?;
        d.set_item("error", export(py, b.error)?)?;
        d.set_item("notes", export(py, b.notes)?)?;
        d.set_item("bytes_read", export(py, b.bytes_read)?)?;
        let deferred = PyList::empty(py);
        for x in b.deferred {
            deferred.append((
                x.row,
                x.column,
                x.vr,
                PyBytes::new(py, &x.value),
                PyBytes::new(py, &x.charset),
            ))?;
        }
        d.set_item("deferred", deferred)?;
        Ok(Some(d))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(scan_column_types, m)?)?;
    m.add_function(wrap_pyfunction!(scan_decode_text, m)?)?;
    m.add_class::<PyWalker>()?;
    m.add_class::<PyScanner>()?;
    Ok(())
}
