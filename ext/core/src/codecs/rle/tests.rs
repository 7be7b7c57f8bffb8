//! Tests of the RLE codec against a plain reference implementation written
//! here from the standard (byte-at-a-time decoding, greedy encoding).

use super::encode::encode_row;
use super::*;
use proptest::prelude::*;

fn desc(rows: u32, columns: u32, spp: u16, bits: u16, signed: bool) -> PixelDescription {
    PixelDescription {
        rows,
        columns,
        number_of_frames: 1,
        samples_per_pixel: spp,
        bits_allocated: bits,
        bits_stored: bits,
        high_bit: bits.saturating_sub(1),
        pixel_representation: signed as u16,
        planar_configuration: 0,
        photometric_interpretation: if spp == 3 { "RGB" } else { "MONOCHROME2" }.into(),
        ..Default::default()
    }
}

/// Reference PackBits decoder of one segment (PS3.5 G.3.2), stops at `max`.
fn ref_segment(src: &[u8], max: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < src.len() && out.len() < max {
        let h = src[i] as i8;
        i += 1;
        if h >= 0 {
            for _ in 0..=h as usize {
                if i < src.len() {
                    out.push(src[i]);
                }
                i += 1;
            }
        } else if h != -128 {
            if i < src.len() {
                for _ in 0..(1 - h as isize) {
                    out.push(src[i]);
                }
            }
            i += 1;
        }
    }
    out.truncate(max);
    out
}

/// Reference frame decoder: segments MSB first, strided stores.
fn ref_decode(src: &[u8], d: &PixelDescription) -> Vec<u8> {
    let (px, spp, bps) = (
        (d.rows * d.columns) as usize,
        d.samples_per_pixel as usize,
        d.bits_allocated as usize / 8,
    );
    let h = parse_header(src).unwrap();
    let n = h.segments as usize;
    let mut out = vec![0u8; px * spp * bps];
    for seg in 0..n {
        let start = h.offsets[seg] as usize;
        let end = if seg + 1 < n {
            h.offsets[seg + 1] as usize
        } else {
            src.len()
        };
        let plane = ref_segment(&src[start..end], px);
        let (sample, byte) = (seg / bps, bps - 1 - seg % bps);
        for (p, &b) in plane.iter().enumerate() {
            out[(p * spp + sample) * bps + byte] = b;
        }
    }
    out
}

/// The other encoders' rules: pydicom and pylibjpeg-rle make every repeat of
/// two or more a replicate run (`merge_after_literal` false); GDCM lets a
/// repeat of two that follows a literal join it (true).
fn reference_row(row: &[u8], merge_after_literal: bool, out: &mut Vec<u8>) {
    let mut lit: Vec<u8> = Vec::new();
    let flush = |lit: &mut Vec<u8>, out: &mut Vec<u8>| {
        for c in lit.chunks(128) {
            out.push(c.len() as u8 - 1);
            out.extend_from_slice(c);
        }
        lit.clear();
    };
    let mut i = 0;
    while i < row.len() {
        let mut j = i + 1;
        while j < row.len() && row[j] == row[i] {
            j += 1;
        }
        let mut run = j - i;
        if run == 1 || (run == 2 && merge_after_literal && !lit.is_empty()) {
            lit.extend_from_slice(&row[i..j]);
        } else {
            flush(&mut lit, out);
            while run >= 2 {
                let k = run.min(128);
                out.push((257 - k) as u8);
                out.push(row[i]);
                run -= k;
            }
            if run == 1 {
                lit.push(row[i]);
            }
        }
        i = j;
    }
    flush(&mut lit, out);
}

fn decode(src: &[u8], d: &PixelDescription, opts: DecodeOptions) -> Result<(Vec<u8>, FrameReport)> {
    let len = d.frame_output_len().unwrap() as usize;
    let mut dst = vec![0xEE; len];
    let report = decode_frame_with(src, d, &mut dst, &opts)?;
    Ok((dst, report))
}

fn lenient() -> DecodeOptions {
    DecodeOptions::default()
}

fn strict() -> DecodeOptions {
    DecodeOptions {
        strict: true,
        ..Default::default()
    }
}

/// A frame built by hand: header + given segments.
fn frame(segments: &[&[u8]]) -> Vec<u8> {
    let lengths: Vec<usize> = segments.iter().map(|s| s.len()).collect();
    let mut out = vec![0u8; HEADER_LEN];
    header::write_header(&mut out, &lengths).unwrap();
    for s in segments {
        out.extend_from_slice(s);
    }
    out
}

fn malformed(e: Error) -> (u64, String) {
    match e {
        Error::Malformed {
            offset,
            context,
            message,
        } => (offset, format!("{context}: {message}")),
        other => panic!("expected a malformed error, got {other:?}"),
    }
}

#[test]
fn sixteen_bit_sample_is_little_endian_msb_segment_first() {
    // 2×2 pixels 0x0102, 0x0304, 0x0506, 0x0708.
    let msb = [3u8, 1, 3, 5, 7];
    let lsb = [3u8, 2, 4, 6, 8];
    let src = frame(&[&msb, &lsb]);
    let d = desc(2, 2, 1, 16, false);
    let (out, report) = decode(&src, &d, strict()).unwrap();
    assert_eq!(out, [2, 1, 4, 3, 6, 5, 8, 7]);
    assert!(report.is_clean());
    // LSB-first order (pydicom's rle_segment_order="<").
    let opts = DecodeOptions {
        lsb_first: true,
        ..Default::default()
    };
    let (out, _) = decode(&src, &d, opts).unwrap();
    assert_eq!(out, [1, 2, 3, 4, 5, 6, 7, 8]);
}

#[test]
fn rgb_is_colour_by_pixel() {
    let d = desc(1, 3, 3, 8, false);
    let src = frame(&[&[2, 1, 2, 3, 0], &[0xFE, 9], &[2, 7, 8, 9, 0]]);
    let (out, report) = decode(&src, &d, strict()).unwrap();
    assert_eq!(out, [1, 9, 7, 2, 9, 8, 3, 9, 9]);
    assert!(report.is_clean(), "{report:?}");
}

#[test]
fn streaming_stores_give_the_same_frames() {
    // Frames past the streaming size, 16-bit gray and 8-bit RGB, at every
    // start alignment of the output (the aligned head, the streaming kernels
    // and the tails).
    for (rows, columns, spp, bits) in [(300u32, 450u32, 1u16, 16u16), (301, 301, 3, 8)] {
        let d = desc(rows, columns, spp, bits, false);
        let len = d.frame_output_len().unwrap() as usize;
        let data: Vec<u8> = (0..len).map(|i| ((i / 7) ^ (i * 13 % 251)) as u8).collect();
        let enc = encode_frame(&data, &d).unwrap();
        let mut buf = vec![0u8; len + 64];
        for shift in [0, 1, 2, 3, 16, 30, 32, 33] {
            let dst = &mut buf[shift..shift + len];
            dst.fill(0xEE);
            let opts = DecodeOptions {
                stream: true,
                ..strict()
            };
            decode_frame_with(&enc, &d, dst, &opts).unwrap();
            assert!(
                dst == data.as_slice(),
                "{rows}x{columns}x{spp} shift {shift}"
            );
        }
    }
}

#[test]
fn header_errors_name_segment_and_offset() {
    let d = desc(2, 2, 1, 16, false);
    // Zero-length and short data.
    for data in [&[][..], &[1u8, 0, 0, 0][..]] {
        let (off, msg) = malformed(decode(data, &d, lenient()).unwrap_err());
        assert_eq!(off, data.len() as u64);
        assert!(
            msg.contains("RLE header") && msg.contains("shorter"),
            "{msg}"
        );
    }
    // 16 segments.
    let mut src = frame(&[&[3, 1, 2, 3, 4], &[3, 1, 2, 3, 4]]);
    src[0] = 16;
    let (off, msg) = malformed(decode(&src, &d, lenient()).unwrap_err());
    assert_eq!(off, 0);
    assert!(msg.contains("16 segments"), "{msg}");
    // Segment count not what the image needs.
    src[0] = 1;
    let (_, msg) = malformed(decode(&src, &d, lenient()).unwrap_err());
    assert!(msg.contains("needs 2"), "{msg}");
    // Offset past the end.
    let mut src = frame(&[&[3, 1, 2, 3, 4], &[3, 1, 2, 3, 4]]);
    src[8..12].copy_from_slice(&1000u32.to_le_bytes());
    let (off, msg) = malformed(decode(&src, &d, lenient()).unwrap_err());
    assert_eq!(off, 8);
    assert!(
        msg.contains("RLE segment 2") && msg.contains("past the end"),
        "{msg}"
    );
    // Offset into the header; decreasing offsets.
    src[8..12].copy_from_slice(&10u32.to_le_bytes());
    let (off, msg) = malformed(decode(&src, &d, lenient()).unwrap_err());
    assert_eq!(off, 8);
    assert!(msg.contains("into the 64-byte header"), "{msg}");
    let mut src = frame(&[&[3, 1, 2, 3, 4], &[3, 1, 2, 3, 4]]);
    src[4..8].copy_from_slice(&70u32.to_le_bytes());
    src[8..12].copy_from_slice(&66u32.to_le_bytes());
    let (off, msg) = malformed(decode(&src, &d, lenient()).unwrap_err());
    assert_eq!(off, 8);
    assert!(msg.contains("before the previous"), "{msg}");
}

#[test]
fn truncated_segment_is_an_error() {
    let d = desc(4, 4, 1, 16, false);
    let seg = [15u8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    let src = frame(&[&seg, &seg]);
    assert!(decode(&src, &d, strict()).is_ok());
    // Cut the last segment inside its literal run.
    let cut = &src[..src.len() - 5];
    let (off, msg) = malformed(decode(cut, &d, lenient()).unwrap_err());
    // The run header of segment 2 is at 64 + 17.
    assert_eq!(off, 64 + 17);
    assert!(
        msg.contains("RLE segment 2") && msg.contains("11 of the 16"),
        "{msg}"
    );
    // A segment that is empty (two equal offsets).
    let mut src2 = src.clone();
    src2[8..12].copy_from_slice(&64u32.to_le_bytes());
    let (_, msg) = malformed(decode(&src2, &d, lenient()).unwrap_err());
    assert!(
        msg.contains("RLE segment 1") && msg.contains("after 0 of"),
        "{msg}"
    );
}

#[test]
fn tolerance_policy() {
    let d = desc(1, 4, 1, 8, false);
    // One byte short: padded with 0 and a warning; strict: error.
    let src = frame(&[&[2, 1, 2, 3, 0]]);
    let (out, report) = decode(&src, &d, lenient()).unwrap();
    assert_eq!(out, [1, 2, 3, 0]);
    assert_eq!(report.warnings.len(), 1);
    assert!(report.warnings[0].contains("one short"), "{report:?}");
    assert!(decode(&src, &d, strict()).is_err());
    // Two short: always an error.
    let src = frame(&[&[1, 1, 2]]);
    assert!(decode(&src, &d, lenient()).is_err());
    // Long: trimmed with a warning; strict: error at the position after the plane.
    let src = frame(&[&[4, 1, 2, 3, 4, 5, 0]]);
    let (out, report) = decode(&src, &d, lenient()).unwrap();
    assert_eq!(out, [1, 2, 3, 4]);
    assert!(report.warnings[0].contains("1 bytes more"), "{report:?}");
    assert!(decode(&src, &d, strict()).is_err());
    // Conformant pad byte and no-op codes: clean even in strict mode.
    let src = frame(&[&[128, 3, 1, 2, 3, 4, 128, 0]]);
    let (out, report) = decode(&src, &d, strict()).unwrap();
    assert_eq!(out, [1, 2, 3, 4]);
    assert!(report.is_clean());
    // First offset beyond 64: skipped with a warning; strict: error.
    let mut src = frame(&[&[0, 0, 3, 1, 2, 3, 4]]);
    src[4..8].copy_from_slice(&66u32.to_le_bytes());
    let (out, report) = decode(&src, &d, lenient()).unwrap();
    assert_eq!(out, [1, 2, 3, 4]);
    assert!(report.warnings[0].contains("offset 66"), "{report:?}");
    assert!(decode(&src, &d, strict()).is_err());
    // Non-zero unused offset: ignored; strict: error.
    let mut src = frame(&[&[3, 1, 2, 3, 4]]);
    src[12] = 1;
    assert!(decode(&src, &d, lenient()).unwrap().1.is_clean());
    assert!(decode(&src, &d, strict()).is_err());
}

#[test]
fn one_short_on_multi_segment_frames_in_every_path() {
    // 16-bit, 3 samples, 64×64: last segment one byte short.
    let d = desc(64, 64, 3, 16, false);
    let px = 64 * 64;
    let full: Vec<u8> = (0..px).map(|p| (p % 251) as u8).collect();
    let mut segs = Vec::new();
    for _ in 0..6 {
        let mut s = Vec::new();
        encode_row(&full, &mut s);
        segs.push(s);
    }
    let mut short = Vec::new();
    encode_row(&full[..px - 1], &mut short);
    segs[5] = short;
    let refs: Vec<&[u8]> = segs.iter().map(|s| s.as_slice()).collect();
    let src = frame(&refs);
    let (a, ra) = decode(&src, &d, lenient()).unwrap();
    assert_eq!(ra.warnings.len(), 1);
    // Last pixel's B-LSB is 0.
    assert_eq!(a[a.len() - 2], 0);
    assert_eq!(a[a.len() - 1], full[px - 1]);
    assert!(decode(&src, &d, strict()).is_err());
}

#[test]
fn one_bit_both_layouts() {
    let d = desc(3, 5, 1, 1, false);
    let px: Vec<u8> = (0..15).map(|i| (i % 3 == 0) as u8).collect();
    // dicodec writes one byte per pixel.
    let enc = encode_frame(&px, &d).unwrap();
    let (out, report) = decode(&enc, &d, strict()).unwrap();
    assert_eq!(out, px);
    assert!(report.is_clean());
    assert_eq!(ref_segment(&enc[64..], 100), px);
    // Bit-packed input gives the same stream.
    let mut packed = vec![0u8; 2];
    for (i, &b) in px.iter().enumerate() {
        packed[i / 8] |= b << (i % 8);
    }
    assert_eq!(encode_frame(&packed, &d).unwrap(), enc);
    // A bit-packed segment (older highdicom) decodes too.
    let mut seg = Vec::new();
    encode_row(&packed, &mut seg);
    let (out, _) = decode(&frame(&[&seg]), &d, strict()).unwrap();
    assert_eq!(out, px);
    // Anything else is an error.
    let mut seg = Vec::new();
    encode_row(&[1, 0, 1, 0, 1, 0, 1, 0, 1], &mut seg);
    assert!(decode(&frame(&[&seg]), &d, lenient()).is_err());
}

#[test]
fn narrow_samples_are_widened() {
    // Bits Allocated 16 given 8-bit samples (pydicom with Bits Stored ≤ 8).
    let d = desc(2, 3, 1, 16, true);
    let src8: Vec<u8> = vec![0, 1, 0x7F, 0x80, 0xFF, 0xFE];
    let enc = encode_frame(&src8, &d).unwrap();
    let (out, _) = decode(&enc, &d, strict()).unwrap();
    let want: Vec<u8> = src8
        .iter()
        .flat_map(|&b| (b as i8 as i16).to_le_bytes())
        .collect();
    assert_eq!(out, want);
    let d = desc(2, 3, 1, 16, false);
    let enc = encode_frame(&src8, &d).unwrap();
    let (out, _) = decode(&enc, &d, strict()).unwrap();
    let want: Vec<u8> = src8
        .iter()
        .flat_map(|&b| (b as u16).to_le_bytes())
        .collect();
    assert_eq!(out, want);
    // 16-bit samples for Bits Allocated 32, RGB.
    let d = desc(1, 2, 3, 32, true);
    let src16: Vec<u8> = [-2i16, 3, 300, -300, 0, 1]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let enc = encode_frame(&src16, &d).unwrap();
    let (out, _) = decode(&enc, &d, strict()).unwrap();
    let want: Vec<u8> = [-2i32, 3, 300, -300, 0, 1]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    assert_eq!(out, want);
    // Wider or ragged input is refused.
    assert!(encode_frame(&[0u8; 24], &desc(2, 3, 1, 16, false)).is_err());
    assert!(encode_frame(&[0u8; 7], &desc(2, 3, 1, 16, false)).is_err());
}

#[test]
fn layout_limits() {
    assert!(matches!(
        Layout::new(&desc(2, 2, 3, 64, false)),
        Err(Error::Unsupported(_))
    ));
    assert!(matches!(
        Layout::new(&desc(2, 2, 1, 12, false)),
        Err(Error::Unsupported(_))
    ));
    assert!(Layout::new(&desc(0, 2, 1, 8, false)).is_err());
    assert_eq!(Layout::new(&desc(2, 2, 1, 64, false)).unwrap().segments, 8);
    // Wrong output buffer size.
    let d = desc(2, 2, 1, 8, false);
    let src = frame(&[&[3, 1, 2, 3, 4]]);
    assert!(matches!(
        decode_frame(&src, &d, &mut [0u8; 3]),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn check_recognises_headers() {
    let d = desc(4, 4, 3, 8, false);
    let enc = encode_frame(&[7u8; 48], &d).unwrap();
    assert!(check(&enc));
    assert!(!check(&enc[..63]));
    assert!(!check(&[0u8; 64]));
    let mut bad = enc.clone();
    bad[4] = 65;
    assert!(!check(&bad));
    let mut bad = enc.clone();
    bad[0] = 16;
    assert!(!check(&bad));
    assert!(!check(
        b"\xff\xd8\xff\xe0 this is a JPEG, not an RLE frame at all..........."
    ));
}

#[test]
fn two_byte_repeats_between_literals_join_the_literal() {
    let mut out = Vec::new();
    encode_row(&[1, 2, 3, 3, 4, 5], &mut out);
    assert_eq!(out, [5, 1, 2, 3, 3, 4, 5]);
    // At a row end or before a replicate run it stays a replicate run.
    out.clear();
    encode_row(&[1, 2, 3, 3], &mut out);
    assert_eq!(out, [1, 1, 2, 0xFF, 3]);
    out.clear();
    encode_row(&[1, 3, 3, 4, 4, 4], &mut out);
    assert_eq!(out, [0, 1, 0xFF, 3, 0xFE, 4]);
    // Several repeats of two between literals all join the literal.
    out.clear();
    encode_row(&[1, 3, 3, 4, 4, 5], &mut out);
    assert_eq!(out, [5, 1, 3, 3, 4, 4, 5]);
    // Not when the literal's 128-byte chunk has no room for both bytes.
    let mut row: Vec<u8> = (0..127).map(|i| (i % 2) as u8 + 10).collect();
    row.extend_from_slice(&[7, 7, 1]);
    out.clear();
    encode_row(&row, &mut out);
    assert_eq!(out.len(), 1 + 127 + 2 + 2);
    assert_eq!(&out[128..], [0xFF, 7, 0, 1]);
    // Long runs: 128 + 1 leaves a literal byte that joins the next literal.
    out.clear();
    let mut row = vec![9u8; 129];
    row.extend_from_slice(&[1, 2]);
    encode_row(&row, &mut out);
    assert_eq!(out, [129, 9, 2, 9, 1, 2]);
    out.clear();
    encode_row(&[5], &mut out);
    assert_eq!(out, [0, 5]);
}

#[test]
fn runs_never_cross_rows() {
    // Two rows of 4 identical bytes: two replicate runs, not one of 8.
    let d = desc(2, 4, 1, 8, false);
    let enc = encode_frame(&[6u8; 8], &d).unwrap();
    assert_eq!(&enc[64..], [0xFD, 6, 0xFD, 6]);
}

prop_compose! {
    fn image()(rows in 1u32..24, columns in 1u32..140, spp in prop::sample::select(vec![1u16, 3]),
               bits in prop::sample::select(vec![8u16, 16, 32]), signed in any::<bool>(),
               runny in any::<bool>())
        (data in prop::collection::vec(
            if runny { prop::sample::select(vec![0u8, 0, 0, 1, 255]).boxed() } else { any::<u8>().boxed() },
            (rows * columns) as usize * spp as usize * bits as usize / 8),
         rows in Just(rows), columns in Just(columns), spp in Just(spp), bits in Just(bits),
         signed in Just(signed))
        -> (PixelDescription, Vec<u8>) {
        (desc(rows, columns, spp, bits, signed), data)
    }
}

/// Rows of single bytes, two-byte repeats and longer runs, with long literal
/// stretches so the 128-byte literal limit comes into play.
fn row_with_repeats() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        6 => (any::<u8>(), Just(1usize)),
        3 => (any::<u8>(), Just(2usize)),
        1 => (any::<u8>(), 3usize..200),
    ];
    prop::collection::vec(piece, 1..400).prop_map(|pieces| {
        let mut row: Vec<u8> = Vec::new();
        for (v, k) in pieces {
            // Make each piece a run of its own (differs from the last byte).
            let v = if row.last() == Some(&v) {
                v.wrapping_add(1)
            } else {
                v
            };
            row.extend(std::iter::repeat_n(v, k));
        }
        row
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn round_trip((d, data) in image()) {
        let enc = encode_frame(&data, &d).unwrap();
        prop_assert!(check(&enc));
        // Every segment is even; the reference decoder agrees.
        let h = parse_header(&enc).unwrap();
        prop_assert!(h.offsets.iter().all(|o| o % 2 == 0));
        prop_assert_eq!(&ref_decode(&enc, &d), &data);
        let (out, report) = decode(&enc, &d, strict()).unwrap();
        prop_assert_eq!(&out, &data);
        prop_assert!(report.is_clean());
    }

    #[test]
    fn never_larger_than_other_encoders(row in row_with_repeats()) {
        let mut ours = Vec::new();
        encode_row(&row, &mut ours);
        let mut greedy = Vec::new();
        reference_row(&row, false, &mut greedy);
        let mut gdcm = Vec::new();
        reference_row(&row, true, &mut gdcm);
        prop_assert!(ours.len() <= greedy.len(), "{} > greedy {}", ours.len(), greedy.len());
        prop_assert!(ours.len() <= gdcm.len(), "{} > gdcm {}", ours.len(), gdcm.len());
        prop_assert_eq!(ref_segment(&ours, usize::MAX), row);
    }

    #[test]
    fn mutated_streams_never_panic((d, data) in image(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), cut in any::<prop::sample::Index>()) {
        let mut enc = encode_frame(&data, &d).unwrap();
        for (at, v) in edits {
            let i = at.index(enc.len());
            enc[i] = v;
        }
        let enc = &enc[..cut.index(enc.len() + 1)];
        let len = d.frame_output_len().unwrap() as usize;
        for opts in [lenient(), strict()] {
            let mut dst = vec![0u8; len];
            match decode_frame_with(enc, &d, &mut dst, &opts) {
                Ok(_) => {
                    // Every byte is written (callers decode into
                    // uninitialised memory): a second fill gives the same.
                    let mut again = vec![0xFFu8; len];
                    decode_frame_with(enc, &d, &mut again, &opts).unwrap();
                    prop_assert_eq!(&again, &dst);
                    // When it decodes, it agrees with the reference wherever
                    // the header is sound.
                    if opts.strict {
                        prop_assert_eq!(&dst, &ref_decode(enc, &d));
                    }
                }
                Err(Error::Malformed { offset, .. }) => prop_assert!(offset as usize <= enc.len()),
                Err(e) => prop_assert!(false, "unexpected error kind {e:?}"),
            }
        }
        let _ = check(enc);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), rows in 1u32..9, cols in 1u32..9,
                                 bits in prop::sample::select(vec![1u16, 8, 16, 32])) {
        let d = desc(rows, cols, 1, bits, false);
        let mut dst = vec![0u8; d.frame_output_len().unwrap() as usize];
        if decode_frame(&bytes, &d, &mut dst).is_ok() {
            // Every byte is written, whatever the buffer held before.
            let mut again = vec![0xFFu8; dst.len()];
            decode_frame(&bytes, &d, &mut again).unwrap();
            prop_assert_eq!(again, dst);
        }
        let _ = check(&bytes);
    }
}
