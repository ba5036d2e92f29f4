//! The audit trail: an append-only table in which every row's hash covers
//! its content and the previous row's hash, so an edited or deleted row
//! breaks the chain. Kept for the retention archive (futures marketing
//! rules: at least 20 years); exported as CSV or JSON.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Store;
use super::db::{Db, Engine, Row, args};
use crate::error::Result;

/// One audit row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    /// JSON with what changed and why.
    pub detail: String,
    pub before_hash: Option<String>,
    pub after_hash: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditVerdict {
    pub rows: usize,
    /// Hashes recorded outside the database that were compared.
    pub anchors: usize,
    /// Empty when the chain is intact.
    pub problems: Vec<String>,
}

/// The previous-hash of the first row.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What to append.
#[derive(Debug, Clone, Default)]
pub struct AuditRecord<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<i64>,
    pub detail: serde_json::Value,
    pub before_hash: Option<&'a str>,
    pub after_hash: Option<&'a str>,
}

fn entry_hash(e: &AuditEntry) -> String {
    let fields = [
        e.prev_hash.as_str(),
        &e.id.to_string(),
        &e.at,
        &e.actor,
        &e.action,
        &e.entity,
        &e.entity_id.map(|i| i.to_string()).unwrap_or_default(),
        &e.detail,
        e.before_hash.as_deref().unwrap_or(""),
        e.after_hash.as_deref().unwrap_or(""),
    ];
    let mut h = Sha256::new();
    for f in fields {
        h.update(f.as_bytes());
        h.update([0x1f]);
    }
    crate::digest::hex(&h.finalize())
}

const COLUMNS: &str = "id, at, actor, action, entity, entity_id, detail, before_hash, after_hash, prev_hash, hash";

/// Appends a row; call inside the transaction that makes the change it records.
/// On a team database the server numbers, times and chains the row and
/// records its own idea of who is connected (see the `audit_log` trigger),
/// so no member can write a row in someone else's name.
pub(super) fn append(db: &Db, r: &AuditRecord<'_>) -> Result<AuditEntry> {
    let detail = r.detail.to_string();
    if db.engine() == Engine::Postgres {
        let row = db.row(
            &format!(
                "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, before_hash, after_hash, prev_hash, hash)
                 VALUES ('', '', ?1, ?2, ?3, ?4, ?5, ?6, '', '') RETURNING {COLUMNS}"
            ),
            args![r.action, r.entity, r.entity_id, detail, r.before_hash, r.after_hash],
        )?;
        return from_row(&row);
    }
    let (prev_id, prev_hash) = head(db)?.unwrap_or((0, GENESIS.to_owned()));
    let at: String = db.row("SELECT {now}", args![])?.get(0)?;
    let mut entry = AuditEntry {
        id: prev_id + 1,
        at,
        actor: r.actor.to_owned(),
        action: r.action.to_owned(),
        entity: r.entity.to_owned(),
        entity_id: r.entity_id,
        detail,
        before_hash: r.before_hash.map(str::to_owned),
        after_hash: r.after_hash.map(str::to_owned),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry_hash(&entry);
    db.execute(
        &format!("INSERT INTO audit_log ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
        args![
            entry.id,
            entry.at,
            entry.actor,
            entry.action,
            entry.entity,
            entry.entity_id,
            entry.detail,
            entry.before_hash,
            entry.after_hash,
            entry.prev_hash,
            entry.hash
        ],
    )?;
    Ok(entry)
}

fn from_row(r: &Row) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        entity: r.get(4)?,
        entity_id: r.get(5)?,
        detail: r.get(6)?,
        before_hash: r.get(7)?,
        after_hash: r.get(8)?,
        prev_hash: r.get(9)?,
        hash: r.get(10)?,
    })
}

impl Store {
    /// The audit rows, oldest first; optionally only those about one entity.
    pub fn audit_entries(&self, about: Option<(&str, i64)>) -> Result<Vec<AuditEntry>> {
        let rows = match about {
            Some((entity, id)) => self.db.query(
                &format!("SELECT {COLUMNS} FROM audit_log WHERE entity = ?1 AND entity_id = ?2 ORDER BY id"),
                args![entity, id],
            )?,
            None => self.db.query(&format!("SELECT {COLUMNS} FROM audit_log ORDER BY id"), args![])?,
        };
        rows.iter().map(from_row).collect()
    }

    /// Recomputes the chain: an edited row no longer matches its hash, a
    /// deleted one leaves a gap in ids and a broken link. With a backup
    /// folder, also compares the hashes recorded outside the database.
    pub fn verify_audit(&self) -> Result<AuditVerdict> {
        let mut verdict = verify_chain(&self.db)?;
        if let Some(dir) = &self.anchor_dir {
            let (anchors, mut problems) = super::anchor::read(dir)?;
            problems.extend(super::anchor::check(&anchors, |id| {
                self.db
                    .opt("SELECT hash FROM audit_log WHERE id = ?1", args![id])
                    .ok()
                    .flatten()
                    .and_then(|r| r.get(0).ok())
            }));
            verdict.anchors = anchors.len();
            verdict.problems.extend(problems);
        }
        Ok(verdict)
    }

    /// The newest row's id and hash: what a package manifest and the anchor file record.
    pub fn audit_head(&self) -> Result<Option<(i64, String)>> {
        head(&self.db)
    }

    /// Appends the chain's head to the anchor file. The change it follows is
    /// already committed, so a failure here is logged, not returned.
    pub(super) fn anchor_head(&self, kind: super::anchor::AnchorKind) {
        let Some(dir) = &self.anchor_dir else { return };
        let result = head(&self.db)
            .and_then(|h| super::anchor::append(dir, kind, h.as_ref().map(|(id, hash)| (*id, hash.as_str()))));
        if let Err(e) = result {
            tracing::warn!(error = %e, code = e.code(), "could not record the audit chain's head outside the database");
        }
    }
}

fn head(db: &Db) -> Result<Option<(i64, String)>> {
    db.opt("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", args![])?
        .map(|r| Ok((r.get(0)?, r.get(1)?)))
        .transpose()
}

/// The chain check on any connection (a snapshot being verified, too).
pub(super) fn verify_chain(db: &Db) -> Result<AuditVerdict> {
    let entries = db
        .query(&format!("SELECT {COLUMNS} FROM audit_log ORDER BY id"), args![])?
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>>>()?;
    let mut problems = Vec::new();
    let mut prev = (0i64, GENESIS.to_owned());
    for e in &entries {
        if e.id != prev.0 + 1 {
            problems.push(format!("rows {}..{} are missing (deleted)", prev.0 + 1, e.id - 1));
        }
        if e.prev_hash != prev.1 {
            problems.push(format!("row {}: does not follow the row before it (chain broken)", e.id));
        }
        if entry_hash(e) != e.hash {
            problems.push(format!("row {}: content does not match its hash (edited)", e.id));
        }
        prev = (e.id, e.hash.clone());
    }
    Ok(AuditVerdict { rows: entries.len(), anchors: 0, problems })
}

/// CSV with a UTF-8 byte-order mark so spreadsheet apps read Chinese correctly.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
    };
    let mut out =
        String::from("\u{feff}id,at,actor,action,entity,entity_id,detail,before_hash,after_hash,prev_hash,hash\n");
    for e in entries {
        let cells = [
            e.id.to_string(),
            e.at.clone(),
            e.actor.clone(),
            e.action.clone(),
            e.entity.clone(),
            e.entity_id.map(|i| i.to_string()).unwrap_or_default(),
            e.detail.clone(),
            e.before_hash.clone().unwrap_or_default(),
            e.after_hash.clone().unwrap_or_default(),
            e.prev_hash.clone(),
            e.hash.clone(),
        ];
        out.push_str(&cells.iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}
