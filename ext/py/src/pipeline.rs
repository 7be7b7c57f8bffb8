//! Python bindings of the pixel pipeline (`dicodec_core::pipeline`).
//!
//! The public API is `dicodec.pipeline` (Python): it reads the attributes
//! from the dataset, allocates the output array and calls these functions,
//! which borrow C-contiguous NumPy arrays, release the GIL around the core
//! kernels and map errors once.

use crate::errors::IntoPyResult;
use dicodec_core::pipeline::color;
use dicodec_core::pipeline::lut::{self, Lut, LutDescriptor};
use dicodec_core::pipeline::min_max;
use dicodec_core::pipeline::window::{self, ModalityStep, Rescale, VoiFunction, VoiStep, Window};
use numpy::{Element, IxDyn, PyArray, PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_pl_lut, m)?)?;
    m.add_function(wrap_pyfunction!(_pl_palette, m)?)?;
    m.add_function(wrap_pyfunction!(_pl_segmented, m)?)?;
    m.add_function(wrap_pyfunction!(_pl_rescale, m)?)?;
    m.add_function(wrap_pyfunction!(_pl_window, m)?)?;
    m.add_function(wrap_pyfunction!(_pl_color, m)?)?;
    m.add_function(wrap_pyfunction!(_pl_render, m)?)?;
    m.add_function(wrap_pyfunction!(_pl_min_max, m)?)?;
    m.add_function(wrap_pyfunction!(_pl_png, m)?)?;
    Ok(())
}

fn contiguous<T>(r: Result<T, numpy::AsSliceError>) -> PyResult<T> {
    r.map_err(|_| PyValueError::new_err("arrays must be C-contiguous"))
}

/// A writable slice of the output array (`out` must be of element type `T`).
fn with_out<T: Element, R>(
    out: &Bound<'_, PyAny>,
    f: impl FnOnce(&mut [T]) -> PyResult<R>,
) -> PyResult<R> {
    let a = out
        .cast::<PyArray<T, IxDyn>>()
        .map_err(|_| PyTypeError::new_err("out has the wrong dtype"))?;
    let mut w = a.try_readwrite().map_err(|_| {
        PyValueError::new_err("out must be writeable and not shared with the input")
    })?;
    let s = contiguous(w.as_slice_mut())?;
    f(s)
}

/// Calls `$body` with `$s: &[T]` for the dtype of the input array `$arr`.
macro_rules! with_input {
    ($arr:expr, |$s:ident| $body:expr) => {{
        let arr: &Bound<'_, PyAny> = $arr;
        with_input!(@try arr, $s, $body, u8, i8, u16, i16, u32, i32, u64, i64, f32, f64)
    }};
    (@try $arr:ident, $s:ident, $body:expr, $t:ty $(, $rest:ty)*) => {
        if let Ok(a) = $arr.cast::<PyArray<$t, IxDyn>>() {
            let r = a.try_readonly().map_err(|_| PyValueError::new_err("input is being written"))?;
            let $s: &[$t] = contiguous(r.as_slice())?;
            $body
        } else {
            with_input!(@try $arr, $s, $body $(, $rest)*)
        }
    };
    (@try $arr:ident, $s:ident, $body:expr) => {
        Err(PyTypeError::new_err(format!(
            "unsupported input dtype {}",
            $arr.getattr("dtype").map_or_else(|_| "?".to_string(), |d| d.to_string())
        )))
    };
}

fn descriptor(py: Python<'_>, d: (i64, i64, i64)) -> PyResult<LutDescriptor> {
    let (n, first_map, bits) = d;
    if !(0..=65536).contains(&n) || !(0..=64).contains(&bits) {
        return Err(crate::errors::to_pyerr(
            py,
            dicodec_core::Error::malformed(
                0,
                "LUT Descriptor",
                format!("invalid values {n}, {first_map}, {bits}"),
            ),
        ));
    }
    Ok(LutDescriptor {
        entries: n as u32,
        first_map,
        bits: bits as u32,
    })
}

fn u16_lut(py: Python<'_>, d: LutDescriptor, data: &[u16]) -> PyResult<Lut<u16>> {
    Lut::new(d, data).py_err(py)
}

fn u8_lut(py: Python<'_>, d: LutDescriptor, data: &[u16]) -> PyResult<Lut<u8>> {
    if data.iter().any(|&v| v > 255) {
        return Err(PyValueError::new_err(
            "LUT entries above 255 for 8-bit output",
        ));
    }
    let b: Vec<u8> = data.iter().map(|&v| v as u8).collect();
    Lut::new(d, &b).py_err(py)
}

fn is_u8(out: &Bound<'_, PyAny>) -> bool {
    out.cast::<PyArray<u8, IxDyn>>().is_ok()
}

/// Applies one LUT (`descriptor` = (entries, first map, bits), `data` its
/// entries) to `arr` into `out` (uint8 or uint16, same size). `wrap_bits`
/// reduces offsets modulo 2^bits first.
#[pyfunction]
#[pyo3(signature = (arr, out, descriptor, data, wrap_bits=None))]
fn _pl_lut(
    py: Python<'_>,
    arr: &Bound<'_, PyAny>,
    out: &Bound<'_, PyAny>,
    descriptor: (i64, i64, i64),
    data: PyReadonlyArray1<'_, u16>,
    wrap_bits: Option<u32>,
) -> PyResult<()> {
    let d = self::descriptor(py, descriptor)?;
    let data = contiguous(data.as_slice())?;
    if is_u8(out) {
        let l = u8_lut(py, d, data)?;
        with_input!(arr, |s| with_out::<u8, ()>(out, |o| py
            .detach(|| lut::apply_lut(s, &l, wrap_bits, o))
            .py_err(py)))
    } else {
        let l = u16_lut(py, d, data)?;
        with_input!(arr, |s| with_out::<u16, ()>(out, |o| py
            .detach(|| lut::apply_lut(s, &l, wrap_bits, o))
            .py_err(py)))
    }
}

/// Applies palette LUTs sharing `descriptor` to `arr` into `out` (uint8 or
/// uint16, `len(luts)` values per input value).
#[pyfunction]
#[pyo3(signature = (arr, out, descriptor, luts, wrap_bits=None))]
fn _pl_palette(
    py: Python<'_>,
    arr: &Bound<'_, PyAny>,
    out: &Bound<'_, PyAny>,
    descriptor: (i64, i64, i64),
    luts: Vec<PyReadonlyArray1<'_, u16>>,
    wrap_bits: Option<u32>,
) -> PyResult<()> {
    let d = self::descriptor(py, descriptor)?;
    let datas = luts
        .iter()
        .map(|l| contiguous(l.as_slice()))
        .collect::<PyResult<Vec<_>>>()?;
    if is_u8(out) {
        let ls = datas
            .iter()
            .map(|x| u8_lut(py, d, x))
            .collect::<PyResult<Vec<_>>>()?;
        with_input!(arr, |s| with_out::<u8, ()>(out, |o| py
            .detach(|| lut::apply_palette(s, &ls, wrap_bits, o))
            .py_err(py)))
    } else {
        let ls = datas
            .iter()
            .map(|x| u16_lut(py, d, x))
            .collect::<PyResult<Vec<_>>>()?;
        with_input!(arr, |s| with_out::<u16, ()>(out, |o| py
            .detach(|| lut::apply_palette(s, &ls, wrap_bits, o))
            .py_err(py)))
    }
}

/// Expands segmented palette LUT data (words: bytes for 8-bit entries).
#[pyfunction]
fn _pl_segmented<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'_, u16>,
    eight_bit: bool,
    little_endian: bool,
) -> PyResult<Bound<'py, PyArray1<u16>>> {
    let d = contiguous(data.as_slice())?;
    let v = lut::expand_segmented(d, eight_bit, little_endian).py_err(py)?;
    Ok(PyArray1::from_vec(py, v))
}

/// `out = arr * slope + intercept` (float64), per frame of `frame_len` values.
#[pyfunction]
fn _pl_rescale(
    py: Python<'_>,
    arr: &Bound<'_, PyAny>,
    out: &Bound<'_, PyAny>,
    frame_len: usize,
    slopes: Vec<f64>,
    intercepts: Vec<f64>,
) -> PyResult<()> {
    let r = Rescale { slopes, intercepts };
    with_input!(arr, |s| with_out::<f64, ()>(out, |o| py
        .detach(|| window::rescale(s, frame_len, &r, o))
        .py_err(py)))
}

fn voi_function(name: &str) -> PyResult<VoiFunction> {
    match name {
        "LINEAR" => Ok(VoiFunction::Linear),
        "LINEAR_EXACT" => Ok(VoiFunction::LinearExact),
        "SIGMOID" => Ok(VoiFunction::Sigmoid),
        other => Err(PyValueError::new_err(format!(
            "Unsupported (0028,1056) VOI LUT Function value '{other}'"
        ))),
    }
}

/// Windowing of `arr` into `out` (float64).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn _pl_window(
    py: Python<'_>,
    arr: &Bound<'_, PyAny>,
    out: &Bound<'_, PyAny>,
    center: f64,
    width: f64,
    function: &str,
    y_min: f64,
    y_max: f64,
) -> PyResult<()> {
    let w = Window {
        center,
        width,
        function: voi_function(function)?,
        y_min,
        y_max,
    };
    with_input!(arr, |s| with_out::<f64, ()>(out, |o| py
        .detach(|| window::apply_window(s, &w, o))
        .py_err(py)))
}

/// Colour conversion `kind`: "YBR_FULL" (→ RGB), "YBR_ICT", "YBR_RCT",
/// "RGB_TO_YBR_FULL"; `out=None` converts `arr` in place (YBR_FULL only).
#[pyfunction]
#[pyo3(signature = (arr, out, kind))]
fn _pl_color(
    py: Python<'_>,
    arr: &Bound<'_, PyAny>,
    out: Option<&Bound<'_, PyAny>>,
    kind: &str,
) -> PyResult<()> {
    let Some(out) = out else {
        if kind != "YBR_FULL" {
            return Err(PyValueError::new_err(
                "in place conversion is YBR_FULL only",
            ));
        }
        return with_out::<u8, ()>(arr, |b| {
            py.detach(|| color::ybr_full_to_rgb_in_place(b)).py_err(py)
        });
    };
    let r8 = |s: &[u8], o: &mut [u8]| match kind {
        "YBR_FULL" => Ok(color::ybr_full_to_rgb(s, o)),
        "YBR_ICT" => Ok(color::ybr_ict_to_rgb(s, o)),
        "YBR_RCT" => Ok(color::ybr_rct_to_rgb(s, o)),
        "RGB_TO_YBR_FULL" => Ok(color::rgb_to_ybr_full(s, o)),
        _ => Err(PyValueError::new_err(format!("unknown conversion {kind}"))),
    };
    if let Ok(a) = arr.cast::<PyArray<u8, IxDyn>>() {
        let r = a.readonly();
        let s = contiguous(r.as_slice())?;
        return with_out::<u8, ()>(out, |o| {
            let mut res = Ok(Ok(()));
            py.detach(|| res = r8(s, o));
            res?.py_err(py)
        });
    }
    let a = arr
        .cast::<PyArray<u16, IxDyn>>()
        .map_err(|_| PyTypeError::new_err("colour conversion needs uint8 or uint16 samples"))?;
    let r = a.readonly();
    let s = contiguous(r.as_slice())?;
    with_out::<u16, ()>(out, |o| {
        py.detach(|| match kind {
            "YBR_ICT" => Ok(color::ybr_ict_to_rgb(s, o)),
            "YBR_RCT" => Ok(color::ybr_rct_to_rgb(s, o)),
            _ => Err(()),
        })
        .map_err(|_| PyValueError::new_err(format!("{kind} needs uint8 samples")))?
        .py_err(py)
    })
}

/// Stored values → display values: `modality` is None, ("rescale", slopes,
/// intercepts) or ("lut", descriptor, data); `voi` is ("window", center,
/// width, function) or ("lut", descriptor, data); `out` uint8 or uint16.
#[pyfunction]
fn _pl_render(
    py: Python<'_>,
    arr: &Bound<'_, PyAny>,
    out: &Bound<'_, PyAny>,
    frame_len: usize,
    modality: Option<&Bound<'_, PyAny>>,
    voi: &Bound<'_, PyAny>,
    invert: bool,
) -> PyResult<()> {
    let m = match modality {
        None => ModalityStep::Identity,
        Some(t) => {
            let kind: String = t.get_item(0)?.extract()?;
            if kind == "rescale" {
                ModalityStep::Rescale(Rescale {
                    slopes: t.get_item(1)?.extract()?,
                    intercepts: t.get_item(2)?.extract()?,
                })
            } else {
                let d = descriptor(py, t.get_item(1)?.extract()?)?;
                let data: PyReadonlyArray1<'_, u16> = t.get_item(2)?.extract()?;
                ModalityStep::Lut(u16_lut(py, d, contiguous(data.as_slice())?)?)
            }
        }
    };
    let kind: String = voi.get_item(0)?.extract()?;
    let v = if kind == "window" {
        VoiStep::Window(Window {
            center: voi.get_item(1)?.extract()?,
            width: voi.get_item(2)?.extract()?,
            function: voi_function(&voi.get_item(3)?.extract::<String>()?)?,
            y_min: 0.0,
            y_max: 0.0,
        })
    } else {
        let d = descriptor(py, voi.get_item(1)?.extract()?)?;
        let data: PyReadonlyArray1<'_, u16> = voi.get_item(2)?.extract()?;
        VoiStep::Lut(u16_lut(py, d, contiguous(data.as_slice())?)?, d.bits)
    };
    if is_u8(out) {
        with_input!(arr, |s| with_out::<u8, ()>(out, |o| py
            .detach(|| window::render(s, frame_len, &m, &v, invert, o))
            .py_err(py)))
    } else {
        with_input!(arr, |s| with_out::<u16, ()>(out, |o| py
            .detach(|| window::render(s, frame_len, &m, &v, invert, o))
            .py_err(py)))
    }
}

/// Minimum and maximum of the finite values (None when there are none).
#[pyfunction]
fn _pl_min_max(py: Python<'_>, arr: &Bound<'_, PyAny>) -> PyResult<Option<(f64, f64)>> {
    with_input!(arr, |s| Ok(py.detach(|| min_max(s))))
}

/// Encodes `frames` images of `height` × `width` × `channels` samples
/// (`arr`: C-contiguous uint8 or uint16) as PNG files, in parallel.
#[pyfunction]
fn _pl_png<'py>(
    py: Python<'py>,
    arr: &Bound<'py, PyAny>,
    frames: usize,
    height: u32,
    width: u32,
    channels: u32,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    use dicodec_core::pipeline::png::{encode_pngs, PngSamples};
    let encoded = if let Ok(a) = arr.cast::<PyArray<u8, IxDyn>>() {
        let r = a.readonly();
        let s = contiguous(r.as_slice())?;
        py.detach(|| encode_pngs(PngSamples::Eight(s), frames, width, height, channels))
    } else {
        let a = arr
            .cast::<PyArray<u16, IxDyn>>()
            .map_err(|_| PyTypeError::new_err("PNG images need uint8 or uint16 samples"))?;
        let r = a.readonly();
        let s = contiguous(r.as_slice())?;
        py.detach(|| encode_pngs(PngSamples::Sixteen(s), frames, width, height, channels))
    }
    .py_err(py)?;
    Ok(encoded.iter().map(|b| PyBytes::new(py, b)).collect())
}
