//! PyO3 bindings of dicodec: buffer in, validation, `py.detach` around all
//! core work, errors mapped once (see [`errors`]). No DICOM or codec logic
//! lives here.

use pyo3::prelude::*;

#[allow(dead_code)] // used by the codec and reader bindings as they land
mod errors;

mod reader;

mod rle;

mod jpeg;

mod libcodecs;

mod scan;

/// Maximum bytes for one allocation sized by input data.
#[pyfunction]
fn get_max_alloc() -> u64 {
    dicodec_core::limits::max_alloc()
}

/// Sets the maximum bytes for one allocation sized by input data (0 = default).
#[pyfunction]
fn set_max_alloc(nbytes: u64) {
    dicodec_core::limits::set_max_alloc(nbytes)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(get_max_alloc, m)?)?;
    m.add_function(wrap_pyfunction!(set_max_alloc, m)?)?;
    reader::register(m)?;

    rle::register(m)?;

    jpeg::register(m)?;

    libcodecs::register(m)?;

    scan::register(m)?;
    Ok(())
}
