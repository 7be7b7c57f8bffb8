//! Encoding through the codec registry: every frame of a native pixel array
//! to one transfer syntax, frames in parallel, the GIL released. The typed
//! per-codec parameters ([`EncodeParams`]) are built from keyword arguments;
//! their checks are the core's.

use crate::errors::IntoPyResult;
use dicodec_core::codecs::{
    encode_frames, DeflateParams, EncodeContext, EncodeParams, J2kParams, JpegLosslessParams,
    JpegLsParams,
};
use dicodec_core::pixels::PixelDescription;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Encodes `frames` frames of `data` (little-endian, colour-by-pixel samples
/// as `read_pixels` returns them, as a uint8 view) for transfer syntax
/// `syntax`; `codec` names the parameter family ("default", "jpeg-lossless",
/// "jpeg-ls", "j2k", "deflate") whose keyword arguments apply. Returns one
/// `bytes` per frame, or with `arrays=True` one 1-D uint8 NumPy array per
/// frame that owns the encoder's buffer (no copy: the batch transcoder writes
/// them out as they are).
#[pyfunction]
#[pyo3(signature = (
    syntax, data, frames, rows, columns, samples_per_pixel, bits_allocated, bits_stored,
    pixel_representation, photometric_interpretation, *, codec="default", threads=None,
    predictor=1, restart_interval=0, optimise=true, near=0, interleave=None, levels=None,
    code_block=None, level=6, arrays=false
))]
#[allow(clippy::too_many_arguments)]
fn _encode_frames<'py>(
    py: Python<'py>,
    syntax: &str,
    data: PyReadonlyArray1<'py, u8>,
    frames: u32,
    rows: u32,
    columns: u32,
    samples_per_pixel: u16,
    bits_allocated: u16,
    bits_stored: u16,
    pixel_representation: u16,
    photometric_interpretation: String,
    codec: &str,
    threads: Option<usize>,
    predictor: u8,
    restart_interval: u16,
    optimise: bool,
    near: u8,
    interleave: Option<u8>,
    levels: Option<u8>,
    code_block: Option<(u16, u16)>,
    level: i32,
    arrays: bool,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let params = match codec {
        "default" => EncodeParams::Default,
        "jpeg-lossless" => EncodeParams::JpegLossless(JpegLosslessParams {
            predictor,
            restart_interval,
            optimise,
        }),
        "jpeg-ls" => EncodeParams::JpegLs(JpegLsParams {
            near,
            interleave,
            restart_interval,
        }),
        "j2k" => EncodeParams::J2k(J2kParams { levels, code_block }),
        "deflate" => EncodeParams::Deflate(DeflateParams { level }),
        other => return Err(PyValueError::new_err(format!("unknown codec {other:?}"))),
    };
    let src = data
        .as_slice()
        .map_err(|e| PyValueError::new_err(format!("data: {e}")))?;
    let desc = PixelDescription {
        rows,
        columns,
        number_of_frames: frames,
        samples_per_pixel,
        bits_allocated,
        bits_stored,
        high_bit: bits_stored.saturating_sub(1),
        pixel_representation,
        photometric_interpretation,
        ..Default::default()
    };
    let mut ctx = EncodeContext::with_params(params);
    ctx.threads = threads;
    let out = py
        .detach(|| encode_frames(syntax, src, &desc, &ctx))
        .py_err(py)?;
    Ok(if arrays {
        out.into_iter()
            .map(|f| PyArray1::from_vec(py, f).into_any())
            .collect()
    } else {
        out.iter().map(|f| PyBytes::new(py, f).into_any()).collect()
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_encode_frames, m)?)?;
    Ok(())
}
