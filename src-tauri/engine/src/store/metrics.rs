//! Metric snapshots: what a post had reached at a time (views, likes …),
//! entered by hand or imported from a platform's CSV export.

use serde::{Deserialize, Serialize};

use super::Store;
use super::db::{Engine, Row, args};
use crate::error::{EngineError, Result};
use crate::message::Notice;

/// The figures a platform reports; any may be missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub views: Option<i64>,
    pub likes: Option<i64>,
    pub comments: Option<i64>,
    pub shares: Option<i64>,
    pub favorites: Option<i64>,
    pub followers: Option<i64>,
    pub conversions: Option<i64>,
}

impl Counts {
    pub fn is_empty(&self) -> bool {
        self.values().iter().all(Option::is_none)
    }
    pub fn values(&self) -> [Option<i64>; 7] {
        [self.views, self.likes, self.comments, self.shares, self.favorites, self.followers, self.conversions]
    }
}

/// One snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub post_id: i64,
    /// UTC.
    pub captured_at: String,
    #[serde(flatten)]
    pub counts: Counts,
    /// `manual` or `csv:<file name>`.
    pub source: String,
}

/// A post's newest snapshot with what reports group by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostMetrics {
    pub post_id: i64,
    pub variant_id: i64,
    pub master_id: i64,
    pub master_path: String,
    /// The variant's profile (`douyin`, `xiaohongshu`, `douyin-notes` …).
    pub platform: String,
    pub kind: String,
    pub account_id: Option<i64>,
    pub account_handle: Option<String>,
    pub account_platform: Option<String>,
    pub title: String,
    /// Seconds, for video variants.
    pub duration: Option<f64>,
    pub captured_at: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// The seven count columns, in `Counts` order, from column `first` on.
fn counts_from(r: &Row, first: usize) -> Result<Counts> {
    Ok(Counts {
        views: r.get(first)?,
        likes: r.get(first + 1)?,
        comments: r.get(first + 2)?,
        shares: r.get(first + 3)?,
        favorites: r.get(first + 4)?,
        followers: r.get(first + 5)?,
        conversions: r.get(first + 6)?,
    })
}

impl Store {
    /// Saves a snapshot; the same post and time replaces the earlier figures
    /// (re-importing a file changes nothing). Returns true when it was new.
    pub fn record_metrics(&self, post_id: i64, captured_at: &str, counts: &Counts, source: &str) -> Result<bool> {
        let status: Option<String> =
            self.db.opt("SELECT status FROM posts WHERE id = ?1", args![post_id])?.map(|r| r.get(0)).transpose()?;
        match status.as_deref() {
            None => return Err(EngineError::NotFound { what: "post", id: post_id }),
            Some("published") => {}
            Some(other) => {
                return Err(EngineError::Forbidden(
                    Notice::new(
                        "metrics.not_published",
                        format!("post {post_id} is {other}; mark it published before recording its figures"),
                    )
                    .with("post", post_id),
                ));
            }
        }
        if counts.is_empty() {
            return Err(EngineError::Refused(Notice::new("metrics.none_given", "no figures given")));
        }
        if counts.values().iter().flatten().any(|v| *v < 0) {
            return Err(EngineError::Refused(Notice::new("metrics.negative", "figures cannot be negative")));
        }
        let existed: bool = self
            .db
            .row(
                "SELECT EXISTS (SELECT 1 FROM metric_snapshots WHERE post_id = ?1 AND captured_at = ?2)",
                args![post_id, captured_at],
            )?
            .get(0)?;
        let c = counts;
        self.db.execute(
            "INSERT INTO metric_snapshots
                 (post_id, captured_at, views, likes, comments, shares, favorites, followers, conversions, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (post_id, captured_at) DO UPDATE SET
                 views = excluded.views, likes = excluded.likes, comments = excluded.comments,
                 shares = excluded.shares, favorites = excluded.favorites, followers = excluded.followers,
                 conversions = excluded.conversions, source = excluded.source",
            args![
                post_id,
                captured_at,
                c.views,
                c.likes,
                c.comments,
                c.shares,
                c.favorites,
                c.followers,
                c.conversions,
                source
            ],
        )?;
        Ok(!existed)
    }

    pub fn snapshots(&self, post_id: i64) -> Result<Vec<Snapshot>> {
        self.db
            .query(
                "SELECT post_id, captured_at, views, likes, comments, shares, favorites, followers, conversions, source
                 FROM metric_snapshots WHERE post_id = ?1 ORDER BY captured_at",
                args![post_id],
            )?
            .iter()
            .map(|r| {
                Ok(Snapshot {
                    post_id: r.get(0)?,
                    captured_at: r.get(1)?,
                    counts: counts_from(r, 2)?,
                    source: r.get(9)?,
                })
            })
            .collect()
    }

    /// Every post's newest snapshot (posts without figures are left out).
    pub fn latest_metrics(&self) -> Result<Vec<PostMetrics>> {
        // The plan's duration, read by each engine's JSON functions.
        let duration = match self.db.engine() {
            Engine::Sqlite => "json_extract(v.plan_json, '$.duration')",
            Engine::Postgres => "(v.plan_json::json ->> 'duration')::double precision",
        };
        let rows = self.db.query(
            &format!("SELECT p.id, p.variant_id, v.master_id, m.path, v.platform, v.kind, p.account_id, a.handle, a.platform,
                    v.title, {duration}, s.captured_at,
                    s.views, s.likes, s.comments, s.shares, s.favorites, s.followers, s.conversions
             FROM metric_snapshots s
             JOIN posts p ON p.id = s.post_id
             JOIN variants v ON v.id = p.variant_id
             JOIN masters m ON m.id = v.master_id
             LEFT JOIN accounts a ON a.id = p.account_id
             WHERE s.captured_at = (SELECT MAX(captured_at) FROM metric_snapshots WHERE post_id = s.post_id)
             ORDER BY p.id"),
            args![],
        )?;
        rows.iter()
            .map(|r| {
                Ok(PostMetrics {
                    post_id: r.get(0)?,
                    variant_id: r.get(1)?,
                    master_id: r.get(2)?,
                    master_path: r.get(3)?,
                    platform: r.get(4)?,
                    kind: r.get(5)?,
                    account_id: r.get(6)?,
                    account_handle: r.get(7)?,
                    account_platform: r.get(8)?,
                    title: r.get(9)?,
                    duration: r.get(10)?,
                    captured_at: r.get(11)?,
                    counts: counts_from(r, 12)?,
                })
            })
            .collect()
    }

    /// The post published at `url`, if any (CSV rows may name posts by link).
    pub fn post_by_url(&self, url: &str) -> Result<Option<i64>> {
        self.db
            .opt("SELECT id FROM posts WHERE url = ?1 ORDER BY id DESC LIMIT 1", args![url.trim()])?
            .map(|r| r.get(0))
            .transpose()
    }
}
