//! Pixel codecs, one folder each. Every codec is reached through the codec
//! registry; nothing outside `codecs` calls a codec's internals.

pub mod jpeg;
pub mod native;
pub mod rle;

#[cfg(feature = "j2k")]
pub mod j2k;

#[cfg(feature = "jxl")]
pub mod jxl;

#[cfg(feature = "deflate-frames")]
pub mod deflate_frames;

/// The shared test corpus (`../shared/corpus/dev` from the repository root,
/// or `$DICODEC_CORPUS`), if present.
#[cfg(test)]
#[allow(dead_code)] // unused when every codec feature is off
pub(crate) fn test_corpus_dir() -> Option<std::path::PathBuf> {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::var_os("DICODEC_CORPUS")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain([repo.join("../shared/corpus/dev")])
        .find(|d| d.join("MANIFEST.csv").is_file())
}

/// Rows of a CSV file (RFC 4180: quoted fields may hold commas, doubled
/// quotes and newlines) as maps from the header's names, for tests.
#[cfg(test)]
#[allow(dead_code)] // unused when every codec feature is off
pub(crate) fn test_csv(path: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut records: Vec<Vec<String>> = Vec::new();
    let (mut rec, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => rec.push(std::mem::take(&mut field)),
            ('\n', false) => {
                rec.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut rec));
            }
            ('\r', false) => {}
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !rec.is_empty() {
        rec.push(field);
        records.push(rec);
    }
    let mut it = records.into_iter();
    let head = it.next().unwrap_or_default();
    it.filter(|r| r.len() > 1)
        .map(|r| head.iter().cloned().zip(r).collect())
        .collect()
}
