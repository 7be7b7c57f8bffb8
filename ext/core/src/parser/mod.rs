//! DICOM parsing, in layers: [`element`] (headers over bytes) is shared by the
//! file reader and the tag scanner.

pub mod element;
pub mod meta;
