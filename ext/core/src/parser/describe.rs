//! The Image Pixel module checks of pydicom 3 (`RunnerBase._validate_options`):
//! the attributes a decoder needs, required and in range, turned into a
//! [`PixelDescription`].

use super::dataset::ImageAttrs;
use crate::error::{Error, Result};
use crate::pixels::{PixelDescription, PixelElement};

/// Photometric interpretations pydicom accepts.
const PHOTOMETRIC: &[&str] = &[
    "MONOCHROME1",
    "MONOCHROME2",
    "PALETTE COLOR",
    "RGB",
    "YBR_FULL",
    "YBR_FULL_422",
    "YBR_PARTIAL_422",
    "YBR_PARTIAL_420",
    "YBR_ICT",
    "YBR_RCT",
    "HSV",
    "ARGB",
    "CMYK",
    "XYB",
];

fn missing(tag: &str, name: &str) -> Error {
    Error::malformed(
        0,
        "Image Pixel module",
        format!("missing required element: {tag} '{name}'"),
    )
}

fn invalid(tag: &str, name: &str, value: impl std::fmt::Display, rule: &str) -> Error {
    Error::malformed(
        0,
        "Image Pixel module",
        format!("a {tag} '{name}' value of '{value}' is invalid, {rule}"),
    )
}

/// The Image Pixel module checks of pydicom's `RunnerBase._validate_options`,
/// then [`PixelDescription::validate`].
pub fn describe(a: &ImageAttrs, element: PixelElement) -> Result<PixelDescription> {
    let is_int = element == PixelElement::PixelData;
    let ba = a
        .bits_allocated
        .ok_or_else(|| missing("(0028,0100)", "Bits Allocated"))?;
    if !(1..=64).contains(&ba) || (ba != 1 && ba % 8 != 0) {
        return Err(invalid(
            "(0028,0100)",
            "Bits Allocated",
            ba,
            "it must be 1 or a multiple of 8 and in the range (1, 64)",
        ));
    }
    let float_bits = match element {
        PixelElement::FloatPixelData => Some(32),
        PixelElement::DoubleFloatPixelData => Some(64),
        PixelElement::PixelData => None,
    };
    if let Some(fb) = float_bits {
        if ba != fb {
            return Err(invalid(
                "(0028,0100)",
                "Bits Allocated",
                ba,
                &format!("it must be {fb} for this pixel data element"),
            ));
        }
    }
    let bs = if is_int {
        let bs = a
            .bits_stored
            .ok_or_else(|| missing("(0028,0101)", "Bits Stored"))?;
        if !(1..=ba).contains(&bs) {
            return Err(invalid(
                "(0028,0101)",
                "Bits Stored",
                bs,
                &format!("it must be in the range (1, 64) and no greater than the (0028,0100) 'Bits Allocated' value of '{ba}'"),
            ));
        }
        bs
    } else {
        ba
    };
    let columns = a.columns.ok_or_else(|| missing("(0028,0011)", "Columns"))?;
    if !(1..=65535).contains(&columns) {
        return Err(invalid(
            "(0028,0011)",
            "Columns",
            columns,
            "it must be in the range (1, 65535)",
        ));
    }
    let frames = a.number_of_frames.unwrap_or(1);
    if frames < 1 || frames > u32::MAX as i64 {
        return Err(invalid(
            "(0028,0008)",
            "Number of Frames",
            frames,
            "it must be greater than or equal to 1",
        ));
    }
    let pi = a
        .photometric_interpretation
        .clone()
        .ok_or_else(|| missing("(0028,0004)", "Photometric Interpretation"))?;
    if !PHOTOMETRIC.contains(&pi.as_str()) {
        return Err(Error::malformed(
            0,
            "Image Pixel module",
            format!("unknown (0028,0004) 'Photometric Interpretation' value '{pi}'"),
        ));
    }
    let pr = if is_int {
        let pr = a
            .pixel_representation
            .ok_or_else(|| missing("(0028,0103)", "Pixel Representation"))?;
        if !(0..=1).contains(&pr) {
            return Err(invalid(
                "(0028,0103)",
                "Pixel Representation",
                pr,
                "it must be 0 or 1",
            ));
        }
        pr
    } else {
        0
    };
    let rows = a.rows.ok_or_else(|| missing("(0028,0010)", "Rows"))?;
    if !(1..=65535).contains(&rows) {
        return Err(invalid(
            "(0028,0010)",
            "Rows",
            rows,
            "it must be in the range (1, 65535)",
        ));
    }
    let spp = a
        .samples_per_pixel
        .ok_or_else(|| missing("(0028,0002)", "Samples per Pixel"))?;
    if spp != 1 && spp != 3 {
        return Err(invalid(
            "(0028,0002)",
            "Samples per Pixel",
            spp,
            "it must be 1 or 3",
        ));
    }
    let planar = if spp == 3 {
        let pc = a
            .planar_configuration
            .ok_or_else(|| missing("(0028,0006)", "Planar Configuration"))?;
        if !(0..=1).contains(&pc) {
            return Err(invalid(
                "(0028,0006)",
                "Planar Configuration",
                pc,
                "it must be 0 or 1",
            ));
        }
        pc
    } else {
        0
    };
    let desc = PixelDescription {
        rows: rows as u32,
        columns: columns as u32,
        number_of_frames: frames as u32,
        samples_per_pixel: spp as u16,
        bits_allocated: ba as u16,
        bits_stored: bs as u16,
        high_bit: a
            .high_bit
            .filter(|h| (0..64).contains(h))
            .map_or(bs as u16 - 1, |h| h as u16),
        pixel_representation: pr as u16,
        planar_configuration: planar as u16,
        photometric_interpretation: pi,
        element,
    };
    desc.validate()?;
    Ok(desc)
}
