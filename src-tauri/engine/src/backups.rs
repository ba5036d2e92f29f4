//! Keeping the studio's database safe: the check at first use, the
//! snapshots taken daily and before each migration, and restoring one.
//!
//! The order at first use matters: a damaged or newer file is refused before
//! anything opens it for writing (so it is still there, unchanged, for the
//! restore or for whoever looks at it), and the pre-migration snapshot is
//! taken before the migration runs.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{EngineError, Result};
use crate::queue::RunnerLock;
use crate::store::backup::{self, Snapshot};
use crate::store::{Health, SCHEMA_VERSION, Store, health};
use crate::studio::Studio;

/// What Settings → 备份 shows.
#[derive(Debug, Clone, Serialize)]
pub struct BackupStatus {
    pub dir: PathBuf,
    pub keep: usize,
    /// Newest first.
    pub snapshots: Vec<Snapshot>,
    /// Why the last automatic snapshot failed, if it did.
    pub problem: Option<String>,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    pub snapshot: PathBuf,
    /// Where the replaced database was moved (`None` if there was none).
    pub kept_aside: Option<PathBuf>,
}

impl Studio {
    /// The folder snapshots go to: the user's choice, else `backups/` in the data folder.
    pub fn backup_dir(&self) -> PathBuf {
        self.config().backups.dir.clone().unwrap_or_else(|| self.data_dir().join("backups"))
    }

    /// The snapshots and settings, newest first.
    pub fn backup_status(&self) -> Result<BackupStatus> {
        let dir = self.backup_dir();
        Ok(BackupStatus {
            snapshots: backup::list(&dir)?,
            keep: self.config().backups.keep,
            problem: self.backup_problem.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            dir,
        })
    }

    /// Takes a verified snapshot now, into `to` or the backup folder.
    pub fn backup(&self, to: Option<&Path>) -> Result<Snapshot> {
        let path = self.database_path();
        match health::check(&path) {
            Health::Missing => {
                return Err(EngineError::Refused(
                    crate::message::Notice::new(
                        "backup.no_database",
                        format!("{}: there is no database yet", path.display()),
                    )
                    .with("path", path.display()),
                ));
            }
            Health::Damaged(detail) => {
                return Err(EngineError::DatabaseDamaged { path, detail, snapshot: self.newest_good() });
            }
            Health::Newer { .. } | Health::Good { .. } => {}
        }
        let dir = to.map(Path::to_owned).unwrap_or_else(|| self.backup_dir());
        backup::take(&path, &dir, "manual", self.config().backups.keep)
    }

    /// Puts a snapshot in place of the database (the current one is moved
    /// aside, not deleted). Refused while this data folder renders.
    pub fn restore(&self, snapshot: &Path) -> Result<Restored> {
        let _lock = RunnerLock::acquire(self)?;
        let snapshot = std::path::absolute(snapshot)
            .map_err(|e| EngineError::io(format!("resolving {}", snapshot.display()), e))?;
        if !snapshot.is_file() {
            return Err(EngineError::InputMissing { path: snapshot });
        }
        let kept_aside = backup::restore(&self.database_path(), &snapshot)?;
        *self.db_ready.lock().unwrap_or_else(|p| p.into_inner()) = false;
        self.store()?.record_restore();
        Ok(Restored { snapshot, kept_aside })
    }

    fn newest_good(&self) -> Option<Box<Snapshot>> {
        backup::newest_good(&self.backup_dir()).map(Box::new)
    }

    /// The first-use check: refuse a file that cannot be used, snapshot an
    /// old schema before migrating it, then take the daily snapshot if due.
    pub(crate) fn prepare_database(&self, path: &Path) -> Result<()> {
        let existed = match health::check(path) {
            Health::Missing => false,
            Health::Good { version: 0 } => false,
            Health::Good { version } if version < SCHEMA_VERSION => {
                self.snapshot_before_migration(path, version)?;
                true
            }
            Health::Good { .. } => true,
            Health::Newer { version } => {
                return Err(EngineError::DatabaseNewer {
                    path: path.to_owned(),
                    found: version,
                    known: SCHEMA_VERSION,
                    snapshot: self.newest_good(),
                });
            }
            Health::Damaged(detail) => {
                tracing::info!(path = %path.display(), %detail, code = "database_damaged", "database refused");
                return Err(EngineError::DatabaseDamaged {
                    path: path.to_owned(),
                    detail,
                    snapshot: self.newest_good(),
                });
            }
        };
        drop(Store::open(path)?);
        if existed {
            self.daily_snapshot(path);
        }
        Ok(())
    }

    /// A migration is the one step that rewrites the schema, so its snapshot
    /// is not optional: if the chosen folder fails, the data folder's is tried.
    fn snapshot_before_migration(&self, path: &Path, version: u32) -> Result<()> {
        let reason = format!("before-schema-{}", SCHEMA_VERSION);
        let keep = self.config().backups.keep;
        let chosen = self.backup_dir();
        let fallback = self.data_dir().join("backups");
        match backup::take(path, &chosen, &reason, keep) {
            Ok(_) => Ok(()),
            Err(e) if chosen != fallback => {
                tracing::warn!(error = %e, "pre-migration snapshot failed in the chosen folder; using the data folder");
                backup::take(path, &fallback, &reason, keep).map(|_| ())
            }
            Err(e) => Err(e),
        }
        .map_err(|e| {
            EngineError::Refused(
                crate::message::Notice::new(
                    "backup.before_update_failed",
                    format!(
                        "the database (schema {version}) needs updating, but the snapshot taken first failed ({e}); nothing was changed — free some space or choose another backup folder"
                    ),
                )
                .with("version", version)
                .with("detail", e),
            )
        })
    }

    /// Never stops the work: a full USB disk is reported in Settings and the log.
    fn daily_snapshot(&self, path: &Path) {
        let dir = self.backup_dir();
        let due = match backup::list(&dir) {
            Ok(list) => list.first().and_then(Snapshot::age).is_none_or(|age| age >= backup::DAILY),
            Err(_) => true,
        };
        if !due {
            return;
        }
        let problem = match backup::take(path, &dir, "daily", self.config().backups.keep) {
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(error = %e, code = e.code(), "daily snapshot failed");
                Some(e.to_string())
            }
        };
        *self.backup_problem.lock().unwrap_or_else(|p| p.into_inner()) = problem;
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{Role, backup};
    use crate::{Studio, StudioConfig};

    fn studio(dir: &std::path::Path, keep: usize) -> Studio {
        let mut config = StudioConfig::new(dir.to_owned());
        config.backups.keep = keep;
        Studio::open(config).unwrap()
    }

    #[test]
    fn an_old_schema_is_snapshotted_before_it_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("studio.db");
        let conn = rusqlite::Connection::open(&db).unwrap();
        crate::store::migrations::build_at(&conn, 2);
        conn.execute("INSERT INTO people (name, role) VALUES ('审核老王', 'reviewer')", []).unwrap();
        drop(conn);

        let studio = studio(dir.path(), 5);
        let store = studio.store().unwrap();
        assert_eq!(store.schema_version().unwrap(), crate::store::SCHEMA_VERSION);
        assert_eq!(store.person("审核老王").unwrap().role, Role::Reviewer);
        let snaps = backup::list(&studio.backup_dir()).unwrap();
        let before = snaps.iter().find(|s| s.reason.starts_with("before-schema-")).expect("pre-migration snapshot");
        let old = rusqlite::Connection::open(&before.path).unwrap();
        let version: u32 = old.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, 2, "the snapshot holds the database as it was");
        assert_eq!(snaps.len(), 1, "a snapshot taken today makes the daily one unnecessary: {snaps:?}");
    }

    #[test]
    fn one_daily_snapshot_a_day_and_only_the_newest_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = studio(dir.path(), 3);
        first.store().unwrap().add_person("编辑小李", Role::Editor, "setup").unwrap();
        assert!(backup::list(&first.backup_dir()).unwrap().is_empty(), "a brand-new database has nothing to keep");
        for _ in 0..2 {
            studio(dir.path(), 3).store().unwrap();
        }
        let snaps = backup::list(&first.backup_dir()).unwrap();
        assert_eq!(snaps.iter().map(|s| s.reason.as_str()).collect::<Vec<_>>(), ["daily"]);
        for _ in 0..4 {
            first.backup(None).unwrap();
        }
        let snaps = backup::list(&first.backup_dir()).unwrap();
        assert_eq!(snaps.len(), 3, "{snaps:?}");
        assert!(snaps.iter().all(|s| s.reason.starts_with("manual")), "the oldest went first: {snaps:?}");
        assert!(snaps.windows(2).all(|w| w[0].taken_at >= w[1].taken_at), "newest first");
    }

    #[test]
    fn restore_keeps_the_replaced_file_and_its_wal() {
        let dir = tempfile::tempdir().unwrap();
        let studio = studio(dir.path(), 5);
        let mut store = studio.store().unwrap();
        store.add_person("编辑小李", Role::Editor, "setup").unwrap();
        let snap = studio.backup(None).unwrap();
        store.add_person("后来的人", Role::Editor, "setup").unwrap();
        // `store` stays open, so the second person is (also) in the WAL.
        let restored = studio.restore(&snap.path).unwrap();
        drop(store);
        let store = studio.store().unwrap();
        assert!(store.person("编辑小李").is_ok());
        assert!(store.person("后来的人").is_err(), "the snapshot is from before");
        let aside = restored.kept_aside.unwrap();
        let kept = rusqlite::Connection::open(&aside).unwrap();
        let n: i64 = kept.query_row("SELECT count(*) FROM people", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 2, "the replaced database, WAL included, is kept whole");
        assert!(store.verify_audit().unwrap().problems.is_empty());
    }
}
