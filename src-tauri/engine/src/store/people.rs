//! Who edits, who reviews. In a solo studio these are local profiles and
//! the audit trail records the name a command was given; in a team database
//! they are the server's logins and their membership of `studio_editor`,
//! `studio_reviewer` or `studio_admin`, and the server records who acted.

use serde::{Deserialize, Serialize};

use super::Store;
use super::audit::{AuditRecord, append};
use super::db::{Db, Engine, Row, args};
use crate::error::{EngineError, Result};
use crate::message::Notice;

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
            _ => Err(EngineError::Refused(
                Notice::new("person.unknown_role", format!("unknown role `{s}`; use editor, reviewer or admin"))
                    .with("role", s),
            )),
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
            return Err(EngineError::Refused(Notice::new("person.name_needed", "a person needs a name")));
        }
        if self.db.engine() == Engine::Postgres {
            return Err(EngineError::Refused(Notice::new(
                "team.members_are_logins",
                "a team's members are logins on its server; an admin adds them with `studio team add-member NAME --role ROLE`",
            )));
        }
        self.db.act("add_person", |tx| {
            let id: i64 = tx
                .row("INSERT INTO people (name, role) VALUES (?1, ?2) RETURNING id", args![name, role.as_str()])
                .map_err(|e| {
                    if e.is_duplicate() {
                        EngineError::Refused(
                            Notice::new("person.exists", format!("{name} already exists")).with("person", name),
                        )
                    } else {
                        e
                    }
                })?
                .get(0)?;
            person_added(tx, actor, id, name, role)?;
            Ok(Person { id, name: name.to_owned(), role })
        })
    }

    /// Adds a member to a team database: a login with `password` and `role`
    /// (the admin's act; the server refuses anyone else). Only the password's
    /// SCRAM-SHA-256 verifier is sent.
    pub fn add_member(&mut self, name: &str, role: Role, password: &str) -> Result<Person> {
        let name = name.trim();
        if self.db.engine() != Engine::Postgres {
            return Err(EngineError::Refused(Notice::new(
                "team.members_need_team",
                "members belong to a team database; a solo studio uses `studio people add`",
            )));
        }
        if name.is_empty() || name.len() > 63 || name.starts_with("pg_") || name.starts_with("studio_") {
            return Err(EngineError::Refused(
                Notice::new(
                    "team.bad_login",
                    format!("`{name}` cannot be a login name: use 1 to 63 bytes, not starting with pg_ or studio_"),
                )
                .with("login", name),
            ));
        }
        if password.chars().count() < 8 {
            return Err(EngineError::Refused(Notice::new(
                "team.short_password",
                "a member's password needs at least 8 characters",
            )));
        }
        let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
        self.db.act("add_member", |tx| {
            let id: i64 =
                tx.row("SELECT studio_add_member(?1, ?2, ?3)", args![name, role.as_str(), verifier])?.get(0)?;
            person_added(tx, "", id, name, role)?;
            Ok(Person { id, name: name.to_owned(), role })
        })
    }

    /// Who this connection acts as, on a team database: the server's login.
    pub fn me(&self) -> Result<Option<Person>> {
        if self.db.engine() != Engine::Postgres {
            return Ok(None);
        }
        let login: String = self.db.row("SELECT session_user::text", args![])?.get(0)?;
        if let Some(r) = self.db.opt("SELECT id, name, role FROM people WHERE name = ?1", args![login])? {
            return Ok(Some(person_from(&r)?));
        }
        // The database's owner (who set it up) is an admin without being a member.
        let r = self.db.row("SELECT studio_me(), studio_is('studio_admin')", args![])?;
        match (r.get::<Option<i64>>(0)?, r.get::<bool>(1)?) {
            (Some(id), true) => Ok(Some(Person { id, name: login, role: Role::Admin })),
            _ => Err(EngineError::Forbidden(
                Notice::new(
                    "team.not_member",
                    format!(
                        "the login `{login}` is not a member of this team (no studio_editor, studio_reviewer or studio_admin role); ask your admin"
                    ),
                )
                .with("login", &login),
            )),
        }
    }

    /// The person called `name`, or an error that says how to add them.
    pub fn person(&self, name: &str) -> Result<Person> {
        self.db
            .opt("SELECT id, name, role FROM people WHERE name = ?1", args![name.trim()])?
            .map(|r| person_from(&r))
            .unwrap_or_else(|| {
                Err(EngineError::Refused(
                    Notice::new(
                        "person.unknown",
                        format!(
                            "nobody called `{name}` is set up; add them with `studio people add NAME --role editor|reviewer|admin`"
                        ),
                    )
                    .with("person", name),
                ))
            })
    }

    pub fn people(&self) -> Result<Vec<Person>> {
        self.db.query("SELECT id, name, role FROM people ORDER BY id", args![])?.iter().map(person_from).collect()
    }
}

/// The audit row of a new person (on a team database the server names who added them).
fn person_added(tx: &Db, actor: &str, id: i64, name: &str, role: Role) -> Result<()> {
    let detail = serde_json::json!({ "name": name, "role": role.as_str() });
    let record = AuditRecord {
        actor,
        action: "person_added",
        entity: "person",
        entity_id: Some(id),
        detail,
        ..AuditRecord::default()
    };
    append(tx, &record).map(drop)
}

fn person_from(r: &Row) -> Result<Person> {
    Ok(Person { id: r.get(0)?, name: r.get(1)?, role: r.get::<String>(2)?.parse()? })
}
