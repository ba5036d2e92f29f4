//! AI-content marks on masters and variants (see [`crate::ai_label`]). A
//! variant shows its own mark, else its master's; a variant cannot be
//! unmarked while its master is marked. Every change is in the audit trail,
//! and since the mark is part of a variant's content hash, an approval made
//! before it no longer holds.

use super::Store;
use super::audit::{AuditRecord, append};
use super::db::args;
use crate::ai_label::AiMark;
use crate::error::{EngineError, Result};

impl Store {
    /// Marks a master (`None`: clears its mark).
    pub fn set_master_ai(&self, master_id: i64, mark: Option<&AiMark>, actor: &str) -> Result<()> {
        self.set_mark("masters", "master", master_id, mark, actor)
    }

    /// Marks one variant (`None`: clears the variant's own mark; its master's still applies).
    pub fn set_variant_ai(&self, variant_id: i64, mark: Option<&AiMark>, actor: &str) -> Result<()> {
        self.set_mark("variants", "variant", variant_id, mark, actor)
    }

    /// The master's own mark.
    pub fn master_ai(&self, master_id: i64) -> Result<Option<AiMark>> {
        let row = self
            .db
            .opt("SELECT ai_json FROM masters WHERE id = ?1", args![master_id])?
            .ok_or(EngineError::NotFound { what: "master", id: master_id })?;
        row.get::<Option<String>>(0)?.map(|j| Ok(serde_json::from_str(&j)?)).transpose()
    }

    fn set_mark(&self, table: &str, entity: &str, id: i64, mark: Option<&AiMark>, actor: &str) -> Result<()> {
        let json = mark.map(serde_json::to_string).transpose()?;
        let what = if entity == "master" { "master" } else { "variant" };
        self.db.write(|tx| {
            let before: Option<String> = tx
                .opt(&format!("SELECT ai_json FROM {table} WHERE id = ?1"), args![id])?
                .ok_or(EngineError::NotFound { what, id })?
                .get(0)?;
            if before == json {
                return Ok(());
            }
            tx.execute(&format!("UPDATE {table} SET ai_json = ?2 WHERE id = ?1"), args![id, json])?;
            append(
                tx,
                &AuditRecord {
                    actor,
                    action: if mark.is_some() { "ai-mark" } else { "ai-unmark" },
                    entity,
                    entity_id: Some(id),
                    detail: serde_json::json!({
                        "before": before.as_deref().map(serde_json::from_str::<serde_json::Value>).transpose()?,
                        "after": mark,
                    }),
                    ..Default::default()
                },
            )?;
            Ok(())
        })
    }
}
