//! Tests against libjpeg-turbo: fixtures under `ext/core/tests/data/jpeg_dct`
//! (streams encoded and decoded by libjpeg-turbo 3.1, see its
//! `make_fixtures.py`), the ISO 10918-2 streams of the shared corpus, and
//! mutated streams (no panic).

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
    format!("{n} bytes differ, first at {i:?}, lengths {} {}", a.len(), b.len())
}

fn check_fixtures(portable: bool) -> usize {
    let mut n = 0;
    let mut names: Vec<_> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    names.sort();
    let mut failures = Vec::new();
    for p in names {
        let src = std::fs::read(&p).unwrap();
        for (tag, colour) in [("keep", Colour::Keep), ("rgb", Colour::Rgb)] {
            let want = p.with_extension(format!("{tag}.raw"));
            let Ok(want) = std::fs::read(&want) else { continue };
            let d = decode(&src, &Options { colour, portable }).unwrap();
            assert!(d.report.is_clean(), "{}: {:?}", p.display(), d.report);
            let got = bytes(&d.samples);
            if got != want {
                failures.push(format!("{} {tag}: {}", p.display(), first_diff(&got, &want)));
            }
            n += 1;
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    n
}

#[test]
fn fixtures_equal_libjpeg_turbo() {
    assert!(check_fixtures(false) >= 50);
}

#[test]
fn fixtures_equal_libjpeg_turbo_portable() {
    assert!(check_fixtures(true) >= 50);
}

fn corpus() -> Option<PathBuf> {
    // `../shared/corpus/dev` beside the repository (or a worktree's parents).
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(2)
        .map(|a| a.join("shared/corpus/dev"))
        .find(|p| p.join("MANIFEST.csv").is_file())
}

/// ISO 10918-2 DCT streams: their libjpeg output digests are in the
/// corpus MANIFEST (`ref_sha256`).
#[test]
fn iso_streams_equal_libjpeg() {
    let Some(dir) = corpus() else {
        eprintln!("SKIP: shared corpus not found");
        return;
    };
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.csv")).unwrap();
    let mut lines = manifest.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (cf, cr) = (col("file"), col("ref_sha256"));
    let mut done = 0;
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        if f.len() <= cr || !f[cf].starts_with("jpeg/") || !f[cf].to_ascii_lowercase().ends_with(".jpg") {
            continue;
        }
        let src = std::fs::read(dir.join(f[cf])).unwrap();
        match decode(&src, &Options::default()) {
            Ok(d) => {
                if !f[cr].is_empty() {
                    let got = sha256_hex(&bytes(&d.samples));
                    assert_eq!(got, f[cr], "{}", f[cf]);
                    done += 1;
                }
            }
            Err(e) => eprintln!("{}: {e}", f[cf]),
        }
    }
    eprintln!("{done} ISO streams checked");
}

fn sha256_hex(data: &[u8]) -> String {
    // Small SHA-256 (FIPS 180-4) for the manifest digests.
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
        0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
        0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ];
    let mut m = data.to_vec();
    m.push(0x80);
    while m.len() % 64 != 56 {
        m.push(0);
    }
    m.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for chunk in m.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([chunk[4 * i], chunk[4 * i + 1], chunk[4 * i + 2], chunk[4 * i + 3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let mut a = h;
        for i in 0..64 {
            let s1 = a[4].rotate_right(6) ^ a[4].rotate_right(11) ^ a[4].rotate_right(25);
            let ch = (a[4] & a[5]) ^ (!a[4] & a[6]);
            let t1 = a[7].wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = a[0].rotate_right(2) ^ a[0].rotate_right(13) ^ a[0].rotate_right(22);
            let maj = (a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]);
            let t2 = s0.wrapping_add(maj);
            a = [t1.wrapping_add(t2), a[0], a[1], a[2], a[3].wrapping_add(t1), a[4], a[5], a[6]];
        }
        for i in 0..8 {
            h[i] = h[i].wrapping_add(a[i]);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[test]
fn sha256_known_answer() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn info_reports_header() {
    let src = std::fs::read(fixtures().join("ycc8_420_q60.jpg")).unwrap();
    let i = info(&src).unwrap();
    assert_eq!((i.sof, i.precision, i.width, i.height), (0xC0, 8, 45, 27));
    assert_eq!(i.components.iter().map(|c| (c.1, c.2)).collect::<Vec<_>>(), [(2, 2), (1, 1), (1, 1)]);
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
        match decode(&src[..cut], &Options::default()) {
            Ok(d) => assert!(!d.report.is_clean(), "cut {cut}"),
            Err(_) => {}
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
    assert!(decode(&src, &Options::default()).unwrap_err().to_string().contains("SOF5"));
}

fn mutation_corpus() -> Vec<Vec<u8>> {
    ["grey12_q90", "prog_420", "rst_420", "ycc8_411_q60", "prog_rst_422"]
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
