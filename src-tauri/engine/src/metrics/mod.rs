//! Results of published posts: CSV import of platform figures (Chinese or
//! English headers) and the comparisons teams use to do more of what worked.

mod report;

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use report::{GroupBy, ReportRow, compare};

use crate::error::Result;
use crate::schedule::{parse_time, to_utc_text};
use crate::store::{Counts, Store};
use crate::studio::Studio;
use crate::tabular::{self, LineError, Record, parse_count};

/// Metric columns and the headers platforms and teams use for them.
pub const METRIC_FIELDS: &[(&str, &[&str])] = &[
    ("post", &["post_id", "post id", "帖子", "帖子id", "作品id", "编号"]),
    ("url", &["link", "链接", "作品链接", "发布链接"]),
    ("captured_at", &["date", "time", "日期", "时间", "统计日期", "统计时间", "数据日期"]),
    ("views", &["plays", "播放量", "播放", "播放数", "阅读量", "观看量", "浏览量"]),
    ("likes", &["点赞", "点赞数", "点赞量"]),
    ("comments", &["评论", "评论数", "评论量"]),
    ("shares", &["分享", "分享数", "转发", "转发数"]),
    ("favorites", &["favourites", "收藏", "收藏数", "收藏量"]),
    ("followers", &["followers gained", "涨粉", "新增粉丝", "粉丝增量", "涨粉数"]),
    ("conversions", &["conversion", "转化", "转化数", "转化量"]),
];

const COUNT_FIELDS: [&str; 7] = ["views", "likes", "comments", "shares", "favorites", "followers", "conversions"];

/// What an import did. Good rows are saved even when others fail.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub imported: usize,
    /// Rows that replaced figures already stored for the same post and time.
    pub updated: usize,
    pub errors: Vec<LineError>,
    /// Notes that lost nothing: repeated rows, ignored columns.
    pub notes: Vec<LineError>,
    pub ignored_columns: Vec<String>,
}

/// A date, or a date and time, in the user's zone (`2026/12/01` too).
pub fn parse_when(cell: &str, tz: &jiff::tz::TimeZone) -> std::result::Result<Timestamp, String> {
    let s = cell.trim().replace('/', "-");
    let s = if s.len() <= 10 { format!("{s} 00:00") } else { s };
    parse_time(&s, tz).map_err(|_| format!("`{}` is not a date (write 2026-12-01 or 2026-12-01 18:00)", cell.trim()))
}

fn counts_of(record: &Record) -> std::result::Result<Counts, String> {
    let mut values = [None; 7];
    let mut problems = Vec::new();
    for (slot, field) in values.iter_mut().zip(COUNT_FIELDS) {
        if let Some(cell) = record.get(field) {
            match parse_count(cell) {
                Ok(v) => *slot = v,
                Err(e) => problems.push(format!("{field}: {e}")),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    let [views, likes, comments, shares, favorites, followers, conversions] = values;
    let counts = Counts { views, likes, comments, shares, favorites, followers, conversions };
    if counts.is_empty() {
        return Err("no figures in this row".into());
    }
    Ok(counts)
}

impl Studio {
    /// Imports metric snapshots from a CSV file.
    pub fn import_metrics(&self, store: &Store, path: &Path) -> Result<ImportSummary> {
        let table = tabular::read_file(path, METRIC_FIELDS)?;
        let source = format!("csv:{}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
        self.import_metric_table(store, table, &source, Timestamp::now())
    }

    /// Imports already-read rows; `now` stamps rows without a date.
    pub fn import_metric_table(
        &self,
        store: &Store,
        table: tabular::Table,
        source: &str,
        now: Timestamp,
    ) -> Result<ImportSummary> {
        let tz = self.time_zone()?;
        let mut summary =
            ImportSummary { errors: table.errors, ignored_columns: table.ignored_columns, ..Default::default() };
        let has = |f: &str| table.records.iter().any(|r| r.cells.contains_key(f));
        if !table.records.is_empty() && !has("post") && !has("url") {
            return Err(crate::EngineError::Refused(crate::message::Notice::new(
                "metrics.no_post_column",
                "the file needs a column naming the post: post (帖子ID) or url (链接)",
            )));
        }
        if !table.records.is_empty() && !COUNT_FIELDS.iter().any(|f| has(f)) {
            return Err(crate::EngineError::Refused(crate::message::Notice::new(
                "metrics.no_figure_columns",
                "no figure columns found; use headers such as 播放量/views, 点赞/likes, 评论/comments",
            )));
        }
        // Later rows for the same post and time win; the earlier one is noted.
        let mut rows: BTreeMap<(i64, String), (u64, Counts)> = BTreeMap::new();
        for record in &table.records {
            let line = record.line;
            let fail = |message: String| LineError { line, message };
            let post = match (record.get("post"), record.get("url")) {
                (Some(id), _) => match id.trim_start_matches('#').parse::<i64>() {
                    Ok(id) => Ok(id),
                    Err(_) => Err(format!("post `{id}` is not a post number")),
                },
                (None, Some(url)) => match store.post_by_url(url)? {
                    Some(id) => Ok(id),
                    None => Err(format!("no published post has the link {url}")),
                },
                (None, None) => Err("the row names no post (post id or link)".into()),
            };
            let when = match record.get("captured_at") {
                Some(cell) => parse_when(cell, &tz),
                None => Ok(now),
            };
            let counts = counts_of(record);
            match (post, when, counts) {
                (Ok(post), Ok(when), Ok(counts)) => {
                    let key = (post, to_utc_text(when));
                    if let Some((earlier, _)) = rows.insert(key, (line, counts)) {
                        summary.notes.push(LineError {
                            line,
                            message: format!(
                                "repeats line {earlier} (same post and time); this row's figures are kept"
                            ),
                        });
                    }
                }
                (post, when, counts) => {
                    let problems: Vec<String> = [post.err(), when.err(), counts.err()].into_iter().flatten().collect();
                    summary.errors.push(fail(problems.join("; ")));
                }
            }
        }
        for ((post, when), (line, counts)) in rows {
            match store.record_metrics(post, &when, &counts, source) {
                Ok(true) => summary.imported += 1,
                Ok(false) => summary.updated += 1,
                Err(e) => summary.errors.push(LineError { line, message: e.to_string() }),
            }
        }
        summary.errors.sort_by_key(|e| e.line);
        summary.notes.sort_by_key(|e| e.line);
        Ok(summary)
    }
}
