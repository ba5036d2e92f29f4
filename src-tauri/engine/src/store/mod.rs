//! The studio's database: projects, masters, variants, render jobs, review,
//! the publish queue and the audit trail. A solo studio keeps it in a local
//! SQLite file (WAL lets the CLI read while a render writes); a team shares
//! one PostgreSQL database. The same store code runs on both (see `db`).

mod accounts;
mod ai_marks;
pub mod anchor;
mod audit;
pub mod backup;
pub mod db;
pub mod health;
mod jobs;
mod library;
mod media;
mod metrics;
pub(crate) mod migrations;
pub mod paths;
mod people;
mod posts;
mod review;
mod subtitles;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use db::Db;

pub use accounts::{Account, NewAccount};
pub use audit::{AuditEntry, AuditVerdict, to_csv as audit_csv};
pub use health::Health;
pub use jobs::{JobState, RenderJob};
pub use library::{Arrival, Origin, VariantRow};
pub use metrics::{Counts, PostMetrics, Snapshot};
pub use migrations::LATEST as SCHEMA_VERSION;
pub use people::{Person, Role};
pub use posts::{CalendarEntry, CalendarFilter, DuePost, PlanRules, Post, ReadyVariant, Scheduled};
pub use review::{ApprovalRecord, Override, OverrideRecord, ReviewState, StoredFinding, VariantContent};
pub use subtitles::{CueEdit, MasterSubtitles};

use crate::error::{EngineError, Result};

/// An open database.
#[derive(Debug)]
pub struct Store {
    db: Db,
    path: PathBuf,
    /// This laptop's data folder: what `$STUDIO_DATA/` in a stored path means here.
    data_dir: PathBuf,
    /// Where the audit chain's head is also recorded (the backup folder).
    anchor_dir: Option<PathBuf>,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| EngineError::io(format!("creating {}", dir.display()), e))?;
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        migrations::migrate_sqlite(&mut conn)?;
        let data_dir = path.parent().unwrap_or(Path::new(".")).to_owned();
        Ok(Self { db: Db::sqlite(conn), path: path.to_owned(), data_dir, anchor_dir: None })
    }

    /// Connects to a team's PostgreSQL database (`postgresql://user@host/db`)
    /// as the person whose login the URL names, and brings its schema up to
    /// date when that person owns it. `data_dir` is this laptop's data folder.
    pub fn open_team(url: &str, data_dir: &Path) -> Result<Self> {
        Self::open_team_as(url, None, data_dir)
    }

    /// [`Store::open_team`] with the login's password given (else it comes from the URL or `PGPASSWORD`).
    pub fn open_team_as(url: &str, password: Option<&str>, data_dir: &Path) -> Result<Self> {
        let db = Db::postgres(url, password)?;
        if let Err(e) = migrations::migrate_postgres(&db) {
            let found = migrations::version(&db).unwrap_or(0);
            if found < SCHEMA_VERSION && e.code() == "not_allowed" {
                return Err(EngineError::Forbidden(
                    crate::message::Notice::new(
                        "team.schema_behind",
                        format!(
                            "the team database is at schema {found} and this Repurpose Studio needs {SCHEMA_VERSION}; \
                             its owner brings it up to date by running `studio team status` with the owner's login once"
                        ),
                    )
                    .with("found", found)
                    .with("needed", SCHEMA_VERSION),
                ));
            }
            return Err(e);
        }
        Ok(Self { db, path: PathBuf::from(db::server_of(url)), data_dir: data_dir.to_owned(), anchor_dir: None })
    }

    /// The id the next action (approve, schedule …) is recorded under. A
    /// client that retries an action whose outcome it never learned (the app
    /// restarted, the command was run again) passes the same id, and the
    /// action is not applied twice. Without one, each action gets its own.
    pub fn set_action_id(&self, id: &str) {
        self.db.set_next_action(id);
    }

    /// Makes the next write transaction fail as a network would (tests of what survives it).
    #[doc(hidden)]
    pub fn inject_fault(&self, fault: db::Fault) {
        self.db.inject_fault(fault);
    }

    /// Whether this is a team database (PostgreSQL) rather than a local file.
    pub fn is_team(&self) -> bool {
        self.db.engine() == db::Engine::Postgres
    }

    /// Records the audit chain's head in `dir` after each approval, and
    /// checks it there in [`Store::verify_audit`].
    pub fn with_anchors(mut self, dir: PathBuf) -> Self {
        self.anchor_dir = Some(dir);
        self
    }

    /// After a restore: the restored chain's head goes into the anchor file,
    /// so approvals the restore rolled back are not taken for tampering.
    pub fn record_restore(&self) {
        self.anchor_head(anchor::AnchorKind::Restore);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version.
    pub fn schema_version(&self) -> Result<u32> {
        migrations::version(&self.db)
    }
}
