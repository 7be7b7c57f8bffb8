//! The one error type of the core.
//!
//! Every failure is one of these kinds, and the Python layer maps each kind to
//! one exception class in one place (`ext/py/src/errors.rs`):
//!
//! * [`Error::Malformed`]: the input breaks the standard or contradicts itself.
//!   It carries the byte offset (into the buffer being parsed) where the
//!   problem was found.
//! * [`Error::Unsupported`]: the input is valid but uses a feature (transfer
//!   syntax, SOF type, bit depth…, see [`Feature`]) that dicodec does not
//!   implement, or whose codec this build leaves out.
//! * [`Error::LimitExceeded`]: honouring the input would need more memory than
//!   the configured limit (see [`crate::limits`]); checked *before* allocating.
//! * [`Error::InvalidArgument`]: the caller's mistake, not the input's (an
//!   output buffer of the wrong size, a bad option).
//! * [`Error::Io`]: operating-system errors (file not found, permission…),
//!   with their [`std::io::ErrorKind`] and source.
//! * [`Error::Resource`]: the system refused a resource other than memory
//!   (a thread pool could not be started).

use std::fmt;
use std::sync::Arc;

/// Result alias used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What an unsupported input uses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Feature {
    /// A transfer syntax without a codec (or unknown), by UID.
    TransferSyntax(String),
    /// A JPEG frame type (SOF marker code, e.g. 0xC0 for baseline DCT).
    Sof(u8),
    /// A Bits Allocated value.
    BitsAllocated(u16),
    /// A Samples per Pixel value.
    SamplesPerPixel(u16),
    /// A codec this build leaves out: the Cargo feature that builds it.
    CodecFeature(&'static str),
    /// Anything else (see the message).
    Other,
}

/// The payload of [`Error::Unsupported`]: which feature, and the message.
///
/// Dereferences to the message, so `Error::Unsupported(m)` patterns can use
/// `m.contains(..)` and `"{m}"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// What the input uses.
    pub feature: Feature,
    /// Human-readable description ("RLE Lossless needs the Cargo feature…").
    pub message: String,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::ops::Deref for Unsupported {
    type Target = str;
    fn deref(&self) -> &str {
        &self.message
    }
}

/// An operating-system error, cheap to clone.
#[derive(Debug, Clone)]
pub struct IoSource(pub Arc<std::io::Error>);

impl PartialEq for IoSource {
    fn eq(&self, other: &Self) -> bool {
        self.0.kind() == other.0.kind() && self.0.to_string() == other.0.to_string()
    }
}
impl Eq for IoSource {}

impl fmt::Display for IoSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for IoSource {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// What [`Error::io`] accepts: an owned or borrowed [`std::io::Error`].
pub trait IntoIoSource {
    /// The error as a shareable source.
    fn into_io_source(self) -> IoSource;
}

impl IntoIoSource for std::io::Error {
    fn into_io_source(self) -> IoSource {
        IoSource(Arc::new(self))
    }
}

impl IntoIoSource for &std::io::Error {
    fn into_io_source(self) -> IoSource {
        let copy = match self.raw_os_error() {
            Some(code) => std::io::Error::from_raw_os_error(code),
            None => std::io::Error::new(self.kind(), self.to_string()),
        };
        IoSource(Arc::new(copy))
    }
}

/// Every failure of the core (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The data is not what the standard says it must be.
    #[error("malformed {context} at byte offset {offset}: {message}")]
    Malformed {
        /// Byte offset where the problem was detected.
        offset: u64,
        /// What was being parsed ("RLE segment 2", "DICOM element (7FE0,0010)", …).
        context: String,
        /// What is wrong.
        message: String,
    },
    /// Valid input using a feature dicodec does not implement.
    #[error("unsupported: {0}")]
    Unsupported(Unsupported),
    /// A size check failed before allocating.
    #[error("limit exceeded: {what} needs {requested} bytes but the limit is {limit} bytes")]
    LimitExceeded {
        /// What was to be allocated ("pixel array", …).
        what: String,
        /// Bytes it needs.
        requested: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The caller's mistake (wrong output buffer, bad argument), not the
    /// input's.
    #[error("{message}")]
    InvalidArgument {
        /// What is wrong.
        message: String,
        /// An argument of the wrong type (Python: also a `TypeError`).
        wrong_type: bool,
    },
    /// Operating-system I/O error.
    #[error("I/O error{}: {source}", path_suffix(.path))]
    Io {
        /// The file concerned, when known.
        path: Option<String>,
        /// The error's kind.
        kind: std::io::ErrorKind,
        /// The error itself.
        source: IoSource,
    },
    /// The system refused a resource other than memory.
    #[error("{0}")]
    Resource(String),
}

fn path_suffix(p: &Option<String>) -> String {
    match p {
        Some(p) => format!(" on {p}"),
        None => String::new(),
    }
}

impl Error {
    /// Shorthand for [`Error::Malformed`].
    pub fn malformed(offset: u64, context: impl fmt::Display, message: impl fmt::Display) -> Self {
        Error::Malformed {
            offset,
            context: context.to_string(),
            message: message.to_string(),
        }
    }

    /// Shorthand for [`Error::Unsupported`] with [`Feature::Other`].
    pub fn unsupported(message: impl fmt::Display) -> Self {
        Error::unsupported_feature(Feature::Other, message)
    }

    /// [`Error::Unsupported`] naming the feature.
    pub fn unsupported_feature(feature: Feature, message: impl fmt::Display) -> Self {
        Error::Unsupported(Unsupported {
            feature,
            message: message.to_string(),
        })
    }

    /// Shorthand for [`Error::InvalidArgument`] (a value the caller got wrong).
    pub fn invalid_argument(message: impl fmt::Display) -> Self {
        Error::InvalidArgument {
            message: message.to_string(),
            wrong_type: false,
        }
    }

    /// The output buffer given to a decoder is not `expected` bytes long.
    pub fn output_size(what: impl fmt::Display, got: usize, expected: u64) -> Self {
        Error::invalid_argument(format!(
            "{what}: the output buffer has {got} bytes but {expected} are needed"
        ))
    }

    /// The byte offset of a malformed-input error, if any.
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::Malformed { offset, .. } => Some(*offset),
            _ => None,
        }
    }

    /// Adds `base` to the offset of a malformed-input error (used when a
    /// codec's error, relative to its fragment, is reported relative to the file).
    pub fn shift_offset(self, base: u64) -> Self {
        match self {
            Error::Malformed {
                offset,
                context,
                message,
            } => Error::Malformed {
                offset: offset + base,
                context,
                message,
            },
            other => other,
        }
    }

    /// Prefixes the context of a malformed error (e.g. with "frame 3: ").
    pub fn in_context(self, prefix: impl fmt::Display) -> Self {
        match self {
            Error::Malformed {
                offset,
                context,
                message,
            } => Error::Malformed {
                offset,
                context: format!("{prefix}{context}"),
                message,
            },
            Error::Unsupported(u) => Error::Unsupported(Unsupported {
                feature: u.feature,
                message: format!("{prefix}{}", u.message),
            }),
            other => other,
        }
    }

    /// [`Error::Io`] from an operating-system error (on `path`, when known);
    /// takes the error (kept as the source) or a reference (its kind and
    /// message are kept).
    pub fn io(path: Option<&str>, err: impl IntoIoSource) -> Self {
        let source = err.into_io_source();
        Error::Io {
            path: path.map(str::to_owned),
            kind: source.0.kind(),
            source,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::io(None, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_offset_and_context() {
        let e = Error::malformed(42, "RLE segment 2", "run past end of segment");
        assert_eq!(
            e.to_string(),
            "malformed RLE segment 2 at byte offset 42: run past end of segment"
        );
        assert_eq!(e.offset(), Some(42));
        assert_eq!(e.clone().shift_offset(100).offset(), Some(142));
        assert!(e
            .in_context("frame 1: ")
            .to_string()
            .contains("frame 1: RLE segment 2"));
    }

    #[test]
    fn limit_message() {
        let e = Error::LimitExceeded {
            what: "pixel array".into(),
            requested: 10,
            limit: 5,
        };
        assert!(e.to_string().contains("needs 10 bytes"));
        assert_eq!(e.offset(), None);
    }

    #[test]
    fn unsupported_names_the_feature_and_derefs_to_the_message() {
        let e = Error::unsupported_feature(Feature::BitsAllocated(12), "Bits Allocated 12");
        assert_eq!(e.to_string(), "unsupported: Bits Allocated 12");
        match e.in_context("frame 2: ") {
            Error::Unsupported(m) => {
                assert!(m.contains("frame 2: Bits"));
                assert_eq!(m.feature, Feature::BitsAllocated(12));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Error::unsupported("x"),
            Error::Unsupported(Unsupported {
                feature: Feature::Other,
                ..
            })
        ));
    }

    #[test]
    fn io_keeps_kind_and_source() {
        use std::error::Error as _;
        let e = Error::io(
            Some("a.dcm"),
            std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        );
        assert_eq!(e.to_string(), "I/O error on a.dcm: gone");
        assert!(matches!(
            e,
            Error::Io {
                kind: std::io::ErrorKind::NotFound,
                ..
            }
        ));
        assert!(e.source().is_some());
        assert_eq!(e.clone(), e);
    }
}
