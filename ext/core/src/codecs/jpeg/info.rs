//! Header information of a lossless JPEG stream, without decoding it.

use super::bitreader::next_marker;
use super::markers::{Event, FrameHeader, Walker, CTX};
use crate::error::{Error, Result};

/// What the headers of a lossless JPEG stream say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JpegInfo {
    /// Sample precision P in bits (2..=16).
    pub precision: u8,
    /// Samples per line (X).
    pub width: u16,
    /// Lines (Y, or the DNL value when the frame header has 0).
    pub height: u16,
    /// Component identifiers, in frame order.
    pub component_ids: Vec<u8>,
    /// Horizontal and vertical sampling factors of each component.
    pub sampling: Vec<(u8, u8)>,
    /// Predictor selection value (Ss) of the first scan.
    pub predictor: u8,
    /// Point transform (Al) of the first scan.
    pub point_transform: u8,
    /// Restart interval in MCUs in effect for the first scan (0: none).
    pub restart_interval: u16,
    /// Number of scans.
    pub scans: u32,
    /// True when the height came from a DNL segment.
    pub height_from_dnl: bool,
    /// True when the stream ends with an EOI marker.
    pub has_eoi: bool,
}

impl JpegInfo {
    /// Number of components.
    pub fn components(&self) -> usize {
        self.component_ids.len()
    }
}

/// Skips from the start of a scan's entropy-coded data to the marker that
/// ends it (RSTn markers belong to the scan).
pub(crate) fn skip_entropy(data: &[u8], from: usize) -> usize {
    let mut p = from;
    loop {
        let m = next_marker(data, p);
        match data.get(m + 1) {
            Some(c) if (0xD0..=0xD7).contains(c) => p = m + 2,
            _ => return m,
        }
    }
}

/// Reads the headers of a lossless JPEG stream (the entropy-coded data is
/// skipped, not decoded). Fails with [`Error::Unsupported`] for other JPEG
/// processes (naming the SOF) and [`Error::Malformed`] for broken headers.
pub fn info(src: &[u8]) -> Result<JpegInfo> {
    info_impl(src, true)
}

/// Like [`info`] but stops at the first scan (unless the frame height is 0
/// and a DNL segment must be found): `scans` and `has_eoi` are then not
/// known (1 and false). What a decoder needs before it decodes.
pub fn header(src: &[u8]) -> Result<JpegInfo> {
    info_impl(src, false)
}

fn info_impl(src: &[u8], full: bool) -> Result<JpegInfo> {
    let mut walk = Walker::new(src)?;
    let mut frame: Option<FrameHeader> = None;
    let mut ri = 0u16;
    let mut first: Option<(u8, u8, u16)> = None;
    let mut scans = 0u32;
    let mut dnl: Option<u16> = None;
    let mut has_eoi = false;
    loop {
        match walk.next_event()?.0 {
            Event::Eoi => {
                has_eoi = true;
                break;
            }
            Event::End => break,
            Event::Frame(f) => frame = Some(f),
            Event::RestartInterval(n) => ri = n,
            Event::Tables(_) => {}
            Event::Scan(s) => {
                first.get_or_insert((s.predictor, s.point_transform, ri));
                scans += 1;
                if !full && frame.as_ref().is_some_and(|f| f.height != 0) {
                    break;
                }
                walk.set_pos(skip_entropy(src, walk.pos()));
            }
            Event::Lines(n) => {
                dnl.get_or_insert(n);
            }
        }
    }
    let Some(f) = frame else {
        return Err(Error::malformed(
            src.len() as u64,
            CTX,
            "no frame header (SOF) in the stream",
        ));
    };
    let Some((predictor, point_transform, restart_interval)) = first else {
        return Err(Error::malformed(
            src.len() as u64,
            CTX,
            "no scan (SOS) in the stream",
        ));
    };
    let (height, height_from_dnl) = match (f.height, dnl) {
        (0, Some(n)) => (n, true),
        (0, None) => {
            return Err(Error::malformed(
                f.offset as u64 + 5,
                CTX,
                "frame height 0 and no DNL segment gives the number of lines",
            ))
        }
        (h, _) => (h, false),
    };
    Ok(JpegInfo {
        precision: f.precision,
        width: f.width,
        height,
        component_ids: f.components.iter().map(|c| c.id).collect(),
        sampling: f.components.iter().map(|c| (c.h, c.v)).collect(),
        predictor,
        point_transform,
        restart_interval,
        scans,
        height_from_dnl,
        has_eoi,
    })
}
