//! PackBits decoding of one RLE segment into a contiguous byte plane.
//!
//! The decoder is resumable: [`SegmentDecoder::fill`] writes as many bytes as
//! the output block holds and keeps any run that crosses the block boundary
//! pending for the next call, so a frame can be decoded block by block with
//! every plane of the block still in cache when it is interleaved.
//!
//! Hot loop: while at least 128 bytes of output and 129 bytes of input remain,
//! no run can reach either end, so literal runs are copied and replicate runs
//! stored in whole 16-byte chunks (overshooting into bytes the next run
//! overwrites) with no per-byte bounds checks. Near the ends an exact loop
//! takes over.
//!
//! Streams of very short runs (noisy high bytes: 1–3 byte literals and 2–4
//! byte replicates in random order) defeat the branch predictor; on AVX2 CPUs
//! stretches of them go through [`window_loop`], which finds the run headers
//! of 16 input bytes at once and writes every run without a branch on its
//! kind.

/// Chunk size of the fast copies.
const CHUNK: usize = 16;
/// Longest PackBits run.
const MAX_RUN: usize = 128;

/// State of the decoding of one segment.
#[derive(Debug, Clone)]
pub(crate) struct SegmentDecoder<'a> {
    src: &'a [u8],
    pos: usize,
    /// Bytes of a literal run still to copy from `src[pos..]` (some may be
    /// missing if the segment is truncated).
    lit: usize,
    /// Position of the header of the pending literal run.
    lit_header: usize,
    /// Bytes of a replicate run still to write.
    rep: usize,
    rep_byte: u8,
    /// Position of the header of a run that the end of the segment cut short.
    truncated_run: Option<usize>,
}

impl<'a> SegmentDecoder<'a> {
    pub fn new(src: &'a [u8]) -> Self {
        SegmentDecoder {
            src,
            pos: 0,
            lit: 0,
            lit_header: 0,
            rep: 0,
            rep_byte: 0,
            truncated_run: None,
        }
    }

    /// Position in the segment of the next unread byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Header position of a run the segment end cut short, if any.
    pub fn truncated_run(&self) -> Option<usize> {
        self.truncated_run
    }

    /// Decodes into `out`; returns the bytes written, which is `out.len()`
    /// unless the segment ran out of data.
    pub fn fill(&mut self, out: &mut [u8]) -> usize {
        match self.resume(out) {
            Resumed::Stop(o) => o,
            Resumed::Go(o) => self.run(out, o),
        }
    }

    /// Writes the run left over from the previous block.
    fn resume(&mut self, out: &mut [u8]) -> Resumed {
        let n = out.len();
        let src = self.src;
        let mut o = 0;
        if self.rep > 0 {
            let k = self.rep.min(n);
            out[..k].fill(self.rep_byte);
            self.rep -= k;
            o = k;
        }
        if self.lit > 0 && o < n {
            let avail = src.len() - self.pos;
            let k = self.lit.min(n - o).min(avail);
            out[o..o + k].copy_from_slice(&src[self.pos..self.pos + k]);
            self.pos += k;
            self.lit -= k;
            o += k;
            if self.lit > 0 && o < n {
                // The segment ends inside the pending literal run.
                self.truncated_run = Some(self.lit_header);
                self.lit = 0;
                return Resumed::Stop(o);
            }
        }
        if o == n {
            Resumed::Stop(o)
        } else {
            Resumed::Go(o)
        }
    }

    /// Decodes from `out[o..]` on, with no run pending.
    fn run(&mut self, out: &mut [u8], o: usize) -> usize {
        let (pos, o) = fast_loop(self.src, self.pos, out, o);
        self.pos = pos;
        self.exact(out, o)
    }

    /// The exact loop near the ends of `out` and of the segment.
    fn exact(&mut self, out: &mut [u8], mut o: usize) -> usize {
        let n = out.len();
        let src = self.src;
        let mut pos = self.pos;
        // Exact loop near the ends.
        while o < n && pos < src.len() {
            let h = src[pos] as usize;
            if h < 128 {
                let len = h + 1;
                let avail = src.len() - pos - 1;
                let k = len.min(n - o).min(avail);
                out[o..o + k].copy_from_slice(&src[pos + 1..pos + 1 + k]);
                o += k;
                if k < len {
                    if o < n {
                        // The segment ends inside this run.
                        self.truncated_run = Some(pos);
                        pos = src.len();
                        break;
                    }
                    // Output block full: keep the rest of the run pending.
                    self.lit = len - k;
                    self.lit_header = pos;
                    pos += 1 + k;
                    break;
                }
                pos += 1 + len;
            } else if h > 128 {
                let len = 257 - h;
                if pos + 1 == src.len() {
                    // A lone trailing byte is padding, not a truncated run.
                    pos += 1;
                    break;
                }
                let b = src[pos + 1];
                let k = len.min(n - o);
                out[o..o + k].fill(b);
                o += k;
                pos += 2;
                if k < len {
                    self.rep = len - k;
                    self.rep_byte = b;
                    break;
                }
            } else {
                pos += 1;
            }
        }
        self.pos = pos;
        o
    }

    /// How many bytes the rest of the segment would still decode to (the
    /// excess once the plane is full). A lone trailing byte (pad) and no-op
    /// codes count for nothing.
    pub fn excess(&self) -> usize {
        let src = self.src;
        let mut total = self.rep + self.lit.min(src.len() - self.pos);
        let mut pos = self.pos + self.lit.min(src.len() - self.pos);
        while pos < src.len() {
            let h = src[pos] as usize;
            if h < 128 {
                let avail = src.len() - pos - 1;
                total += (h + 1).min(avail);
                pos += h + 2;
            } else if h > 128 {
                if pos + 1 < src.len() {
                    total += 257 - h;
                }
                pos += 2;
            } else {
                pos += 1;
            }
        }
        total
    }
}

/// What [`SegmentDecoder::resume`] left to do.
enum Resumed {
    /// The block is full or the segment ended: bytes written.
    Stop(usize),
    /// Carry on decoding from this output position.
    Go(usize),
}

/// The fast loop: runs while no run can reach either end. Compiled twice on
/// x86-64, the second time for AVX2 (32-byte moves and one-instruction byte
/// broadcasts), picked at run time.
fn fast_loop(src: &[u8], pos: usize, out: &mut [u8], o: usize) -> (usize, usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(done) = avx2::fast_loop(src, pos, out, o) {
        return done;
    }
    fast_loop_generic::<32>(src, pos, out, o)
}

/// The AVX2 build of the fast loop and the short-run window loop: the only
/// `unsafe` of the RLE decoder besides the interleave kernels
/// (`interleave.rs`, `simd`). `window_loop_agrees_with_reference` and the
/// decoder tests run both these and the portable loops.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2 {
    use super::*;

    /// [`fast_loop_avx2`] when the CPU has AVX2, else `None`.
    pub(super) fn fast_loop(
        src: &[u8],
        pos: usize,
        out: &mut [u8],
        o: usize,
    ) -> Option<(usize, usize)> {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            Some(unsafe { fast_loop_avx2(src, pos, out, o) })
        } else {
            None
        }
    }

    /// Output bytes between two looks at the run lengths ahead (see
    /// [`short_runs`]).
    const SPAN: usize = 16 * 1024;

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn fast_loop_avx2(
        src: &[u8],
        mut pos: usize,
        out: &mut [u8],
        mut o: usize,
    ) -> (usize, usize) {
        // Every pass makes progress: with room in `out` there is room in `part`
        // (at least 128 bytes), so the loops below decode at least one run.
        while fast_room(src, pos, out, o) {
            let lim = (o + SPAN).min(out.len());
            let part = &mut out[..lim];
            if short_runs(src, pos) {
                // SAFETY: the CPU has AVX2 (the caller's contract).
                (pos, o) = unsafe { window_loop(src, pos, part, o) };
            }
            (pos, o) = fast_loop_generic::<64>(src, pos, part, o);
        }
        (pos, o)
    }

    /// Runs sampled by [`short_runs`].
    const PROBE_RUNS: usize = 32;

    /// True if the next runs from `src[pos]` on average take at most 3 input
    /// bytes and 8 output bytes, and at least a quarter of them are literal
    /// runs: where [`window_loop`] beats the branchy loop (the kind of each run
    /// is a coin toss). Measured on whole frames against the branchy loop alone
    /// (best of 4 × 30, same session): CR 15-bit +17%, MR 12-bit +4%, CT 16-bit
    /// +2%, 8-bit RGB ultrasound ±0 (never picked there). Why the conditions: on
    /// the ultrasound segments (10 input bytes per run) the window loop is 2×
    /// slower; on MR stretches of mostly replicate runs (predictable) it loses,
    /// and without leaving at the first long run (see [`window_loop`]) MR lost
    /// 7% (a third of literal runs instead of a quarter: MR −2%, CR +11%).
    pub(super) fn short_runs(src: &[u8], pos: usize) -> bool {
        let end = src.len().min(pos + 4 * PROBE_RUNS);
        let (mut p, mut runs, mut produced, mut lits) = (pos, 0, 0, 0);
        while p < end && runs < PROBE_RUNS {
            let h = src[p] as usize;
            if h < 128 {
                lits += 1;
                p += h + 2;
                produced += h + 1;
            } else if h > 128 {
                p += 2;
                produced += 257 - h;
            } else {
                p += 1;
            }
            runs += 1;
        }
        p - pos <= 3 * runs && produced <= 8 * runs && 4 * lits >= runs
    }

    /// Decodes short runs: loads 16 input bytes, computes for each of the first
    /// 15 as if it were a run header the position of the next header (nibbles
    /// of a `u64`, so following the chain of headers costs a shift and a mask,
    /// not a load), then writes each run of the chain as 32 bytes blended from
    /// the literal bytes and the replicated byte by the header's sign. Stops,
    /// like [`fast_loop_generic`], where a run could reach the end of `src` or
    /// `out`, and after the first run longer than 32 bytes (finished with
    /// [`copy_chunks`] / [`fill_chunks`]): long runs are the branchy loop's.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn window_loop(
        src: &[u8],
        mut pos: usize,
        out: &mut [u8],
        mut o: usize,
    ) -> (usize, usize) {
        use std::arch::x86_64::*;
        let n = out.len();
        let sp = src.as_ptr();
        let dp = out.as_mut_ptr();
        let iota = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let pairs = _mm_setr_epi8(1, 16, 1, 16, 1, 16, 1, 16, 1, 16, 1, 16, 1, 16, 1, 16);
        let one = _mm_set1_epi8(1);
        let mut advs = [0u8; 16];
        let mut lens = [0u8; 16];
        // Every header of a window lies in src[pos..pos + 15] and every run's
        // data within the 128 bytes after its header, so in src; `o` is checked
        // before each run.
        while pos + 16 + MAX_RUN < src.len() && o + MAX_RUN <= n {
            // SAFETY: the 16-byte load reads src[pos..pos + 16] (in bounds, see
            // the loop condition); the stores write the two local arrays.
            let next = unsafe {
                let v = _mm_loadu_si128(sp.add(pos) as *const __m128i);
                let lit = _mm_cmpgt_epi8(v, _mm_set1_epi8(-1));
                let nop = _mm_cmpeq_epi8(v, _mm_set1_epi8(-128));
                // Input bytes of the run: literal h + 2, replicate 2, no-op 1.
                let adv = _mm_add_epi8(_mm_add_epi8(_mm_and_si128(lit, v), _mm_set1_epi8(2)), nop);
                // Output bytes: literal h + 1, replicate 257 - h, no-op 0.
                let len = _mm_andnot_si128(
                    nop,
                    _mm_blendv_epi8(_mm_sub_epi8(one, v), _mm_add_epi8(v, one), lit),
                );
                _mm_storeu_si128(advs.as_mut_ptr() as *mut __m128i, adv);
                _mm_storeu_si128(lens.as_mut_ptr() as *mut __m128i, len);
                // Next header (15 = this window is done), packed in nibbles.
                let to = _mm_min_epu8(_mm_add_epi8(iota, adv), _mm_set1_epi8(15));
                let packed = _mm_packus_epi16(_mm_maddubs_epi16(to, pairs), _mm_setzero_si128());
                _mm_cvtsi128_si64(packed) as u64
            };
            let mut p = 0;
            loop {
                // SAFETY: p < 15, so the header src[pos + p] and the 128 bytes
                // after it lie in src (loop condition above); o + 128 <= n (the
                // loop condition, then the check below), so the 32-byte store
                // and the tail of up to 128 bytes lie in out.
                unsafe {
                    let hp = sp.add(pos + p);
                    let d = dp.add(o);
                    let data = _mm256_loadu_si256(hp.add(1) as *const __m256i);
                    let rep = _mm256_set1_epi8(*hp.add(1) as i8);
                    let is_lit =
                        _mm256_cmpgt_epi8(_mm256_set1_epi8(*hp as i8), _mm256_set1_epi8(-1));
                    _mm256_storeu_si256(d as *mut __m256i, _mm256_blendv_epi8(rep, data, is_lit));
                    let len = lens[p] as usize;
                    if len > 32 {
                        let s = &*(hp.add(1) as *const [u8; MAX_RUN]);
                        let d = &mut *(d as *mut [u8; MAX_RUN]);
                        if *hp < 128 {
                            copy_chunks::<32>(s, d, len);
                        } else {
                            fill_chunks::<32>(s[0], d, len);
                        }
                        // A long run: the branchy loop takes over (until the
                        // next probe).
                        return (pos + p + advs[p] as usize, o + len);
                    }
                    o += len;
                }
                let to = ((next >> (4 * p)) & 15) as usize;
                if to == 15 || o + MAX_RUN > n {
                    pos += p + advs[p] as usize;
                    break;
                }
                p = to;
            }
        }
        (pos, o)
    }
}

/// `HEAD`: bytes of every run stored before looking at its length. Measured
/// on CT, MR and RGB ultrasound streams: 32 is best with 16-byte moves (16:
/// -8%, 64: -13% on CT), 64 with AVX2 (+6 to +21%; CT -3%).
#[inline(always)]
fn fast_loop_generic<const HEAD: usize>(
    src: &[u8],
    mut pos: usize,
    out: &mut [u8],
    mut o: usize,
) -> (usize, usize) {
    while fast_room(src, pos, out, o) {
        (pos, o) = fast_op::<HEAD>(src, pos, out, o);
    }
    (pos, o)
}

/// True while no run can pass the end of `out` or of `src`.
#[inline(always)]
fn fast_room(src: &[u8], pos: usize, out: &[u8], o: usize) -> bool {
    o + MAX_RUN <= out.len() && pos + MAX_RUN < src.len()
}

/// Decodes one run at `src[pos]` into `out[o..]` (room checked by
/// [`fast_room`]); returns the next positions. The first `HEAD` bytes are
/// stored unconditionally, so the runs of 2 to 32 bytes that make up most
/// streams cost one unpredictable branch (the run's kind) and no length
/// loop. Measured alternatives that lost: a branch-free select of literal or
/// replicate bytes with table or mask arithmetic for the next position
/// (-20 to -40%), and decoding two segments in one interleaved loop (-10%).
/// Rechecked: a branch-free select per run (mask arithmetic, so LLVM keeps
/// it branch-free) still loses (CR high bytes -5%, RGB ultrasound -35%: its
/// chain of load, mask and add per run is as long as the mispredictions it
/// saves), and so does three RGB segments stepped together with it (-40%);
/// unchecked indexing here: CR +2.5%, ultrasound -4%. [`window_loop`] is
/// what pays on short runs.
#[inline(always)]
fn fast_op<const HEAD: usize>(src: &[u8], pos: usize, out: &mut [u8], o: usize) -> (usize, usize) {
    let h = src[pos] as usize;
    let s: &[u8; MAX_RUN] = src[pos + 1..pos + 1 + MAX_RUN].try_into().unwrap();
    let d: &mut [u8; MAX_RUN] = (&mut out[o..o + MAX_RUN]).try_into().unwrap();
    if h < 128 {
        let len = h + 1;
        d[..HEAD].copy_from_slice(&s[..HEAD]);
        if len > HEAD {
            copy_chunks::<HEAD>(s, d, len);
        }
        (pos + len + 1, o + len)
    } else if h > 128 {
        let len = 257 - h;
        d[..HEAD].copy_from_slice(&[s[0]; HEAD]);
        if len > HEAD {
            fill_chunks::<HEAD>(s[0], d, len);
        }
        (pos + 2, o + len)
    } else {
        (pos + 1, o)
    }
}

/// Copies the first `len` (1..=128) bytes of `s` to `d` in 16-byte chunks;
/// bytes of `d` past `len` (up to the next multiple of 16) are overwritten.
#[inline(always)]
fn copy_chunks<const HEAD: usize>(s: &[u8; MAX_RUN], d: &mut [u8; MAX_RUN], len: usize) {
    for c in HEAD / CHUNK..MAX_RUN / CHUNK {
        if c * CHUNK >= len {
            break;
        }
        d[c * CHUNK..(c + 1) * CHUNK].copy_from_slice(&s[c * CHUNK..(c + 1) * CHUNK]);
    }
}

/// Stores `len` (2..=128) copies of `b` in `d` in 16-byte chunks (overshooting
/// like [`copy_chunks`]), after the first `HEAD`.
#[inline(always)]
fn fill_chunks<const HEAD: usize>(b: u8, d: &mut [u8; MAX_RUN], len: usize) {
    let v = [b; CHUNK];
    for c in HEAD / CHUNK..MAX_RUN / CHUNK {
        if c * CHUNK >= len {
            break;
        }
        d[c * CHUNK..(c + 1) * CHUNK].copy_from_slice(&v);
    }
}

#[cfg(test)]
mod tests;
