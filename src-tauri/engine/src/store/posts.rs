//! The publish queue: a rendered variant planned for an account and a time.

use rusqlite::{TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use super::Store;
use super::audit::{AuditRecord, append};
use super::people::Person;
use super::review::ReviewState;
use crate::error::{EngineError, Result};

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
    /// Puts an approved variant in the publish queue. Refused unless it is
    /// approved and unchanged since approval (the schema refuses too).
    pub fn add_post(
        &mut self,
        variant_id: i64,
        actor: &Person,
        account: Option<&str>,
        caption: &str,
        scheduled_at: Option<&str>,
    ) -> Result<i64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let v = super::review::load_content(&tx, variant_id)?;
        if v.review_state != ReviewState::Approved {
            return Err(EngineError::NotAllowed(format!(
                "variant {variant_id} is {}; only approved variants can be queued (send it to review first)",
                v.review_state.as_str()
            )));
        }
        let hash = v.content_hash();
        if v.approved_hash.as_deref() != Some(hash.as_str()) {
            return Err(EngineError::NotAllowed(format!(
                "variant {variant_id} changed since it was approved; send it to review again"
            )));
        }
        tx.execute(
            "INSERT INTO posts (variant_id, platform, account, caption, scheduled_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![variant_id, v.platform, account, caption, scheduled_at],
        )?;
        let post_id = tx.last_insert_rowid();
        append(
            &tx,
            &AuditRecord {
                actor: &actor.name,
                action: "queue",
                entity: "variant",
                entity_id: Some(variant_id),
                detail: serde_json::json!({ "post": post_id, "account": account, "scheduled_at": scheduled_at, "caption": caption }),
                before_hash: Some(&hash),
                after_hash: Some(&hash),
            },
        )?;
        tx.commit()?;
        Ok(post_id)
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
