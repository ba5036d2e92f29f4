//! The publish queue: a rendered variant planned for an account and a time.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::Store;
use crate::error::{EngineError, Result};

/// Where a post is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Planned,
    Published,
    Failed,
    Cancelled,
}

/// A planned post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub id: i64,
    pub variant_id: i64,
    pub platform: String,
    pub account: Option<String>,
    pub caption: String,
    /// UTC, ISO 8601.
    pub scheduled_at: Option<String>,
    pub status: String,
}

/// A rendered variant that has no post yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadyVariant {
    pub variant_id: i64,
    pub platform: String,
    pub output_path: String,
    pub review_state: String,
}

impl Store {
    /// Puts a rendered variant in the publish queue.
    pub fn add_post(
        &self,
        variant_id: i64,
        account: Option<&str>,
        caption: &str,
        scheduled_at: Option<&str>,
    ) -> Result<i64> {
        let platform: String = self
            .conn
            .query_row("SELECT platform FROM variants WHERE id = ?1", [variant_id], |r| r.get(0))
            .map_err(|_| EngineError::NotFound { what: "variant", id: variant_id })?;
        let rendered: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM render_jobs WHERE variant_id = ?1 AND state = 'done')",
            [variant_id],
            |r| r.get(0),
        )?;
        if !rendered {
            return Err(EngineError::InvalidArgument(format!(
                "variant {variant_id} has not been rendered yet; render it before queueing it"
            )));
        }
        self.conn.execute(
            "INSERT INTO posts (variant_id, platform, account, caption, scheduled_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![variant_id, platform, account, caption, scheduled_at],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn posts(&self) -> Result<Vec<Post>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, variant_id, platform, account, caption, scheduled_at, status FROM posts
             ORDER BY scheduled_at IS NULL, scheduled_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Post {
                id: r.get(0)?,
                variant_id: r.get(1)?,
                platform: r.get(2)?,
                account: r.get(3)?,
                caption: r.get(4)?,
                scheduled_at: r.get(5)?,
                status: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Rendered variants waiting to be scheduled.
    pub fn ready_variants(&self) -> Result<Vec<ReadyVariant>> {
        let mut stmt = self.conn.prepare(
            "SELECT v.id, v.platform, j.output_path, v.review_state FROM variants v
             JOIN render_jobs j ON j.variant_id = v.id AND j.state = 'done'
             WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.variant_id = v.id AND p.status <> 'cancelled')
             ORDER BY v.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ReadyVariant {
                variant_id: r.get(0)?,
                platform: r.get(1)?,
                output_path: r.get(2)?,
                review_state: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
