//! Tests against libjpeg-turbo: fixtures under `ext/core/tests/data/jpeg_dct`
//! (streams encoded and decoded by libjpeg-turbo 3.1, see its
//! `make_fixtures.py`) and mutated streams (no panic); the shared corpus is
//! checked in `tests/jpeg_dct_corpus.rs`.

use super::*;
use proptest::prelude::*;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/jpeg_dct")
}

fn bytes(s: &Samples) -> Vec<u8> {
    match s {
        Samples::U8(v) => v.clone(),
        Samples::U16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
    }
}

fn first_diff(a: &[u8], b: &[u8]) -> String {
    let n = a.iter().zip(b).filter(|(x, y)| x != y).count();
    let i = a.iter().zip(b).position(|(x, y)| x != y);
    format!(
        "{n} bytes differ, first at {i:?}, lengths {} {}",
        a.len(),
        b.len()
    )
}

/// The fixture streams (`*.jpg`), sorted.
fn fixture_streams() -> Vec<PathBuf> {
    let mut names: Vec<_> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    names.sort();
    names
}

fn check_fixtures(portable: bool, parallel: bool) -> usize {
    let mut n = 0;
    let mut failures = Vec::new();
    for p in fixture_streams() {
        let src = std::fs::read(&p).unwrap();
        for (tag, colour) in [("keep", Colour::Keep), ("rgb", Colour::Rgb)] {
            let want = p.with_extension(format!("{tag}.raw"));
            let Ok(want) = std::fs::read(&want) else {
                continue;
            };
            let opts = Options {
                colour,
                portable,
                parallel,
            };
            let d = if parallel {
                crate::exec::with_threads(Some(3), |_| decode(&src, &opts))
                    .unwrap()
                    .unwrap()
            } else {
                decode(&src, &opts).unwrap()
            };
            assert!(d.report.is_clean(), "{}: {:?}", p.display(), d.report);
            let got = bytes(&d.samples);
            if got != want {
                failures.push(format!(
                    "{} {tag}: {}",
                    p.display(),
                    first_diff(&got, &want)
                ));
            }
            // Into a caller's buffer: aligned (grey frames whose size is a
            // multiple of 8 are decoded straight into it) and not aligned
            // for u16 (through the planes); the buffer starts dirty.
            let mut buf = vec![0u8; want.len() + 1];
            for off in [0usize, 1] {
                let dst = &mut buf[off..off + want.len()];
                dst.fill(0xA5);
                let (_, rep) = decode_into(&src, &opts, dst).unwrap();
                assert!(rep.is_clean(), "{}: {rep:?}", p.display());
                if *dst != want[..] {
                    failures.push(format!(
                        "{} {tag} into a buffer at offset {off}: {}",
                        p.display(),
                        first_diff(dst, &want)
                    ));
                }
            }
            n += 1;
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    n
}

#[test]
fn fixtures_equal_libjpeg_turbo() {
    assert!(check_fixtures(false, false) >= 50);
}

#[test]
fn fixtures_equal_libjpeg_turbo_portable() {
    assert!(check_fixtures(true, false) >= 50);
}

#[test]
fn fixtures_equal_libjpeg_turbo_parallel() {
    assert!(check_fixtures(false, true) >= 50);
    assert!(check_fixtures(true, true) >= 50);
}

/// Grey frames whose size is a multiple of 8 are decoded straight into the
/// caller's buffer: fixtures whose SOF is patched to the size of their
/// blocks (the same entropy-coded data) decode, cropped, to libjpeg-turbo's
/// output, serially and with restart intervals in parallel, from a dirty
/// buffer.
#[test]
fn grey_frames_decode_into_the_callers_buffer() {
    for name in ["grey8_q90", "grey12_q90", "grey12_q30", "rst_grey"] {
        let src = std::fs::read(fixtures().join(format!("{name}.jpg"))).unwrap();
        let want = std::fs::read(fixtures().join(format!("{name}.keep.raw"))).unwrap();
        let (src, (h, w), (h8, w8), size) = padded(&src);
        assert!((h8, w8) != (h, w), "{name}: already a multiple of 8");
        for parallel in [false, true] {
            let opts = Options {
                parallel,
                ..Options::default()
            };
            let mut buf = vec![0xA5u8; h8 * w8 * size];
            let (info, rep) = if parallel {
                crate::exec::with_threads(Some(3), |_| decode_into(&src, &opts, &mut buf))
                    .unwrap()
                    .unwrap()
            } else {
                decode_into(&src, &opts, &mut buf).unwrap()
            };
            assert!(rep.is_clean(), "{name}: {rep:?}");
            assert_eq!((info.height as usize, info.width as usize), (h8, w8));
            assert!(INPLACE.load(std::sync::atomic::Ordering::Relaxed) > 0);
            let got: Vec<u8> = (0..h)
                .flat_map(|y| buf[y * w8 * size..(y * w8 + w) * size].to_vec())
                .collect();
            assert!(got == want, "{name}: {}", first_diff(&got, &want));
        }
    }
}

/// A sequential stream with its frame header's size rounded up to whole
/// blocks (the same entropy-coded data): (stream, (rows, columns) before,
/// after, bytes per sample).
fn padded(src: &[u8]) -> (Vec<u8>, (usize, usize), (usize, usize), usize) {
    let mut src = src.to_vec();
    let at = (0..src.len() - 9)
        .find(|&i| src[i] == 0xFF && matches!(src[i + 1], 0xC0 | 0xC1))
        .unwrap();
    let (h, w) = (
        u16::from_be_bytes([src[at + 5], src[at + 6]]) as usize,
        u16::from_be_bytes([src[at + 7], src[at + 8]]) as usize,
    );
    let size = if src[at + 4] > 8 { 2 } else { 1 };
    let (h8, w8) = (h.next_multiple_of(8), w.next_multiple_of(8));
    src[at + 5..at + 7].copy_from_slice(&(h8 as u16).to_be_bytes());
    src[at + 7..at + 9].copy_from_slice(&(w8 as u16).to_be_bytes());
    (src, (h, w), (h8, w8), size)
}

/// `JpegDctCodec::writes_every_byte`: every frame decoded without error
/// gives the same bytes into a zeroed and a dirty buffer: the fixtures, the
/// grey ones padded to whole blocks (decoded in place), truncated and
/// damaged copies of each, 8-bit samples in 16-bit containers, on one and
/// three threads.
#[test]
fn every_byte_is_written() {
    use crate::codecs::{DecodeContext, Frame as CFrame, FrameDecoder};
    let mut streams = Vec::new();
    for p in fixture_streams() {
        let src = std::fs::read(&p).unwrap();
        let grey = p.file_name().unwrap().to_string_lossy().starts_with("grey");
        let mut base = vec![src.clone()];
        if grey {
            base.push(padded(&src).0);
        }
        for s in base {
            let n = s.len();
            for cut in [n / 2, n * 3 / 4, n - 2] {
                streams.push(s[..cut].to_vec());
            }
            let mut bad = s.clone();
            for k in 2..9 {
                bad[n * k / 10] ^= 0x5A;
            }
            streams.push(bad);
            streams.push(s);
        }
    }
    let (mut checked, mut inplace) = (0, 0);
    for s in &streams {
        let Ok(i) = info(s) else { continue };
        let spp = i.components.len() as u16;
        if spp == 2 || spp > 3 {
            continue;
        }
        for bits in [8u16, 16] {
            if i.precision > 8 && bits == 8 {
                continue;
            }
            let desc = PixelDescription {
                rows: i.height,
                columns: i.width,
                number_of_frames: 1,
                samples_per_pixel: spp,
                bits_allocated: bits,
                bits_stored: i.precision as u16,
                high_bit: i.precision as u16 - 1,
                photometric_interpretation: if spp == 1 { "MONOCHROME2" } else { "YBR_FULL" }
                    .into(),
                ..Default::default()
            };
            let len = desc.frame_output_len().unwrap() as usize;
            for threads in [Some(1), Some(3)] {
                let ctx = DecodeContext::new(len, threads);
                let before = INPLACE.load(std::sync::atomic::Ordering::Relaxed);
                let mut a = vec![0u8; len];
                let ra = JpegDctCodec.decode(&CFrame::encapsulated(s), &desc, &mut a, &ctx);
                let mut b = vec![0xEEu8; len];
                let rb = JpegDctCodec.decode(&CFrame::encapsulated(s), &desc, &mut b, &ctx);
                assert_eq!(ra.is_ok(), rb.is_ok());
                if ra.is_ok() {
                    assert!(a == b, "{:?}: {}", i, first_diff(&a, &b));
                    checked += 1;
                    inplace +=
                        usize::from(INPLACE.load(std::sync::atomic::Ordering::Relaxed) > before);
                }
            }
        }
    }
    assert!(
        checked > 100 && inplace > 10,
        "{checked} decoded, {inplace} in place"
    );
}

/// The restart fixtures take the parallel path (every interval clean), with
/// the same output as the serial path, into a caller's buffer too.
#[test]
fn restart_intervals_in_parallel_equal_serial() {
    use std::sync::atomic::Ordering;
    let names = [
        "rst_grey",
        "rst_420",
        "rst_grey_rows",
        "rst_422_blocks",
        "rst_420_blocks",
    ];
    for name in names {
        let src = std::fs::read(fixtures().join(format!("{name}.jpg"))).unwrap();
        let info = info(&src).unwrap();
        assert!(info.restart_interval > 0, "{name}");
        let want = std::fs::read(fixtures().join(format!("{name}.keep.raw"))).unwrap();
        let serial = Options::default();
        let mut a = vec![0u8; want.len()];
        decode_into(&src, &serial, &mut a).unwrap();
        assert_eq!(a, want, "{name} serial");
        for threads in [2, 4] {
            let before = restart::DECODED.load(Ordering::Relaxed);
            let par = Options {
                parallel: true,
                ..serial
            };
            let mut b = vec![0u8; want.len()];
            let (_, report) =
                crate::exec::with_threads(Some(threads), |_| decode_into(&src, &par, &mut b))
                    .unwrap()
                    .unwrap();
            assert!(report.is_clean(), "{name}: {report:?}");
            assert_eq!(b, want, "{name} on {threads} threads");
            assert!(restart::DECODED.load(Ordering::Relaxed) > before, "{name}");
        }
    }
}

/// A damaged interval (a restart marker removed, bytes cut) makes the
/// parallel path give up: the result and warnings are the serial decoder's.
#[test]
fn damaged_restart_intervals_fall_back_to_serial() {
    let src = std::fs::read(fixtures().join("rst_422_blocks.jpg")).unwrap();
    let rst: Vec<usize> = (0..src.len() - 1)
        .filter(|&i| src[i] == 0xFF && (0xD0..=0xD7).contains(&src[i + 1]))
        .collect();
    assert!(rst.len() >= 4);
    let mut variants = Vec::new();
    let mut v = src.clone();
    v.drain(rst[2]..rst[2] + 2);
    variants.push(v);
    let mut v = src.clone();
    v.drain(rst[1] - 20..rst[1]);
    variants.push(v);
    let mut v = src.clone();
    v[rst[3] + 1] = 0xD5;
    variants.push(v);
    let mut v = src.clone();
    v.insert(rst[0], 0x12);
    variants.push(v);
    for (k, v) in variants.iter().enumerate() {
        let serial = decode(v, &Options::default()).unwrap();
        assert!(!serial.report.is_clean(), "variant {k}");
        let par = Options {
            parallel: true,
            ..Options::default()
        };
        let p = crate::exec::with_threads(Some(2), |_| decode(v, &par))
            .unwrap()
            .unwrap();
        assert_eq!(bytes(&p.samples), bytes(&serial.samples), "variant {k}");
        assert_eq!(p.report.warnings, serial.report.warnings, "variant {k}");
    }
}

#[test]
fn info_reports_header() {
    let src = std::fs::read(fixtures().join("ycc8_420_q60.jpg")).unwrap();
    let i = info(&src).unwrap();
    assert_eq!((i.sof, i.precision, i.width, i.height), (0xC0, 8, 45, 27));
    assert_eq!(
        i.components.iter().map(|c| (c.1, c.2)).collect::<Vec<_>>(),
        [(2, 2), (1, 1), (1, 1)]
    );
    assert!(i.ycbcr);
}

#[test]
fn decode_frame_writes_pydicom_layout() {
    let src = std::fs::read(fixtures().join("grey12_q90.jpg")).unwrap();
    let want = std::fs::read(fixtures().join("grey12_q90.keep.raw")).unwrap();
    let desc = PixelDescription {
        rows: 29,
        columns: 37,
        number_of_frames: 1,
        samples_per_pixel: 1,
        bits_allocated: 16,
        bits_stored: 12,
        high_bit: 11,
        photometric_interpretation: "MONOCHROME2".into(),
        ..Default::default()
    };
    let mut dst = vec![0u8; want.len()];
    let r = decode_frame(&src, &desc, &mut dst).unwrap();
    assert!(r.is_clean());
    assert_eq!(dst, want);
}

#[test]
fn truncated_streams_warn_or_fail() {
    let src = std::fs::read(fixtures().join("ycc8_420_q95.jpg")).unwrap();
    for cut in [src.len() - 2, src.len() - 100, src.len() / 2, 700] {
        // Decoded as far as the data goes with a warning (or an error).
        if let Ok(d) = decode(&src[..cut], &Options::default()) {
            assert!(!d.report.is_clean(), "cut {cut}");
        }
    }
}

#[test]
fn other_processes_are_unsupported() {
    let mut src = std::fs::read(fixtures().join("grey8_q90.jpg")).unwrap();
    let at = src.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    src[at + 1] = 0xC9;
    let e = decode(&src, &Options::default()).unwrap_err();
    assert!(e.to_string().contains("SOF9"), "{e}");
    src[at + 1] = 0xC5;
    assert!(decode(&src, &Options::default())
        .unwrap_err()
        .to_string()
        .contains("SOF5"));
}

fn mutation_corpus() -> Vec<Vec<u8>> {
    [
        "grey12_q90",
        "prog_420",
        "rst_420",
        "ycc8_411_q60",
        "prog_rst_422",
    ]
    .iter()
    .map(|n| std::fs::read(fixtures().join(format!("{n}.jpg"))).unwrap())
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Damaged streams give Ok or Err, never a panic or a hang.
    #[test]
    fn mutated_streams_never_panic(
        which in 0usize..5,
        edits in proptest::collection::vec((any::<u16>(), any::<u8>(), 0u8..3), 1..6),
        cut in any::<u16>(),
    ) {
        let mut s = mutation_corpus()[which].clone();
        for (pos, byte, kind) in edits {
            let p = pos as usize % s.len();
            match kind {
                0 => s[p] = byte,
                1 => s[p] ^= 1 << (byte % 8),
                _ => { s.insert(p, byte); }
            }
        }
        if cut % 4 == 0 {
            let n = cut as usize % s.len();
            s.truncate(n.max(2));
        }
        let _ = decode(&s, &Options::default());
        let _ = info(&s);
    }
}

/// Reproducers found by the `jpeg_dct` fuzz target (`tests/data/crashtest/fuzz/jpeg_dct_*`):
/// each decodes (or fails) without a panic in every mode. `jpeg_dct_ac_entry_bits`: the DC
/// symbol left fewer bits than the AC loop's table look-up needs (its debug assertion fired).
#[test]
fn fuzz_reproducers_never_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/crashtest/fuzz");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("jpeg_dct") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        for colour in [Colour::Keep, Colour::Rgb] {
            for portable in [false, true] {
                for parallel in [false, true] {
                    let opts = Options {
                        colour,
                        portable,
                        parallel,
                    };
                    // The fuzz target reads a pixel description from the first
                    // 4 bytes and decodes the rest as a DICOM frame: both ways.
                    let _ = decode(&data, &opts);
                    let _ = decode(&data[4..], &opts);
                }
            }
        }
        n += 1;
    }
    assert!(n > 0, "no reproducers in {}", dir.display());
}
