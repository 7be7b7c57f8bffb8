//! The one error type of the core.
//!
//! Every failure is one of three kinds, and the Python layer maps each kind to
//! one exception class in one place (`ext/py/src/errors.rs`):
//!
//! * [`Error::Malformed`]: the input breaks the standard or contradicts itself.
//!   It carries the byte offset (into the buffer being parsed) where the
//!   problem was found.
//! * [`Error::Unsupported`]: the input is valid but uses a feature (transfer
//!   syntax, SOF type, bit depth…) that dicodec does not implement.
//! * [`Error::LimitExceeded`]: honouring the input would need more memory than
//!   the configured limit (see [`crate::limits`]); checked *before* allocating.
//!
//! [`Error::Io`] wraps operating-system errors (file not found, permission…).

use std::fmt;

/// Result alias used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
    Unsupported(String),
    /// A size check failed before allocating.
    #[error("limit exceeded: {what} needs {requested} bytes but the limit is {limit} bytes")]
    LimitExceeded {
        what: String,
        requested: u64,
        limit: u64,
    },
    /// Operating-system I/O error.
    #[error("I/O error{}: {message}", path_suffix(.path))]
    Io {
        path: Option<String>,
        message: String,
    },
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

    /// Shorthand for [`Error::Unsupported`].
    pub fn unsupported(message: impl fmt::Display) -> Self {
        Error::Unsupported(message.to_string())
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
            Error::Unsupported(m) => Error::Unsupported(format!("{prefix}{m}")),
            other => other,
        }
    }

    pub fn io(path: Option<&str>, err: &std::io::Error) -> Self {
        Error::Io {
            path: path.map(str::to_owned),
            message: err.to_string(),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::io(None, &e)
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
}
