//! Where the input comes from: a path (mapped or read once in Rust), a
//! buffer (zero-copy), or a pydicom dataset's parts; parsed without the GIL.

use std::path::PathBuf;

use dicodec_core::parser::dataset::ImageAttrs;
use dicodec_core::parser::element::Vr;
use dicodec_core::parser::source::FileBytes;
use dicodec_core::parser::ParsedFile;
use dicodec_core::pixels::PixelElement;
use dicodec_core::Error;
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{invalid_argument, invalid_type, to_pyerr};

/// A failure inside `py.detach`: a core error (mapped once the GIL is back)
/// or a Python exception built while the GIL was briefly re-taken.
pub(crate) enum Failure {
    Core(Error),
    Py(PyErr),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

impl From<PyErr> for Failure {
    fn from(e: PyErr) -> Self {
        Failure::Py(e)
    }
}

impl Failure {
    pub(crate) fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Failure::Core(e) => to_pyerr(py, e),
            Failure::Py(e) => e,
        }
    }
}

/// The bytes of a 1-D uint8 array (the Python layer wraps any buffer with
/// `numpy.frombuffer`, zero-copy: the limited API of Python 3.10 has no
/// buffer protocol, NumPy's C API does).
pub(crate) fn array_bytes<'a>(a: &'a PyReadonlyArray1<'_, u8>) -> PyResult<&'a [u8]> {
    a.as_slice()
        .map_err(|_| invalid_argument("the buffer must be C-contiguous"))
}

/// Where the input comes from.
pub(crate) enum Input<'b> {
    File(PathBuf),
    Bytes(&'b [u8]),
    Parts {
        syntax_uid: String,
        attrs: Box<ImageAttrs>,
        element: PixelElement,
        vr: Vr,
        value: &'b [u8],
    },
}

impl<'b> Input<'b> {
    /// A dataset's parts: transfer syntax UID, Image Pixel attributes
    /// (dict), pixel element keyword and VR, and its value.
    pub(crate) fn parts(
        syntax_uid: String,
        attrs: &Bound<'_, PyDict>,
        element: &str,
        vr: Option<&str>,
        value: &'b PyReadonlyArray1<'_, u8>,
    ) -> PyResult<Input<'b>> {
        Ok(Input::Parts {
            syntax_uid,
            attrs: Box::new(attrs_of(attrs)?),
            element: element_of(element)?,
            vr: vr_of(vr)?,
            value: array_bytes(value)?,
        })
    }
}

/// Parses the input and runs `f` on it, with the mapped file (if any) so
/// that decoded pages can be released.
pub(crate) fn with_parsed<R>(
    input: &Input<'_>,
    mmap_threshold: u64,
    f: impl FnOnce(&ParsedFile<'_>, Option<&FileBytes>) -> Result<R, Failure>,
) -> Result<R, Failure> {
    match input {
        Input::File(path) => {
            let loaded = FileBytes::open_with(path, mmap_threshold)?;
            let parsed = ParsedFile::parse(loaded.bytes())?;
            // Offsets of a deflated file refer to the inflated copy.
            let mapped = (loaded.is_mapped() && !parsed.deflated).then_some(&loaded);
            f(&parsed, mapped)
        }
        Input::Bytes(b) => f(&ParsedFile::parse(b)?, None),
        Input::Parts {
            syntax_uid,
            attrs,
            element,
            vr,
            value,
        } => f(
            &ParsedFile::from_parts(syntax_uid, (**attrs).clone(), *element, *vr, value)?,
            None,
        ),
    }
}

fn element_of(name: &str) -> PyResult<PixelElement> {
    match name {
        "PixelData" => Ok(PixelElement::PixelData),
        "FloatPixelData" => Ok(PixelElement::FloatPixelData),
        "DoubleFloatPixelData" => Ok(PixelElement::DoubleFloatPixelData),
        other => Err(invalid_argument(format!("unknown pixel element {other:?}"))),
    }
}

fn vr_of(vr: Option<&str>) -> PyResult<Vr> {
    match vr {
        None => Ok(Vr::IMPLICIT),
        Some(s) if s.len() == 2 => {
            let b = s.as_bytes();
            Ok(Vr([b[0], b[1]]))
        }
        Some(s) => Err(invalid_argument(format!("invalid VR {s:?}"))),
    }
}

/// Image Pixel attributes from a dict (keys as in `frame_info`, values int,
/// str or None) plus the Extended Offset Table as raw bytes.
fn attrs_of(d: &Bound<'_, PyDict>) -> PyResult<ImageAttrs> {
    let int = |k: &str| -> PyResult<Option<i64>> {
        match d.get_item(k)? {
            None => Ok(None),
            Some(v) if v.is_none() => Ok(None),
            Some(v) => v
                .extract::<i64>()
                .map(Some)
                .map_err(|_| invalid_type(format!("{k} must be an int or None, not {}", v))),
        }
    };
    let ov = |k: &str| -> PyResult<Option<Vec<u64>>> {
        match d.get_item(k)? {
            None => Ok(None),
            Some(v) if v.is_none() => Ok(None),
            Some(v) => {
                // Raw OV bytes (as pydicom holds them), little endian.
                if let Ok(b) = v.extract::<&[u8]>() {
                    return dicodec_core::parser::encaps::decode_ov(b, true, 0, k)
                        .map(Some)
                        .map_err(|e| to_pyerr(d.py(), e));
                }
                v.extract::<Vec<u64>>()
                    .map(Some)
                    .map_err(|_| invalid_type(format!("{k} must be bytes or a list of int")))
            }
        }
    };
    let nr = int("number_of_frames")?.filter(|&n| n != 0);
    Ok(ImageAttrs {
        samples_per_pixel: int("samples_per_pixel")?,
        photometric_interpretation: match d.get_item("photometric_interpretation")? {
            Some(v) if !v.is_none() => Some(v.str()?.to_string().trim().to_owned()),
            _ => None,
        },
        planar_configuration: int("planar_configuration")?,
        number_of_frames: nr,
        rows: int("rows")?,
        columns: int("columns")?,
        bits_allocated: int("bits_allocated")?,
        bits_stored: int("bits_stored")?,
        high_bit: int("high_bit")?,
        pixel_representation: int("pixel_representation")?,
        extended_offsets: ov("extended_offsets")?,
        extended_lengths: ov("extended_lengths")?,
    })
}
