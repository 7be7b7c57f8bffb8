//! Hand-checked cases per layout, and property tests against a whole-value
//! model written the way pydicom's numpy decoder works (unpack or view the
//! whole value, swap OW words, upsample YBR_FULL_422 on the flat array,
//! reshape colour-by-plane per frame, then shift out unused bits).

use super::*;
use crate::pixels::SampleType;
use proptest::prelude::*;

fn desc(
    rows: u32,
    cols: u32,
    frames: u32,
    spp: u16,
    ba: u16,
    bs: u16,
    pr: u16,
) -> PixelDescription {
    PixelDescription {
        rows,
        columns: cols,
        number_of_frames: frames,
        samples_per_pixel: spp,
        bits_allocated: ba,
        bits_stored: bs,
        high_bit: bs.saturating_sub(1),
        pixel_representation: pr,
        planar_configuration: 0,
        photometric_interpretation: if spp == 3 { "RGB" } else { "MONOCHROME2" }.into(),
        element: PixelElement::PixelData,
    }
}

const L: ByteOrder = ByteOrder::Little;
const B: ByteOrder = ByteOrder::Big;
const W: ByteOrder = ByteOrder::BigOw;

fn unpack(src: &[u8], frame: usize, d: &PixelDescription, order: ByteOrder) -> Result<Vec<u8>> {
    let mut out = vec![0xAAu8; d.frame_output_len()? as usize];
    unpack_frame_window(src, 0, frame, d, order, &mut out)?;
    // Every output byte is written (callers may hand in uninitialised memory).
    let mut again = vec![!0xAAu8; out.len()];
    unpack_frame_window(src, 0, frame, d, order, &mut again)?;
    assert_eq!(again, out, "bytes left unwritten");
    // The plain entry point agrees wherever it can express the order.
    if order != W || d.bits_allocated != 8 {
        let mut plain = vec![0x55u8; out.len()];
        unpack_frame(src, frame, d, order != L, &mut plain)?;
        assert_eq!(plain, out);
    }
    Ok(out)
}

fn le16(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|&x| (x as u16).to_le_bytes()).collect()
}

// ---------------------------------------------------------------- hand-checked

#[test]
fn one_bit_frames_not_byte_aligned() {
    // 3 × 3 pixels = 9 bits per frame; frame 1 starts at bit 9.
    let d = desc(3, 3, 2, 1, 1, 1, 0);
    assert_eq!(stored_frame_bits(&d).unwrap(), 9);
    let src = [0b1010_0101, 0b1111_0011, 0b0000_0001];
    assert_eq!(unpack(&src, 0, &d, L).unwrap(), [1, 0, 1, 0, 0, 1, 0, 1, 1]);
    assert_eq!(unpack(&src, 1, &d, L).unwrap(), [1, 0, 0, 1, 1, 1, 1, 1, 0]);
    // big_endian is ignored for 1-bit data.
    assert_eq!(unpack(&src, 1, &d, W).unwrap(), [1, 0, 0, 1, 1, 1, 1, 1, 0]);
    // 18 bits need 3 bytes.
    let e = unpack(&src[..2], 1, &d, L).unwrap_err();
    assert_eq!(e.offset(), Some(2));
}

#[test]
fn eight_bit_signed_and_masked() {
    let mut d = desc(1, 4, 1, 1, 8, 6, 1);
    let src = [0x1F, 0x20, 0xFF, 0xC5];
    // 6-bit two's complement: 0x1F=31, 0x20=-32, 0x3F=-1, 0x05=5.
    assert_eq!(unpack(&src, 0, &d, L).unwrap(), [31, 0xE0, 0xFF, 5]);
    d.pixel_representation = 0;
    assert_eq!(unpack(&src, 0, &d, L).unwrap(), [0x1F, 0x20, 0x3F, 0x05]);
}

#[test]
fn eight_bit_ow_big_endian_swaps_pairs_across_frames() {
    // 1 × 3 frames; stored as OW words: logical 01 02 03 | 04 05 06 (+ pad).
    let d = desc(1, 3, 2, 1, 8, 8, 0);
    let src = [0x02, 0x01, 0x04, 0x03, 0x06, 0x05];
    assert_eq!(unpack(&src, 0, &d, W).unwrap(), [1, 2, 3]);
    assert_eq!(unpack(&src, 1, &d, W).unwrap(), [4, 5, 6]);
    // OB in big endian, or little endian: bytes as stored.
    assert_eq!(unpack(&src, 1, &d, B).unwrap(), [3, 6, 5]);
    assert_eq!(unpack(&src, 1, &d, L).unwrap(), [3, 6, 5]);
    // One frame of 3 bytes needs the padding byte of its last word.
    let d1 = desc(1, 3, 1, 1, 8, 8, 0);
    assert_eq!(unpack(&[2, 1, 0, 3], 0, &d1, W).unwrap(), [1, 2, 3]);
    assert!(unpack(&[2, 1, 0], 0, &d1, W).is_err());
}

#[test]
fn sixteen_bit_le_be_signed_12_of_16() {
    let d = desc(1, 4, 1, 1, 16, 12, 1);
    // Garbage in the top 4 bits; 12-bit values 0x7FF=2047, 0x800=-2048, 0xFFF=-1, 0x123.
    let vals = [0xA7FFu16, 0x5800, 0x0FFF, 0xF123];
    let le: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
    let be: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
    let want = le16(&[2047, -2048, -1, 0x123]);
    assert_eq!(unpack(&le, 0, &d, L).unwrap(), want);
    assert_eq!(unpack(&be, 0, &d, W).unwrap(), want);
    assert_eq!(unpack(&be, 0, &d, B).unwrap(), want);
    let mut u = d.clone();
    u.pixel_representation = 0;
    assert_eq!(
        unpack(&le, 0, &u, L).unwrap(),
        le16(&[0x7FF, 0x800, 0xFFF, 0x123])
    );
}

#[test]
fn sixteen_bit_full_range_is_a_copy_and_frames_index() {
    let d = desc(2, 2, 3, 1, 16, 16, 1);
    let src: Vec<u8> = (0..24u8).collect();
    assert_eq!(unpack(&src, 2, &d, L).unwrap(), &src[16..24]);
    assert_eq!(
        unpack(&src, 1, &d, W).unwrap(),
        [9, 8, 11, 10, 13, 12, 15, 14]
    );
    let e = unpack(&src[..23], 2, &d, L).unwrap_err();
    assert!(e.to_string().contains("frame 2 needs bytes 16..24"), "{e}");
    assert_eq!(e.offset(), Some(23));
}

#[test]
fn thirty_two_and_sixty_four_bit() {
    let d = desc(1, 2, 1, 1, 32, 20, 1);
    let src = [0x00, 0x00, 0x08, 0xFF, 0xFF, 0xFF, 0x07, 0x00];
    // 20-bit: 0x80000 -> -524288 (garbage 0xFF top byte), 0x7FFFF -> 524287.
    let want: Vec<u8> = [-524288i32, 524287]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    assert_eq!(unpack(&src, 0, &d, L).unwrap(), want);
    let be: Vec<u8> = src
        .chunks(4)
        .flat_map(|c| c.iter().rev().copied())
        .collect();
    assert_eq!(unpack(&be, 0, &d, W).unwrap(), want);

    let d = desc(1, 1, 2, 1, 64, 40, 0);
    let src: Vec<u8> = (0..16u8).map(|i| i | 0xF0).collect();
    let v = u64::from_le_bytes(src[8..16].try_into().unwrap()) & ((1 << 40) - 1);
    assert_eq!(unpack(&src, 1, &d, L).unwrap(), v.to_le_bytes());
}

#[test]
fn float_and_double_ignore_bits_stored() {
    let mut d = desc(1, 2, 1, 1, 32, 8, 1);
    d.element = PixelElement::FloatPixelData;
    assert_eq!(d.sample_type().unwrap(), SampleType::F32);
    let want: Vec<u8> = [1.5f32, -2.25]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let be: Vec<u8> = [1.5f32, -2.25]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    assert_eq!(unpack(&want, 0, &d, L).unwrap(), want);
    assert_eq!(unpack(&be, 0, &d, W).unwrap(), want);
    d.element = PixelElement::DoubleFloatPixelData;
    let want: Vec<u8> = [1e300f64, -0.5]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let be: Vec<u8> = [1e300f64, -0.5]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    assert_eq!(unpack(&be, 0, &d, W).unwrap(), want);
}

#[test]
fn rgb_planar_to_pixel() {
    let mut d = desc(1, 2, 2, 3, 8, 8, 0);
    d.planar_configuration = 1;
    // frame 0: R R G G B B, frame 1 likewise.
    let src = [1, 2, 10, 20, 100, 200, 3, 4, 30, 40, 103, 204];
    assert_eq!(unpack(&src, 0, &d, L).unwrap(), [1, 10, 100, 2, 20, 200]);
    assert_eq!(unpack(&src, 1, &d, L).unwrap(), [3, 30, 103, 4, 40, 204]);
    let mut d16 = desc(1, 2, 1, 3, 16, 16, 0);
    d16.planar_configuration = 1;
    let be = [0, 1, 0, 2, 0, 10, 0, 20, 1, 0, 2, 0];
    assert_eq!(
        unpack(&be, 0, &d16, W).unwrap(),
        le16(&[1, 10, 256, 2, 20, 512])
    );
    // Colour-by-plane 1-bit data (pydicom reshapes the unpacked bits).
    let mut d1 = desc(1, 3, 1, 3, 1, 1, 0);
    d1.planar_configuration = 1;
    assert_eq!(
        unpack(&[0b1100_0001, 0], 0, &d1, L).unwrap(),
        [1, 0, 1, 0, 0, 1, 0, 0, 0]
    );
}

#[test]
fn ybr_full_422_upsampled() {
    let mut d = desc(1, 4, 1, 3, 8, 8, 0);
    d.photometric_interpretation = "YBR_FULL_422".into();
    assert_eq!(stored_frame_bits(&d).unwrap(), 8 * 8);
    let src = [10, 11, 50, 60, 12, 13, 70, 80];
    assert_eq!(
        unpack(&src, 0, &d, L).unwrap(),
        [10, 50, 60, 11, 50, 60, 12, 70, 80, 13, 70, 80]
    );
    // Odd pixel count per frame: pairs straddle frames as in pydicom.
    let mut d = desc(1, 3, 2, 3, 8, 8, 0);
    d.photometric_interpretation = "YBR_FULL_422 ".into();
    let src = [1, 2, 50, 60, 3, 4, 70, 80, 5, 6, 90, 100];
    assert_eq!(
        unpack(&src, 0, &d, L).unwrap(),
        [1, 50, 60, 2, 50, 60, 3, 70, 80]
    );
    assert_eq!(
        unpack(&src, 1, &d, L).unwrap(),
        [4, 70, 80, 5, 90, 100, 6, 90, 100]
    );
    // Big-endian 16-bit YBR_FULL_422.
    let mut d = desc(1, 2, 1, 3, 16, 16, 0);
    d.photometric_interpretation = "YBR_FULL_422".into();
    assert_eq!(
        unpack(&[0, 1, 0, 2, 0, 3, 0, 4], 0, &d, W).unwrap(),
        le16(&[1, 3, 4, 2, 3, 4])
    );
    d.samples_per_pixel = 1;
    assert!(matches!(
        stored_frame_bits(&d),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn bad_descriptions_and_buffers_are_errors() {
    let d = desc(2, 2, 1, 1, 16, 16, 0);
    let mut small = vec![0u8; 7];
    assert!(unpack_frame(&[0; 8], 0, &d, false, &mut small).is_err());
    let mut bad = d.clone();
    bad.bits_allocated = 12;
    assert!(matches!(
        stored_frame_bits(&bad),
        Err(Error::Unsupported(_))
    ));
    bad.bits_allocated = 8;
    assert!(stored_frame_bits(&bad).is_err()); // Bits Stored 16 > 8
    let mut rgb = desc(1, 1, 1, 3, 8, 8, 0);
    rgb.planar_configuration = 2;
    assert!(stored_frame_bits(&rgb).is_err());
    // A frame index far past the data.
    assert!(unpack(&[0; 8], usize::MAX, &d, L).is_err());
    let d1 = desc(1, 1, 1, 1, 1, 1, 0);
    assert!(unpack(&[1], usize::MAX, &d1, L).is_err());
}

#[test]
fn stored_byte_order_rules() {
    assert_eq!(stored_byte_order(true, *b"OW"), W);
    assert_eq!(stored_byte_order(true, *b"OB"), B);
    assert_eq!(stored_byte_order(true, *b"OF"), B);
    assert_eq!(stored_byte_order(false, *b"OW"), L);
    // 8-bit OW frame ranges include the partner byte of each end word.
    let d = desc(1, 3, 3, 1, 8, 8, 0);
    assert_eq!(frame_stored_range(&d, 1, W).unwrap(), 2..6);
    assert_eq!(frame_stored_range(&d, 1, B).unwrap(), 3..6);
    assert_eq!(frame_stored_range(&d, 2, W).unwrap(), 6..10);
}

// ------------------------------------------------------------ whole-value model

/// pydicom's `pixel_array(raw=True)` for the whole value, as a list of frames
/// of little-endian output bytes.
fn model(src: &[u8], d: &PixelDescription, order: ByteOrder) -> Option<Vec<Vec<u8>>> {
    let frames = d.number_of_frames.max(1) as usize;
    let spp = d.samples_per_pixel as usize;
    let rc = (d.rows * d.columns) as usize;
    let ybr = d.photometric_interpretation.trim_end() == "YBR_FULL_422";
    let (bits, size) = match d.element {
        PixelElement::FloatPixelData => (32, 4),
        PixelElement::DoubleFloatPixelData => (64, 8),
        PixelElement::PixelData => (
            d.bits_allocated as usize,
            (d.bits_allocated as usize).div_ceil(8),
        ),
    };
    let swap_ow = order == W && bits == 8 && d.element == PixelElement::PixelData;
    let be = order != L;
    // 1. Flat sample values of all frames.
    let mut flat: Vec<u64> = if bits == 1 {
        let n = frames * rc * spp;
        if src.len() * 8 < n {
            return None;
        }
        (0..n)
            .map(|i| ((src[i / 8] >> (i % 8)) & 1) as u64)
            .collect()
    } else {
        let per_frame = if ybr { rc * 2 } else { rc * spp };
        let nbytes = frames * per_frame * size;
        let mut bytes = src.get(..(nbytes + nbytes % 2).min(src.len()))?.to_vec();
        if swap_ow {
            if bytes.len() < nbytes + nbytes % 2 {
                return None;
            }
            for w in bytes.chunks_exact_mut(2) {
                w.swap(0, 1);
            }
        }
        if bytes.len() < nbytes {
            return None;
        }
        bytes[..nbytes]
            .chunks(size)
            .map(|c| {
                let mut v = 0u64;
                for (k, &b) in c.iter().enumerate() {
                    let sh = if be && size > 1 { size - 1 - k } else { k };
                    v |= (b as u64) << (8 * sh);
                }
                v
            })
            .collect()
    };
    // 2. YBR_FULL_422 upsampling on the whole flat array.
    if ybr {
        if flat.len() % 4 != 0 {
            return None; // pydicom fails on an odd total pixel count
        }
        flat = flat
            .chunks(4)
            .flat_map(|q| [q[0], q[2], q[3], q[1], q[2], q[3]])
            .collect();
    }
    // 3. Reshape per frame, colour-by-plane transposed; 4. unused bits.
    let planar = spp > 1 && d.planar_configuration == 1;
    let ba = (size * 8) as u32;
    let out = (0..frames)
        .map(|f| {
            let fr = &flat[f * rc * spp..(f + 1) * rc * spp];
            let mut o = Vec::with_capacity(rc * spp * size);
            for p in 0..rc {
                for s in 0..spp {
                    let mut v = if planar {
                        fr[s * rc + p]
                    } else {
                        fr[p * spp + s]
                    };
                    if d.element == PixelElement::PixelData
                        && bits > 1
                        && d.bits_stored < d.bits_allocated
                    {
                        let sh = 64 - d.bits_stored as u32;
                        v = if d.pixel_representation == 1 {
                            (((v << sh) as i64) >> sh) as u64
                        } else {
                            (v << sh) >> sh
                        };
                        if ba < 64 {
                            v &= (1u64 << ba) - 1;
                        }
                    }
                    o.extend_from_slice(&v.to_le_bytes()[..size]);
                }
            }
            o
        })
        .collect();
    Some(out)
}

#[derive(Debug, Clone)]
struct Case {
    desc: PixelDescription,
    order: ByteOrder,
    src: Vec<u8>,
}

fn arb_order() -> impl Strategy<Value = ByteOrder> {
    prop_oneof![Just(L), Just(B), Just(W)]
}

fn arb_desc() -> impl Strategy<Value = PixelDescription> {
    (
        1u32..6,
        1u32..7,
        1u32..5,
        prop_oneof![Just(1u16), Just(3u16)],
        prop_oneof![Just(1u16), Just(8), Just(16), Just(32), Just(64)],
        any::<u16>(),
        0u16..2,
        0u16..2,
        0u8..8,
    )
        .prop_map(|(rows, cols, frames, spp, ba, bs_seed, pr, planar, kind)| {
            let bs = if ba == 1 { 1 } else { 1 + bs_seed % ba };
            let mut d = desc(rows, cols, frames, spp, ba, bs, pr);
            d.planar_configuration = planar;
            match kind {
                0 if spp == 3 && ba > 1 => d.photometric_interpretation = "YBR_FULL_422".into(),
                1 => {
                    d.element = PixelElement::FloatPixelData;
                    d.bits_allocated = 32;
                }
                2 => {
                    d.element = PixelElement::DoubleFloatPixelData;
                    d.bits_allocated = 64;
                }
                _ => {}
            }
            d
        })
}

fn needed_bytes(d: &PixelDescription) -> usize {
    let bits = stored_frame_bits(d).unwrap() * d.number_of_frames as u64;
    let n = bits.div_ceil(8) as usize;
    n + n % 2
}

fn arb_case() -> impl Strategy<Value = Case> {
    (arb_desc(), arb_order()).prop_flat_map(|(desc, order)| {
        let n = needed_bytes(&desc);
        proptest::collection::vec(any::<u8>(), 0..n + 8).prop_map(move |src| Case {
            desc: desc.clone(),
            order,
            src,
        })
    })
}

fn full_case() -> impl Strategy<Value = Case> {
    (arb_desc(), arb_order()).prop_flat_map(|(desc, order)| {
        let n = needed_bytes(&desc);
        proptest::collection::vec(any::<u8>(), n..n + 4).prop_map(move |src| Case {
            desc: desc.clone(),
            order,
            src,
        })
    })
}

/// The same samples stored with each multi-byte sample reversed.
fn swap_samples(src: &[u8], size: usize) -> Vec<u8> {
    let mut out = src.to_vec();
    for c in out.chunks_exact_mut(size) {
        c.reverse();
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    /// Random description, random bytes (often too short): never panics,
    /// writes the exact output length, and agrees with the model whenever
    /// the model (pydicom) can decode.
    #[test]
    fn matches_whole_value_model(c in arb_case()) {
        let d = &c.desc;
        let frames = d.number_of_frames as usize;
        let want = model(&c.src, d, c.order);
        for f in 0..frames {
            let got = unpack(&c.src, f, d, c.order);
            match (&want, got) {
                (Some(w), Ok(g)) => prop_assert_eq!(&w[f], &g, "frame {}", f),
                (Some(_), Err(e)) => prop_assert!(false, "model decodes, unpack_frame fails: {e}"),
                (None, Ok(g)) => prop_assert_eq!(g.len() as u64, d.frame_output_len().unwrap()),
                (None, Err(e)) => prop_assert!(matches!(e, Error::Malformed { .. }), "{e}"),
            }
        }
    }

    /// Values long enough for every frame always decode, equal to the model.
    #[test]
    fn full_values_decode(c in full_case()) {
        let d = &c.desc;
        let want = model(&c.src, d, c.order);
        let pixels = (d.rows * d.columns * d.number_of_frames) as usize;
        let ybr_odd = d.photometric_interpretation == "YBR_FULL_422" && pixels % 2 == 1;
        if !ybr_odd {
            let want = want.expect("model decodes a full value");
            for (f, w) in want.iter().enumerate() {
                prop_assert_eq!(w, &unpack(&c.src, f, d, c.order).unwrap());
            }
        }
    }

    /// Storing every sample in the other byte order and flipping the flag
    /// gives the same frames (8-bit OW data: swapping word bytes).
    #[test]
    fn little_big_endian_symmetry(c in full_case()) {
        let d = &c.desc;
        if d.bits_allocated == 1 {
            return Ok(());
        }
        let size = d.sample_type().unwrap().size();
        let swap = if size == 1 { 2 } else { size };
        let other = swap_samples(&c.src, swap);
        for f in 0..d.number_of_frames as usize {
            let a = unpack(&c.src, f, d, L);
            let b = unpack(&other, f, d, if size == 1 { W } else { B });
            match (a, b) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                (Err(_), Err(_)) => {}
                (a, b) => prop_assert!(false, "{:?} vs {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }

    /// Unpacking from a window holding only the frame's stored range (plus
    /// `before`/`after` bytes around it) gives the same frame.
    #[test]
    fn window_equals_whole_value(c in full_case(), before in 0u64..3, after in 0usize..3) {
        let d = &c.desc;
        for f in 0..d.number_of_frames as usize {
            let whole = unpack(&c.src, f, d, c.order);
            let r = frame_stored_range(d, f, c.order).unwrap();
            prop_assert!(r.start <= r.end);
            let lo = r.start.saturating_sub(before);
            let hi = (r.end as usize + after).min(c.src.len());
            let mut out = vec![0x55u8; d.frame_output_len().unwrap() as usize];
            match (whole, c.src.get(lo as usize..hi)) {
                (Ok(w), Some(win)) => {
                    unpack_frame_window(win, lo, f, d, c.order, &mut out).unwrap();
                    prop_assert_eq!(&w, &out);
                    // One byte short at either end is an error, not a panic.
                    if r.end > r.start && hi == r.end as usize {
                        let short = &win[..win.len() - 1];
                        let e = unpack_frame_window(short, lo, f, d, c.order, &mut out).unwrap_err();
                        prop_assert_eq!(e.offset(), Some(r.end - 1));
                    }
                    if r.end > r.start && lo == r.start {
                        prop_assert!(unpack_frame_window(&win[1..], lo + 1, f, d, c.order, &mut out).is_err());
                    }
                }
                (Err(_), _) | (_, None) => {}
            }
        }
    }

    /// Colour-by-plane storage of a colour-by-pixel frame decodes to the same
    /// output.
    #[test]
    fn planar_permutation(c in full_case()) {
        let mut d = c.desc.clone();
        d.samples_per_pixel = 3;
        d.photometric_interpretation = "RGB".into();
        if d.bits_allocated == 1 {
            d.bits_allocated = 8;
            d.bits_stored = 8;
        }
        let d = &d;
        let n = needed_bytes(d);
        let src: Vec<u8> = c.src.iter().copied().chain(std::iter::repeat(0x5A)).take(n).collect();
        let c = Case { desc: d.clone(), order: L, src };
        let size = d.sample_type().unwrap().size();
        let rc = (d.rows * d.columns) as usize;
        let frame = rc * 3 * size;
        let mut by_pixel = d.clone();
        by_pixel.planar_configuration = 0;
        let mut by_plane = d.clone();
        by_plane.planar_configuration = 1;
        let mut planes = c.src.clone();
        for f in 0..d.number_of_frames as usize {
            for p in 0..rc {
                for s in 0..3 {
                    let from = f * frame + (p * 3 + s) * size;
                    let to = f * frame + (s * rc + p) * size;
                    planes[to..to + size].copy_from_slice(&c.src[from..from + size]);
                }
            }
        }
        for f in 0..d.number_of_frames as usize {
            prop_assert_eq!(
                unpack(&c.src, f, &by_pixel, L).unwrap(),
                unpack(&planes, f, &by_plane, L).unwrap()
            );
        }
    }
}

#[test]
fn large_frames_cross_plane_blocks() {
    // More pixels than one interleave block, odd count, 16-bit BE signed.
    let mut d = desc(3, 4099, 2, 3, 16, 13, 1);
    d.planar_configuration = 1;
    let n = needed_bytes(&d);
    let src: Vec<u8> = (0..n).map(|i| (i * 7919 % 251) as u8).collect();
    let want = model(&src, &d, B).unwrap();
    for (f, w) in want.iter().enumerate() {
        assert_eq!(w, &unpack(&src, f, &d, B).unwrap());
    }
}
