//! Local profiles: who edits, who reviews. No server; the audit trail
//! records who did what.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use super::Store;
use super::audit::{AuditRecord, append};
use crate::error::{EngineError, Result};

/// What a person may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Prepares variants and sends them to review.
    Editor,
    /// Approves or sends back other people's variants.
    Reviewer,
    /// Everything, including approving their own work (a solo advisor).
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Editor => "editor",
            Self::Reviewer => "reviewer",
            Self::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = EngineError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "editor" => Ok(Self::Editor),
            "reviewer" => Ok(Self::Reviewer),
            "admin" => Ok(Self::Admin),
            _ => Err(EngineError::InvalidArgument(format!("unknown role `{s}`; use editor, reviewer or admin"))),
        }
    }
}

/// A local profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

impl Store {
    /// Adds a person; `actor` is who did it (or `setup` for the first one).
    pub fn add_person(&mut self, name: &str, role: Role, actor: &str) -> Result<Person> {
        let name = name.trim();
        if name.is_empty() {
            return Err(EngineError::InvalidArgument("a person needs a name".into()));
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("INSERT INTO people (name, role) VALUES (?1, ?2)", params![name, role.as_str()]).map_err(
            |e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    EngineError::InvalidArgument(format!("{name} already exists"))
                }
                other => other.into(),
            },
        )?;
        let id = tx.last_insert_rowid();
        append(
            &tx,
            &AuditRecord {
                actor,
                action: "person_added",
                entity: "person",
                entity_id: Some(id),
                detail: serde_json::json!({ "name": name, "role": role.as_str() }),
                ..AuditRecord::default()
            },
        )?;
        tx.commit()?;
        Ok(Person { id, name: name.to_owned(), role })
    }

    /// The person called `name`, or an error that says how to add them.
    pub fn person(&self, name: &str) -> Result<Person> {
        self.conn
            .query_row("SELECT id, name, role FROM people WHERE name = ?1", [name.trim()], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })
            .optional()?
            .map(|(id, name, role)| Ok(Person { id, name, role: role.parse()? }))
            .unwrap_or_else(|| {
                Err(EngineError::InvalidArgument(format!(
                    "nobody called `{name}` is set up; add them with `studio people add NAME --role editor|reviewer|admin`"
                )))
            })
    }

    pub fn people(&self) -> Result<Vec<Person>> {
        let mut stmt = self.conn.prepare("SELECT id, name, role FROM people ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
        rows.map(|r| {
            let (id, name, role) = r?;
            Ok(Person { id, name, role: role.parse()? })
        })
        .collect()
    }
}
