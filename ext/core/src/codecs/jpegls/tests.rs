//! Decoder tests: the T.87 conformance set and CharLS's test streams (in
//! `../shared/corpus/dev/jpegls`, skipped when absent) against their source
//! images and against CharLS's output, malformed streams, mutations.

use super::*;
use proptest::prelude::*;
use std::path::PathBuf;

/// The corpus folder (`../shared/corpus/dev` from the repository root, or
/// `$DICODEC_CORPUS`), or None (tests then skip).
pub(crate) fn corpus_dir() -> Option<PathBuf> {
    let root = match std::env::var_os("DICODEC_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/dev"),
    };
    if root.join("jpegls").is_dir() {
        Some(root)
    } else {
        eprintln!("SKIP: {} is absent", root.display());
        None
    }
}

fn read(name: &str) -> Option<Vec<u8>> {
    let p = corpus_dir()?.join("jpegls").join(name);
    Some(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

/// A PGM/PPM image: (width, height, components, maxval, samples).
pub(crate) fn read_pnm(b: &[u8]) -> (usize, usize, usize, u32, Vec<u16>) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b[i] == b'#' {
            while b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let s = i;
        while !b[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&b[s..i]).to_string());
    }
    i += 1;
    let nc = if fields[0] == "P6" { 3 } else { 1 };
    let w: usize = fields[1].parse().unwrap();
    let h: usize = fields[2].parse().unwrap();
    let maxval: u32 = fields[3].parse().unwrap();
    let n = w * h * nc;
    let data = &b[i..];
    let v = if maxval < 256 {
        data[..n].iter().map(|&x| x as u16).collect()
    } else {
        data[..2 * n]
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect()
    };
    (w, h, nc, maxval, v)
}

fn samples_u16(s: &Samples) -> Vec<u16> {
    match s {
        Samples::U8(v) => v.iter().map(|&x| x as u16).collect(),
        Samples::U16(v) => v.clone(),
    }
}

/// SHA-256 of the little-endian samples (tests only; a small implementation).
pub(crate) fn sha256(data: &[u8]) -> String {
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
    let bits = (data.len() as u64) * 8;
    m.push(0x80);
    while m.len() % 64 != 56 {
        m.push(0);
    }
    m.extend_from_slice(&bits.to_be_bytes());
    for block in m.chunks_exact(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes(block[4 * i..4 * i + 4].try_into().unwrap());
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for i in 0..8 {
            h[i] = h[i].wrapping_add(v[i]);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

pub(crate) fn le_bytes(s: &Samples) -> Vec<u8> {
    match s {
        Samples::U8(v) => v.clone(),
        Samples::U16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
    }
}

/// SHA-256 of CharLS 2.4's output (imagecodecs.jpegls_decode, samples as
/// little-endian bytes) for the streams of the corpus folder.
const CHARLS: &[(&str, &str)] = &[
    (
        "8bit-monochrome-2x2.jls",
        "9f64a747e1b97f131fabb6b447296c9b6f0201e79fb3c5356e6c77e89b6a806a",
    ),
    (
        "banny.jls",
        "2bc9ed85a436c18a76ab2eb1375375be0bbeba73d280a2e3be43035370989709",
    ),
    (
        "t16e0.jls",
        "28eb0d3072804a70bf251d77c24a3335de599a137517b9b3719847a6ddaa669d",
    ),
    (
        "t16e3.jls",
        "f9f05fc01fa659dbcb18f217266e4f03d968db3aa06980d9c687e0ab755b0adb",
    ),
    (
        "t8c0e0.jls",
        "ed1fce22a62e4194dd75dd98e7c04aa6978a2858108714876a615c5d5d3c7dff",
    ),
    (
        "t8c0e3.jls",
        "646fdbe8c1803837e525e3532235b754281a119da35c05cb592f49aca41e7a27",
    ),
    (
        "t8c1e0.jls",
        "ed1fce22a62e4194dd75dd98e7c04aa6978a2858108714876a615c5d5d3c7dff",
    ),
    (
        "t8c1e3.jls",
        "fbd5eaee7fec23b8c0032fc1452ddb01e01c7f25a208e49d6ceeaee6ade42084",
    ),
    (
        "t8c2e0.jls",
        "ed1fce22a62e4194dd75dd98e7c04aa6978a2858108714876a615c5d5d3c7dff",
    ),
    (
        "t8c2e3.jls",
        "0981274192e6ef2d83618232d48cf9f8f42d06e99b45374a7216665eed2e8348",
    ),
    (
        "t8nde0.jls",
        "3412f83ce18bc5e2cb4964a58d27981b8cc3cfb56f4a15c908ab9b49ec47706d",
    ),
    (
        "t8nde3.jls",
        "d49ce4a0281bb90abcbcb2154d37e42db6aa9fdbfb24e87df17bd77d4f61c394",
    ),
    (
        "test16_rm_5.jls",
        "28eb0d3072804a70bf251d77c24a3335de599a137517b9b3719847a6ddaa669d",
    ),
    (
        "test8_ilv_line_rm_7.jls",
        "ed1fce22a62e4194dd75dd98e7c04aa6978a2858108714876a615c5d5d3c7dff",
    ),
    (
        "test8_ilv_none_rm_7.jls",
        "ed1fce22a62e4194dd75dd98e7c04aa6978a2858108714876a615c5d5d3c7dff",
    ),
    (
        "test8_ilv_sample_rm_300.jls",
        "ed1fce22a62e4194dd75dd98e7c04aa6978a2858108714876a615c5d5d3c7dff",
    ),
    (
        "test8_ilv_sample_rm_7.jls",
        "ed1fce22a62e4194dd75dd98e7c04aa6978a2858108714876a615c5d5d3c7dff",
    ),
    (
        "tulips-gray-8bit-512-512-hp-encoder.jls",
        "f264155f6c1064c71b140d7dbcb9199d80e5172d8d999e9084d6e192a1700b3a",
    ),
];

#[test]
fn charls_streams_decode_as_charls_does() {
    let Some(_) = corpus_dir() else { return };
    for (name, want) in CHARLS {
        let d = decode(&read(name).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sha256(&le_bytes(&d.samples)), *want, "{name}");
    }
}

/// (stream, source image, NEAR) of the T.87 Annex E set and CharLS's cases.
const SOURCES: &[(&str, &str, u16)] = &[
    ("t8c0e0.jls", "test8.ppm", 0),
    ("t8c1e0.jls", "test8.ppm", 0),
    ("t8c2e0.jls", "test8.ppm", 0),
    ("t8c0e3.jls", "test8.ppm", 3),
    ("t8c1e3.jls", "test8.ppm", 3),
    ("t8c2e3.jls", "test8.ppm", 3),
    ("t8nde0.jls", "test8bs2.pgm", 0),
    ("t8nde3.jls", "test8bs2.pgm", 3),
    ("t16e0.jls", "test16.pgm", 0),
    ("t16e3.jls", "test16.pgm", 3),
    ("test16_rm_5.jls", "test16.pgm", 0),
    ("test8_ilv_line_rm_7.jls", "test8.ppm", 0),
    ("test8_ilv_none_rm_7.jls", "test8.ppm", 0),
    ("test8_ilv_sample_rm_7.jls", "test8.ppm", 0),
    ("test8_ilv_sample_rm_300.jls", "test8.ppm", 0),
    (
        "tulips-gray-8bit-512-512-hp-encoder.jls",
        "tulips-gray-8bit-512-512.pgm",
        0,
    ),
    ("banny.jls", "banny.ppm", 0),
    ("banny-hp1.jls", "banny.ppm", 0),
    ("banny-hp2.jls", "banny.ppm", 0),
    ("banny-hp3.jls", "banny.ppm", 0),
];

#[test]
fn conformance_streams_match_their_sources() {
    let Some(_) = corpus_dir() else { return };
    for (name, src, near) in SOURCES {
        let d = decode(&read(name).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (w, h, nc, _, want) = read_pnm(&read(src).unwrap());
        assert_eq!(
            (
                d.info.width as usize,
                d.info.height as usize,
                d.info.components as usize
            ),
            (w, h, nc),
            "{name}"
        );
        let got = samples_u16(&d.samples);
        let worst = got
            .iter()
            .zip(&want)
            .map(|(&a, &b)| (a as i32 - b as i32).unsigned_abs())
            .max()
            .unwrap();
        assert!(worst <= *near as u32, "{name}: error {worst} > NEAR {near}");
        assert_eq!(d.info.near as u16, *near, "{name}");
        assert!(d.report.is_clean(), "{name}: {:?}", d.report);
    }
}

#[test]
fn unsupported_features_are_named() {
    let Some(_) = corpus_dir() else { return };
    for name in ["t8sse0.jls", "t8sse3.jls"] {
        let e = decode(&read(name).unwrap()).unwrap_err();
        assert!(
            matches!(e, Error::Unsupported(ref m) if m.contains("subsampled")),
            "{name}: {e}"
        );
    }
}

#[test]
fn malformed_streams_give_errors() {
    let Some(_) = corpus_dir() else { return };
    for name in [
        "ff_in_entropy_data.jls",
        "fuzzy-input-bad-run-mode-golomb-code.jls",
        "fuzzy-input-no-valid-bits-at-the-end.jls",
        "fuzzy_input_golomb_16.jls",
        "land10-10bit-rgb-hp3-invalid.jls",
        "no_start_byte_after_encoded_scan.jls",
    ] {
        let r = decode(&read(name).unwrap());
        if let Err(e) = &r {
            eprintln!("{name}: {e}");
        }
        assert!(r.is_err(), "{name}: decoded ({:?})", r.map(|d| d.report));
    }
}

/// Valid streams for the mutation test: streams of dicodec's encoder (16
/// bits: the legacy-threshold retry runs on damaged ones; 7 bits, line
/// interleave, restart intervals), and the corpus streams when present.
fn mutation_inputs() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for (w, h, nc, bits, near, ilv, ri) in [(33, 17, 1, 16, 0, 0, 0), (20, 12, 3, 7, 2, 1, 5)] {
        let px = super::tests_encode::synth(w, h, nc, bits, 5);
        let img = super::Image {
            samples: &px,
            width: w as u32,
            height: h as u32,
            components: nc as u8,
            precision: bits,
        };
        let opts = super::EncodeOptions {
            near,
            interleave: ilv,
            restart_interval: ri,
            preset: None,
        };
        v.push(super::encode(&img, &opts).unwrap());
    }
    if corpus_dir().is_some() {
        for n in [
            "t8c1e3.jls",
            "t16e3.jls",
            "test8_ilv_sample_rm_7.jls",
            "t8nde0.jls",
        ] {
            v.push(read(n).unwrap());
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Damaged streams give Ok or Err, never a panic or a hang.
    #[test]
    fn mutated_streams_never_panic(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<u32>(), any::<u8>(), 0u8..3), 1..8),
        cut in any::<u32>(),
    ) {
        let inputs = mutation_inputs();
        if inputs.is_empty() { return Ok(()); }
        let mut s = inputs[which % inputs.len()].clone();
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
            s.truncate(n);
        }
        let _ = decode(&s);
        let _ = info(&s);
    }
}
