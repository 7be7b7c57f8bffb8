//! Python view of the codec registry (`dicodec_core::codecs::registry`):
//! `_native.codecs()` lists one frozen [`CodecInfo`] per transfer syntax
//! with a codec, for the pydicom plugin and the bench tool.

use dicodec_core::codecs::registry::{CodecEntry, REGISTRY};
use pyo3::prelude::*;

/// One line of the codec registry.
#[pyclass(frozen, module = "dicodec._native", get_all)]
#[derive(Clone)]
pub struct CodecInfo {
    /// Transfer syntax UID.
    transfer_syntax_uid: &'static str,
    /// Its name, e.g. "RLE Lossless".
    name: &'static str,
    /// Frames are encapsulated.
    encapsulated: bool,
    /// The encoding may lose information.
    lossy: bool,
    /// The Cargo feature that builds the codec.
    feature: &'static str,
    /// This build can decode it.
    can_decode: bool,
    /// This build can encode it.
    can_encode: bool,
}

#[pymethods]
impl CodecInfo {
    fn __repr__(&self) -> String {
        format!(
            "CodecInfo(transfer_syntax_uid={:?}, name={:?}, encapsulated={}, lossy={}, \
             feature={:?}, can_decode={}, can_encode={})",
            self.transfer_syntax_uid,
            self.name,
            py_bool(self.encapsulated),
            py_bool(self.lossy),
            self.feature,
            py_bool(self.can_decode),
            py_bool(self.can_encode)
        )
    }
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

impl From<&CodecEntry> for CodecInfo {
    fn from(e: &CodecEntry) -> Self {
        CodecInfo {
            transfer_syntax_uid: e.uid,
            name: e.name(),
            encapsulated: e.encapsulated,
            lossy: e.lossy,
            feature: e.feature,
            can_decode: e.decoder.is_some(),
            can_encode: e.encoder.is_some(),
        }
    }
}

/// The codec registry: one entry per transfer syntax dicodec has a codec for
/// (those whose Cargo feature is off included, with `can_decode` false).
#[pyfunction]
fn codecs() -> Vec<CodecInfo> {
    REGISTRY.iter().map(CodecInfo::from).collect()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CodecInfo>()?;
    m.add_function(wrap_pyfunction!(codecs, m)?)?;
    Ok(())
}
