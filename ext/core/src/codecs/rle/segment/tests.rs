use super::*;

/// Reference: a plain PackBits decoder.
fn reference(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < src.len() {
        let h = src[i] as usize;
        i += 1;
        if h < 128 {
            let end = (i + h + 1).min(src.len());
            out.extend_from_slice(&src[i..end]);
            i += h + 1;
        } else if h > 128 {
            if i < src.len() {
                out.extend(std::iter::repeat_n(src[i], 257 - h));
            }
            i += 1;
        }
    }
    out
}

fn decode_in_blocks(src: &[u8], total: usize, block: usize) -> (Vec<u8>, usize) {
    let mut dec = SegmentDecoder::new(src);
    let mut out = vec![0xAA; total];
    let mut done = 0;
    for chunk in out.chunks_mut(block) {
        let k = dec.fill(chunk);
        done += k;
        if k < chunk.len() {
            break;
        }
    }
    (out, done)
}

#[test]
fn blocks_of_any_size_match_reference() {
    // Mixed runs: literals of all lengths, replicates, no-ops.
    let mut src = Vec::new();
    let mut seed = 12345u32;
    for i in 0..400 {
        seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
        let len = (seed >> 16) as usize % 128 + 1;
        if i % 3 == 0 {
            src.push((257 - len.max(2)) as u8);
            src.push((seed >> 8) as u8);
        } else if i % 7 == 0 {
            src.push(128);
        } else {
            src.push((len - 1) as u8);
            src.extend((0..len).map(|k| (k as u32 * 7 + seed) as u8));
        }
    }
    let want = reference(&src);
    for block in [1, 2, 15, 16, 127, 128, 129, 1000, 4096, want.len()] {
        let (got, done) = decode_in_blocks(&src, want.len(), block);
        assert_eq!(done, want.len(), "block {block}");
        assert_eq!(got, want, "block {block}");
        // One more byte requested than there is: stops short.
        let (_, done) = decode_in_blocks(&src, want.len() + 1, block);
        assert_eq!(done, want.len());
    }
}

#[test]
fn fast_loops_agree_with_reference() {
    // Every header byte, runs of every length, plenty of data after.
    let mut src = Vec::new();
    for h in 0..=255u8 {
        src.push(h);
        match h {
            0..=127 => src.extend((0..=h).map(|k| k.wrapping_mul(37) ^ h)),
            128 => {}
            _ => src.push(h ^ 0x5A),
        }
    }
    let want = reference(&src);
    let mut out = vec![0u8; want.len() + 256];
    type Loop = fn(&[u8], usize, &mut [u8], usize) -> (usize, usize);
    let loops: [(&str, Loop); 3] = [
        ("dispatch", fast_loop),
        ("generic32", fast_loop_generic::<32>),
        ("generic64", fast_loop_generic::<64>),
    ];
    for (name, f) in loops {
        out.fill(0);
        let (pos, o) = f(&src, 0, &mut out, 0);
        // It stops only where a run could reach the end of the input.
        assert!(pos + MAX_RUN >= src.len(), "{name}: stopped early at {pos}");
        assert_eq!(&out[..o], &want[..o], "{name}");
        assert!(o > want.len() / 2, "{name}");
    }
}

#[test]
fn excess_and_padding() {
    // 3 literal bytes then a pad byte.
    let src = [2, 1, 2, 3, 0];
    let mut dec = SegmentDecoder::new(&src);
    let mut out = [0u8; 3];
    assert_eq!(dec.fill(&mut out), 3);
    assert_eq!(out, [1, 2, 3]);
    assert_eq!(dec.excess(), 0);
    // Replicate run longer than the plane: 2 bytes excess.
    let src = [0xFD, 9];
    let mut dec = SegmentDecoder::new(&src);
    let mut out = [0u8; 2];
    assert_eq!(dec.fill(&mut out), 2);
    assert_eq!(dec.excess(), 2);
    // Trailing literal after the plane is full.
    let src = [0, 5, 1, 6, 7];
    let mut dec = SegmentDecoder::new(&src);
    let mut out = [0u8; 1];
    assert_eq!(dec.fill(&mut out), 1);
    assert_eq!(dec.excess(), 2);
    // No-op codes and a trailing replicate header without its value.
    let src = [0, 5, 128, 128, 0xFE];
    let mut dec = SegmentDecoder::new(&src);
    assert_eq!(dec.fill(&mut out), 1);
    assert_eq!(dec.excess(), 0);
}

#[test]
fn truncated_literal_is_reported() {
    let src = [0, 1, 9, 1, 2];
    let mut dec = SegmentDecoder::new(&src);
    let mut out = [0u8; 16];
    assert_eq!(dec.fill(&mut out), 3);
    assert_eq!(dec.truncated_run(), Some(2));
    // Nothing more comes on later calls.
    assert_eq!(dec.fill(&mut out), 0);
}

#[cfg(target_arch = "x86_64")]
/// A stream of short runs in random order (literals of 1–3 bytes,
/// replicates of 2–4) with, every `every` runs, a long literal or
/// replicate (33–128 bytes: the window loop's tail) or a no-op header.
fn short_run_stream(runs: usize, every: usize, seed: u32) -> Vec<u8> {
    let mut src = Vec::new();
    let mut seed = seed;
    for i in 0..runs {
        seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
        let r = (seed >> 16) as usize;
        let long = every > 0 && i % every == every - 1;
        let len = if long { 33 + r % 96 } else { 1 + r % 4 };
        match (r >> 8) % 7 {
            0 if long => src.push(128),
            0..=2 => {
                src.push((len - 1) as u8);
                src.extend((0..len).map(|k| (k as u32 * 13 + seed) as u8));
            }
            _ => {
                src.push((257 - len.max(2)) as u8);
                src.push((seed >> 3) as u8);
            }
        }
    }
    src
}

#[cfg(target_arch = "x86_64")]
#[test]
fn short_runs_probe() {
    use super::avx2::short_runs;
    assert!(short_runs(&short_run_stream(200, 0, 7), 0));
    // Long runs (one in four), long replicates only, or 8-byte literals: no.
    assert!(!short_runs(&short_run_stream(200, 4, 7), 0));
    assert!(!short_runs(&[0x81, 5].repeat(100), 0));
    let mut lits = Vec::new();
    for _ in 0..100 {
        lits.push(7);
        lits.extend([1, 2, 3, 4, 5, 6, 7, 8]);
    }
    assert!(!short_runs(&lits, 0));
    // Near the end of the input it looks only at what is there.
    assert!(!short_runs(&[0x81], 0));
}

/// The AVX2 window loop (where the CPU has AVX2) against the reference:
/// same bytes, and it stops only where a run could pass an end.
#[cfg(target_arch = "x86_64")]
#[test]
#[allow(unsafe_code)]
fn window_loop_agrees_with_reference() {
    use super::avx2::window_loop;
    if !std::arch::is_x86_feature_detected!("avx2") {
        return;
    }
    for (every, seed) in [(0, 1), (5, 2), (17, 3), (2, 4)] {
        let src = short_run_stream(3000, every, seed);
        let want = reference(&src);
        for room in [128, 129, 200, 1000, want.len(), want.len() + 256] {
            let mut out = vec![0u8; room];
            let (mut pos, mut o) = (0, 0);
            let mut calls = 0;
            loop {
                // SAFETY: the CPU has AVX2 (checked above).
                let (p, k) = unsafe { window_loop(&src, pos, &mut out, o) };
                calls += 1;
                assert_eq!(&out[..k], &want[..k], "every {every} room {room}");
                assert!(k <= room && p <= src.len());
                if (p, k) == (pos, o) {
                    break;
                }
                // It returned early only after a long run.
                let ended = p + 16 + MAX_RUN >= src.len() || k + MAX_RUN > room;
                assert!(ended || k - o > 32 || calls == 1 && every == 0);
                (pos, o) = (p, k);
            }
            assert!(pos + 16 + MAX_RUN >= src.len() || o + MAX_RUN > room);
            // Long runs made it return (and the loop call it again).
            assert!(
                every == 0 || room < 1000 || calls > 2,
                "every {every} room {room}"
            );
            // It stopped on a run boundary: the rest decodes to the rest.
            assert_eq!(
                reference(&src[pos..])[..],
                want[o..],
                "every {every} room {room}"
            );
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn short_runs_in_blocks_match_reference() {
    use super::avx2::short_runs;
    // Through fill(): the window loop where the probe picks it, the
    // branchy loop elsewhere, the exact loop at block ends.
    let mut src = short_run_stream(20000, 0, 11);
    src.extend(short_run_stream(500, 3, 12));
    src.extend(short_run_stream(20000, 0, 13));
    let want = reference(&src);
    assert!(short_runs(&src, 0));
    for block in [100, 4096, 16 * 1024 + 7, want.len()] {
        let (got, done) = decode_in_blocks(&src, want.len(), block);
        assert_eq!(done, want.len(), "block {block}");
        assert_eq!(got, want, "block {block}");
    }
    // Truncated inside a literal run: stops short, names the run.
    let cut = src.len() - 1;
    let mut dec = SegmentDecoder::new(&src[..cut]);
    let mut out = vec![0u8; want.len()];
    let k = dec.fill(&mut out);
    assert!(k < want.len());
    assert_eq!(out[..k], want[..k]);
}
