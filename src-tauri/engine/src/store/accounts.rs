//! Accounts a team posts from (many per platform) and their cadence rules.

use serde::{Deserialize, Serialize};

use super::Store;
use super::audit::{AuditRecord, append};
use super::db::{Db, args};
use crate::error::{EngineError, Result};
use crate::message::Notice;
use crate::schedule::Cadence;

/// One account on one platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    /// A platform id whose profile has no `account_platform` (e.g. `douyin`).
    pub platform: String,
    /// What the platform shows, e.g. 理财小王.
    pub name: String,
    /// The unique handle or platform id of the account.
    pub handle: String,
    /// Who runs it (a person's name or a team).
    pub owner: Option<String>,
    /// Closing line for captions, e.g. 更多干货去小红书搜 理财小王.
    pub cross_line: Option<String>,
    pub cadence: Vec<Cadence>,
}

/// What a new account needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAccount {
    pub platform: String,
    pub name: String,
    pub handle: String,
    pub owner: Option<String>,
    pub cross_line: Option<String>,
}

fn cadence_of(db: &Db, account_id: i64) -> Result<Vec<Cadence>> {
    db.query("SELECT rule FROM cadence_rules WHERE account_id = ?1 ORDER BY id", args![account_id])?
        .iter()
        .map(|r| r.get::<String>(0)?.parse())
        .collect()
}

pub(super) fn load_account(db: &Db, id: i64) -> Result<Account> {
    let r = db
        .opt("SELECT id, platform, name, handle, owner, cross_line FROM accounts WHERE id = ?1", args![id])?
        .ok_or(EngineError::NotFound { what: "account", id })?;
    Ok(Account {
        id: r.get(0)?,
        platform: r.get(1)?,
        name: r.get(2)?,
        handle: r.get(3)?,
        owner: r.get(4)?,
        cross_line: r.get(5)?,
        cadence: cadence_of(db, id)?,
    })
}

impl Store {
    /// Adds an account; the platform id is checked by the caller against the catalog.
    pub fn add_account(&mut self, new: &NewAccount, actor: &str) -> Result<Account> {
        if new.name.trim().is_empty() {
            return Err(EngineError::Refused(Notice::new("account.name_needed", "an account needs a name")));
        }
        if new.handle.trim().is_empty() {
            return Err(EngineError::Refused(Notice::new("account.handle_needed", "an account needs a handle")));
        }
        self.db.act("add_account", |tx| {
            let taken: Option<i64> = tx
                .opt("SELECT id FROM accounts WHERE platform = ?1 AND handle = ?2", args![new.platform, new.handle.trim()])?
                .map(|r| r.get(0))
                .transpose()?;
            if let Some(id) = taken {
                return Err(EngineError::Refused(
                    Notice::new(
                        "account.exists",
                        format!("{} already has an account `{}` (account {id})", new.platform, new.handle.trim()),
                    )
                    .with("platform", &new.platform)
                    .with("handle", new.handle.trim())
                    .with("account", id),
                ));
            }
            let id: i64 = tx
                .row(
                    "INSERT INTO accounts (platform, name, handle, owner, cross_line) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                    args![new.platform, new.name.trim(), new.handle.trim(), new.owner, new.cross_line],
                )?
                .get(0)?;
            append(
                tx,
                &AuditRecord {
                    actor,
                    action: "add_account",
                    entity: "account",
                    entity_id: Some(id),
                    detail: serde_json::to_value(new)?,
                    ..Default::default()
                },
            )?;
            load_account(tx, id)
        })
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        let ids: Vec<i64> = self
            .db
            .query("SELECT id FROM accounts ORDER BY platform, id", args![])?
            .iter()
            .map(|r| r.get(0))
            .collect::<Result<_>>()?;
        ids.into_iter().map(|id| load_account(&self.db, id)).collect()
    }

    pub fn account(&self, id: i64) -> Result<Account> {
        load_account(&self.db, id)
    }

    /// Finds an account by id, handle, or `platform:handle` when a handle is
    /// used on several platforms.
    pub fn find_account(&self, reference: &str) -> Result<Account> {
        if let Ok(id) = reference.parse::<i64>() {
            return self.account(id);
        }
        let (platform, handle) = match reference.split_once(':') {
            Some((p, h)) => (Some(p), h),
            None => (None, reference),
        };
        let ids: Vec<i64> = self
            .db
            .query(
                "SELECT id FROM accounts WHERE handle = ?1 AND (CAST(?2 AS TEXT) IS NULL OR platform = ?2)",
                args![handle, platform],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect::<Result<_>>()?;
        match ids.as_slice() {
            [id] => self.account(*id),
            [] => Err(EngineError::Refused(
                Notice::new(
                    "account.unknown",
                    format!("no account `{reference}`; see `studio accounts` (or add one with `studio accounts add`)"),
                )
                .with("account", reference),
            )),
            _ => Err(EngineError::Refused(
                Notice::new(
                    "account.ambiguous",
                    format!("`{reference}` is a handle on several platforms; write it as platform:{handle}"),
                )
                .with("account", reference)
                .with("handle", handle),
            )),
        }
    }

    /// Replaces an account's cadence rules.
    pub fn set_cadence(&mut self, account_id: i64, rules: &[Cadence], actor: &str) -> Result<Account> {
        self.db.act("set_cadence", |tx| {
            let before = load_account(tx, account_id)?;
            tx.execute("DELETE FROM cadence_rules WHERE account_id = ?1", args![account_id])?;
            for rule in rules {
                tx.execute(
                    "INSERT INTO cadence_rules (account_id, rule) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    args![account_id, rule.to_string()],
                )?;
            }
            let text = |c: &[Cadence]| c.iter().map(ToString::to_string).collect::<Vec<_>>();
            append(
                tx,
                &AuditRecord {
                    actor,
                    action: "set_cadence",
                    entity: "account",
                    entity_id: Some(account_id),
                    detail: serde_json::json!({ "from": text(&before.cadence), "to": text(rules) }),
                    ..Default::default()
                },
            )?;
            load_account(tx, account_id)
        })
    }
}
