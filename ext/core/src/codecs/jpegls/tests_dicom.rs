//! The JPEG-LS DICOM files of the shared corpus (MANIFEST.csv rows with
//! transfer syntax .80/.81), read through the core file reader and decoded
//! frame by frame, bit-exact against their `ref_sha256` (pydicom's output
//! with GDCM / pylibjpeg, see the corpus README).

use super::decode_frame;
use super::tests::{corpus_dir, sha256};
use crate::parser::ParsedFile;

/// (file, ref_sha256) of the corpus's JPEG-LS rows that have a reference.
fn rows() -> Vec<(String, String)> {
    let Some(dir) = corpus_dir() else {
        return Vec::new();
    };
    let text = std::fs::read_to_string(dir.join("MANIFEST.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (f, ts, r) = (col("file"), col("transfer_syntax_uid"), col("ref_sha256"));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|c| {
            c.len() > r
                && matches!(c[ts], "1.2.840.10008.1.2.4.80" | "1.2.840.10008.1.2.4.81")
                && !c[r].is_empty()
        })
        .map(|c| (c[f].to_string(), c[r].to_string()))
        .collect()
}

#[test]
fn corpus_jpegls_files_are_bit_exact() {
    let rows = rows();
    let Some(dir) = corpus_dir() else { return };
    assert!(!rows.is_empty(), "no JPEG-LS rows in the manifest");
    for (name, want) in &rows {
        let buf = std::fs::read(dir.join(name)).unwrap();
        let file = ParsedFile::parse(&buf).unwrap_or_else(|e| panic!("{name}: {e}"));
        let layout = file.layout().unwrap();
        let frame_len = layout.desc.frame_output_len().unwrap() as usize;
        let enc = file.encapsulated.as_ref().expect("encapsulated");
        let mut out = vec![0u8; frame_len * layout.frames];
        for (i, dst) in out.chunks_mut(frame_len).enumerate() {
            let mut src = Vec::new();
            for g in &enc.frames[i] {
                src.extend_from_slice(&file.data[g.offset..g.offset + g.length]);
            }
            let r = decode_frame(&src, &layout.desc, dst)
                .unwrap_or_else(|e| panic!("{name} frame {i}: {e}"));
            assert!(r.is_clean(), "{name} frame {i}: {:?}", r.warnings);
        }
        assert_eq!(&sha256(&out), want, "{name}");
    }
    eprintln!("{} JPEG-LS DICOM files bit-exact", rows.len());
}
