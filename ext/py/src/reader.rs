//! Python bindings of the reader: `read_pixels` and `frame_info` from a path
//! (memory-mapped or read once in Rust), from any C-contiguous buffer
//! (zero-copy) or from a pydicom dataset's parts (attributes + pixel bytes).
//!
//! All core work (I/O, parsing, inflating, decoding) runs with the GIL
//! released; the GIL is taken back only to allocate (or check) the NumPy
//! output, which the decoders then write straight into.

use std::path::PathBuf;

use dicodec_core::decode;
use dicodec_core::parser::dataset::ImageAttrs;
use dicodec_core::parser::element::Vr;
use dicodec_core::parser::source::{FileBytes, INFO_MMAP_THRESHOLD, MMAP_THRESHOLD};
use dicodec_core::parser::{ParsedFile, PixelLayout};
use dicodec_core::pixels::{PixelElement, SampleType};
use dicodec_core::{limits, Error};
use numpy::{Element, IxDyn, PyArray, PyArrayMethods, PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::errors::to_pyerr;

/// A failure inside `py.detach`: a core error (mapped once the GIL is back)
/// or a Python exception built while the GIL was briefly re-taken.
enum Failure {
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
    fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Failure::Core(e) => to_pyerr(py, e),
            Failure::Py(e) => e,
        }
    }
}

/// The bytes of a 1-D uint8 array (the Python layer wraps any buffer with
/// `numpy.frombuffer`, zero-copy: the limited API of Python 3.10 has no
/// buffer protocol, NumPy's C API does).
fn array_bytes<'a>(a: &'a PyReadonlyArray1<'_, u8>) -> PyResult<&'a [u8]> {
    a.as_slice()
        .map_err(|_| PyValueError::new_err("the buffer must be C-contiguous"))
}

/// Where the input comes from.
enum Input<'b> {
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

/// Parses the input and runs `f` on it, with the mapped file (if any) so
/// that decoded pages can be released.
fn with_parsed<R>(
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

/// Allocates an array of `T` (or checks `out`: dtype, shape, C-contiguous,
/// writeable) and returns it with its data pointer. `zeroed = false` skips the
/// zero fill: only for decoders that write every byte of every frame.
fn typed_output<T: Element>(
    py: Python<'_>,
    shape: &[usize],
    out: Option<&Py<PyAny>>,
    zeroed: bool,
) -> Result<(Py<PyAny>, usize), Failure> {
    let arr: Bound<'_, PyArray<T, IxDyn>> = match out {
        None if zeroed => PyArray::<T, IxDyn>::zeros(py, IxDyn(shape), false),
        // SAFETY: `T` is a plain number type (any bit pattern is valid), and
        // the caller passes `zeroed = false` only for decoders that write
        // every byte of every frame (see `needs_zero_fill`); on error the
        // array is dropped unseen. Skipping the fill saves a full
        // memset pass when the allocator reuses memory (measured +25-35% on
        // 12-32 MB native files).
        None => unsafe { PyArray::<T, IxDyn>::new(py, IxDyn(shape), false) },
        Some(o) => {
            let o = o.bind(py);
            let want = numpy::dtype::<T>(py);
            let a = o.cast::<PyArray<T, IxDyn>>().map_err(|_| {
                let got = o
                    .getattr("dtype")
                    .map_or_else(|_| o.get_type().to_string(), |d| d.to_string());
                Error::InvalidArgument {
                    message: format!("out must be a numpy array of dtype {want}, got {got}"),
                    wrong_type: true,
                }
            })?;
            if a.shape() != shape {
                return Err(Error::invalid_argument(format!(
                    "out has shape {:?} but the pixel data needs {:?}",
                    a.shape(),
                    shape
                ))
                .into());
            }
            if !a.is_c_contiguous() || a.try_readwrite().is_err() {
                return Err(
                    Error::invalid_argument("out must be C-contiguous and writeable").into(),
                );
            }
            a.clone()
        }
    };
    let ptr = arr.data() as usize;
    Ok((arr.into_any().unbind(), ptr))
}

/// [`typed_output`] for a [`SampleType`]. Runs with the GIL.
fn output_buffer(
    py: Python<'_>,
    st: SampleType,
    shape: &[usize],
    nbytes: usize,
    out: Option<&Py<PyAny>>,
    zeroed: bool,
) -> Result<(Py<PyAny>, usize), Failure> {
    if out.is_none() {
        limits::check_alloc("pixel array", nbytes as u64)?;
    }
    match st {
        SampleType::U8 => typed_output::<u8>(py, shape, out, zeroed),
        SampleType::I8 => typed_output::<i8>(py, shape, out, zeroed),
        SampleType::U16 => typed_output::<u16>(py, shape, out, zeroed),
        SampleType::I16 => typed_output::<i16>(py, shape, out, zeroed),
        SampleType::U32 => typed_output::<u32>(py, shape, out, zeroed),
        SampleType::I32 => typed_output::<i32>(py, shape, out, zeroed),
        SampleType::U64 => typed_output::<u64>(py, shape, out, zeroed),
        SampleType::I64 => typed_output::<i64>(py, shape, out, zeroed),
        SampleType::F32 => typed_output::<f32>(py, shape, out, zeroed),
        SampleType::F64 => typed_output::<f64>(py, shape, out, zeroed),
    }
}

/// Output shape: (frames, rows, columns[, samples]); the frame axis is
/// dropped for a single frame (pydicom's rule) or a single index.
fn output_shape(layout: &PixelLayout, n: usize, squeeze_frames: bool) -> Vec<usize> {
    let d = &layout.desc;
    let mut s = Vec::with_capacity(4);
    if !squeeze_frames {
        s.push(n);
    }
    s.push(d.rows as usize);
    s.push(d.columns as usize);
    if d.samples_per_pixel > 1 {
        s.push(d.samples_per_pixel as usize);
    }
    s
}

/// Frame indices (Python-style negatives allowed) checked against `n`.
fn frame_indices(frames: Option<&[i64]>, n: usize) -> Result<Vec<usize>, Failure> {
    match frames {
        None => Ok((0..n).collect()),
        Some(list) => list
            .iter()
            .map(|&i| {
                let j = if i < 0 { i + n as i64 } else { i };
                if j < 0 || j >= n as i64 {
                    Err(Failure::Py(PyIndexError::new_err(format!(
                        "frame index {i} is out of range for {n} frame(s)"
                    ))))
                } else {
                    Ok(j as usize)
                }
            })
            .collect(),
    }
}

struct ReadArgs {
    frames: Option<Vec<i64>>,
    single: bool,
    threads: Option<usize>,
    out: Option<Py<PyAny>>,
}

fn read_impl(
    py: Python<'_>,
    input: Input<'_>,
    args: ReadArgs,
) -> PyResult<(Py<PyAny>, Vec<String>)> {
    if args.threads == Some(0) {
        return Err(PyValueError::new_err(
            "threads must be >= 1 (or None for all cores)",
        ));
    }
    let r = py.detach(|| {
        with_parsed(&input, MMAP_THRESHOLD, |parsed, mapped| {
            let layout = parsed.layout()?;
            decode::check_supported(parsed, &layout)?;
            let idx = frame_indices(args.frames.as_deref(), layout.frames)?;
            let squeeze = if args.frames.is_none() {
                layout.frames == 1
            } else {
                args.single
            };
            let shape = output_shape(&layout, idx.len(), squeeze);
            let st = layout.desc.sample_type()?;
            let frame_len = layout.desc.frame_output_len()?;
            let nbytes = limits::checked_size("pixel array", &[frame_len, idx.len() as u64])?;
            let nbytes = usize::try_from(nbytes).map_err(|_| Error::LimitExceeded {
                what: "pixel array".into(),
                requested: nbytes,
                limit: limits::max_alloc(),
            })?;
            let (arr, ptr) = Python::attach(|py| {
                output_buffer(
                    py,
                    st,
                    &shape,
                    nbytes,
                    args.out.as_ref(),
                    decode::needs_zero_fill(parsed, &layout),
                )
            })?;
            let dst: &mut [u8] = if nbytes == 0 {
                &mut []
            } else {
                // SAFETY: `ptr` is the data pointer of a C-contiguous,
                // writeable array (new, or checked in `output_buffer`) of
                // exactly `shape` elements of `st`, i.e. `nbytes` bytes; `arr`
                // keeps the array alive until we return. Nothing else in this
                // call touches the array; other Python threads could (the GIL
                // is released), as with any NumPy function releasing the GIL.
                unsafe { std::slice::from_raw_parts_mut(ptr as *mut u8, nbytes) }
            };
            let mut warnings = parsed.warnings.clone();
            warnings.extend(layout.warnings.iter().cloned());
            let release = |r: std::ops::Range<usize>| {
                if let Some(m) = mapped {
                    m.release(r)
                }
            };
            let release: decode::Release<'_> = &release;
            warnings.extend(decode::decode_frames_releasing(
                parsed,
                &layout,
                &idx,
                dst,
                args.threads,
                mapped.map(|_| release),
            )?);
            Ok((arr, warnings))
        })
    });
    match r {
        Ok((arr, w)) => Ok((arr, w)),
        Err(f) => Err(f.into_py(py)),
    }
}

/// Owned summary of a parsed file (built without the GIL).
struct Info {
    syntax_uid: String,
    syntax_name: String,
    syntax_inferred: bool,
    decodable: Option<String>,
    has_preamble: bool,
    has_file_meta: bool,
    deflated: bool,
    attrs: ImageAttrs,
    element: &'static str,
    vr: Option<String>,
    value_offset: usize,
    value_length: Option<usize>,
    frames: usize,
    dtype: Option<&'static str>,
    shape: Option<Vec<usize>>,
    encapsulated: bool,
    basic_offsets: Vec<u32>,
    used_eot: bool,
    fragments: usize,
    ranges: Vec<Vec<(u64, u64)>>,
    problem: Option<String>,
    warnings: Vec<String>,
}

fn info_of(parsed: &ParsedFile<'_>) -> Result<Info, Failure> {
    let p = parsed.pixel_element()?;
    let mut warnings = parsed.warnings.clone();
    let enc = parsed.encapsulated.as_ref();
    let (mut frames, mut dtype_, mut shape, mut ranges, mut problem, mut decodable) = (
        enc.map_or(0, |e| e.frames.len())
            .max(parsed.attrs.number_of_frames.unwrap_or(1).max(1) as usize),
        None,
        None,
        enc.map(|e| {
            e.frames
                .iter()
                .map(|f| {
                    f.iter()
                        .map(|g| (g.offset as u64, g.length as u64))
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default(),
        None,
        None,
    );
    match parsed.layout() {
        Ok(layout) => {
            frames = layout.frames;
            dtype_ = layout.desc.sample_type().ok().map(|s| s.numpy_str());
            shape = Some(output_shape(&layout, layout.frames, layout.frames == 1));
            match parsed.frame_ranges(&layout) {
                Ok(r) => ranges = r,
                Err(e) => problem = Some(e.to_string()),
            }
            if let Err(e) = decode::check_supported(parsed, &layout) {
                decodable = Some(e.to_string());
            }
            warnings.extend(layout.warnings.iter().cloned());
        }
        Err(e) => {
            decodable = Some(e.to_string());
            problem = Some(e.to_string());
        }
    }
    let element = match p.element {
        PixelElement::PixelData => "PixelData",
        PixelElement::FloatPixelData => "FloatPixelData",
        PixelElement::DoubleFloatPixelData => "DoubleFloatPixelData",
    };
    Ok(Info {
        syntax_uid: parsed.syntax.uid.clone(),
        syntax_name: parsed.syntax.name().to_owned(),
        syntax_inferred: parsed.syntax.inferred,
        decodable,
        has_preamble: parsed.has_preamble,
        has_file_meta: parsed.has_file_meta,
        deflated: parsed.deflated,
        attrs: parsed.attrs.clone(),
        element,
        vr: (p.vr != Vr::IMPLICIT).then(|| p.vr.as_str().to_owned()),
        value_offset: p.value_offset,
        value_length: p.length,
        frames,
        dtype: dtype_,
        shape,
        encapsulated: enc.is_some(),
        basic_offsets: enc.map(|e| e.basic_offsets.clone()).unwrap_or_default(),
        used_eot: enc.is_some_and(|e| e.used_extended_offsets),
        fragments: enc.map_or(0, |e| e.fragments.len()),
        ranges,
        problem,
        warnings,
    })
}

fn info_dict<'py>(py: Python<'py>, i: Info) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let a = &i.attrs;
    d.set_item("transfer_syntax_uid", &i.syntax_uid)?;
    d.set_item("transfer_syntax_name", &i.syntax_name)?;
    d.set_item("transfer_syntax_inferred", i.syntax_inferred)?;
    d.set_item("decodable", i.decodable.is_none())?;
    d.set_item("unsupported_reason", i.decodable)?;
    d.set_item("has_preamble", i.has_preamble)?;
    d.set_item("has_file_meta", i.has_file_meta)?;
    d.set_item("deflated", i.deflated)?;
    d.set_item("rows", a.rows)?;
    d.set_item("columns", a.columns)?;
    d.set_item("number_of_frames", a.number_of_frames)?;
    d.set_item("frames", i.frames)?;
    d.set_item("samples_per_pixel", a.samples_per_pixel)?;
    d.set_item("bits_allocated", a.bits_allocated)?;
    d.set_item("bits_stored", a.bits_stored)?;
    d.set_item("high_bit", a.high_bit)?;
    d.set_item("pixel_representation", a.pixel_representation)?;
    d.set_item("planar_configuration", a.planar_configuration)?;
    d.set_item("photometric_interpretation", &a.photometric_interpretation)?;
    d.set_item("dtype", i.dtype)?;
    d.set_item("shape", i.shape.map(|s| PyTuple::new(py, s)).transpose()?)?;
    d.set_item("pixel_element", i.element)?;
    d.set_item("pixel_vr", i.vr)?;
    d.set_item("pixel_data_offset", i.value_offset)?;
    d.set_item("pixel_data_length", i.value_length)?;
    d.set_item("encapsulated", i.encapsulated)?;
    d.set_item("basic_offset_table", i.basic_offsets)?;
    d.set_item("extended_offset_table", i.used_eot)?;
    d.set_item("fragments", i.fragments)?;
    let ranges = PyList::empty(py);
    for f in i.ranges {
        ranges.append(PyList::new(py, f)?)?;
    }
    d.set_item("frame_ranges", ranges)?;
    d.set_item("problem", i.problem)?;
    d.set_item("warnings", i.warnings)?;
    Ok(d)
}

fn info_impl<'py>(py: Python<'py>, input: Input<'_>) -> PyResult<Bound<'py, PyDict>> {
    match py.detach(|| with_parsed(&input, INFO_MMAP_THRESHOLD, |p, _| info_of(p))) {
        Ok(i) => info_dict(py, i),
        Err(f) => Err(f.into_py(py)),
    }
}

fn element_of(name: &str) -> PyResult<PixelElement> {
    match name {
        "PixelData" => Ok(PixelElement::PixelData),
        "FloatPixelData" => Ok(PixelElement::FloatPixelData),
        "DoubleFloatPixelData" => Ok(PixelElement::DoubleFloatPixelData),
        other => Err(PyValueError::new_err(format!(
            "unknown pixel element {other:?}"
        ))),
    }
}

fn vr_of(vr: Option<&str>) -> PyResult<Vr> {
    match vr {
        None => Ok(Vr::IMPLICIT),
        Some(s) if s.len() == 2 => {
            let b = s.as_bytes();
            Ok(Vr([b[0], b[1]]))
        }
        Some(s) => Err(PyValueError::new_err(format!("invalid VR {s:?}"))),
    }
}

/// Image Pixel attributes from a dict (keys as in `frame_info`, values int,
/// str or None) plus the Extended Offset Table as raw bytes.
fn attrs_of(d: &Bound<'_, PyDict>) -> PyResult<ImageAttrs> {
    let int = |k: &str| -> PyResult<Option<i64>> {
        match d.get_item(k)? {
            None => Ok(None),
            Some(v) if v.is_none() => Ok(None),
            Some(v) => v.extract::<i64>().map(Some).map_err(|_| {
                PyTypeError::new_err(format!("{k} must be an int or None, not {}", v))
            }),
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
                v.extract::<Vec<u64>>().map(Some).map_err(|_| {
                    PyTypeError::new_err(format!("{k} must be bytes or a list of int"))
                })
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
    let input = Input::Parts {
        syntax_uid,
        attrs: Box::new(attrs_of(attrs)?),
        element: element_of(element)?,
        vr: vr_of(vr)?,
        value: array_bytes(&value)?,
    };
    let args = ReadArgs {
        frames,
        single,
        threads,
        out,
    };
    read_impl(py, input, args)
}

/// Describes the pixel data of a file (dict; see `dicodec.FrameInfo`).
#[pyfunction]
fn _frame_info_file<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    info_impl(py, Input::File(path))
}

/// Describes the pixel data of many files at once, on `threads` threads
/// (`None`: all cores) without the GIL: one item per path, the dict of
/// `_frame_info_file` or the exception it would have raised (returned, not
/// raised).
#[pyfunction]
#[pyo3(signature = (paths, threads=None))]
fn _frame_info_files<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyList>> {
    use rayon::prelude::*;
    let infos: Vec<Result<Info, Failure>> = py
        .detach(|| {
            decode::with_threads(threads, |parallel| {
                let one = |p: &PathBuf| {
                    with_parsed(&Input::File(p.clone()), INFO_MMAP_THRESHOLD, |f, _| {
                        info_of(f)
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
            Ok(i) => out.append(info_dict(py, i)?)?,
            Err(f) => out.append(f.into_py(py).into_value(py))?,
        }
    }
    Ok(out)
}

/// Describes the pixel data of a buffer holding a whole file or dataset.
#[pyfunction]
fn _frame_info_buffer<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'_, u8>,
) -> PyResult<Bound<'py, PyDict>> {
    info_impl(py, Input::Bytes(array_bytes(&data)?))
}

/// Describes the pixel data given as a dataset's parts.
#[pyfunction]
fn _frame_info_parts<'py>(
    py: Python<'py>,
    syntax_uid: String,
    attrs: &Bound<'_, PyDict>,
    element: &str,
    vr: Option<&str>,
    value: PyReadonlyArray1<'_, u8>,
) -> PyResult<Bound<'py, PyDict>> {
    let input = Input::Parts {
        syntax_uid,
        attrs: Box::new(attrs_of(attrs)?),
        element: element_of(element)?,
        vr: vr_of(vr)?,
        value: array_bytes(&value)?,
    };
    info_impl(py, input)
}

/// Name of a transfer syntax UID (None when unknown).
#[pyfunction]
fn _transfer_syntax_name(uid: &str) -> Option<&'static str> {
    dicodec_core::parser::syntax::lookup(uid).map(|s| s.name)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
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
