//! Unit tests of the pixel pipeline (the bit-exact comparisons with pydicom
//! live in `tests/pipeline/` on the Python side).

use super::color::*;
use super::lut::*;
use super::window::*;
use super::*;
use proptest::prelude::*;

fn desc(entries: u32, first_map: i64, bits: u32) -> LutDescriptor {
    LutDescriptor {
        entries,
        first_map,
        bits,
    }
}

#[test]
fn hostile_descriptors_are_errors() {
    let data = [1u16, 2, 3];
    // entries past the data
    assert!(matches!(
        Lut::new(desc(4, 0, 16), &data),
        Err(Error::Malformed { .. })
    ));
    // 0 entries means 65536, which the data does not hold
    assert!(Lut::new(desc(0, 0, 16), &data).is_err());
    // bits > 16, 0 bits
    assert!(Lut::new(desc(3, 0, 17), &data).is_err());
    assert!(Lut::new(desc(3, 0, 0), &data).is_err());
    // no data
    assert!(Lut::new(desc(1, 0, 8), &[] as &[u16]).is_err());
    // 0 entries with 65536 of them is fine
    let big = vec![7u16; 65536];
    assert_eq!(
        Lut::new(desc(0, 0, 16), &big).unwrap().entries().len(),
        65536
    );
}

#[test]
fn lut_clips_below_and_above() {
    let lut = Lut::new(desc(4, -2, 16), &[10u16, 20, 30, 40, 99]).unwrap();
    let src = [-5i16, -2, -1, 0, 1, 2, 300];
    let mut dst = [0u16; 7];
    apply_lut(&src, &lut, None, &mut dst).unwrap();
    assert_eq!(dst, [10, 10, 20, 30, 40, 40, 40]);
    // wrapped into 8 bits: 300 - (-2) = 302 -> 46 -> clipped to 3
    let lut = Lut::new(
        desc(100, 0, 8),
        &[0u8; 100]
            .map(|_| 0)
            .iter()
            .enumerate()
            .map(|(i, _)| i as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let mut d8 = [0u8; 1];
    apply_lut(&[300u16], &lut, Some(8), &mut d8).unwrap();
    assert_eq!(d8, [44]);
}

#[test]
fn palette_interleaves() {
    let r = Lut::new(desc(2, 0, 8), &[1u8, 2]).unwrap();
    let g = Lut::new(desc(2, 0, 8), &[3u8, 4]).unwrap();
    let b = Lut::new(desc(2, 0, 8), &[5u8, 6]).unwrap();
    let mut dst = [0u8; 6];
    apply_palette(&[0u8, 1], &[r.clone(), g, b], Some(8), &mut dst).unwrap();
    assert_eq!(dst, [1, 3, 5, 2, 4, 6]);
    let short = Lut::new(desc(1, 0, 8), &[1u8]).unwrap();
    assert!(apply_palette(&[0u8], &[r, short], Some(8), &mut [0u8; 2]).is_err());
}

#[test]
fn segmented_standard_example() {
    // PS3.3 C.7.9.2 style: discrete 0,(3 entries), linear to 20 over 4,
    // indirect copying the first segment.
    let data = [0u16, 3, 0, 5, 10, 1, 4, 20, 2, 1, 0, 0];
    let out = expand_segmented(&data, false, true).unwrap();
    // linear: linspace(10+2.5, 20, 4) = 12.5, 15, 17.5, 20 -> round half even
    assert_eq!(out, vec![0, 5, 10, 12, 15, 18, 20, 0, 5, 10]);
}

#[test]
fn segmented_hostile() {
    assert!(expand_segmented(&[1, 4, 20], false, true).is_err()); // linear first
    assert!(expand_segmented(&[2, 1, 0, 0], false, true).is_err()); // indirect first
    assert!(expand_segmented(&[0, 9, 1, 2], false, true).is_err()); // past the data
    assert!(expand_segmented(&[7, 1, 0], false, true).is_err()); // unknown opcode
                                                                 // an indirect segment pointing at itself loops: depth limit
    assert!(expand_segmented(&[0, 1, 5, 2, 2, 0, 0], false, true).is_err());
}

proptest! {
    #[test]
    fn segmented_never_panics(data in proptest::collection::vec(0u16..6, 0..64), eight in any::<bool>(), le in any::<bool>()) {
        let _ = expand_segmented(&data, eight, le);
    }

    #[test]
    fn lut_never_panics(entries in 0u32..70000, fm in -100i64..100, bits in 0u32..20, n in 0usize..300, v in any::<i32>()) {
        let data = vec![1u16; n];
        if let Ok(l) = Lut::new(desc(entries, fm, bits), &data) {
            let mut d = [0u16];
            apply_lut(&[v], &l, Some(16), &mut d).unwrap();
            apply_lut(&[v as f64 * 0.5], &l, None, &mut d).unwrap();
        }
    }
}

#[test]
fn rescale_per_frame() {
    let src = [1u16, 2, 3, 4];
    let mut dst = [0f64; 4];
    let r = Rescale {
        slopes: vec![2.0, 0.5],
        intercepts: vec![-1.0],
    };
    rescale(&src, 2, &r, &mut dst).unwrap();
    assert_eq!(dst, [1.0, 3.0, 0.5, 1.0]);
    let bad = Rescale {
        slopes: vec![1.0, 1.0, 1.0],
        intercepts: vec![0.0],
    };
    assert!(rescale(&src, 2, &bad, &mut dst).is_err());
    assert!(rescale(&src, 3, &r, &mut dst).is_err());
}

#[test]
fn large_outputs_keep_frames_apart() {
    // Outputs from 8 MiB on are cut at 2 MiB-aligned addresses (par_regions):
    // every value still gets its own frame's slope, at every alignment of
    // the output and with frames smaller and larger than a region.
    for (frames, frame_len) in [(5usize, 250_001usize), (700, 1_601), (2, 1 << 20)] {
        let n = frames * frame_len;
        let src: Vec<u16> = (0..n).map(|i| (i % 65_521) as u16).collect();
        let slopes: Vec<f64> = (0..frames).map(|f| f as f64 + 1.0).collect();
        let r = Rescale {
            slopes,
            intercepts: vec![0.5],
        };
        let mut buf = vec![0f64; n + 3];
        for off in [0, 1, 3] {
            let dst = &mut buf[off..off + n];
            rescale(&src, frame_len, &r, dst).unwrap();
            for (i, (&v, &o)) in src.iter().zip(dst.iter()).enumerate() {
                let want = v as f64 * ((i / frame_len) as f64 + 1.0) + 0.5;
                assert!(o == want, "value {i} of {frames}x{frame_len} at +{off}");
            }
        }
    }
}

#[test]
fn window_simd_and_portable_agree() {
    // The AVX-512 / AVX2 builds of the LINEAR loop and the 8/16-bit table
    // path give the same bits as the portable per-value arithmetic, on
    // values around and inside the window, specials included.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut vals: Vec<f64> = (0..20_000)
        .map(|i| match i % 4 {
            0 => (next() % 6000) as f64 - 3000.0,
            1 => (next() % 1_000_000) as f64 / 997.0 - 500.0,
            2 => f64::from_bits(next()),
            _ => (next() % 400) as f64 - 160.5,
        })
        .collect();
    vals.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, 1e308]);
    let ints: Vec<i16> = (0..(1 << 18)).map(|_| next() as i16).collect();
    eprintln!("window build: {:?}", super::arch::Wide::pick());
    for function in [
        VoiFunction::Linear,
        VoiFunction::LinearExact,
        VoiFunction::Sigmoid,
    ] {
        for (center, width) in [(40.0, 400.0), (-0.5, 1.0), (1e3, 3.3e3), (7.25, 0.5)] {
            let w = Window {
                center,
                width,
                function,
                y_min: -1024.0,
                y_max: 3071.0,
            };
            let Ok(p) = w.prepare() else {
                continue;
            };
            let mut got = vec![0f64; vals.len()];
            apply_window(&vals, &w, &mut got).unwrap();
            let mut portable = vec![0f64; vals.len()];
            super::arch::PORTABLE.with(|c| c.set(true));
            apply_window(&vals, &w, &mut portable).unwrap();
            super::arch::PORTABLE.with(|c| c.set(false));
            for ((&v, &a), &b) in vals.iter().zip(&got).zip(&portable) {
                let want = p.apply(v);
                assert!(a.to_bits() == want.to_bits(), "{v} {w:?}: {a} != {want}");
                assert!(b.to_bits() == want.to_bits(), "{v} {w:?}: {b} != {want}");
            }
            let mut got = vec![0f64; ints.len()];
            apply_window(&ints, &w, &mut got).unwrap();
            for (&v, &a) in ints.iter().zip(&got) {
                assert!(a.to_bits() == p.apply(v as f64).to_bits(), "{v} {w:?}");
            }
        }
    }
}

#[test]
fn windows() {
    let w = Window {
        center: 50.0,
        width: 11.0,
        function: VoiFunction::Linear,
        y_min: 0.0,
        y_max: 255.0,
    };
    let src = [0i32, 44, 45, 50, 55, 56, 1000];
    let mut dst = [0f64; 7];
    apply_window(&src, &w, &mut dst).unwrap();
    // c = 49.5, w = 10: x <= 44.5 -> 0, x > 54.5 -> 255
    assert_eq!(dst[0], 0.0);
    assert_eq!(dst[1], 0.0);
    assert_eq!(dst[2], ((45.0 - 49.5) / 10.0 + 0.5) * 255.0);
    assert_eq!(dst[5], 255.0);
    let bad = Window { width: 0.5, ..w };
    assert!(apply_window(&src, &bad, &mut dst).is_err());
    let s = Window {
        function: VoiFunction::Sigmoid,
        ..w
    };
    apply_window(&src, &s, &mut dst).unwrap();
    assert!((dst[3] - 127.5).abs() < 1e-9);
}

#[test]
fn render_inverts_and_rounds() {
    let w = Window {
        center: 128.0,
        width: 256.0,
        function: VoiFunction::LinearExact,
        y_min: 0.0,
        y_max: 0.0,
    };
    let src = [0u16, 128, 256];
    let mut d = [0u8; 3];
    render(
        &src,
        3,
        &ModalityStep::Identity,
        &VoiStep::Window(w),
        false,
        &mut d,
    )
    .unwrap();
    assert_eq!(d, [0, 128, 255]);
    render(
        &src,
        3,
        &ModalityStep::Identity,
        &VoiStep::Window(w),
        true,
        &mut d,
    )
    .unwrap();
    assert_eq!(d, [255, 127, 0]);
    let r = ModalityStep::Rescale(Rescale::uniform(2.0, -128.0));
    render(&[64u8, 128], 1, &r, &VoiStep::Window(w), false, &mut d[..2]).unwrap();
    assert_eq!(&d[..2], &[0, 128]);
}

#[test]
fn ybr_known_values() {
    let src = [128u8, 128, 128, 0, 128, 128, 255, 128, 128, 76, 85, 255];
    let mut dst = [0u8; 12];
    ybr_full_to_rgb(&src, &mut dst).unwrap();
    assert_eq!(&dst[..9], &[128, 128, 128, 0, 0, 0, 255, 255, 255]);
    assert_eq!(&dst[9..], &[254, 0, 0]);
    let mut back = [0u8; 12];
    rgb_to_ybr_full(&[255, 0, 0], &mut back[..3]).unwrap();
    assert_eq!(&back[..3], &[76, 85, 255]);
    let mut inplace = src;
    ybr_full_to_rgb_in_place(&mut inplace).unwrap();
    assert_eq!(inplace, dst);
    let mut ict = [0u8; 12];
    ybr_ict_to_rgb(&src, &mut ict).unwrap();
    assert_eq!(ict, dst);
}

#[test]
fn rct_inverts_the_forward_transform() {
    // forward RCT with the chroma offset by 2^15 fits 16-bit samples for
    // 15-bit RGB values.
    let mut src = Vec::new();
    let mut rgb = Vec::new();
    for (r, g, b) in [
        (0i64, 0, 0),
        (16383, 0, 77),
        (5, 32767, 9),
        (32767, 32767, 1),
    ] {
        let y = (r + 2 * g + b).div_euclid(4);
        src.extend([y as u16, (b - g + 32768) as u16, (r - g + 32768) as u16]);
        rgb.extend([r as u16, g as u16, b as u16]);
    }
    let mut dst = vec![0u16; src.len()];
    ybr_rct_to_rgb(&src, &mut dst).unwrap();
    assert_eq!(dst, rgb);
}

#[test]
fn invert_and_minmax() {
    let mut b = [0i16, -5, 10];
    color::invert_in_place(&mut b, -8, 10).unwrap();
    assert_eq!(b, [2, 7, -8]);
    assert_eq!(min_max(&[3u8, 1, 9]), Some((1.0, 9.0)));
    assert_eq!(min_max(&[f64::NAN]), None);
}

#[test]
fn shapes_are_checked() {
    assert!(ybr_full_to_rgb(&[0u8; 4], &mut [0u8; 4]).is_err());
    assert!(ybr_full_to_rgb(&[0u8; 3], &mut [0u8; 6]).is_err());
    let mut d = [0f64; 2];
    assert!(rescale(&[1u8, 2, 3], 1, &Rescale::uniform(1.0, 0.0), &mut d).is_err());
}

#[test]
fn png_round_trip_sizes() {
    use super::png::*;
    let img: Vec<u8> = (0..64u32 * 48).map(|i| (i % 251) as u8).collect();
    let out = encode_png(PngSamples::Eight(&img), 64, 48, 1).unwrap();
    assert_eq!(&out[..8], b"\x89PNG\r\n\x1a\n");
    let dec = ::png::Decoder::new(std::io::Cursor::new(out));
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (64, 48));
    assert_eq!(&buf[..info.buffer_size()], &img[..]);
    let wide: Vec<u16> = (0..6u16).map(|v| v * 10000).collect();
    let many = encode_pngs(PngSamples::Sixteen(&wide), 2, 1, 1, 3).unwrap();
    assert_eq!(many.len(), 2);
    assert!(encode_png(PngSamples::Eight(&img), 64, 47, 1).is_err());
    assert!(encode_png(PngSamples::Eight(&img), 64, 48, 5).is_err());
    assert!(encode_pngs(PngSamples::Eight(&img), 3, 64, 48, 1).is_err());
}

/// Runs `f` with the portable colour kernels forced on this thread.
fn portable<R>(f: impl FnOnce() -> R) -> R {
    super::arch::PORTABLE.with(|p| p.set(true));
    let r = f();
    super::arch::PORTABLE.with(|p| p.set(false));
    r
}

#[test]
fn ybr_simd_and_portable_equal_for_all_values() {
    // All 2^24 YCbCr triples through every kernel: the AVX2 + FMA one
    // (where the CPU has it), the portable table kernel (taken from 2^16
    // pixels on) and the direct one (`ybr_pixel`, itself equal to pydicom,
    // see tests/pipeline/test_pipeline_pydicom.py::test_all_ycbcr_values),
    // into another buffer and in place.
    eprintln!("AVX2 + FMA kernel available: {}", super::arch::available());
    let src: Vec<u8> = (0..1u32 << 24)
        .flat_map(|i| [(i >> 16) as u8, (i >> 8) as u8, i as u8])
        .collect();
    let mut want = vec![0u8; src.len()];
    ybr_full_to_rgb_direct(&src, &mut want).unwrap();
    let mut simd = vec![0u8; src.len()];
    ybr_full_to_rgb(&src, &mut simd).unwrap();
    assert!(simd == want, "SIMD kernel");
    let mut c = src.clone();
    ybr_full_to_rgb_in_place(&mut c).unwrap();
    assert!(c == want, "SIMD kernel in place");
    let mut tables = vec![0u8; src.len()];
    portable(|| ybr_full_to_rgb(&src, &mut tables)).unwrap();
    assert!(tables == want, "portable table kernel");
    let mut c = src.clone();
    portable(|| ybr_full_to_rgb_in_place(&mut c)).unwrap();
    assert!(c == want, "portable table kernel in place");
}

#[test]
fn ybr_simd_tails_and_offsets() {
    // Lengths that are not whole 16-pixel groups, at every start offset,
    // small (direct portable kernel) and in place: equal to `ybr_pixel`.
    let mut state = 0x1234_5678_9abc_def0u64;
    let data: Vec<u8> = (0..3 * 200 + 64)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    for off in 0..7 {
        for px in [0usize, 1, 5, 15, 16, 17, 31, 32, 33, 47, 100, 200] {
            let src = &data[off..off + 3 * px];
            let mut want = vec![0u8; src.len()];
            ybr_full_to_rgb_direct(src, &mut want).unwrap();
            for force_portable in [false, true] {
                super::arch::PORTABLE.with(|p| p.set(force_portable));
                let mut got = vec![0u8; src.len()];
                ybr_full_to_rgb(src, &mut got).unwrap();
                assert_eq!(got, want, "{px} pixels at {off}, portable {force_portable}");
                let mut buf = data.clone();
                ybr_full_to_rgb_in_place(&mut buf[off..off + 3 * px]).unwrap();
                assert_eq!(
                    &buf[off..off + 3 * px],
                    &want[..],
                    "in place, {px} at {off}"
                );
                assert_eq!(&buf[..off], &data[..off]);
                assert_eq!(&buf[off + 3 * px..], &data[off + 3 * px..]);
                super::arch::PORTABLE.with(|p| p.set(false));
            }
        }
    }
}

/// pydicom's LINEAR windowing of a rescaled value into `0..=max`, then
/// `clip(floor(y + 0.5), 0, max)` (written out here, independently of the
/// kernels).
fn pydicom_linear(v: f64, m: f64, b: f64, center: f64, width: f64, max: f64) -> u32 {
    let x = v * m + b;
    let (c, w) = (center - 0.5, width - 1.0);
    let y = if x <= c - w / 2.0 {
        0.0
    } else if x > c + w / 2.0 {
        max
    } else {
        ((x - c) / w + 0.5) * max
    };
    (y + 0.5).floor().clamp(0.0, max) as u32
}

#[test]
fn render_table_path_equals_the_formula() {
    // From 4 * 2^16 values on, 8- and 16-bit stored values go through a
    // table; below, pixel by pixel: both against the formula.
    let w = Window {
        center: 40.0,
        width: 400.0,
        function: VoiFunction::Linear,
        y_min: 0.0,
        y_max: 0.0,
    };
    let voi = VoiStep::Window(w);
    let (m, b) = (1.5, -1024.0);
    let modality = ModalityStep::Rescale(Rescale::uniform(m, b));
    for n in [1000usize, 1 << 19] {
        let u: Vec<u16> = (0..n as u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 16) as u16)
            .collect();
        let mut d8 = vec![0u8; n];
        render(&u, n / 8, &modality, &voi, false, &mut d8).unwrap();
        let mut d16 = vec![0u16; n];
        render(&u, n / 8, &modality, &voi, true, &mut d16).unwrap();
        for (i, &v) in u.iter().enumerate() {
            assert_eq!(
                d8[i] as u32,
                pydicom_linear(v as f64, m, b, 40.0, 400.0, 255.0)
            );
            let e = pydicom_linear(v as f64, m, b, 40.0, 400.0, 65535.0);
            assert_eq!(d16[i] as u32, 65535 - e);
        }
        let s: Vec<i16> = u.iter().map(|&v| v as i16).collect();
        render(&s, n, &ModalityStep::Identity, &voi, false, &mut d8).unwrap();
        for (i, &v) in s.iter().enumerate() {
            assert_eq!(
                d8[i] as u32,
                pydicom_linear(v as f64, 1.0, 0.0, 40.0, 400.0, 255.0)
            );
        }
        let s: Vec<u8> = u.iter().map(|&v| v as u8).collect();
        render(&s, n, &modality, &voi, false, &mut d8).unwrap();
        for (i, &v) in s.iter().enumerate() {
            assert_eq!(
                d8[i] as u32,
                pydicom_linear(v as f64, m, b, 40.0, 400.0, 255.0)
            );
        }
    }
}
