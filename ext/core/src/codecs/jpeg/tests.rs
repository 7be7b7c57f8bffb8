//! Tests of the lossless JPEG decoder.
//!
//! Streams come from a small reference encoder written here from T.81 Annex
//! H (test-only), so every feature (restart intervals, DNL, table
//! placement, subsampling, Cornell tables, legacy predictors, damage) can be
//! produced on demand; the expected output is always the original image,
//! never the decoder's earlier output. Third-party streams (libjpeg-turbo,
//! liblj92, GDCM, the ISO conformance stream) are checked in the Python tests.

use super::huffman::{extend, DecodeTable, Ssss16};
use super::*;
use crate::pixels::PixelDescription;
use proptest::prelude::*;

/// One component at its own resolution.
#[derive(Clone)]
struct Plane {
    h: u8,
    v: u8,
    w: usize,
    ht: usize,
    data: Vec<u16>,
}

#[derive(Clone)]
struct Enc {
    precision: u8,
    predictor: u8,
    pt: u8,
    ri: u16,
    interleaved: bool,
    dnl: bool,
    tables_first: bool,
    legacy: bool,
    cornell: bool,
    eoi: bool,
    extras: bool,
    /// Component k uses table k % 2 (else all use table 0).
    two_tables: bool,
}

impl Enc {
    fn new(precision: u8, predictor: u8) -> Enc {
        Enc {
            precision,
            predictor,
            pt: 0,
            ri: 0,
            interleaved: true,
            dnl: false,
            tables_first: false,
            legacy: false,
            cornell: false,
            eoi: true,
            extras: false,
            two_tables: false,
        }
    }
}

struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    fn put(&mut self, v: u32, n: u32) {
        if n == 0 {
            return;
        }
        self.acc = (self.acc << n) | (v as u64 & ((1u64 << n) - 1));
        self.n += n;
        while self.n >= 8 {
            let b = (self.acc >> (self.n - 8)) as u8;
            self.out.push(b);
            if b == 0xFF {
                self.out.push(0);
            }
            self.n -= 8;
        }
    }
    fn flush(&mut self) {
        let pad = (8 - self.n % 8) % 8;
        self.put((1 << pad) - 1, pad);
    }
}

fn category(d: u16) -> (u32, u32) {
    if d == 0x8000 {
        return (16, 0);
    }
    let s = d as i16 as i32;
    if s == 0 {
        return (0, 0);
    }
    let ssss = 32 - s.unsigned_abs().leading_zeros();
    let bits = if s > 0 { s } else { s - 1 } as u32 & ((1 << ssss) - 1);
    (ssss, bits)
}

/// Code lengths for 17 symbols from frequencies (plain Huffman; 17 leaves
/// never need more than 16 bits).
fn code_lengths(freq: &[u64; 17]) -> [u8; 17] {
    let mut nodes: Vec<(u64, Vec<usize>)> = (0..17).map(|s| (freq[s] + 1, vec![s])).collect();
    let mut len = [0u8; 17];
    while nodes.len() > 1 {
        nodes.sort_by_key(|n| std::cmp::Reverse(n.0));
        let a = nodes.pop().unwrap();
        let b = nodes.pop().unwrap();
        for &s in a.1.iter().chain(b.1.iter()) {
            len[s] += 1;
        }
        nodes.push((a.0 + b.0, [a.1, b.1].concat()));
    }
    len
}

/// (bits, vals, code per symbol as (code, length)).
type Table = ([u8; 17], Vec<u8>, Vec<Option<(u32, u32)>>);

fn canonical(len: &[u8; 17]) -> Table {
    let mut bits = [0u8; 17];
    let mut vals = Vec::new();
    for l in 1..=16u8 {
        for s in 0..17u8 {
            if len[s as usize] == l {
                bits[l as usize] += 1;
                vals.push(s);
            }
        }
    }
    let mut codes = vec![None; 17];
    let mut code = 0u32;
    let mut k = 0;
    for l in 1..=16u32 {
        for _ in 0..bits[l as usize] {
            codes[vals[k] as usize] = Some((code, l));
            code += 1;
            k += 1;
        }
        code <<= 1;
    }
    (bits, vals, codes)
}

/// The Cornell encoder's table: symbols 0..=15 with lengths 1..=16, the
/// all-ones 16-bit code unused, SSSS = 16 written as 17 bits.
fn cornell_table() -> Table {
    let mut bits = [0u8; 17];
    for b in bits.iter_mut().skip(1) {
        *b = 1;
    }
    let vals: Vec<u8> = (0..16).collect();
    let mut codes = vec![None; 17];
    let mut code = 0u32;
    for l in 1..=16u32 {
        codes[l as usize - 1] = Some((code, l));
        code = (code + 1) << 1;
    }
    codes[16] = Some((0x1FFFE, 17));
    (bits, vals, codes)
}

fn predict(e: &Enc, ra: u16, rb: u16, rc: u16) -> u16 {
    let (a, b, c) = if e.legacy {
        (ra as i16 as i32, rb as i16 as i32, rc as i16 as i32)
    } else {
        (ra as i32, rb as i32, rc as i32)
    };
    (match e.predictor {
        1 => a,
        2 => b,
        3 => c,
        4 => a + b - c,
        5 => a + ((b - c) >> 1),
        6 => b + ((a - c) >> 1),
        _ => (a + b) >> 1,
    }) as u16
}

fn segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
}

fn dht(out: &mut Vec<u8>, id: u8, t: &Table) {
    let mut p = vec![id];
    p.extend_from_slice(&t.0[1..]);
    p.extend_from_slice(&t.1);
    segment(out, markers::DHT, &p);
}

/// Encodes `planes` (frame `width` × `height`).
fn encode(e: &Enc, width: usize, height: usize, planes: &[Plane]) -> Vec<u8> {
    let nf = planes.len();
    let hmax = planes.iter().map(|p| p.h as usize).max().unwrap();
    let vmax = planes.iter().map(|p| p.v as usize).max().unwrap();
    let scans: Vec<Vec<usize>> = if e.interleaved {
        vec![(0..nf).collect()]
    } else {
        (0..nf).map(|k| vec![k]).collect()
    };
    let mut out = vec![0xFF, markers::SOI];
    if e.extras {
        segment(&mut out, 0xE0, b"JFIF\0\x01\x02");
        out.extend_from_slice(&[0xFF, 0xFF, 0xFF]); // fill bytes
        segment(&mut out, markers::COM, b"dicodec test stream");
    }
    // Symbols of every scan first, to build tables from frequencies.
    struct Sym {
        comp: usize,
        ssss: u32,
        bits: u32,
    }
    let mut scan_syms: Vec<Vec<Option<Sym>>> = Vec::new(); // None = restart
    for ks in &scans {
        let ns = ks.len();
        let (mcux, mcuy) = if ns == 1 {
            (planes[ks[0]].w, planes[ks[0]].ht)
        } else {
            (width.div_ceil(hmax), height.div_ceil(vmax))
        };
        let dims: Vec<(usize, usize, usize, usize)> = ks
            .iter()
            .map(|&k| {
                let (h, v) = if ns == 1 {
                    (1, 1)
                } else {
                    (planes[k].h as usize, planes[k].v as usize)
                };
                (h, v, mcux * h, mcuy * v)
            })
            .collect();
        // Padded, point-transformed planes.
        let src: Vec<Vec<u16>> = ks
            .iter()
            .zip(&dims)
            .map(|(&k, &(_, _, pw, ph))| {
                let p = &planes[k];
                let mut v = vec![0u16; pw * ph];
                for r in 0..ph {
                    for c in 0..pw {
                        v[r * pw + c] = p.data[r.min(p.ht - 1) * p.w + c.min(p.w - 1)] >> e.pt;
                    }
                }
                v
            })
            .collect();
        let ri = e.ri as usize;
        assert!(
            ri % mcux == 0,
            "test encoder: restart interval of whole MCU rows"
        );
        let rows_per = if ri == 0 { usize::MAX } else { ri / mcux };
        let initial = 1u16 << (e.precision - e.pt - 1);
        let mut syms = Vec::new();
        for my in 0..mcuy {
            if my > 0 && my % rows_per == 0 {
                syms.push(None);
            }
            let first_row = my % rows_per == 0;
            for mx in 0..mcux {
                for (j, &(h, v, pw, _)) in dims.iter().enumerate() {
                    let s = &src[j];
                    for vv in 0..v {
                        for hh in 0..h {
                            let (r, c) = (my * v + vv, mx * h + hh);
                            let px = if first_row && vv == 0 {
                                if c == 0 {
                                    initial
                                } else {
                                    s[r * pw + c - 1]
                                }
                            } else if c == 0 {
                                s[(r - 1) * pw]
                            } else {
                                predict(
                                    e,
                                    s[r * pw + c - 1],
                                    s[(r - 1) * pw + c],
                                    s[(r - 1) * pw + c - 1],
                                )
                            };
                            let (ssss, bits) = category(s[r * pw + c].wrapping_sub(px));
                            syms.push(Some(Sym {
                                comp: ks[j],
                                ssss,
                                bits,
                            }));
                        }
                    }
                }
            }
        }
        scan_syms.push(syms);
    }
    let table_of = |k: usize| if e.two_tables { k % 2 } else { 0 };
    let mut freq = [[0u64; 17]; 2];
    for s in scan_syms.iter().flatten().flatten() {
        freq[table_of(s.comp)][s.ssss as usize] += 1;
    }
    let tables: Vec<Table> = (0..2)
        .map(|t| {
            if e.cornell {
                cornell_table()
            } else {
                canonical(&code_lengths(&freq[t]))
            }
        })
        .collect();
    if e.tables_first {
        dht(&mut out, 0, &tables[0]);
        dht(&mut out, 1, &tables[1]);
    }
    let mut sof = vec![e.precision];
    let y = if e.dnl { 0 } else { height as u16 };
    sof.extend_from_slice(&y.to_be_bytes());
    sof.extend_from_slice(&(width as u16).to_be_bytes());
    sof.push(nf as u8);
    for (k, p) in planes.iter().enumerate() {
        sof.extend_from_slice(&[k as u8 + 1, (p.h << 4) | p.v, 0]);
    }
    segment(&mut out, markers::SOF3, &sof);
    if !e.tables_first {
        // Table 1 first and a bogus table 0 that the real one replaces.
        dht(&mut out, 1, &tables[1]);
        dht(&mut out, 0, &canonical(&code_lengths(&[0; 17])));
    }
    if e.ri > 0 {
        segment(&mut out, markers::DRI, &e.ri.to_be_bytes());
    }
    for (si, (ks, syms)) in scans.iter().zip(&scan_syms).enumerate() {
        if !e.tables_first {
            dht(&mut out, 0, &tables[0]);
        }
        let mut sos = vec![ks.len() as u8];
        for &k in ks {
            sos.extend_from_slice(&[k as u8 + 1, (table_of(k) as u8) << 4]);
        }
        sos.extend_from_slice(&[e.predictor, 0, e.pt]);
        segment(&mut out, markers::SOS, &sos);
        let mut w = BitWriter {
            out: Vec::new(),
            acc: 0,
            n: 0,
        };
        let mut nrst = 0u8;
        for s in syms {
            match s {
                None => {
                    w.flush();
                    w.out.extend_from_slice(&[0xFF, 0xD0 + nrst % 8]);
                    nrst = nrst.wrapping_add(1);
                }
                Some(s) => {
                    let (code, len) = tables[table_of(s.comp)].2[s.ssss as usize].unwrap();
                    w.put(code, len);
                    if s.ssss == 16 && e.cornell {
                        w.put(0x8000, 16);
                    } else if s.ssss < 16 {
                        w.put(s.bits, s.ssss);
                    }
                }
            }
        }
        w.flush();
        out.extend_from_slice(&w.out);
        if e.dnl && si == 0 {
            segment(&mut out, markers::DNL, &(height as u16).to_be_bytes());
        }
    }
    if e.eoi {
        out.extend_from_slice(&[0xFF, markers::EOI]);
    }
    if e.extras {
        out.extend_from_slice(&[0, 0, 0, 0]);
    }
    out
}

/// Deterministic test image: gradient + texture + noise, full range of `bits`.
fn image(width: usize, height: usize, bits: u8, seed: u64) -> Vec<u16> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let max = (1u32 << bits) - 1;
    (0..width * height)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let (x, y) = ((i % width) as u32, (i / width) as u32);
            let smooth = (x * 7 + y * 3 + ((x * y) % 13) * 5) as u64;
            let noise = s % 9;
            let v = if (s >> 20) % 61 == 0 {
                s >> 32 // occasional wild sample: large differences
            } else {
                smooth * (max as u64 + 1) / 512 + noise
            };
            (v % (max as u64 + 1)) as u16
        })
        .collect()
}

/// One full-resolution component holding `data`.
fn gray(w: usize, ht: usize, data: Vec<u16>) -> Vec<Plane> {
    vec![Plane {
        h: 1,
        v: 1,
        w,
        ht,
        data,
    }]
}

fn planes_full(width: usize, height: usize, nf: usize, bits: u8) -> Vec<Plane> {
    (0..nf)
        .map(|k| Plane {
            h: 1,
            v: 1,
            w: width,
            ht: height,
            data: image(width, height, bits, 7 + k as u64),
        })
        .collect()
}

/// Colour-by-pixel expected output (replication upsampling, point transform).
fn expected(width: usize, height: usize, planes: &[Plane], pt: u8) -> Vec<u16> {
    let hmax = planes.iter().map(|p| p.h as usize).max().unwrap();
    let vmax = planes.iter().map(|p| p.v as usize).max().unwrap();
    let nf = planes.len();
    let mut out = vec![0u16; width * height * nf];
    for (k, p) in planes.iter().enumerate() {
        for y in 0..height {
            for x in 0..width {
                let (py, px) = (y * p.v as usize / vmax, x * p.h as usize / hmax);
                out[(y * width + x) * nf + k] = (p.data[py * p.w + px] >> pt) << pt;
            }
        }
    }
    out
}

const SEQUENTIAL: DecodeOptions = DecodeOptions {
    cornell: None,
    legacy_predictors: false,
    parallel: false,
};

fn samples_u16(d: &Decoded) -> Vec<u16> {
    match &d.samples {
        Samples::U8(v) => v.iter().map(|&x| x as u16).collect(),
        Samples::U16(v) => v.clone(),
    }
}

fn roundtrip(e: &Enc, width: usize, height: usize, planes: &[Plane]) -> Decoded {
    let stream = encode(e, width, height, planes);
    let d = decode(&stream).unwrap_or_else(|err| panic!("decode failed: {err}"));
    assert_eq!(
        samples_u16(&d),
        expected(width, height, planes, e.pt),
        "precision {} predictor {} pt {} ri {} interleaved {} nf {}",
        e.precision,
        e.predictor,
        e.pt,
        e.ri,
        e.interleaved,
        planes.len()
    );
    d
}

/// `nf` full-resolution 8-bit planes of gentle ramps: dense pair tables.
fn smooth_planes(w: usize, h: usize, nf: usize) -> Vec<Plane> {
    (0..nf)
        .map(|k| Plane {
            h: 1,
            v: 1,
            w,
            ht: h,
            data: (0..w * h)
                .map(|i| (100 + k + (i % w) / 9 + (i / w) / 4) as u16)
                .collect(),
        })
        .collect()
}

/// The BMI1/BMI2 and portable builds of the row kernels decode every
/// predictor, both kernels (gray, flat colour) and the pair paths alike.
#[test]
fn bmi2_and_portable_kernels_agree() {
    for portable in [true, false] {
        lossless::NO_BMI2.with(|c| c.set(portable));
        for nf in [1usize, 3] {
            for predictor in 1..=7u8 {
                for smooth in [false, true] {
                    let (w, h) = (61usize, 9usize);
                    let planes = if smooth {
                        smooth_planes(w, h, nf)
                    } else {
                        planes_full(w, h, nf, 12)
                    };
                    roundtrip(
                        &Enc::new(if smooth { 8 } else { 12 }, predictor),
                        w,
                        h,
                        &planes,
                    );
                }
            }
        }
    }
    lossless::NO_BMI2.with(|c| c.set(false));
}

#[test]
fn all_predictors_precisions_components() {
    for precision in [2u8, 5, 8, 12, 15, 16] {
        for predictor in 1..=7u8 {
            for nf in [1usize, 3] {
                for interleaved in [true, false] {
                    if nf == 1 && !interleaved {
                        continue;
                    }
                    let (w, h) = (37, 11);
                    let mut e = Enc::new(precision, predictor);
                    e.interleaved = interleaved;
                    // Shared table: the flat kernel; two tables: the generic one.
                    e.two_tables = nf == 3 && precision % 2 == 0;
                    let d = roundtrip(&e, w, h, &planes_full(w, h, nf, precision));
                    assert!(d.report.is_clean(), "{:?}", d.report);
                    assert_eq!(d.info.predictor, predictor);
                    assert_eq!(d.info.scans, if interleaved { 1 } else { nf as u32 });
                }
            }
        }
    }
}

/// Smooth images give dense pair tables: the pair paths (variable step for
/// predictor 1, fixed step otherwise) and the flat colour kernel run.
#[test]
fn smooth_images_use_the_pair_paths() {
    let mut dense = 0;
    for nf in [1usize, 3] {
        for predictor in 1..=7u8 {
            let (w, h) = (61usize, 9usize);
            let planes = smooth_planes(w, h, nf);
            let stream = encode(&Enc::new(8, predictor), w, h, &planes);
            let info = header(&stream).unwrap();
            let mut t = None;
            let mut walk = markers::Walker::new(&stream).unwrap();
            while let Ok((ev, _)) = walk.next_event() {
                match ev {
                    markers::Event::Tables(v) => t = Some(v[v.len() - 1].2.clone()),
                    markers::Event::Scan(_) | markers::Event::End | markers::Event::Eoi => break,
                    _ => {}
                }
            }
            let mut dt = DecodeTable::new(&t.unwrap(), Ssss16::Standard).unwrap();
            let dens = dt.build_pair(0.0);
            assert!(dens >= 0.3, "pair table in use");
            dense += (dens >= 0.75) as usize;
            assert_eq!(info.components(), nf);
            let d = decode(&stream).unwrap();
            assert_eq!(
                samples_u16(&d),
                expected(w, h, &planes, 0),
                "nf {nf} predictor {predictor}"
            );
        }
    }
    assert!(dense >= 2, "fixed-step pairs in use");
}

#[test]
fn restart_intervals_sequential_and_parallel() {
    for predictor in [1u8, 6, 7] {
        for (w, h, nf) in [
            (33usize, 20usize, 1usize),
            (40, 9, 3),
            (520, 300, 1),
            (300, 160, 3),
        ] {
            for rows in [1usize, 3] {
                let mut e = Enc::new(12, predictor);
                e.ri = (w * rows) as u16;
                let d = roundtrip(&e, w, h, &planes_full(w, h, nf, 12));
                assert!(d.report.is_clean(), "{:?}", d.report);
                assert_eq!(d.info.restart_interval, e.ri);
                let stream = encode(&e, w, h, &planes_full(w, h, nf, 12));
                let seq = decode_with(&stream, &SEQUENTIAL).unwrap();
                assert_eq!(seq.samples, d.samples);
            }
        }
    }
}

#[test]
fn point_transform_dnl_tables_and_extras() {
    for pt in [1u8, 3] {
        let mut e = Enc::new(12, 4);
        e.pt = pt;
        e.dnl = true;
        e.tables_first = true;
        e.extras = true;
        let d = roundtrip(&e, 21, 17, &planes_full(21, 17, 1, 12));
        assert!(d.info.height_from_dnl);
        assert_eq!(d.info.point_transform, pt);
        assert!(d.report.is_clean(), "{:?}", d.report);
    }
    // Non-interleaved, table 0 redefined before every scan.
    let mut e = Enc::new(8, 2);
    e.interleaved = false;
    e.extras = true;
    let d = roundtrip(&e, 19, 13, &planes_full(19, 13, 3, 8));
    assert!(d.report.is_clean());
}

#[test]
fn subsampled_components_general_path() {
    for interleaved in [true, false] {
        for ri_rows in [0usize, 2] {
            let (w, h) = (23usize, 14usize);
            let planes = vec![
                Plane {
                    h: 2,
                    v: 2,
                    w,
                    ht: h,
                    data: image(w, h, 8, 1),
                },
                Plane {
                    h: 1,
                    v: 2,
                    w: w.div_ceil(2),
                    ht: h,
                    data: image(w.div_ceil(2), h, 8, 2),
                },
                Plane {
                    h: 1,
                    v: 1,
                    w: w.div_ceil(2),
                    ht: h.div_ceil(2),
                    data: image(w.div_ceil(2), h.div_ceil(2), 8, 3),
                },
            ];
            let mut e = Enc::new(8, 5);
            e.interleaved = interleaved;
            let mcux = if interleaved { w.div_ceil(2) } else { 0 };
            if interleaved {
                e.ri = (mcux * ri_rows) as u16;
            }
            roundtrip(&e, w, h, &planes);
        }
    }
}

#[test]
fn cornell_tables_are_decoded_with_the_workaround() {
    let (w, h) = (40, 12);
    // Differences of ±32768 (SSSS 16) appear with 0/32768 alternation.
    let data: Vec<u16> = (0..w * h)
        .map(|i| {
            if (i / 3) % 2 == 0 {
                0
            } else {
                32768 + (i % 5) as u16
            }
        })
        .collect();
    let planes = gray(w, h, data);
    let mut e = Enc::new(16, 1);
    e.cornell = true;
    let stream = encode(&e, w, h, &planes);
    let d = decode(&stream).unwrap();
    assert_eq!(samples_u16(&d), expected(w, h, &planes, 0));
    assert!(d.report.warnings.iter().any(|m| m.contains("Cornell")));
    let off = DecodeOptions {
        cornell: Some(false),
        ..Default::default()
    };
    assert!(decode_with(&stream, &off).is_err());
    let on = DecodeOptions {
        cornell: Some(true),
        ..Default::default()
    };
    let d = decode_with(&stream, &on).unwrap();
    assert_eq!(samples_u16(&d), expected(w, h, &planes, 0));
}

#[test]
fn legacy_predictor_overflow_option() {
    let (w, h) = (30, 10);
    // Signed CT-like values around 0: unsigned 16-bit values wrap at 65535/0.
    let data: Vec<u16> = image(w, h, 9, 5)
        .into_iter()
        .map(|v| (v as i16 - 256) as u16)
        .collect();
    let planes = gray(w, h, data);
    for predictor in [5u8, 6, 7] {
        let mut e = Enc::new(16, predictor);
        e.legacy = true;
        let stream = encode(&e, w, h, &planes);
        let opts = DecodeOptions {
            legacy_predictors: true,
            ..Default::default()
        };
        let d = decode_with(&stream, &opts).unwrap();
        assert_eq!(samples_u16(&d), expected(w, h, &planes, 0));
        let plain = decode(&stream).unwrap();
        assert_ne!(plain.samples, d.samples, "predictor {predictor}");
    }
}

#[test]
fn missing_eoi_and_truncation_are_reported() {
    let (w, h) = (64, 40);
    let planes = planes_full(w, h, 1, 12);
    let mut e = Enc::new(12, 1);
    e.eoi = false;
    let d = roundtrip(&e, w, h, &planes);
    assert!(d.report.warnings.iter().any(|m| m.contains("EOI")));

    e.eoi = true;
    let full = encode(&e, w, h, &planes);
    let want = expected(w, h, &planes, 0);
    let cut = &full[..full.len() / 2];
    let d = decode(cut).unwrap();
    let got = samples_u16(&d);
    assert!(d.report.warnings.iter().any(|m| m.contains("ends early")));
    // Rows before the damage are exact, rows after are zero.
    let bad = (0..h)
        .find(|&r| got[r * w..(r + 1) * w] != want[r * w..(r + 1) * w])
        .unwrap();
    assert!(bad > 5);
    assert!(got[bad * w..].iter().all(|&v| v == 0));

    // With restart intervals, intervals after a lost one still decode.
    let mut e = Enc::new(12, 1);
    e.ri = (w * 4) as u16;
    let mut s = encode(&e, w, h, &planes);
    // Cut a chunk out of the middle of interval 2's data.
    let rst: Vec<usize> = (0..s.len() - 1)
        .filter(|&i| s[i] == 0xFF && (0xD0..=0xD7).contains(&s[i + 1]))
        .collect();
    s.drain(rst[1] + 10..rst[2] - 5);
    let d = decode_with(&s, &SEQUENTIAL).unwrap();
    let got = samples_u16(&d);
    assert!(!d.report.is_clean());
    assert_eq!(got[..8 * w], want[..8 * w]);
    assert_eq!(got[12 * w..], want[12 * w..]);
}

#[test]
fn unsupported_and_malformed_streams() {
    let (w, h) = (16, 8);
    let good = encode(&Enc::new(8, 1), w, h, &planes_full(w, h, 1, 8));
    // Other processes: the SOF is named.
    for (code, name) in [
        (0xC0u8, "SOF0"),
        (0xC1, "SOF1"),
        (0xC2, "SOF2"),
        (0xCB, "SOF11"),
    ] {
        let mut s = good.clone();
        let at = s.windows(2).position(|p| p == [0xFF, 0xC3]).unwrap();
        s[at + 1] = code;
        match decode(&s) {
            Err(Error::Unsupported(m)) => assert!(m.contains(name), "{m}"),
            other => panic!("{code:02X}: {other:?}"),
        }
        assert!(matches!(info(&s), Err(Error::Unsupported(_))));
    }
    // Not JPEG.
    assert_eq!(decode(b"hello").unwrap_err().offset(), Some(0));
    // Header truncated inside the SOF.
    let at = good.windows(2).position(|p| p == [0xFF, 0xC3]).unwrap();
    let e = decode(&good[..at + 6]).unwrap_err();
    assert!(e.offset().is_some());
    // Overfull Huffman table: 3 codes of length 1.
    let mut s = good.clone();
    let d = s.windows(2).position(|p| p == [0xFF, 0xC4]).unwrap();
    s[d + 5] = 3;
    let e = decode(&s).unwrap_err();
    assert!(
        e.to_string().contains("DHT") || e.to_string().contains("Huffman"),
        "{e}"
    );
    assert!(e.offset().unwrap() >= d as u64);
    // SOS before SOF.
    let sof = good.windows(2).position(|p| p == [0xFF, 0xC3]).unwrap();
    let mut s = good.clone();
    s[sof + 1] = 0xFE; // turn the SOF into a comment
    let e = decode(&s).unwrap_err();
    assert!(
        e.to_string().contains("SOS") || e.to_string().contains("SOF"),
        "{e}"
    );
    // Scan using an undefined table.
    let sos = good.windows(2).position(|p| p == [0xFF, 0xDA]).unwrap();
    let mut s = good.clone();
    s[sos + 6] = 0x30;
    let e = decode(&s).unwrap_err();
    assert!(e.to_string().contains("table 3"), "{e}");
    // Predictor 0.
    let mut s = good.clone();
    s[sos + 7] = 0;
    assert!(decode(&s).is_err());
}

fn desc(rows: u32, cols: u32, spp: u16, ba: u16, bs: u16, signed: bool) -> PixelDescription {
    PixelDescription {
        rows,
        columns: cols,
        number_of_frames: 1,
        samples_per_pixel: spp,
        bits_allocated: ba,
        bits_stored: bs,
        high_bit: bs - 1,
        pixel_representation: signed as u16,
        planar_configuration: 0,
        photometric_interpretation: if spp == 1 { "MONOCHROME2" } else { "RGB" }.into(),
        ..Default::default()
    }
}

#[test]
fn dicom_frames_follow_pydicom_conventions() {
    let (w, h) = (24usize, 10usize);
    // Signed 12-bit stored in 16: JPEG codes the 12-bit two's complement
    // pattern; pydicom sign-extends from Bits Stored.
    let vals: Vec<i16> = (0..w * h).map(|i| (i as i16 * 37) % 2000 - 1000).collect();
    let planes = gray(w, h, vals.iter().map(|&v| (v as u16) & 0x0FFF).collect());
    let stream = encode(&Enc::new(12, 1), w, h, &planes);
    let mut dst = vec![0u8; w * h * 2];
    let r = decode_frame(
        &stream,
        &desc(h as u32, w as u32, 1, 16, 12, true),
        &mut dst,
    )
    .unwrap();
    assert!(r.is_clean());
    let got: Vec<i16> = dst
        .chunks(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert_eq!(got, vals);
    // Misaligned output buffer gives the same bytes.
    let mut big = vec![0u8; w * h * 2 + 1];
    decode_frame(
        &stream,
        &desc(h as u32, w as u32, 1, 16, 12, true),
        &mut big[1..],
    )
    .unwrap();
    assert_eq!(&big[1..], &dst[..]);
    // Precision 16 with Bits Stored 12, unsigned: masked to 12 bits.
    let planes16 = gray(w, h, (0..w * h).map(|i| (i * 997 % 65536) as u16).collect());
    let stream = encode(&Enc::new(16, 1), w, h, &planes16);
    decode_frame(
        &stream,
        &desc(h as u32, w as u32, 1, 16, 12, false),
        &mut dst,
    )
    .unwrap();
    let got: Vec<u16> = dst
        .chunks(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    let want: Vec<u16> = planes16[0].data.iter().map(|v| v & 0x0FFF).collect();
    assert_eq!(got, want);
    // 8-bit precision into 16-bit samples; 8-bit RGB into 8-bit samples.
    let p8 = planes_full(w, h, 3, 8);
    let stream = encode(&Enc::new(8, 1), w, h, &p8);
    let mut dst8 = vec![0u8; w * h * 3];
    decode_frame(
        &stream,
        &desc(h as u32, w as u32, 3, 8, 8, false),
        &mut dst8,
    )
    .unwrap();
    let want = expected(w, h, &p8, 0);
    assert!(dst8.iter().zip(&want).all(|(&a, &b)| a as u16 == b));
    let mut dst16 = vec![0u8; w * h * 6];
    decode_frame(
        &stream,
        &desc(h as u32, w as u32, 3, 16, 8, false),
        &mut dst16,
    )
    .unwrap();
    assert!(dst16
        .chunks(2)
        .zip(&want)
        .all(|(b, &v)| u16::from_le_bytes([b[0], b[1]]) == v));
    // 12-bit precision cannot go into 8-bit samples.
    let s12 = encode(&Enc::new(12, 1), w, h, &planes_full(w, h, 1, 12));
    let mut d = vec![0u8; w * h];
    assert!(decode_frame(&s12, &desc(h as u32, w as u32, 1, 8, 8, false), &mut d).is_err());
    // Columns mismatch is an error; rows mismatch is tolerated and reported.
    let mut d = vec![0u8; (w + 1) * h * 2];
    assert!(decode_frame(
        &s12,
        &desc(h as u32, w as u32 + 1, 1, 16, 12, false),
        &mut d
    )
    .is_err());
    let mut d = vec![0xAAu8; w * (h + 2) * 2];
    let r = decode_frame(
        &s12,
        &desc(h as u32 + 2, w as u32, 1, 16, 12, false),
        &mut d,
    )
    .unwrap();
    assert!(!r.is_clean());
    assert!(d[w * h * 2..].iter().all(|&b| b == 0));
    // Wrong output length.
    let mut d = vec![0u8; 3];
    assert!(decode_frame(&s12, &desc(h as u32, w as u32, 1, 16, 12, false), &mut d).is_err());
}

#[test]
fn dnl_height_from_dicom_rows() {
    let (w, h) = (20, 9);
    let mut e = Enc::new(16, 7);
    e.dnl = true;
    let planes = planes_full(w, h, 1, 16);
    let stream = encode(&e, w, h, &planes);
    let mut dst = vec![0u8; w * h * 2];
    let r = decode_frame(
        &stream,
        &desc(h as u32, w as u32, 1, 16, 16, false),
        &mut dst,
    )
    .unwrap();
    assert!(r.is_clean(), "{r:?}");
    let got: Vec<u16> = dst
        .chunks(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert_eq!(got, planes[0].data);
}

#[test]
fn garbage_never_hangs_or_panics() {
    // Huge frame claimed by a tiny stream: refused before allocating.
    let mut s = vec![0xFF, 0xD8];
    segment(
        &mut s,
        markers::SOF3,
        &[16, 0xFF, 0xFF, 0xFF, 0xFF, 1, 1, 0x11, 0],
    );
    segment(
        &mut s,
        markers::DHT,
        &[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    );
    segment(&mut s, markers::SOS, &[1, 1, 0, 1, 0, 0]);
    s.extend_from_slice(&[0x00; 16]);
    assert!(decode(&s).is_err());
    // A big enough stream of zero bits decodes (all SSSS 0) without trouble.
    assert!(info(&s).is_ok());
}

fn corpus() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    let mut e = Enc::new(12, 6);
    e.ri = 24;
    v.push(encode(&e, 12, 9, &planes_full(12, 9, 1, 12)));
    let mut e = Enc::new(8, 1);
    e.interleaved = false;
    e.extras = true;
    v.push(encode(&e, 10, 7, &planes_full(10, 7, 3, 8)));
    let mut e = Enc::new(16, 7);
    e.dnl = true;
    v.push(encode(&e, 11, 6, &planes_full(11, 6, 1, 16)));
    let mut e = Enc::new(16, 1);
    e.cornell = true;
    v.push(encode(&e, 9, 5, &planes_full(9, 5, 1, 16)));
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Damaged streams give Ok or Err, never a panic or a hang.
    #[test]
    fn mutated_streams_never_panic(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<u16>(), any::<u8>(), 0u8..4), 1..6),
        cut in any::<u16>(),
    ) {
        let mut s = corpus()[which].clone();
        for (pos, byte, kind) in edits {
            if s.is_empty() { break; }
            let p = pos as usize % s.len();
            match kind {
                0 => s[p] = byte,
                1 => s[p] ^= 1 << (byte % 8),
                2 => s.insert(p, byte),
                _ => { s.remove(p); }
            }
        }
        if cut % 3 == 0 && !s.is_empty() {
            let n = cut as usize % s.len();
            s.truncate(n);
        }
        let _ = info(&s);
        if let Ok(d) = decode(&s) {
            let n = d.info.width as usize * d.info.height as usize * d.info.components();
            match d.samples {
                Samples::U8(v) => prop_assert_eq!(v.len(), n),
                Samples::U16(v) => prop_assert_eq!(v.len(), n),
            }
        }
        let mut dst = vec![0u8; 12 * 9 * 2];
        let _ = decode_frame(&s, &desc(9, 12, 1, 16, 12, false), &mut dst);
    }
}

#[test]
fn extend_is_consistent_with_category() {
    for d in [-32767i32, -1000, -1, 1, 2, 1000, 32767] {
        let (s, bits) = category(d as u16);
        assert_eq!(extend(bits, s), d);
    }
}

/// Not a test: how much decoding restart intervals in parallel gains
/// (`cargo test --release -p dicodec-core restart_parallel_gain -- --ignored --nocapture`).
#[test]
#[ignore]
fn restart_parallel_gain() {
    let (w, h) = (1024usize, 1024usize);
    let mut e = Enc::new(12, 1);
    e.ri = (65535 / w * w) as u16; // 63 rows per interval
    let stream = encode(&e, w, h, &planes_full(w, h, 1, 12));
    let time = |opts: &DecodeOptions| {
        (0..20)
            .map(|_| {
                let t = std::time::Instant::now();
                decode_with(&stream, opts).unwrap();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min)
    };
    let seq = time(&SEQUENTIAL);
    let par = time(&DecodeOptions::default());
    println!(
        "restart interval {} MCUs: sequential {:.2} ms, parallel {:.2} ms ({} threads): x{:.2}",
        e.ri,
        seq * 1e3,
        par * 1e3,
        rayon::current_num_threads(),
        seq / par
    );
}
