//! Near-lossless line encoding (NEAR > 0) of [`super`].

use super::*;

/// [`encode_line`], near-lossless: 81 Q1 + 9 Q2 of the line (from the line
/// above, vectorised), then the serial coding.
#[inline(always)]
pub(super) fn near_line<const NC: usize>(
    m: &mut Model,
    w: &mut LineWriter<'_>,
    src: &[i32],
    prev: &[i32],
    cur: &mut [i32],
    width: usize,
    ri: &mut usize,
) {
    let n = width * NC;
    let p = m.p;
    let prev = &prev[..n + 2 * NC];
    let cur = &mut cur[..n + NC];
    let src = &src[..n];
    {
        let q = &mut m.q[..n];
        let (rc, rb, rd) = (&prev[..n], &prev[NC..n + NC], &prev[2 * NC..]);
        for (q, ((&rc, &rb), &rd)) in q.iter_mut().zip(rc.iter().zip(rb).zip(rd)) {
            *q = (qcalc(&p, rd - rb) * 9 + qcalc(&p, rb - rc)) * 9;
        }
    }
    let inv = reciprocal(p.step);
    let max = p.limit - p.qbpp - 1;
    let (q12, qt) = (&m.q[..n], &*m.qt);
    // One component: Ra in a register (the serial chain); more: reloaded.
    let mut ra1 = cur[0];
    let mut x = 0;
    while x < width {
        let j = x * NC;
        // Rc, Rb, Rd of component c at c, NC + c, 2 NC + c; Ra at c, the
        // sample coded at NC + c.
        let pv = &prev[j..j + 3 * NC];
        let cv = &mut cur[j..j + 2 * NC];
        let ra = |c: usize, cv: &[i32], r: i32| if NC == 1 { r } else { cv[c] };
        let mut qs = [0i32; NC];
        unroll!(NC, c => {
            qs[c] = q12[j + c] + qt[(pv[c] - ra(c, cv, ra1)) as usize & QMASK] as i32;
        });
        if qs.iter().any(|&q| q != 0) {
            unroll!(NC, c => {
                let a = ra(c, cv, ra1);
                let v = regular::<false, false>(
                    &mut m.ctx,
                    &p,
                    w,
                    max,
                    0,
                    inv,
                    split_id(qs[c]),
                    med(a, pv[NC + c], pv[c]),
                    src[j + c],
                );
                cv[NC + c] = v;
                if NC == 1 {
                    ra1 = v;
                }
            });
            x += 1;
        } else {
            x += run_near::<NC>(&mut m.run, &p, w, src, prev, cur, x, width, ri, inv);
            if NC == 1 && x < width {
                ra1 = cur[x];
            }
        }
    }
}

/// Run mode from pixel `x`, near-lossless; returns the pixels done.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn run_near<const NC: usize>(
    run: &mut [RunCtx; 2],
    p: &Coding,
    w: &mut LineWriter<'_>,
    src: &[i32],
    prev: &[i32],
    cur: &mut [i32],
    x: usize,
    width: usize,
    ri: &mut usize,
    inv: u64,
) -> usize {
    let mut ra = [0i32; NC];
    ra.copy_from_slice(&cur[x * NC..(x + 1) * NC]);
    // RUN (24 / NC pixels) at a time (the reconstructed run written with
    // them), then pixel by pixel.
    let pat: [i32; RUN] = std::array::from_fn(|i| ra[i % NC]);
    let near = p.near;
    let rest = &src[x * NC..width * NC];
    let out = &mut cur[(x + 1) * NC..(width + 1) * NC];
    let mut done = 0;
    for (ch, o) in rest.chunks_exact(RUN).zip(out.chunks_exact_mut(RUN)) {
        let ok = ch
            .iter()
            .zip(&pat)
            .fold(true, |ok, (&v, &r)| ok & ((v - r).abs() <= near));
        if !ok {
            break;
        }
        o.copy_from_slice(&pat);
        done += RUN;
    }
    for (px, o) in rest[done..]
        .chunks_exact(NC)
        .zip(out[done..].chunks_exact_mut(NC))
    {
        if !(0..NC).all(|c| (px[c] - ra[c]).abs() <= near) {
            break;
        }
        o.copy_from_slice(&ra);
        done += NC;
    }
    let count = done / NC;
    if run_bits(w, count, x + count == width, ri) {
        return count;
    }
    let xi = x + count;
    for c in 0..NC {
        let ra = cur[xi * NC + c];
        let rb = prev[(xi + 1) * NC + c];
        let ix = src[xi * NC + c];
        cur[(xi + 1) * NC + c] = interruption::<NC>(run, w, p, ra, rb, ix, inv, *ri);
    }
    *ri = ri.saturating_sub(1);
    count + 1
}
