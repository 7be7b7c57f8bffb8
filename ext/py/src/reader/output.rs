//! The read path: checks or allocates the NumPy output (the GIL is taken
//! back only for that), then decodes into it without the GIL.

use dicodec_core::decode;
use dicodec_core::parser::source::MMAP_THRESHOLD;
use dicodec_core::pixels::SampleType;
use dicodec_core::{limits, Error};
use numpy::{Element, IxDyn, PyArray, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;

use super::input::{with_parsed, Failure, Input};
use crate::errors::invalid_argument;

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

pub(crate) struct ReadArgs {
    pub(crate) frames: Option<Vec<i64>>,
    pub(crate) single: bool,
    pub(crate) threads: Option<usize>,
    pub(crate) out: Option<Py<PyAny>>,
}

pub(crate) fn read_impl(
    py: Python<'_>,
    input: Input<'_>,
    args: ReadArgs,
) -> PyResult<(Py<PyAny>, Vec<String>)> {
    if args.threads == Some(0) {
        return Err(invalid_argument(
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
            let shape = layout.array_shape(idx.len(), squeeze);
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
