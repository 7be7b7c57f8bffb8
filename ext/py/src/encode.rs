//! Encoding through the codec registry (`dicodec_core::codecs::registry`):
//! `_native._encode_frames` encodes every frame of a pixel buffer with the
//! registered encoder of a transfer syntax, frames in parallel on the core's
//! thread pools, the GIL released. `dicodec.compress` and `dicodec transcode`
//! use it for every syntax whose encoder takes no Python-side options, so a
//! newly registered encoder is usable there without code changes.

use crate::errors::{invalid_argument, IntoPyResult};
use dicodec_core::codecs::registry;
use dicodec_core::codecs::EncodeContext;
use dicodec_core::error::{Error, Result};
use dicodec_core::exec::pool::with_threads;
use dicodec_core::pixels::PixelDescription;
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rayon::prelude::*;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_encode_frames, m)?)?;
    Ok(())
}

/// Encodes the `frames` frames of `data` (little-endian, colour-by-pixel,
/// frame after frame, as `read_pixels` returns them) with the registered
/// encoder of transfer syntax `syntax`; returns one `bytes` per frame.
/// `threads`: `None` all cores, 1 the calling thread.
#[pyfunction]
#[pyo3(signature = (
    syntax, data, rows, columns, frames, samples_per_pixel, bits_allocated, bits_stored,
    pixel_representation, photometric_interpretation, threads=None
))]
#[allow(clippy::too_many_arguments)]
fn _encode_frames<'py>(
    py: Python<'py>,
    syntax: &str,
    data: PyReadonlyArray1<'py, u8>,
    rows: u32,
    columns: u32,
    frames: u32,
    samples_per_pixel: u16,
    bits_allocated: u16,
    bits_stored: u16,
    pixel_representation: u16,
    photometric_interpretation: String,
    threads: Option<usize>,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let src = data
        .as_slice()
        .map_err(|e| invalid_argument(format!("data: {e}")))?;
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
    let encoded = py
        .detach(|| encode_all(syntax, src, &desc, threads))
        .py_err(py)?;
    Ok(encoded.iter().map(|e| PyBytes::new(py, e)).collect())
}

fn encode_all(
    syntax: &str,
    src: &[u8],
    desc: &PixelDescription,
    threads: Option<usize>,
) -> Result<Vec<Vec<u8>>> {
    let entry = registry::lookup(syntax)
        .ok_or_else(|| Error::unsupported(format!("encoding transfer syntax {syntax}")))?;
    let encoder = entry.encoder()?;
    let frame = usize::try_from(desc.frame_output_len()?)
        .map_err(|_| Error::unsupported("a frame larger than the address space"))?;
    let n = desc.number_of_frames.max(1) as usize;
    if frame == 0 || frame.checked_mul(n) != Some(src.len()) {
        return Err(Error::malformed(
            0,
            "encoder input",
            format!("{} bytes for {n} frames of {frame} bytes", src.len()),
        ));
    }
    let mut one = desc.clone();
    one.number_of_frames = 1;
    let mut ctx = EncodeContext::default();
    ctx.threads = Some(1);
    let chunks: Vec<&[u8]> = src.chunks(frame).collect();
    let run = |c: &&[u8]| encoder.encode(c, &one, &ctx);
    with_threads(threads, |parallel| {
        if parallel && chunks.len() > 1 {
            chunks.par_iter().map(run).collect()
        } else {
            chunks.iter().map(run).collect()
        }
    })?
}
