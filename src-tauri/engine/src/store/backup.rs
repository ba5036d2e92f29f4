//! Snapshots of the database and putting one back.
//!
//! A snapshot is `VACUUM INTO` a `.part` file: SQLite writes one consistent
//! read transaction's view while the app and a render keep writing through
//! WAL. The copy is synced, checked (`integrity_check` and the audit chain)
//! and only then renamed to its final name, so every `studio-*.db` in the
//! folder is a verified snapshot and a half-written one never looks like one.
//! The name carries the time and the reason, so listing needs no index that
//! could itself be lost.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::error::{EngineError, Result};

/// How many snapshots a folder keeps when the user has not said.
pub const DEFAULT_KEEP: usize = 14;

/// A daily snapshot is due when the newest one is older than this.
pub const DAILY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

const PREFIX: &str = "studio-";
/// How `taken_at` is written: RFC 3339, UTC, milliseconds.
const SHOWN: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";
/// Milliseconds, so snapshots taken in one second still sort in order.
const STAMP: &str = "%Y%m%dT%H%M%S%.3fZ";

/// One verified snapshot file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    pub path: PathBuf,
    /// UTC, RFC 3339.
    pub taken_at: String,
    /// `daily`, `manual` or `before-schema-N` (taken before a migration).
    pub reason: String,
    pub size_bytes: u64,
}

impl Snapshot {
    fn time(&self) -> Option<jiff::Timestamp> {
        self.taken_at.parse().ok()
    }

    /// How long ago it was taken.
    pub fn age(&self) -> Option<std::time::Duration> {
        let d = jiff::Timestamp::now().duration_since(self.time()?);
        std::time::Duration::try_from(d).ok()
    }
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> EngineError {
    move |e| EngineError::io(context, e)
}

/// Writes a verified snapshot of `db` into `dir`, then keeps the `keep`
/// newest snapshots there.
pub fn take(db: &Path, dir: &Path, reason: &str, keep: usize) -> Result<Snapshot> {
    std::fs::create_dir_all(dir).map_err(io(format!("creating the backup folder {}", dir.display())))?;
    let now = jiff::Timestamp::now();
    let stamp = now.strftime(STAMP).to_string();
    let mut path = dir.join(format!("{PREFIX}{stamp}-{reason}.db"));
    for n in 2.. {
        if !path.exists() {
            break;
        }
        path = dir.join(format!("{PREFIX}{stamp}-{reason}.{n}.db"));
    }
    // Named for this process, so two studios taking the daily snapshot at
    // once never write (or remove) each other's file.
    let part = path.with_extension(format!("db.{}.part", std::process::id()));
    let result = write_verified(db, &part, &path);
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    result?;
    tracing::info!(snapshot = %path.display(), reason, "database snapshot written");
    rotate(dir, keep.max(1))?;
    let size_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    Ok(Snapshot { path, taken_at: now.strftime(SHOWN).to_string(), reason: reason.to_owned(), size_bytes })
}

fn write_verified(db: &Path, part: &Path, path: &Path) -> Result<()> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute("VACUUM INTO ?1", [part.to_string_lossy()]).map_err(|e| full_disk(e, part))?;
    drop(conn);
    let file = std::fs::File::open(part).map_err(io(format!("opening {}", part.display())))?;
    file.sync_all().map_err(|e| full_disk_io(e, part))?;
    drop(file);
    verify(part).map_err(|why| {
        EngineError::Refused(
            crate::message::Notice::new(
                "backup.check_failed",
                format!("the snapshot {} failed its check ({why}); nothing was kept", path.display()),
            )
            .with("path", path.display())
            .with("detail", &why),
        )
    })?;
    std::fs::rename(part, path).map_err(io(format!("renaming {} to {}", part.display(), path.display())))
}

fn full_disk(e: rusqlite::Error, path: &Path) -> EngineError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => EngineError::DiskFull { path: path.to_owned() },
        _ => EngineError::Store(e),
    }
}

fn full_disk_io(e: std::io::Error, path: &Path) -> EngineError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        EngineError::DiskFull { path: path.to_owned() }
    } else {
        EngineError::io(format!("writing {}", path.display()), e)
    }
}

/// Checks a database file without changing it: SQLite's full
/// `integrity_check`, then the audit chain if it has one.
pub fn verify(path: &Path) -> std::result::Result<(), String> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| e.to_string())?;
    let rows: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| e.to_string())?;
    if rows != ["ok"] {
        return Err(rows.into_iter().take(3).collect::<Vec<_>>().join("; "));
    }
    let has_audit: bool = conn
        .query_row("SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'", [], |r| {
            r.get(0)
        })
        .map_err(|e| e.to_string())?;
    if has_audit {
        let verdict = super::audit::verify_chain(&super::db::Db::sqlite(conn)).map_err(|e| e.to_string())?;
        if let Some(p) = verdict.problems.first() {
            return Err(format!("audit trail: {p}"));
        }
    }
    Ok(())
}

/// The snapshots in `dir`, newest first. A folder that does not exist has none.
pub fn list(dir: &Path) -> Result<Vec<Snapshot>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(EngineError::io(format!("reading the backup folder {}", dir.display()), e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io(format!("reading the backup folder {}", dir.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((time, reason)) = parse_name(&name) else { continue };
        let size_bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
        found.push(Snapshot { path: entry.path(), taken_at: time.strftime(SHOWN).to_string(), reason, size_bytes });
    }
    found.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then_with(|| b.path.cmp(&a.path)));
    Ok(found)
}

/// `studio-20261202T011547.120Z-daily.db` → (time, "daily"); a second
/// snapshot in the same millisecond is `…-daily.2.db`.
fn parse_name(name: &str) -> Option<(jiff::Timestamp, String)> {
    let rest = name.strip_prefix(PREFIX)?.strip_suffix(".db")?;
    let rest = match rest.rsplit_once('.') {
        Some((head, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => rest,
    };
    let (stamp, reason) = rest.split_once('-')?;
    let time = jiff::fmt::strtime::parse(STAMP, stamp).ok()?.to_datetime().ok()?;
    let time = time.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    Some((time, reason.to_owned()))
}

fn rotate(dir: &Path, keep: usize) -> Result<()> {
    for old in list(dir)?.into_iter().skip(keep) {
        std::fs::remove_file(&old.path).map_err(io(format!("removing the old snapshot {}", old.path.display())))?;
        tracing::info!(snapshot = %old.path.display(), "old snapshot removed");
    }
    Ok(())
}

/// The newest snapshot in `dir` that still passes [`verify`] (a snapshot on a
/// failing disk can go bad after it was written).
pub fn newest_good(dir: &Path) -> Option<Snapshot> {
    list(dir).ok()?.into_iter().find(|s| verify(&s.path).is_ok())
}

/// Puts `snapshot` in place of `db`. The current file (with its WAL, which
/// may hold committed changes) is moved aside first, never deleted; returns
/// where it went. The caller holds the runner lock so no render writes meanwhile.
pub fn restore(db: &Path, snapshot: &Path) -> Result<Option<PathBuf>> {
    verify(snapshot).map_err(|why| {
        EngineError::Refused(
            crate::message::Notice::new(
                "backup.bad_snapshot",
                format!(
                    "{} is not a good snapshot ({why}); choose another one from `studio backup list`",
                    snapshot.display()
                ),
            )
            .with("path", snapshot.display())
            .with("detail", &why),
        )
    })?;
    let dir = db.parent().unwrap_or(Path::new("."));
    let kept = if db.exists() {
        let aside = dir.join("replaced");
        std::fs::create_dir_all(&aside).map_err(io(format!("creating {}", aside.display())))?;
        let stamp = jiff::Timestamp::now().strftime(STAMP).to_string();
        let target = aside.join(format!("{PREFIX}{stamp}.db"));
        for suffix in ["-wal", "-shm", ""] {
            let from = PathBuf::from(format!("{}{suffix}", db.display()));
            if from.exists() {
                let to = PathBuf::from(format!("{}{suffix}", target.display()));
                std::fs::rename(&from, &to).map_err(io(format!(
                    "moving {} aside to {}",
                    from.display(),
                    to.display()
                )))?;
            }
        }
        Some(target)
    } else {
        None
    };
    let part = crate::render::partial_path(db);
    std::fs::copy(snapshot, &part).map_err(|e| full_disk_io(e, &part))?;
    std::fs::File::open(&part).and_then(|f| f.sync_all()).map_err(|e| full_disk_io(e, &part))?;
    std::fs::rename(&part, db).map_err(io(format!("renaming {} to {}", part.display(), db.display())))?;
    tracing::info!(snapshot = %snapshot.display(), kept = ?kept, "database restored");
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_strangers_are_ignored() {
        let (t, reason) = parse_name("studio-20261202T011547.120Z-before-schema-6.db").unwrap();
        assert_eq!(t.to_string(), "2026-12-02T01:15:47.12Z");
        assert_eq!(reason, "before-schema-6");
        let (_, reason) = parse_name("studio-20261202T011547.120Z-manual.2.db").unwrap();
        assert_eq!(reason, "manual");
        assert!(parse_name("studio-20261202T011547.120Z-daily.db.4242.part").is_none());
        assert!(parse_name("notes.db").is_none());
        assert!(parse_name("studio-yesterday-daily.db").is_none());
    }
}
