//! PyO3 bindings of dicodec: buffer in, validation, `py.detach` around all
//! core work, errors mapped once (see [`errors`]). No DICOM or codec logic
//! lives here.

use pyo3::prelude::*;

mod codecs;
mod encode;
mod errors;
#[cfg(feature = "jpeg-lossless")]
mod jpeg;
#[cfg(feature = "jpeg-dct")]
mod jpeg_dct;
// The raw-stream functions of the library codecs (one module for the three).
#[cfg(all(feature = "j2k", feature = "jxl", feature = "deflate-frames"))]
mod libcodecs;
mod reader;
#[cfg(feature = "rle")]
mod rle;
mod scan;

mod pipeline;

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
    codecs::register(m)?;
    encode::register(m)?;
    reader::register(m)?;
    #[cfg(feature = "rle")]
    rle::register(m)?;
    #[cfg(feature = "jpeg-lossless")]
    jpeg::register(m)?;
    #[cfg(feature = "jpeg-dct")]
    jpeg_dct::register(m)?;
    #[cfg(all(feature = "j2k", feature = "jxl", feature = "deflate-frames"))]
    libcodecs::register(m)?;
    scan::register(m)?;

    pipeline::register(m)?;
    Ok(())
}
