//! Reading spreadsheets users export (CSV, often from Excel in Chinese):
//! headers in Chinese or English matched to fields, extra columns ignored,
//! and every row kept with its line number so an error can point at it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

/// A row that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineError {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub message: String,
}

/// A data row: field → cell, and where it was.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub line: u64,
    pub cells: BTreeMap<&'static str, String>,
}

impl Record {
    /// The cell for `field`, trimmed; None when missing or blank.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.cells.get(field).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
}

/// What a file held.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub records: Vec<Record>,
    /// Header cells that matched no field.
    pub ignored_columns: Vec<String>,
    /// Rows the CSV reader itself could not read.
    pub errors: Vec<LineError>,
}

fn normalize_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}').trim().to_lowercase().replace([' ', '_', '-', '（', '）', '(', ')'], "")
}

/// Reads `bytes` as CSV with `fields` given as (field, aliases). UTF-8 (with
/// or without BOM) and GBK-free: a file that is not UTF-8 gets an error that
/// says how to save it.
pub fn read(bytes: &[u8], fields: &[(&'static str, &[&str])]) -> Result<Table> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        EngineError::Refused(crate::message::Notice::new(
            "csv.not_utf8",
            "the file is not UTF-8; in Excel choose “CSV UTF-8 (逗号分隔)” when saving, or convert it first",
        ))
    })?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| {
        EngineError::Refused(
            crate::message::Notice::new("csv.bad_header", format!("cannot read the header: {e}")).with("detail", e),
        )
    })?;
    let mut columns: Vec<Option<&'static str>> = Vec::new();
    let mut ignored = Vec::new();
    for h in headers {
        let key = normalize_header(h);
        let field = fields.iter().find(|(name, aliases)| {
            normalize_header(name) == key || aliases.iter().any(|a| normalize_header(a) == key)
        });
        match field {
            Some((name, _)) if !columns.contains(&Some(*name)) => columns.push(Some(*name)),
            _ => {
                columns.push(None);
                if !h.trim().is_empty() {
                    ignored.push(h.trim_start_matches('\u{feff}').trim().to_owned());
                }
            }
        }
    }
    let mut records = Vec::new();
    let mut errors = Vec::new();
    // The reader skips blank lines without counting them, so lines are
    // counted from byte offsets instead: what an editor shows is what we say.
    let mut counted = (0usize, 1u64);
    let mut line_at = |byte: u64| {
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
        // A record's position is where the reader started, before any blank lines it skipped.
        while matches!(text.as_bytes().get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        if byte >= counted.0 {
            counted.1 += line_breaks(&text.as_bytes()[counted.0..byte]);
            counted.0 = byte;
        }
        counted.1
    };
    for result in reader.records() {
        match result {
            Ok(row) => {
                let line = row.position().map_or(0, |p| line_at(p.byte()));
                if row.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let cells = columns
                    .iter()
                    .zip(row.iter())
                    .filter_map(|(col, cell)| col.map(|name| (name, cell.to_owned())))
                    .collect();
                records.push(Record { line, cells });
            }
            Err(e) => errors.push(LineError {
                line: e.position().map_or(0, |p| line_at(p.byte())),
                message: format!("cannot read this row: {e}"),
            }),
        }
    }
    Ok(Table { records, ignored_columns: ignored, errors })
}

/// Line breaks as the CSV reader sees them: `\n`, `\r\n` and a lone `\r`
/// (old Mac files) each end one line. Found by fuzzing: counting `\n` only
/// put every row of a CR-only file on line 1.
fn line_breaks(bytes: &[u8]) -> u64 {
    let lone_cr = bytes.windows(2).filter(|w| w[0] == b'\r' && w[1] != b'\n').count();
    let last_cr = usize::from(bytes.last() == Some(&b'\r'));
    (bytes.iter().filter(|b| **b == b'\n').count() + lone_cr + last_cr) as u64
}

/// Reads a file from disk with [`read`].
pub fn read_file(path: &Path, fields: &[(&'static str, &[&str])]) -> Result<Table> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => EngineError::InputMissing { path: path.to_owned() },
        _ => EngineError::io(format!("reading {}", path.display()), e),
    })?;
    read(&bytes, fields)
}

/// A count as dashboards print it: `1,234`, `1.2万`, `3.5w`, `12k`, `2亿`;
/// `-` or blank means no figure.
pub fn parse_count(cell: &str) -> std::result::Result<Option<i64>, String> {
    let s = cell.trim().replace([',', '，', ' '], "");
    if s.is_empty() || s == "-" || s == "—" || s == "--" {
        return Ok(None);
    }
    let (number, factor) = match s.char_indices().last() {
        Some((i, '万' | 'w' | 'W')) => (&s[..i], 10_000.0),
        Some((i, '亿')) => (&s[..i], 100_000_000.0),
        Some((i, 'k' | 'K')) => (&s[..i], 1_000.0),
        _ => (s.as_str(), 1.0),
    };
    let bad = || format!("`{}` is not a count (write e.g. 1234, 1,234 or 1.2万)", cell.trim());
    if number.starts_with(['-', '+']) {
        return Err(format!("`{}` is negative or signed; counts are whole numbers ≥ 0", cell.trim()));
    }
    let value: f64 = number.parse().map_err(|_| bad())?;
    let scaled = value * factor;
    if !scaled.is_finite() || scaled.fract().abs() > 1e-9 || scaled > 1e15 {
        return Err(bad());
    }
    Ok(Some(scaled.round() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[(&str, &[&str])] = &[("post", &["帖子", "post_id"]), ("views", &["播放量", "plays"])];

    #[test]
    fn headers_in_either_language_extra_columns_and_line_numbers() {
        let csv = "\u{feff}帖子,Plays,备注\n1,100,ok\n\n2,\"1,200\",x\n";
        let t = read(csv.as_bytes(), FIELDS).unwrap();
        assert_eq!(t.ignored_columns, ["备注"]);
        assert_eq!(t.records.len(), 2);
        assert_eq!((t.records[1].line, t.records[1].get("views")), (4, Some("1,200")));
        assert!(read(&[0xb2, 0xa5, 0xb7, 0xc5], FIELDS).unwrap_err().to_string().contains("UTF-8"));
    }

    #[test]
    fn line_numbers_follow_cr_only_and_crlf_files() {
        for csv in ["post,views\r1,2\r\r3,x\r", "post,views\r\n1,2\r\n\r\n3,x\r\n"] {
            let t = read(csv.as_bytes(), FIELDS).unwrap();
            let lines: Vec<u64> = t.records.iter().map(|r| r.line).collect();
            assert_eq!(lines, [2, 4], "{csv:?}");
        }
    }

    #[test]
    fn counts_as_dashboards_write_them() {
        for (cell, want) in [
            ("1234", Some(1234)),
            ("1,234", Some(1234)),
            ("1.2万", Some(12_000)),
            ("3.5w", Some(35_000)),
            ("12k", Some(12_000)),
            ("2亿", Some(200_000_000)),
            ("", None),
            ("-", None),
        ] {
            assert_eq!(parse_count(cell), Ok(want), "{cell}");
        }
        for bad in ["abc", "-5", "12.5", "1.23456万", "NaN"] {
            assert!(parse_count(bad).is_err(), "{bad}");
        }
    }
}
