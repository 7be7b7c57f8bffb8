//! PNG encoding of display images (`png` crate, fast `fdeflate` compression):
//! 8- or 16-bit greyscale, grey+alpha, RGB or RGBA, frames in parallel.

use crate::error::{Error, Result};
use crate::limits;
use rayon::prelude::*;

/// The samples of one or more images, row by row, colour-by-pixel.
#[derive(Debug, Clone, Copy)]
pub enum PngSamples<'a> {
    /// 8 bits per sample.
    Eight(&'a [u8]),
    /// 16 bits per sample (native order; written big-endian as PNG wants).
    Sixteen(&'a [u16]),
}

impl PngSamples<'_> {
    fn len(&self) -> usize {
        match self {
            PngSamples::Eight(s) => s.len(),
            PngSamples::Sixteen(s) => s.len(),
        }
    }
}

fn color(channels: u32) -> Result<png::ColorType> {
    Ok(match channels {
        1 => png::ColorType::Grayscale,
        2 => png::ColorType::GrayscaleAlpha,
        3 => png::ColorType::Rgb,
        4 => png::ColorType::Rgba,
        n => {
            return Err(Error::unsupported(format!(
                "{n} channels in a PNG (1 to 4 allowed)"
            )))
        }
    })
}

fn png_err(e: png::EncodingError) -> Error {
    Error::unsupported(format!("PNG encoding: {e}"))
}

/// Encodes one image of `width` × `height` pixels of `channels` samples.
pub fn encode_png(
    samples: PngSamples<'_>,
    width: u32,
    height: u32,
    channels: u32,
) -> Result<Vec<u8>> {
    let ct = color(channels)?;
    let n = limits::checked_size(
        "PNG image samples",
        &[width as u64, height as u64, channels as u64],
    )?;
    if width == 0 || height == 0 || samples.len() as u64 != n {
        return Err(Error::unsupported(format!(
            "{} samples for a {width} × {height} × {channels} PNG",
            samples.len()
        )));
    }
    let mut out = Vec::with_capacity((n as usize / 2).max(1024));
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(ct);
        enc.set_compression(png::Compression::Fast);
        let be;
        let (depth, bytes): (png::BitDepth, &[u8]) = match samples {
            PngSamples::Eight(s) => (png::BitDepth::Eight, s),
            PngSamples::Sixteen(s) => {
                be = s.iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<u8>>();
                (png::BitDepth::Sixteen, &be)
            }
        };
        enc.set_depth(depth);
        let mut w = enc.write_header().map_err(png_err)?;
        w.write_image_data(bytes).map_err(png_err)?;
        w.finish().map_err(png_err)?;
    }
    Ok(out)
}

/// Encodes `frames` consecutive images in parallel.
pub fn encode_pngs(
    samples: PngSamples<'_>,
    frames: usize,
    width: u32,
    height: u32,
    channels: u32,
) -> Result<Vec<Vec<u8>>> {
    let per = limits::checked_size(
        "PNG image samples",
        &[width as u64, height as u64, channels as u64],
    )? as usize;
    if per == 0 || samples.len() != per * frames {
        return Err(Error::unsupported(format!(
            "{} samples for {frames} PNG images of {width} × {height} × {channels}",
            samples.len()
        )));
    }
    (0..frames)
        .into_par_iter()
        .map(|f| {
            let s = match samples {
                PngSamples::Eight(s) => PngSamples::Eight(&s[f * per..(f + 1) * per]),
                PngSamples::Sixteen(s) => PngSamples::Sixteen(&s[f * per..(f + 1) * per]),
            };
            encode_png(s, width, height, channels)
        })
        .collect()
}
