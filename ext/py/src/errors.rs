//! The one place where core errors become Python exceptions.
//!
//! The exception classes are defined in Python (`dicodec/errors.py`) so they
//! carry docstrings and type information; here we look them up once and raise
//! them with the message and, for malformed input, the byte offset.

use dicodec_core::Error;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static MALFORMED: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UNSUPPORTED: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static LIMIT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static BASE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INVALID: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INVALID_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn class<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
) -> PyResult<Bound<'py, PyType>> {
    cell.import(py, "dicodec.errors", name).cloned()
}

/// Converts a core error into the matching `dicodec.errors` exception.
pub fn to_pyerr(py: Python<'_>, err: Error) -> PyErr {
    let msg = err.to_string();
    let built = match &err {
        Error::Malformed { offset, .. } => {
            class(py, &MALFORMED, "MalformedError").and_then(|c| c.call1((msg.clone(), *offset)))
        }
        Error::InvalidArgument {
            wrong_type: false, ..
        } => class(py, &INVALID, "InvalidArgumentError").and_then(|c| c.call1((msg.clone(),))),
        Error::InvalidArgument {
            wrong_type: true, ..
        } => class(py, &INVALID_TYPE, "InvalidArgumentTypeError")
            .and_then(|c| c.call1((msg.clone(),))),
        Error::Unsupported(_) => {
            class(py, &UNSUPPORTED, "UnsupportedError").and_then(|c| c.call1((msg.clone(),)))
        }
        Error::LimitExceeded { .. } => {
            class(py, &LIMIT, "LimitExceededError").and_then(|c| c.call1((msg.clone(),)))
        }
        // I/O errors, a thread pool that would not start, and kinds added
        // later: the base class.
        _ => class(py, &BASE, "DicodecError").and_then(|c| c.call1((msg.clone(),))),
    };
    match built {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// Extension trait: `core_result.py_err(py)?`.
pub trait IntoPyResult<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_pyerr(py, e))
    }
}
