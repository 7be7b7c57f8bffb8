//! DICOM parsing, in layers: [`element`] (headers over bytes) is shared by the
//! file reader and the tag scanner; [`meta`] reads the preamble and file meta
//! group; [`dataset`] walks the top-level dataset; [`encaps`] splits
//! encapsulated pixel data into frames; [`syntax`] is the transfer syntax
//! table; [`describe`] checks the Image Pixel module as pydicom does;
//! [`file`] puts them together ([`ParsedFile`]); [`source`] maps or reads
//! files.

pub mod dataset;
pub mod describe;
pub mod detect;
pub mod element;
pub mod encaps;
pub mod file;
pub(crate) mod meta;
pub mod source;
pub mod syntax;

pub use file::{FrameStorage, ParsedFile, PixelLayout};
