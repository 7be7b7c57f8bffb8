//! `dicodec.FrameInfo`: a frozen class over the core's
//! [`FileSummary`] (the DICOM facts are computed in the core; this only
//! converts them to Python objects).

use dicodec_core::pixels::PixelElement;
use dicodec_core::summary::FileSummary;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple};

/// What `frame_info` finds out about the pixel data, without decoding.
///
/// Attributes absent from the dataset are None. Byte offsets are offsets
/// into the file (for a deflated file: into the file with its deflated
/// dataset replaced by the inflated one; for a pydicom Dataset: into the
/// pixel data value).
#[pyclass(frozen, eq, module = "dicodec", name = "FrameInfo")]
#[derive(PartialEq)]
pub struct FrameInfo(pub(crate) FileSummary);

/// The attribute names, in the order `to_dict` and `repr` list them.
const FIELDS: &[&str] = &[
    "transfer_syntax_uid",
    "transfer_syntax_name",
    "transfer_syntax_inferred",
    "decodable",
    "unsupported_reason",
    "has_preamble",
    "has_file_meta",
    "deflated",
    "rows",
    "columns",
    "number_of_frames",
    "frames",
    "samples_per_pixel",
    "bits_allocated",
    "bits_stored",
    "high_bit",
    "pixel_representation",
    "planar_configuration",
    "photometric_interpretation",
    "dtype",
    "shape",
    "pixel_element",
    "pixel_vr",
    "pixel_data_offset",
    "pixel_data_length",
    "encapsulated",
    "basic_offset_table",
    "extended_offset_table",
    "fragments",
    "frame_ranges",
    "problem",
    "warnings",
];

fn numpy_dtype<'py>(py: Python<'py>, code: &str) -> PyResult<Bound<'py, PyAny>> {
    static DTYPE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    DTYPE
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("numpy")?.getattr("dtype")?.unbind())
        })?
        .bind(py)
        .call1((code,))
}

#[pymethods]
impl FrameInfo {
    /// (0002,0010) Transfer Syntax UID (inferred from the encoding when absent).
    #[getter]
    fn transfer_syntax_uid(&self) -> &str {
        &self.0.transfer_syntax_uid
    }
    /// Its name, e.g. "Explicit VR Little Endian".
    #[getter]
    fn transfer_syntax_name(&self) -> &str {
        &self.0.transfer_syntax_name
    }
    /// The UID was not in the file but inferred from how the dataset is encoded.
    #[getter]
    fn transfer_syntax_inferred(&self) -> bool {
        self.0.transfer_syntax_inferred
    }
    /// "name (uid)".
    #[getter]
    fn transfer_syntax(&self) -> String {
        format!(
            "{} ({})",
            self.0.transfer_syntax_name, self.0.transfer_syntax_uid
        )
    }
    /// `read_pixels` can decode it (see `unsupported_reason` otherwise).
    #[getter]
    fn decodable(&self) -> bool {
        self.0.decodable()
    }
    /// Why it cannot be decoded (unsupported syntax, invalid attributes...).
    #[getter]
    fn unsupported_reason(&self) -> Option<&str> {
        self.0.unsupported_reason.as_deref()
    }
    /// A 128-byte preamble and "DICM" were found.
    #[getter]
    fn has_preamble(&self) -> bool {
        self.0.has_preamble
    }
    /// A file meta group was found.
    #[getter]
    fn has_file_meta(&self) -> bool {
        self.0.has_file_meta
    }
    /// Deflated Explicit VR Little Endian (offsets refer to the inflated data).
    #[getter]
    fn deflated(&self) -> bool {
        self.0.deflated
    }
    /// (0028,0010) Rows.
    #[getter]
    fn rows(&self) -> Option<i64> {
        self.0.attrs.rows
    }
    /// (0028,0011) Columns.
    #[getter]
    fn columns(&self) -> Option<i64> {
        self.0.attrs.columns
    }
    /// (0028,0008) Number of Frames as stored (None when absent).
    #[getter]
    fn number_of_frames(&self) -> Option<i64> {
        self.0.attrs.number_of_frames
    }
    /// Frames `read_pixels` returns (Number of Frames, or more when
    /// encapsulated data holds extra frames, as pydicom returns them too).
    #[getter]
    fn frames(&self) -> usize {
        self.0.frames
    }
    /// (0028,0002) Samples per Pixel.
    #[getter]
    fn samples_per_pixel(&self) -> Option<i64> {
        self.0.attrs.samples_per_pixel
    }
    /// (0028,0100) Bits Allocated.
    #[getter]
    fn bits_allocated(&self) -> Option<i64> {
        self.0.attrs.bits_allocated
    }
    /// (0028,0101) Bits Stored.
    #[getter]
    fn bits_stored(&self) -> Option<i64> {
        self.0.attrs.bits_stored
    }
    /// (0028,0102) High Bit.
    #[getter]
    fn high_bit(&self) -> Option<i64> {
        self.0.attrs.high_bit
    }
    /// (0028,0103) Pixel Representation.
    #[getter]
    fn pixel_representation(&self) -> Option<i64> {
        self.0.attrs.pixel_representation
    }
    /// (0028,0006) Planar Configuration.
    #[getter]
    fn planar_configuration(&self) -> Option<i64> {
        self.0.attrs.planar_configuration
    }
    /// (0028,0004) Photometric Interpretation.
    #[getter]
    fn photometric_interpretation(&self) -> Option<&str> {
        self.0.attrs.photometric_interpretation.as_deref()
    }
    /// NumPy dtype of the decoded array, None when it cannot be decoded.
    #[getter]
    fn dtype<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.0
            .sample_type
            .map(|s| numpy_dtype(py, s.numpy_str()))
            .transpose()
    }
    /// Shape of the array `read_pixels` returns for all frames.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.0
            .shape
            .as_ref()
            .map(|s| PyTuple::new(py, s))
            .transpose()
    }
    /// "PixelData", "FloatPixelData" or "DoubleFloatPixelData".
    #[getter]
    fn pixel_element(&self) -> &'static str {
        match self.0.pixel_element {
            PixelElement::PixelData => "PixelData",
            PixelElement::FloatPixelData => "FloatPixelData",
            PixelElement::DoubleFloatPixelData => "DoubleFloatPixelData",
        }
    }
    /// VR of the pixel element as stored (None in implicit VR).
    #[getter]
    fn pixel_vr(&self) -> Option<&str> {
        self.0.pixel_vr.as_deref()
    }
    /// Offset of the first byte of the pixel data value.
    #[getter]
    fn pixel_data_offset(&self) -> usize {
        self.0.pixel_data_offset
    }
    /// Length of the value in bytes, None for undefined length.
    #[getter]
    fn pixel_data_length(&self) -> Option<usize> {
        self.0.pixel_data_length
    }
    /// The pixel data is encapsulated.
    #[getter]
    fn encapsulated(&self) -> bool {
        self.0.encapsulated
    }
    /// Basic Offset Table entries (empty when the table is empty).
    #[getter]
    fn basic_offset_table(&self) -> Vec<u32> {
        self.0.basic_offset_table.clone()
    }
    /// The Extended Offset Table (7FE0,0001/0002) gave the frame positions.
    #[getter]
    fn extended_offset_table(&self) -> bool {
        self.0.extended_offset_table
    }
    /// Number of fragments (encapsulated data).
    #[getter]
    fn fragments(&self) -> usize {
        self.0.fragments
    }
    /// Per frame, the (offset, length) byte ranges holding it: the fragments
    /// of an encapsulated frame, or the bytes of a native frame.
    #[getter]
    fn frame_ranges<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for f in &self.0.frame_ranges {
            out.append(PyList::new(py, f)?)?;
        }
        Ok(out)
    }
    /// Why the frame layout could not be worked out, if it could not.
    #[getter]
    fn problem(&self) -> Option<&str> {
        self.0.problem.as_deref()
    }
    /// Tolerated oddities (clipped fragments, excess padding...).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.0.warnings.clone()
    }

    /// Every attribute in a new dict (what `dataclasses.asdict` gave when
    /// FrameInfo was a dataclass).
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(slf.py());
        for name in FIELDS {
            d.set_item(name, slf.getattr(name)?)?;
        }
        Ok(d)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let mut parts = Vec::with_capacity(FIELDS.len());
        for name in FIELDS {
            parts.push(format!("{name}={}", slf.getattr(name)?.repr()?));
        }
        Ok(format!("FrameInfo({})", parts.join(", ")))
    }
}
