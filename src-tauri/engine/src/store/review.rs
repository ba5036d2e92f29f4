//! The review workflow, enforced here (and by triggers in the schema), not
//! only in a UI: draft → in review → approved | changes requested. Every
//! state change is written with its audit row in one transaction.

use serde::{Deserialize, Serialize};

use super::Store;
use super::audit::{AuditRecord, append};
use super::db::{Db, args};
use super::people::{Person, Role};
use crate::compliance::{Finding, Severity};
use crate::error::{EngineError, Result};
use crate::message::Notice;

/// Where a variant is in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Draft,
    InReview,
    Approved,
    ChangesRequested,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in_review",
            Self::Approved => "approved",
            Self::ChangesRequested => "changes_requested",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "in_review" => Self::InReview,
            "approved" => Self::Approved,
            "changes_requested" => Self::ChangesRequested,
            _ => Self::Draft,
        }
    }
}

/// Everything a variant would publish, as reviewed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantContent {
    pub id: i64,
    pub platform: String,
    pub kind: String,
    pub review_state: ReviewState,
    pub author_id: Option<i64>,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub plan_json: String,
    /// SHA-256 of the newest finished render, if any.
    pub output_sha256: Option<String>,
    pub approved_hash: Option<String>,
    /// The AI-content mark that applies: the variant's own, else its master's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai: Option<crate::ai_label::AiMark>,
}

impl VariantContent {
    /// Covers texts, settings and output: any change makes a new hash.
    pub fn content_hash(&self) -> String {
        let mut canonical = serde_json::json!({
            "title": self.title, "body": self.body, "tags": self.tags,
            "plan": self.plan_json, "output": self.output_sha256,
        });
        // Only when marked, so the hashes of everything approved before
        // marks existed stay what they were.
        if let Some(ai) = &self.ai {
            canonical["ai"] = serde_json::json!(ai);
        }
        crate::digest::sha256_hex(canonical.to_string().as_bytes())
    }
}

/// A finding as recorded at submission, with its override if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFinding {
    pub id: i64,
    pub finding: Finding,
    pub override_reason: Option<String>,
    pub overridden_by: Option<String>,
}

/// A reviewer's written reason to accept a blocking finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Override {
    /// The rule whose findings this accepts.
    pub rule_id: String,
    pub reason: String,
}

pub(super) fn load_content(db: &Db, id: i64) -> Result<VariantContent> {
    let r = db
        .opt(
            "SELECT v.id, v.platform, v.kind, v.review_state, v.author_id, v.title, v.body, v.tags_json, v.plan_json,
                    v.approved_hash,
                    (SELECT sha256 FROM render_jobs j WHERE j.variant_id = v.id AND j.state = 'done' ORDER BY j.id DESC LIMIT 1),
                    COALESCE(v.ai_json, m.ai_json)
             FROM variants v JOIN masters m ON m.id = v.master_id WHERE v.id = ?1",
            args![id],
        )?
        .ok_or(EngineError::NotFound { what: "variant", id })?;
    Ok(VariantContent {
        id: r.get(0)?,
        platform: r.get(1)?,
        kind: r.get(2)?,
        review_state: ReviewState::parse(&r.get::<String>(3)?),
        author_id: r.get(4)?,
        title: r.get(5)?,
        body: r.get(6)?,
        tags: serde_json::from_str(&r.get::<String>(7)?).unwrap_or_default(),
        plan_json: r.get(8)?,
        approved_hash: r.get(9)?,
        output_sha256: r.get(10)?,
        ai: r.get::<Option<String>>(11)?.map(|j| serde_json::from_str(&j)).transpose()?,
    })
}

fn set_state(db: &Db, id: i64, state: ReviewState, approved_hash: Option<&str>) -> Result<()> {
    db.execute(
        "UPDATE variants SET review_state = ?2, approved_hash = ?3, updated_at = {now} WHERE id = ?1",
        args![id, state.as_str(), approved_hash],
    )?;
    Ok(())
}

/// Sends a variant to review inside the caller's transaction (see [`Store::submit_for_review`]).
pub(super) fn submit_in(tx: &Db, id: i64, actor: &Person, scanned_hash: &str, findings: &[Finding]) -> Result<()> {
    let v = load_content(tx, id)?;
    if !matches!(v.review_state, ReviewState::Draft | ReviewState::ChangesRequested) {
        return Err(EngineError::Forbidden(
            Notice::new(
                "review.submit_not_draft",
                format!("variant {id} is {}; only drafts can be sent to review", v.review_state.as_str()),
            )
            .with("variant", id),
        ));
    }
    if v.kind == "video" && v.output_sha256.is_none() {
        return Err(EngineError::Forbidden(
            Notice::new(
                "review.not_rendered",
                format!("variant {id} has not been rendered; reviewers approve the rendered file"),
            )
            .with("variant", id),
        ));
    }
    let hash = v.content_hash();
    if hash != scanned_hash {
        return Err(EngineError::Forbidden(
            Notice::new(
                "review.changed_while_checked",
                format!("variant {id} changed while it was being checked; check it again"),
            )
            .with("variant", id),
        ));
    }
    tx.execute("DELETE FROM review_findings WHERE variant_id = ?1", args![id])?;
    for f in findings {
        tx.execute(
                "INSERT INTO review_findings (variant_id, content_hash, finding_json, severity, rule_id) VALUES (?1, ?2, ?3, ?4, ?5)",
                args![id, hash, serde_json::to_string(f)?, serde_json::to_value(f.severity)?.as_str(), f.rule_id],
            )?;
    }
    set_state(tx, id, ReviewState::InReview, None)?;
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    append(
        tx,
        &AuditRecord {
            actor: &actor.name,
            action: "submit",
            entity: "variant",
            entity_id: Some(id),
            detail: serde_json::json!({
                "from": v.review_state.as_str(), "to": "in_review",
                "findings": { "block": count(Severity::Block), "warn": count(Severity::Warn), "info": count(Severity::Info) },
            }),
            before_hash: Some(&hash),
            after_hash: Some(&hash),
        },
    )?;
    Ok(())
}

impl Store {
    pub fn variant_content(&self, id: i64) -> Result<VariantContent> {
        load_content(&self.db, id)
    }

    /// Records who made a variant (the person who may not approve it).
    pub fn set_author(&self, variant_id: i64, person: &Person) -> Result<()> {
        self.db.execute("UPDATE variants SET author_id = ?2 WHERE id = ?1", args![variant_id, person.id])?;
        Ok(())
    }

    /// The findings recorded when the variant was last submitted.
    pub fn findings(&self, variant_id: i64) -> Result<Vec<StoredFinding>> {
        self.db
            .query(
                "SELECT id, finding_json, override_reason, overridden_by FROM review_findings WHERE variant_id = ?1 ORDER BY id",
                args![variant_id],
            )?
            .iter()
            .map(|r| {
                Ok(StoredFinding {
                    id: r.get(0)?,
                    finding: serde_json::from_str(&r.get::<String>(1)?)?,
                    override_reason: r.get(2)?,
                    overridden_by: r.get(3)?,
                })
            })
            .collect()
    }

    /// Draft or sent back → in review, with the findings of a scan of exactly
    /// the content whose hash is `scanned_hash`.
    pub fn submit_for_review(
        &mut self,
        id: i64,
        actor: &Person,
        scanned_hash: &str,
        findings: &[Finding],
    ) -> Result<()> {
        self.db.act("submit", |tx| submit_in(tx, id, actor, scanned_hash, findings))
    }

    /// In review → approved. Reviewers and admins only; nobody but an admin
    /// approves their own variant; each blocking finding needs an override.
    pub fn approve(&mut self, id: i64, actor: &Person, overrides: &[Override]) -> Result<()> {
        self.approve_seen(id, actor, overrides, None)
    }

    /// [`Store::approve`], refused unless the variant is still what the
    /// reviewer was shown: `seen` is the content hash (text, settings and the
    /// rendered file's SHA-256) the review screen showed.
    pub fn approve_seen(&mut self, id: i64, actor: &Person, overrides: &[Override], seen: Option<&str>) -> Result<()> {
        self.db.act("approve", |tx| {
            let v = load_content(tx, id)?;
            if let Some(seen) = seen
                && v.content_hash() != seen
            {
                return Err(EngineError::StaleView { variant: id });
            }
            if v.review_state != ReviewState::InReview {
                return Err(EngineError::Forbidden(
                    Notice::new(
                        "review.approve_not_in_review",
                        format!("variant {id} is {}; only variants in review can be approved", v.review_state.as_str()),
                    )
                    .with("variant", id),
                ));
            }
            if actor.role == Role::Editor {
                return Err(EngineError::Forbidden(
                    Notice::new(
                        "review.editor_cannot_approve",
                        format!("{} is an editor; approval needs a reviewer or an admin", actor.name),
                    )
                    .with("person", &actor.name),
                ));
            }
            let own = v.author_id == Some(actor.id);
            if own && actor.role != Role::Admin {
                return Err(EngineError::Forbidden(
                    Notice::new(
                        "review.own_work",
                        format!("{} made variant {id} and cannot approve it; ask another reviewer", actor.name),
                    )
                    .with("person", &actor.name)
                    .with("variant", id),
                ));
            }
            let hash = v.content_hash();
            let stored: Vec<(i64, String, String, String)> = tx
                .query(
                    "SELECT id, rule_id, severity, content_hash FROM review_findings WHERE variant_id = ?1 ORDER BY id",
                    args![id],
                )?
                .iter()
                .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .collect::<Result<_>>()?;
            // The submission's own record too: a variant submitted without
            // findings has none to compare.
            let submitted: Option<String> = tx
                .opt(
                    "SELECT after_hash FROM audit_log WHERE entity = 'variant' AND entity_id = ?1 AND action = 'submit'
                     ORDER BY id DESC LIMIT 1",
                    args![id],
                )?
                .map(|r| r.get(0))
                .transpose()?
                .flatten();
            if stored.iter().any(|(_, _, _, h)| *h != hash) || submitted.is_some_and(|s| s != hash) {
                return Err(EngineError::Forbidden(
                    Notice::new("review.changed_after_submit", format!("variant {id} changed after it was submitted; submit it again"))
                        .with("variant", id),
                ));
            }
            let reason_for = |rule: &str| overrides.iter().find(|o| o.rule_id == rule && !o.reason.trim().is_empty());
            let missing: Vec<&str> = stored
                .iter()
                .filter(|(_, rule, sev, _)| sev == "block" && reason_for(rule).is_none())
                .map(|(_, rule, _, _)| rule.as_str())
                .collect();
            if !missing.is_empty() {
                let mut missing = missing;
                missing.dedup();
                return Err(EngineError::Forbidden(
                    Notice::new(
                        "review.blocking_findings",
                        format!(
                            "variant {id} has blocking findings ({}); fix them, or override each with a written reason",
                            missing.join(", ")
                        ),
                    )
                    .with("variant", id)
                    .with("rules", missing.join(", ")),
                ));
            }
            for (finding_id, rule, sev, _) in stored.iter().filter(|(_, _, sev, _)| sev == "block") {
                let Some(o) = reason_for(rule) else { continue };
                tx.execute(
                    "UPDATE review_findings SET override_reason = ?2, overridden_by = ?3, overridden_at = {now} WHERE id = ?1",
                    args![finding_id, o.reason.trim(), actor.name],
                )?;
                append(
                    tx,
                    &AuditRecord {
                        actor: &actor.name,
                        action: "override",
                        entity: "variant",
                        entity_id: Some(id),
                        detail: serde_json::json!({ "finding": finding_id, "rule": rule, "severity": sev, "reason": o.reason.trim() }),
                        before_hash: Some(&hash),
                        after_hash: Some(&hash),
                    },
                )?;
            }
            set_state(tx, id, ReviewState::Approved, Some(&hash))?;
            append(
                tx,
                &AuditRecord {
                    actor: &actor.name,
                    action: "approve",
                    entity: "variant",
                    entity_id: Some(id),
                    detail: serde_json::json!({ "from": "in_review", "to": "approved", "own_work": own, "role": actor.role.as_str() }),
                    before_hash: Some(&hash),
                    after_hash: Some(&hash),
                },
            )?;
                Ok(())
        })?;
        self.anchor_head(super::anchor::AnchorKind::Anchor);
        Ok(())
    }

    /// In review → changes requested, with the reviewer's reason.
    pub fn request_changes(&mut self, id: i64, actor: &Person, reason: &str) -> Result<()> {
        if reason.trim().is_empty() {
            return Err(EngineError::Refused(Notice::new("review.reason_needed", "say what should change (--reason)")));
        }
        self.db.act("request_changes", |tx| {
            let v = load_content(tx, id)?;
            if v.review_state != ReviewState::InReview {
                return Err(EngineError::Forbidden(
                    Notice::new(
                        "review.return_not_in_review",
                        format!("variant {id} is {}; only variants in review can be sent back", v.review_state.as_str()),
                    )
                    .with("variant", id),
                ));
            }
            if actor.role == Role::Editor {
                return Err(EngineError::Forbidden(
                    Notice::new(
                        "review.editor_cannot_review",
                        format!("{} is an editor; reviews need a reviewer or an admin", actor.name),
                    )
                    .with("person", &actor.name),
                ));
            }
            let hash = v.content_hash();
            set_state(tx, id, ReviewState::ChangesRequested, None)?;
            append(
                tx,
                &AuditRecord {
                    actor: &actor.name,
                    action: "request_changes",
                    entity: "variant",
                    entity_id: Some(id),
                    detail: serde_json::json!({ "from": "in_review", "to": "changes_requested", "reason": reason.trim() }),
                    before_hash: Some(&hash),
                    after_hash: Some(&hash),
                },
            )?;
                Ok(())
        })
    }

    /// Changes a variant's title, body and tags; an approved or in-review
    /// variant goes back to draft (the schema's trigger does it too).
    pub fn edit_variant_text(
        &mut self,
        id: i64,
        actor: &Person,
        title: &str,
        body: &str,
        tags: &[String],
    ) -> Result<()> {
        self.db.act("edit", |tx| {
            let before = load_content(tx, id)?;
            tx.execute(
                "UPDATE variants SET title = ?2, body = ?3, tags_json = ?4, updated_at = {now} WHERE id = ?1",
                args![id, title, body, serde_json::to_string(tags)?],
            )?;
            let after = load_content(tx, id)?;
            let (b, a) = (before.content_hash(), after.content_hash());
            append(
                tx,
                &AuditRecord {
                    actor: &actor.name,
                    action: "edit",
                    entity: "variant",
                    entity_id: Some(id),
                    detail: serde_json::json!({
                        "fields": ["title", "body", "tags"],
                        "from": before.review_state.as_str(), "to": after.review_state.as_str(),
                    }),
                    before_hash: Some(&b),
                    after_hash: Some(&a),
                },
            )?;
            Ok(())
        })
    }
}

/// Who approved a variant's current content, with what overrides, and the
/// audit row that records it (its hash anchors the record in the chain).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    pub reviewer: String,
    pub role: String,
    pub approved_at: String,
    pub own_work: bool,
    pub content_hash: String,
    pub overrides: Vec<OverrideRecord>,
    pub audit_id: i64,
    pub audit_hash: String,
}

/// A blocking finding a reviewer accepted, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverrideRecord {
    pub rule_id: String,
    pub reason: String,
    pub by: String,
    pub at: String,
}

impl Store {
    /// The approval of the variant's current content, if it is approved.
    pub fn approval_record(&self, variant_id: i64) -> Result<Option<ApprovalRecord>> {
        let v = load_content(&self.db, variant_id)?;
        let hash = v.content_hash();
        if v.review_state != ReviewState::Approved || v.approved_hash.as_deref() != Some(hash.as_str()) {
            return Ok(None);
        }
        let Some(row) = self.db.opt(
            "SELECT id, at, actor, detail, hash FROM audit_log
             WHERE entity = 'variant' AND entity_id = ?1 AND action = 'approve' AND after_hash = ?2
             ORDER BY id DESC LIMIT 1",
            args![variant_id, hash],
        )?
        else {
            return Ok(None);
        };
        let (audit_id, approved_at, reviewer, detail, audit_hash): (i64, String, String, String, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?);
        let detail: serde_json::Value = serde_json::from_str(&detail)?;
        let overrides = {
            let mut list: Vec<OverrideRecord> = self
                .db
                .query(
                    "SELECT rule_id, override_reason, overridden_by, overridden_at FROM review_findings
                     WHERE variant_id = ?1 AND content_hash = ?2 AND override_reason IS NOT NULL ORDER BY id",
                    args![variant_id, hash],
                )?
                .iter()
                .map(|r| Ok(OverrideRecord { rule_id: r.get(0)?, reason: r.get(1)?, by: r.get(2)?, at: r.get(3)? }))
                .collect::<Result<_>>()?;
            list.dedup_by(|a, b| a.rule_id == b.rule_id && a.reason == b.reason);
            list
        };
        Ok(Some(ApprovalRecord {
            reviewer,
            role: detail["role"].as_str().unwrap_or_default().to_owned(),
            approved_at,
            own_work: detail["own_work"].as_bool().unwrap_or(false),
            content_hash: hash,
            overrides,
            audit_id,
            audit_hash,
        }))
    }
}
