//! Encapsulated pixel data (PS3.5 Annex A.4): Basic Offset Table, fragments,
//! Extended Offset Table (7FE0,0001/0002) and the split of fragments into
//! frames.
//!
//! The split follows pydicom 3's `pydicom.encaps.generate_fragmented_frames`
//! exactly, so that the same frames come out of the same bytes:
//!
//! 1. An Extended Offset Table (offsets and lengths with the same number of
//!    entries) wins: one fragment per frame, `length` bytes read after the
//!    item header at `first fragment + offset`.
//! 2. Else a non-empty Basic Offset Table: fragments are added to frame `i`
//!    while the running offset (fragment lengths + 8) is below the offset of
//!    frame `i + 1`; the last frame takes all remaining fragments.
//! 3. Else (empty BOT): one fragment is one frame; as many fragments as frames
//!    is one fragment per frame; Number of Frames 1 takes every fragment;
//!    more fragments than frames ends a frame at each fragment whose last
//!    10 bytes contain the JPEG EOI/EOC marker `FF D9`; fewer is an error.
//!
//! Unlike pydicom, an item whose length runs past the end of the data is
//! clipped with a warning (pydicom silently reads short), and an Extended
//! Offset Table entry pointing outside the data is an error.

use super::element::{tag_str, ITEM, SEQUENCE_DELIMITATION, UNDEFINED_LENGTH};
use crate::error::{Error, Result};

/// One fragment's value: `length` bytes at absolute `offset` (after the
/// 8-byte item header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// Offset of the first byte.
    pub offset: usize,
    /// Length in bytes.
    pub length: usize,
}

/// The encapsulated pixel data of one element, split into frames.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Encapsulated {
    /// Basic Offset Table entries (empty when the table is empty).
    pub basic_offsets: Vec<u32>,
    /// Offset of the first fragment's item tag (offsets in the tables are
    /// relative to it).
    pub first_fragment: usize,
    /// Every fragment after the Basic Offset Table, in order.
    pub fragments: Vec<Fragment>,
    /// The frames: each is one or more byte ranges to concatenate.
    pub frames: Vec<Vec<Fragment>>,
    /// The Extended Offset Table was used to find the frames.
    pub used_extended_offsets: bool,
    /// Offset just past the sequence delimiter (or the end of the value).
    pub end: usize,
    /// Tolerated oddities (clipped fragments, ignored tables…).
    pub warnings: Vec<String>,
}

fn u32_le(b: &[u8], pos: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(pos..pos + 4)?.try_into().ok()?))
}

fn tag_le(b: &[u8], pos: usize) -> Option<u32> {
    let g = u16::from_le_bytes(b.get(pos..pos + 2)?.try_into().ok()?) as u32;
    let e = u16::from_le_bytes(b.get(pos + 2..pos + 4)?.try_into().ok()?) as u32;
    Some((g << 16) | e)
}

const CONTEXT: &str = "encapsulated Pixel Data";

/// Parses the items of an encapsulated value starting at `start` (the Basic
/// Offset Table item tag). `end` is the end of a defined-length value, or
/// `None` for undefined length (items run to the sequence delimiter or the
/// end of `buf`). `number_of_frames` is (0028,0008) (1 when absent);
/// `extended` holds the decoded Extended Offset Table and its lengths.
pub fn parse(
    buf: &[u8],
    start: usize,
    end: Option<usize>,
    number_of_frames: u32,
    extended: Option<(&[u64], &[u64])>,
) -> Result<Encapsulated> {
    let limit = end.unwrap_or(buf.len()).min(buf.len());
    let data = &buf[..limit];
    let mut out = Encapsulated::default();

    // Basic Offset Table item.
    match tag_le(data, start) {
        Some(ITEM) => {}
        Some(t) => {
            return Err(Error::malformed(
                start as u64,
                CONTEXT,
                format!(
                    "expected the Basic Offset Table item (FFFE,E000), found {}",
                    tag_str(t)
                ),
            ))
        }
        None => {
            return Err(Error::malformed(
                start as u64,
                CONTEXT,
                "the data ends before the Basic Offset Table item",
            ))
        }
    }
    let bot_len = u32_le(data, start + 4).ok_or_else(|| {
        Error::malformed(
            start as u64 + 4,
            CONTEXT,
            "the data ends inside the Basic Offset Table item header",
        )
    })?;
    if bot_len % 4 != 0 {
        return Err(Error::malformed(
            start as u64 + 4,
            CONTEXT,
            format!("Basic Offset Table length {bot_len} is not a multiple of 4"),
        ));
    }
    let bot_start = start + 8;
    let bot_end = bot_start
        .checked_add(bot_len as usize)
        .filter(|&e| e <= limit)
        .ok_or_else(|| {
            Error::malformed(
                start as u64 + 4,
                CONTEXT,
                format!(
                    "Basic Offset Table of {bot_len} bytes runs past the end of the data ({limit} bytes)"
                ),
            )
        })?;
    out.basic_offsets = data[bot_start..bot_end]
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    out.first_fragment = bot_end;

    // Fragments (pydicom `parse_fragments`): stop at the sequence delimiter or
    // when fewer than 4 bytes are left.
    let mut pos = bot_end;
    out.end = limit;
    while let Some(tag) = tag_le(data, pos) {
        match tag {
            ITEM => {
                let len = u32_le(data, pos + 4).ok_or_else(|| {
                    Error::malformed(
                        pos as u64 + 4,
                        CONTEXT,
                        "the data ends inside a fragment item header",
                    )
                })?;
                if len == UNDEFINED_LENGTH {
                    return Err(Error::malformed(
                        pos as u64 + 4,
                        CONTEXT,
                        "fragment item with undefined length",
                    ));
                }
                let value = pos + 8;
                let avail = limit - value;
                let length = if len as usize > avail {
                    out.warnings.push(format!(
                        "fragment {} at byte offset {pos} claims {len} bytes but only {avail} remain; clipped",
                        out.fragments.len()
                    ));
                    avail
                } else {
                    len as usize
                };
                out.fragments.push(Fragment {
                    offset: value,
                    length,
                });
                pos = value + length;
            }
            SEQUENCE_DELIMITATION => {
                out.end = (pos + 8).min(limit);
                break;
            }
            t => {
                return Err(Error::malformed(
                    pos as u64,
                    CONTEXT,
                    format!(
                        "unexpected tag {} where a fragment item was expected",
                        tag_str(t)
                    ),
                ))
            }
        }
    }

    split_frames(data, &mut out, number_of_frames.max(1), extended)?;
    Ok(out)
}

fn split_frames(
    data: &[u8],
    out: &mut Encapsulated,
    nr_frames: u32,
    extended: Option<(&[u64], &[u64])>,
) -> Result<()> {
    // 1. Extended Offset Table.
    if let Some((offsets, lengths)) = extended {
        if offsets.len() != lengths.len() {
            out.warnings.push(format!(
                "Extended Offset Table has {} offsets but {} lengths; ignored",
                offsets.len(),
                lengths.len()
            ));
        } else if offsets.is_empty() {
            out.warnings
                .push("Extended Offset Table is empty; ignored".to_owned());
        } else {
            let mut frames = Vec::with_capacity(offsets.len());
            for (i, (&off, &len)) in offsets.iter().zip(lengths).enumerate() {
                let item = (out.first_fragment as u64).checked_add(off);
                let range = item.and_then(|item| {
                    let v = item.checked_add(8)?;
                    let e = v.checked_add(len)?;
                    (e <= data.len() as u64).then_some((item as usize, v as usize, len as usize))
                });
                let Some((item, value, length)) = range else {
                    return Err(Error::malformed(
                        out.first_fragment as u64,
                        CONTEXT,
                        format!(
                            "Extended Offset Table entry {i} (offset {off}, length {len}) points past the end of the data"
                        ),
                    ));
                };
                if tag_le(data, item) != Some(ITEM) {
                    return Err(Error::malformed(
                        item as u64,
                        CONTEXT,
                        format!("Extended Offset Table entry {i} does not point at an item tag"),
                    ));
                }
                frames.push(vec![Fragment {
                    offset: value,
                    length,
                }]);
            }
            out.frames = frames;
            out.used_extended_offsets = true;
            return Ok(());
        }
    }

    let frags = &out.fragments;
    // 2. Basic Offset Table.
    if !out.basic_offsets.is_empty() {
        let bot = &out.basic_offsets;
        let last = bot.len() - 1;
        let mut frames: Vec<Vec<Fragment>> = Vec::new();
        let mut current: Vec<Fragment> = Vec::new();
        let mut index = 0usize;
        let mut offset = 0u64;
        for &f in frags {
            if index == last {
                current.push(f);
                continue;
            }
            if offset < bot[index + 1] as u64 {
                current.push(f);
            } else {
                frames.push(std::mem::take(&mut current));
                index += 1;
                current.push(f);
            }
            offset += f.length as u64 + 8;
        }
        frames.push(current);
        out.frames = frames;
        return Ok(());
    }

    // 3. Empty Basic Offset Table.
    let n = frags.len();
    if n == 0 {
        return Err(Error::malformed(
            out.first_fragment as u64,
            CONTEXT,
            "no fragments after the Basic Offset Table",
        ));
    }
    let nr = nr_frames as usize;
    if n == 1 || n == nr {
        out.frames = frags.iter().map(|&f| vec![f]).collect();
    } else if nr == 1 {
        out.frames = vec![frags.clone()];
    } else if n > nr {
        let mut frames = Vec::new();
        let mut current = Vec::new();
        for &f in frags {
            current.push(f);
            let tail = &data[f.offset + f.length.saturating_sub(10)..f.offset + f.length];
            if tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
                frames.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            out.warnings.push(if frames.len() >= nr {
                "the end of the encapsulated pixel data was reached but no JPEG EOI/EOC marker \
                 was found; the final frame may be invalid"
                    .to_owned()
            } else {
                "the end of the encapsulated pixel data was reached but fewer frames than \
                 expected were found"
                    .to_owned()
            });
            frames.push(current);
        } else if frames.len() < nr {
            out.warnings.push(
                "the end of the encapsulated pixel data was reached but fewer frames than \
                 expected were found"
                    .to_owned(),
            );
        }
        out.frames = frames;
    } else {
        return Err(Error::malformed(
            out.first_fragment as u64,
            CONTEXT,
            format!(
                "the Basic Offset Table is empty and there are fewer fragments ({n}) than frames ({nr})"
            ),
        ));
    }
    Ok(())
}

/// Decodes an OV value (Extended Offset Table or its lengths), little endian.
pub fn decode_ov(value: &[u8], little_endian: bool, offset: usize, what: &str) -> Result<Vec<u64>> {
    if value.len() % 8 != 0 {
        return Err(Error::malformed(
            offset as u64,
            what,
            format!("length {} is not a multiple of 8", value.len()),
        ));
    }
    Ok(value
        .chunks_exact(8)
        .map(|c| {
            let a: [u8; 8] = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]];
            if little_endian {
                u64::from_le_bytes(a)
            } else {
                u64::from_be_bytes(a)
            }
        })
        .collect())
}

/// Builds encapsulated pixel data items (for tests): a Basic Offset Table
/// with `bot` entries, then one item per fragment, then a sequence delimiter.
#[doc(hidden)]
pub fn build_items(bot: &[u32], fragments: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0]);
    v.extend_from_slice(&((bot.len() * 4) as u32).to_le_bytes());
    for o in bot {
        v.extend_from_slice(&o.to_le_bytes());
    }
    for f in fragments {
        v.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0]);
        v.extend_from_slice(&(f.len() as u32).to_le_bytes());
        v.extend_from_slice(f);
    }
    v.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_bytes<'a>(buf: &'a [u8], e: &Encapsulated) -> Vec<Vec<&'a [u8]>> {
        e.frames
            .iter()
            .map(|f| {
                f.iter()
                    .map(|g| &buf[g.offset..g.offset + g.length])
                    .collect()
            })
            .collect()
    }

    #[test]
    fn bot_with_several_fragments_per_frame() {
        // Frame 0 = fragments a, b (8 + 2 + 8 + 2 = 20 bytes), frame 1 = c.
        let buf = build_items(&[0, 20], &[b"aa", b"bb", b"cc"]);
        let e = parse(&buf, 0, None, 2, None).unwrap();
        assert_eq!(e.basic_offsets, vec![0, 20]);
        assert_eq!(e.fragments.len(), 3);
        assert_eq!(
            frame_bytes(&buf, &e),
            vec![vec![&b"aa"[..], &b"bb"[..]], vec![&b"cc"[..]]]
        );
        assert_eq!(e.end, buf.len());
    }

    #[test]
    fn empty_bot_cases() {
        // One fragment is one frame whatever Number of Frames says.
        let buf = build_items(&[], &[b"xy"]);
        let e = parse(&buf, 0, None, 3, None).unwrap();
        assert_eq!(e.frames.len(), 1);
        // One fragment per frame.
        let buf = build_items(&[], &[b"a1", b"b2", b"c3"]);
        let e = parse(&buf, 0, None, 3, None).unwrap();
        assert_eq!(frame_bytes(&buf, &e).len(), 3);
        // Number of Frames 1: every fragment.
        let e = parse(&buf, 0, None, 1, None).unwrap();
        assert_eq!(e.frames.len(), 1);
        assert_eq!(e.frames[0].len(), 3);
        // More fragments than frames: split at EOI markers.
        let buf = build_items(&[], &[b"\xFF\xD8ab", b"cd\xFF\xD9", b"\xFF\xD8ef\xFF\xD9"]);
        let e = parse(&buf, 0, None, 2, None).unwrap();
        assert_eq!(
            frame_bytes(&buf, &e),
            vec![
                vec![&b"\xFF\xD8ab"[..], &b"cd\xFF\xD9"[..]],
                vec![&b"\xFF\xD8ef\xFF\xD9"[..]]
            ]
        );
        assert!(e.warnings.is_empty());
        // Missing final EOI: yielded with a warning.
        let buf = build_items(&[], &[b"ab\xFF\xD9", b"cd", b"ef"]);
        let e = parse(&buf, 0, None, 2, None).unwrap();
        assert_eq!(e.frames.len(), 2);
        assert_eq!(e.frames[1].len(), 2);
        assert_eq!(e.warnings.len(), 1);
        // Fewer fragments than frames.
        let buf = build_items(&[], &[b"ab", b"cd"]);
        assert!(parse(&buf, 0, None, 3, None).is_err());
        // No fragments.
        let buf = build_items(&[], &[]);
        assert!(parse(&buf, 0, None, 1, None).is_err());
    }

    #[test]
    fn extended_offset_table() {
        let buf = build_items(&[], &[b"aaaa", b"bb"]);
        let offsets = [0u64, 12];
        let lengths = [4u64, 2];
        let e = parse(&buf, 0, None, 2, Some((&offsets, &lengths))).unwrap();
        assert!(e.used_extended_offsets);
        assert_eq!(
            frame_bytes(&buf, &e),
            vec![vec![&b"aaaa"[..]], vec![&b"bb"[..]]]
        );
        // Mismatched counts: ignored with a warning, fall back to fragments.
        let e = parse(&buf, 0, None, 2, Some((&offsets, &lengths[..1]))).unwrap();
        assert!(!e.used_extended_offsets);
        assert_eq!(e.frames.len(), 2);
        assert_eq!(e.warnings.len(), 1);
        // Pointing past the end.
        let bad = [0u64, 1 << 40];
        assert!(parse(&buf, 0, None, 2, Some((&bad, &lengths))).is_err());
        // Not pointing at an item.
        let bad = [0u64, 2];
        assert!(parse(&buf, 0, None, 2, Some((&bad, &lengths))).is_err());
    }

    #[test]
    fn malformed_items() {
        // BOT length not a multiple of 4.
        let mut buf = build_items(&[], &[b"ab"]);
        buf[4] = 3;
        assert!(parse(&buf, 0, None, 1, None).unwrap_err().offset() == Some(4));
        // Not an item tag at the start.
        let buf = [0u8; 16];
        assert!(parse(&buf, 0, None, 1, None).is_err());
        // Bad tag among fragments.
        let mut buf = build_items(&[], &[b"ab", b"cd"]);
        buf[10] = 0x12;
        let e = parse(&buf, 0, None, 2, None).unwrap_err();
        assert_eq!(e.offset(), Some(8));
        // Fragment past the end is clipped with a warning.
        let buf = build_items(&[], &[b"abcd"]);
        let cut = &buf[..buf.len() - 10];
        let e = parse(cut, 0, None, 1, None).unwrap();
        assert_eq!(e.frames[0][0].length, 2);
        assert_eq!(e.warnings.len(), 1);
        // Undefined-length fragment.
        let mut buf = build_items(&[], &[b"ab"]);
        buf[12..16].copy_from_slice(&[0xFF; 4]);
        assert!(parse(&buf, 0, None, 1, None).is_err());
        // Every prefix: never panics.
        let buf = build_items(&[0, 10], &[b"ab", b"cd\xFF\xD9"]);
        for n in 0..buf.len() {
            let _ = parse(&buf[..n], 0, None, 2, None);
            let _ = parse(&buf, 0, Some(n), 2, None);
        }
    }

    #[test]
    fn bot_edge_cases_follow_pydicom() {
        // BOT [0, 0]: the first fragment already passes offset 0, so frame 0
        // is empty (pydicom yields an empty tuple too).
        let buf = build_items(&[0, 0], &[b"ab", b"cd"]);
        let e = parse(&buf, 0, None, 2, None).unwrap();
        assert_eq!(e.frames.len(), 2);
        assert!(e.frames[0].is_empty());
        // Single BOT entry: everything is frame 0.
        let buf = build_items(&[0], &[b"ab", b"cd"]);
        let e = parse(&buf, 0, None, 1, None).unwrap();
        assert_eq!(e.frames, vec![e.fragments.clone()]);
        assert_eq!(
            decode_ov(&[1, 0, 0, 0, 0, 0, 0, 0], true, 0, "x").unwrap(),
            vec![1]
        );
        assert!(decode_ov(&[1, 0, 0], true, 0, "x").is_err());
    }
}
