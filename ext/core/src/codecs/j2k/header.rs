//! Main header of a JPEG 2000 codestream (ISO/IEC 15444-1 Annex A), read in
//! Rust before OpenJPEG sees the data: the sizes are checked against the
//! DICOM attributes and the allocation limit first, and [`J2kInfo`] needs no
//! decoding at all.
//!
//! Read: the JP2 box wrapper (signature, `jp2c`), SOC, SIZ, COD, CAP
//! (Part 15) and the first SOT; every other main-header segment is skipped by
//! its length.

use crate::error::{Error, Result};

/// Context of header errors.
pub(crate) const CTX: &str = "JPEG 2000 codestream";

/// JP2 signature box (12 bytes).
const JP2_SIGNATURE: [u8; 12] = [
    0, 0, 0, 0x0C, b'j', b'P', b' ', b' ', 0x0D, 0x0A, 0x87, 0x0A,
];

/// Progression order of the COD segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progression {
    /// Layer-resolution-component-position.
    Lrcp,
    /// Resolution-layer-component-position.
    Rlcp,
    /// Resolution-position-component-layer.
    Rpcl,
    /// Position-component-resolution-layer.
    Pcrl,
    /// Component-position-resolution-layer.
    Cprl,
    /// A value outside 0..=4.
    Other(u8),
}

impl Progression {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => Progression::Lrcp,
            1 => Progression::Rlcp,
            2 => Progression::Rpcl,
            3 => Progression::Pcrl,
            4 => Progression::Cprl,
            o => Progression::Other(o),
        }
    }

    /// Short name ("LRCP", "RPCL"…).
    pub fn name(self) -> &'static str {
        match self {
            Progression::Lrcp => "LRCP",
            Progression::Rlcp => "RLCP",
            Progression::Rpcl => "RPCL",
            Progression::Pcrl => "PCRL",
            Progression::Cprl => "CPRL",
            Progression::Other(_) => "other",
        }
    }
}

/// One component of the SIZ segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentInfo {
    /// Bit depth (1..=38).
    pub precision: u8,
    /// Two's complement samples.
    pub signed: bool,
    /// Horizontal separation XRsiz.
    pub dx: u8,
    /// Vertical separation YRsiz.
    pub dy: u8,
}

/// What the main header of a JPEG 2000 codestream says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct J2kInfo {
    /// Image width (Xsiz − XOsiz).
    pub width: u32,
    /// Image height (Ysiz − YOsiz).
    pub height: u32,
    /// Components, in SIZ order.
    pub components: Vec<ComponentInfo>,
    /// Precision of the first component (what pydicom uses).
    pub precision: u8,
    /// Signedness of the first component (what pydicom uses).
    pub signed: bool,
    /// Tile size.
    pub tile_width: u32,
    /// Tile height.
    pub tile_height: u32,
    /// Number of tiles.
    pub tiles: u64,
    /// Decomposition levels (COD).
    pub levels: u8,
    /// Quality layers (COD).
    pub layers: u16,
    /// Progression order (COD).
    pub progression: Progression,
    /// Multiple component transform in use (COD).
    pub mct: bool,
    /// Reversible 5-3 wavelet (lossless capable) rather than 9-7 (COD).
    pub reversible: bool,
    /// High-throughput (Part 15) code-blocks: Rsiz bit 14 or the COD
    /// code-block style HT bit.
    pub ht: bool,
    /// Rsiz capabilities.
    pub rsiz: u16,
    /// The codestream is wrapped in a JP2 file.
    pub jp2: bool,
    /// Byte offset of the SOC marker in the input.
    pub codestream_offset: usize,
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn be64(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(d.get(at..at + 8)?.try_into().ok()?))
}

fn truncated(at: usize, what: &str) -> Error {
    Error::malformed(at as u64, CTX, format!("data ends inside {what}"))
}

/// True when `src` starts with the JP2 signature box.
pub fn is_jp2(src: &[u8]) -> bool {
    src.starts_with(&JP2_SIGNATURE)
}

/// Offset of the codestream: 0 for a raw codestream, the contents of the
/// `jp2c` box for a JP2 file.
pub fn codestream_offset(src: &[u8]) -> Result<usize> {
    if !is_jp2(src) {
        return Ok(0);
    }
    let mut at = 0usize;
    while at < src.len() {
        let lbox = be32(src, at).ok_or_else(|| truncated(at, "a JP2 box header"))? as u64;
        let tbox = src
            .get(at + 4..at + 8)
            .ok_or_else(|| truncated(at, "a JP2 box header"))?;
        let (header, len) = match lbox {
            0 => (8u64, (src.len() - at) as u64),
            1 => (
                16,
                be64(src, at + 8).ok_or_else(|| truncated(at, "a JP2 box header"))?,
            ),
            n => (8, n),
        };
        if len < header {
            return Err(Error::malformed(
                at as u64,
                CTX,
                format!("JP2 box of {len} bytes"),
            ));
        }
        if tbox == b"jp2c" {
            return Ok(at + header as usize);
        }
        at = match (at as u64).checked_add(len) {
            Some(n) if n <= src.len() as u64 => n as usize,
            _ => break,
        };
    }
    Err(Error::malformed(
        at as u64,
        CTX,
        "JP2 file without a codestream (jp2c) box",
    ))
}

/// Reads the main header of a JPEG 2000 codestream or JP2 file.
pub fn info(src: &[u8]) -> Result<J2kInfo> {
    let base = codestream_offset(src)?;
    let d = &src[base..];
    let off = |i: usize| (base + i) as u64;
    if be16(d, 0) != Some(0xFF4F) {
        return Err(Error::malformed(
            off(0),
            CTX,
            "does not start with SOC (FF4F)",
        ));
    }
    if be16(d, 2) != Some(0xFF51) {
        return Err(Error::malformed(
            off(2),
            CTX,
            "SIZ (FF51) does not follow SOC",
        ));
    }
    let lsiz = be16(d, 4).ok_or_else(|| truncated(base + 4, "SIZ"))? as usize;
    let siz = d
        .get(4..4 + lsiz)
        .ok_or_else(|| truncated(base + 4, "SIZ"))?;
    if lsiz < 41 {
        return Err(Error::malformed(off(4), CTX, format!("SIZ length {lsiz}")));
    }
    let rsiz = be16(siz, 2).unwrap_or(0);
    let g = |i: usize| be32(siz, i).unwrap_or(0);
    let (xsiz, ysiz, xosiz, yosiz) = (g(4), g(8), g(12), g(16));
    let (xtsiz, ytsiz, xtosiz, ytosiz) = (g(20), g(24), g(28), g(32));
    let csiz = be16(siz, 36).unwrap_or(0) as usize;
    if csiz == 0 || lsiz != 38 + 3 * csiz {
        return Err(Error::malformed(
            off(4),
            CTX,
            format!("SIZ length {lsiz} with {csiz} components"),
        ));
    }
    if xsiz <= xosiz || ysiz <= yosiz || xtsiz == 0 || ytsiz == 0 {
        return Err(Error::malformed(
            off(8),
            CTX,
            format!("SIZ image {xsiz}×{ysiz} from ({xosiz}, {yosiz}), tiles {xtsiz}×{ytsiz}"),
        ));
    }
    if xtosiz > xosiz
        || ytosiz > yosiz
        || xtosiz as u64 + xtsiz as u64 <= xosiz as u64
        || ytosiz as u64 + ytsiz as u64 <= yosiz as u64
    {
        return Err(Error::malformed(
            off(32),
            CTX,
            "SIZ tile offset outside the image",
        ));
    }
    let mut components = Vec::with_capacity(csiz);
    for c in 0..csiz {
        let s = siz[38 + 3 * c];
        let (dx, dy) = (siz[39 + 3 * c], siz[40 + 3 * c]);
        let precision = (s & 0x7F) + 1;
        if precision > 38 || dx == 0 || dy == 0 {
            return Err(Error::malformed(
                off(42 + 3 * c),
                CTX,
                format!("SIZ component {c}: Ssiz {s:#04x}, XRsiz {dx}, YRsiz {dy}"),
            ));
        }
        components.push(ComponentInfo {
            precision,
            signed: s & 0x80 != 0,
            dx,
            dy,
        });
    }
    let tiles_x = (xsiz - xtosiz).div_ceil(xtsiz) as u64;
    let tiles_y = (ysiz - ytosiz).div_ceil(ytsiz) as u64;
    let mut info = J2kInfo {
        width: xsiz - xosiz,
        height: ysiz - yosiz,
        precision: components[0].precision,
        signed: components[0].signed,
        components,
        tile_width: xtsiz,
        tile_height: ytsiz,
        tiles: tiles_x * tiles_y,
        levels: 0,
        layers: 0,
        progression: Progression::Lrcp,
        mct: false,
        reversible: false,
        ht: rsiz & 0x4000 != 0,
        rsiz,
        jp2: base > 0,
        codestream_offset: base,
    };
    // The other main-header segments, up to the first tile-part.
    let mut at = 4 + lsiz;
    let mut cod = false;
    loop {
        let marker = be16(d, at).ok_or_else(|| truncated(base + at, "the main header"))?;
        if marker == 0xFF90 || marker == 0xFF93 {
            break;
        }
        if marker & 0xFF00 != 0xFF00 || marker < 0xFF30 {
            return Err(Error::malformed(
                off(at),
                CTX,
                format!("expected a marker in the main header, found {marker:#06x}"),
            ));
        }
        let len = be16(d, at + 2).ok_or_else(|| truncated(base + at, "a marker segment"))? as usize;
        let seg = d
            .get(at + 2..at + 2 + len)
            .ok_or_else(|| truncated(base + at, "a marker segment"))?;
        if len < 2 {
            return Err(Error::malformed(
                off(at + 2),
                CTX,
                format!("segment length {len}"),
            ));
        }
        if marker == 0xFF52 {
            if len < 12 {
                return Err(Error::malformed(
                    off(at + 2),
                    CTX,
                    format!("COD length {len}"),
                ));
            }
            info.progression = Progression::from_u8(seg[3]);
            info.layers = u16::from_be_bytes([seg[4], seg[5]]);
            info.mct = seg[6] != 0;
            info.levels = seg[7];
            info.ht |= seg[10] & 0x40 != 0;
            info.reversible = seg[11] == 1;
            cod = true;
        }
        at += 2 + len;
    }
    if !cod {
        return Err(Error::malformed(off(at), CTX, "main header without COD"));
    }
    Ok(info)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A minimal main header: SOC, SIZ (one component), COD, then SOT.
    pub(crate) fn minimal(width: u32, height: u32, ssiz: u8, cbstyle: u8) -> Vec<u8> {
        let mut v = vec![0xFF, 0x4F, 0xFF, 0x51, 0, 41, 0, 0];
        for x in [width, height, 0, 0, width, height, 0, 0] {
            v.extend_from_slice(&x.to_be_bytes());
        }
        v.extend_from_slice(&[0, 1, ssiz, 1, 1]);
        v.extend_from_slice(&[0xFF, 0x52, 0, 12, 0, 2, 0, 1, 0, 5, 4, 4, cbstyle, 1]);
        v.extend_from_slice(&[0xFF, 0x90, 0, 10]);
        v
    }

    #[test]
    fn reads_a_minimal_header() {
        let h = minimal(300, 200, 0x8B, 0x40);
        let i = info(&h).unwrap();
        assert_eq!(
            (i.width, i.height, i.precision, i.signed),
            (300, 200, 12, true)
        );
        assert_eq!((i.levels, i.layers, i.tiles), (5, 1, 1));
        assert_eq!(i.progression, Progression::Rpcl);
        assert!(i.ht && i.reversible && !i.jp2 && !i.mct);
    }

    #[test]
    fn finds_the_codestream_in_jp2() {
        let cs = minimal(8, 8, 7, 0);
        let mut f = JP2_SIGNATURE.to_vec();
        f.extend_from_slice(&[0, 0, 0, 20, b'f', b't', b'y', b'p']);
        f.extend_from_slice(b"jp2 \0\0\0\0jp2 ");
        f.extend_from_slice(&((cs.len() + 8) as u32).to_be_bytes());
        f.extend_from_slice(b"jp2c");
        f.extend_from_slice(&cs);
        let i = info(&f).unwrap();
        assert!(i.jp2);
        assert_eq!(i.codestream_offset, 40);
        assert!(!i.ht);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let h = minimal(16, 16, 7, 0);
        for n in 0..h.len() - 2 {
            assert!(info(&h[..n]).is_err(), "{n}");
        }
    }
}
