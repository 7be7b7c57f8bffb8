//! JPEG Lossless encoder (ITU T.81 process 14, SOF3, point transform 0).
//!
//! Predictors 1-7 (1 = the "SV1" of DICOM's JPEG Lossless SV1 syntax), precision
//! 2-16, 1-4 components in one interleaved scan (each component its own
//! table), optional restart intervals of whole rows, and Huffman tables
//! either optimised for the frame (two passes, Annex K.2) or a fixed table
//! valid for any image. Signed samples are encoded as their two's-complement
//! bit patterns masked to the precision, as DICOM encoders write them; the
//! decoders sign-extend from Bits Stored.

mod arch;
mod bitwriter;
mod lut;
mod scan;
mod tables;

use crate::error::{Error, Result};
use crate::limits;
use crate::pixels::{PixelDescription, SampleType};
use bitwriter::Bits;
use lut::{Histogram8, Writer8};
use scan::{Codes, Histogram, Params, Writer};
use tables::{default_spec, optimal_spec, EncodeTable, SYMBOLS};

/// Encoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Selection value 1-7 (T.81 Table H.1).
    pub predictor: u8,
    /// Sample precision in bits (2-16; DICOM Bits Stored).
    pub precision: u8,
    /// Restart interval in MCUs (one MCU = one pixel): 0 for none, else a
    /// multiple of the image width.
    pub restart_interval: u16,
    /// Huffman tables optimised for the image (two passes) instead of a
    /// fixed table.
    pub optimise: bool,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            predictor: 1,
            precision: 16,
            restart_interval: 0,
            optimise: true,
        }
    }
}

/// Samples to encode, colour-by-pixel (rows × columns × components).
#[derive(Debug, Clone, Copy)]
pub enum Samples<'a> {
    /// Precision up to 8.
    U8(&'a [u8]),
    /// Any precision up to 16.
    U16(&'a [u16]),
}

fn bad(msg: String) -> Error {
    Error::invalid_argument(format!("JPEG Lossless encoder: {msg}"))
}

/// Encodes one image of `width` × `height` × `components` samples into a
/// complete stream (SOI ... EOI).
pub fn encode(
    samples: Samples<'_>,
    width: usize,
    height: usize,
    components: usize,
    opts: &EncodeOptions,
) -> Result<Vec<u8>> {
    encode_with(
        samples,
        width,
        height,
        components,
        opts,
        arch::available(),
        true,
    )
}

/// [`encode`] with the scan loops of [`arch`] (`simd`, where the CPU has
/// them) or the portable ones, and for precision up to 8 the table sinks of
/// [`lut`] (`lut`) or the general ones; the same bytes every way.
fn encode_with(
    samples: Samples<'_>,
    width: usize,
    height: usize,
    components: usize,
    opts: &EncodeOptions,
    simd: bool,
    lut: bool,
) -> Result<Vec<u8>> {
    if !(1..=7).contains(&opts.predictor) {
        return Err(bad(format!("predictor {} (must be 1-7)", opts.predictor)));
    }
    if !(2..=16).contains(&opts.precision) {
        return Err(bad(format!("precision {} (must be 2-16)", opts.precision)));
    }
    if !(1..=4).contains(&components) {
        return Err(bad(format!("{components} components (must be 1-4)")));
    }
    if width == 0 || height == 0 || width > 65535 || height > 65535 {
        return Err(bad(format!(
            "{width} x {height} pixels (must be 1-65535 each)"
        )));
    }
    let ri = opts.restart_interval as usize;
    if ri % width != 0 {
        return Err(bad(format!(
            "restart interval {ri} is not a multiple of the width {width} (whole rows only)"
        )));
    }
    let n = limits::checked_size(
        "JPEG Lossless input",
        &[width as u64, height as u64, components as u64],
    )?;
    let len = match samples {
        Samples::U8(s) => {
            if opts.precision > 8 {
                return Err(bad(format!(
                    "precision {} with 8-bit samples",
                    opts.precision
                )));
            }
            s.len()
        }
        Samples::U16(s) => s.len(),
    };
    if len as u64 != n {
        return Err(bad(format!(
            "{len} samples given for {width} x {height} x {components}"
        )));
    }
    let p = Params {
        width,
        height,
        nf: components,
        precision: opts.precision as u32,
        predictor: opts.predictor,
        restart_rows: ri / width,
    };
    let lut = lut && lut::fits(opts.precision, opts.predictor);
    let (tables, of) = if opts.optimise {
        let freq = if lut {
            let mut h = Histogram8::new();
            run_on(samples, p, &mut h, simd);
            h.freq()
        } else {
            let mut h = Histogram::new();
            run_on(samples, p, &mut h, simd);
            h.freq
        };
        assign_tables(&freq, components)
    } else {
        (vec![EncodeTable::new(default_spec())], [0; 4])
    };

    // Output: headers + about what the input takes, grown as needed.
    let bytes_per = if opts.precision > 8 { 2 } else { 1 };
    let mut out = Vec::with_capacity((n as usize * bytes_per / 2).max(1024));
    write_headers(&mut out, &p, &tables, &of, opts);
    let codes = of.map(|t| Codes::new(&tables[t]));
    let mut bits = if lut {
        let mut w = Writer8::new(&mut out, &codes);
        run_on(samples, p, &mut w, simd);
        w.bits
    } else {
        let mut w = Writer {
            out: &mut out,
            bits: Bits::default(),
            codes,
            raw: Vec::new(),
        };
        run_on(samples, p, &mut w, simd);
        w.bits
    };
    bits.flush(&mut out);
    out.extend_from_slice(&[0xFF, 0xD9]);
    Ok(out)
}

/// Optimal tables for the category counts of `nf` components, and which
/// table each component uses: of every way to share tables among the
/// components (one table for all, one each, and the groupings between),
/// the one whose codes and DHT bytes take the fewest bits. libjpeg-turbo
/// shares one table among R, G and B; a table per component saves more
/// than its 20-30 header bytes only when the components differ.
fn assign_tables(freq: &[[u64; 32]; 4], nf: usize) -> (Vec<EncodeTable>, [usize; 4]) {
    let mut best: Option<(u64, Vec<EncodeTable>, [usize; 4])> = None;
    // Every set partition, as a restricted growth string: group[0] = 0,
    // group[i] <= 1 + max(group[..i]).
    let mut group = [0usize; 4];
    loop {
        let ngroups = group[..nf].iter().max().unwrap() + 1;
        let mut tables = Vec::with_capacity(ngroups);
        let mut cost = 0u64;
        for g in 0..ngroups {
            let mut f = [0u64; SYMBOLS];
            for c in (0..nf).filter(|&c| group[c] == g) {
                for (a, b) in f.iter_mut().zip(&freq[c]) {
                    *a += b;
                }
            }
            let t = EncodeTable::new(optimal_spec(&f));
            // Code bits (the extra bits do not depend on the table), then
            // the table's DHT bytes (class/id, 16 counts, the symbols).
            cost += f
                .iter()
                .zip(&t.len)
                .map(|(&n, &l)| n * l as u64)
                .sum::<u64>();
            cost += 8 * (17 + t.spec.vals.len() as u64);
            tables.push(t);
        }
        if best.as_ref().is_none_or(|b| cost < b.0) {
            best = Some((cost, tables, group));
        }
        // Next restricted growth string of length nf.
        let mut i = nf;
        loop {
            if i <= 1 {
                let (_, tables, of) = best.expect("one partition at least");
                return (tables, of);
            }
            i -= 1;
            let room = group[..i].iter().max().unwrap() + 1;
            if group[i] < room {
                group[i] += 1;
                group[i + 1..nf].fill(0);
                break;
            }
        }
    }
}

fn run_on<S: scan::Sink>(samples: Samples<'_>, p: Params, sink: &mut S, simd: bool) {
    match (samples, simd && arch::available()) {
        (Samples::U8(s), true) => arch::run::<u8, S>(s, p, sink),
        (Samples::U16(s), true) => arch::run::<u16, S>(s, p, sink),
        (Samples::U8(s), false) => scan::run::<u8, S>(s, p, sink),
        (Samples::U16(s), false) => scan::run::<u16, S>(s, p, sink),
    }
}

fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
}

fn write_headers(
    out: &mut Vec<u8>,
    p: &Params,
    tables: &[EncodeTable],
    of: &[usize; 4],
    opts: &EncodeOptions,
) {
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut dht = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        dht.push(i as u8); // class 0, table i
        dht.extend_from_slice(&t.spec.bits[1..]);
        dht.extend_from_slice(&t.spec.vals);
    }
    segment(out, 0xC4, &dht);
    let mut sof = vec![opts.precision];
    sof.extend_from_slice(&(p.height as u16).to_be_bytes());
    sof.extend_from_slice(&(p.width as u16).to_be_bytes());
    sof.push(p.nf as u8);
    for c in 0..p.nf {
        sof.extend_from_slice(&[c as u8 + 1, 0x11, 0]);
    }
    segment(out, 0xC3, &sof);
    if opts.restart_interval > 0 {
        segment(out, 0xDD, &opts.restart_interval.to_be_bytes());
    }
    let mut sos = vec![p.nf as u8];
    for (c, &t) in of.iter().enumerate().take(p.nf) {
        sos.extend_from_slice(&[c as u8 + 1, (t as u8) << 4]);
    }
    sos.extend_from_slice(&[opts.predictor, 0, 0]);
    segment(out, 0xDA, &sos);
}

/// Encodes one native DICOM frame (`src`: little-endian samples in the Bits
/// Allocated container, colour-by-pixel, as [`crate::codecs::native`] and
/// pydicom produce them). Precision = Bits Stored unless `opts.precision`
/// is smaller.
pub fn encode_frame(src: &[u8], desc: &PixelDescription, opts: &EncodeOptions) -> Result<Vec<u8>> {
    desc.validate()?;
    let need = desc.frame_output_len()?;
    if src.len() as u64 != need {
        return Err(bad(format!(
            "frame of {} bytes but {} x {} x {} samples need {need}",
            src.len(),
            desc.rows,
            desc.columns,
            desc.samples_per_pixel
        )));
    }
    let mut o = *opts;
    o.precision = o.precision.min(desc.bits_stored.min(16) as u8);
    let (w, h, nf) = (
        desc.columns as usize,
        desc.rows as usize,
        desc.samples_per_pixel as usize,
    );
    match desc.sample_type()? {
        SampleType::U8 | SampleType::I8 if desc.bits_allocated == 8 => {
            encode(Samples::U8(src), w, h, nf, &o)
        }
        SampleType::U16 | SampleType::I16 => {
            let v: Vec<u16> = src
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .collect();
            encode(Samples::U16(&v), w, h, nf, &o)
        }
        _ => Err(bad(format!(
            "Bits Allocated {} (8 or 16 only)",
            desc.bits_allocated
        ))),
    }
}

#[cfg(test)]
mod tests;
