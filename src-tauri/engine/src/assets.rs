//! Data files the app ships (platform profiles, disclaimer presets), embedded
//! in the binary so the CLI and the app work from any folder, plus the user's
//! own files of the same shape, which add to or override the shipped ones.

use std::collections::BTreeMap;
use std::path::Path;

use include_dir::{Dir, include_dir};
use serde::de::DeserializeOwned;

use crate::error::{EngineError, Result};

static ASSETS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../assets");

/// Something loaded from a TOML file that has an id and can check itself.
pub trait AssetRecord: DeserializeOwned {
    fn id(&self) -> &str;
    /// Checks the values serde cannot; `file` names the source in errors.
    fn validate(&self, file: &str) -> Result<()>;
}

/// Loads every `*.toml` in the shipped folder `subdir`, then in `user_dir`
/// (if it exists); a user file with the same id replaces the shipped one.
pub fn load_records<T: AssetRecord>(subdir: &str, user_dir: Option<&Path>) -> Result<BTreeMap<String, T>> {
    let mut records = BTreeMap::new();
    for record in load_shipped::<T>(subdir)?.into_iter().chain(load_dir::<T>(user_dir)?) {
        records.insert(record.id().to_owned(), record);
    }
    Ok(records)
}

/// The shipped records of `subdir`, in file-name order.
pub fn load_shipped<T: AssetRecord>(subdir: &str) -> Result<Vec<T>> {
    let Some(dir) = ASSETS.get_dir(subdir) else { return Ok(Vec::new()) };
    let mut files: Vec<_> = dir.files().filter(|f| f.path().extension().is_some_and(|e| e == "toml")).collect();
    files.sort_by_key(|f| f.path());
    files
        .into_iter()
        .map(|file| {
            let name = format!("assets/{}", file.path().display());
            let text = file.contents_utf8().ok_or_else(|| EngineError::ProfileInvalid {
                file: name.clone(),
                field: "(file)".into(),
                reason: "not UTF-8".into(),
            })?;
            parse_record(&name, text)
        })
        .collect()
}

/// The user's records in `dir` (none if it does not exist), in file-name order.
pub fn load_dir<T: AssetRecord>(dir: Option<&Path>) -> Result<Vec<T>> {
    let Some(dir) = dir.filter(|d| d.is_dir()) else { return Ok(Vec::new()) };
    let entries = std::fs::read_dir(dir).map_err(|e| EngineError::io(format!("reading {}", dir.display()), e))?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| EngineError::io(format!("reading {name}"), e))?;
            parse_record(&name, &text)
        })
        .collect()
}

fn parse_record<T: AssetRecord>(file: &str, text: &str) -> Result<T> {
    let record: T = toml::from_str(text).map_err(|e| EngineError::ProfileInvalid {
        file: file.to_owned(),
        field: e.span().map_or_else(|| "(file)".to_owned(), |s| field_at(text, s.start)),
        reason: e.message().to_owned(),
    })?;
    record.validate(file)?;
    Ok(record)
}

/// Names the TOML key on the line where a parse error starts, e.g. `crf`.
fn field_at(text: &str, offset: usize) -> String {
    let line_start = text[..offset.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or_default();
    let line_no = text[..line_start].matches('\n').count() + 1;
    match line.split_once('=') {
        Some((key, _)) => format!("{} (line {line_no})", key.trim()),
        None => format!("line {line_no}"),
    }
}

/// Builds the "did you mean" list for unknown-id errors.
pub fn unknown<T>(what: &'static str, id: &str, known: &BTreeMap<String, T>) -> EngineError {
    EngineError::UnknownId { what, id: id.to_owned(), available: known.keys().cloned().collect::<Vec<_>>().join(", ") }
}

/// A shipped file's text by its path under `assets/` (`messages/zh-CN.json`).
pub fn shipped_text(path: &str) -> Option<String> {
    ASSETS.get_file(path).and_then(|f| f.contents_utf8()).map(str::to_owned)
}
