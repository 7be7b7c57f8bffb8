//! The ISO 10918-2 DCT streams and the .50/.51/.55 DICOM files of the shared
//! corpus against libjpeg-turbo: `tests/data/jpeg_dct/corpus_refs.txt` holds
//! the SHA-256 of libjpeg-turbo's output (written by `make_fixtures.py`; all
//! frames, as pydicom returns them with raw=True). Skipped without the corpus.

use dicodec_core::codecs::jpeg::dct::{decode, Options, Samples};
use dicodec_core::decode::decode_all;
use dicodec_core::parser::ParsedFile;
use std::path::PathBuf;

fn corpus() -> Option<PathBuf> {
    // `../shared/corpus/dev` beside the repository (or a worktree's parents).
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(2)
        .map(|a| a.join("shared/corpus/dev"))
        .find(|p| p.join("MANIFEST.csv").is_file())
}

fn sha256_hex(data: &[u8]) -> String {
    // Small SHA-256 (FIPS 180-4) for the manifest digests.
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
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
            w[i] = u32::from_be_bytes([
                chunk[4 * i],
                chunk[4 * i + 1],
                chunk[4 * i + 2],
                chunk[4 * i + 3],
            ]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut a = h;
        for i in 0..64 {
            let s1 = a[4].rotate_right(6) ^ a[4].rotate_right(11) ^ a[4].rotate_right(25);
            let ch = (a[4] & a[5]) ^ (!a[4] & a[6]);
            let t1 = a[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a[0].rotate_right(2) ^ a[0].rotate_right(13) ^ a[0].rotate_right(22);
            let maj = (a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]);
            let t2 = s0.wrapping_add(maj);
            a = [
                t1.wrapping_add(t2),
                a[0],
                a[1],
                a[2],
                a[3].wrapping_add(t1),
                a[4],
                a[5],
                a[6],
            ];
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
fn corpus_equals_libjpeg_turbo() {
    let Some(dir) = corpus() else {
        eprintln!("SKIP: shared corpus not found");
        return;
    };
    let refs = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/jpeg_dct/corpus_refs.txt"),
    )
    .unwrap();
    let (mut iso, mut dicom) = (0, 0);
    let mut failures = Vec::new();
    for line in refs.lines() {
        let Some((name, want)) = line.split_once(' ') else {
            continue;
        };
        let data = std::fs::read(dir.join(name)).unwrap();
        let got = if name.starts_with("jpeg/") {
            match decode(&data, &Options::default()) {
                Ok(d) => match d.samples {
                    Samples::U8(v) => v,
                    Samples::U16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
                },
                // The lossless (SOF3) stream of the suite.
                Err(e) if e.to_string().contains("SOF3") => continue,
                Err(e) => panic!("{name}: {e}"),
            }
        } else {
            let p = ParsedFile::parse(&data).unwrap();
            match decode_all(&p, Some(1)) {
                Ok((_, v, _)) => v,
                Err(e) => {
                    failures.push(format!("{name}: {e}"));
                    continue;
                }
            }
        };
        if sha256_hex(&got) != want {
            failures.push(format!("{name}: output differs from libjpeg-turbo"));
        }
        if name.starts_with("jpeg/") {
            iso += 1;
        } else {
            dicom += 1;
        }
    }
    eprintln!("{iso} ISO streams, {dicom} DICOM files checked");
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(iso >= 3 && dicom >= 14);
}
