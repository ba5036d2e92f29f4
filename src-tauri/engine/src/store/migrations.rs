//! Versioned schema migrations on `PRAGMA user_version`: migration N brings
//! the schema from version N to N+1, in one transaction with the version bump.

use rusqlite::Connection;

use crate::error::Result;

const MIGRATIONS: &[&str] = &[
    // 0 → 1: the foundation.
    r#"
    CREATE TABLE projects (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE masters (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('video', 'article')),
        media_json TEXT,
        duration_s REAL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (project_id, path)
    );
    CREATE TABLE variants (
        id INTEGER PRIMARY KEY,
        master_id INTEGER NOT NULL REFERENCES masters(id) ON DELETE CASCADE,
        platform TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('video', 'note')),
        plan_json TEXT NOT NULL,
        review_state TEXT NOT NULL DEFAULT 'draft',
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX variants_master ON variants(master_id);
    CREATE TABLE render_jobs (
        id INTEGER PRIMARY KEY,
        variant_id INTEGER NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
        state TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        progress REAL NOT NULL DEFAULT 0,
        fps REAL,
        eta_s REAL,
        error TEXT,
        output_path TEXT NOT NULL,
        cover_path TEXT,
        size_bytes INTEGER,
        sha256 TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        started_at TEXT,
        finished_at TEXT,
        CHECK (state <> 'done' OR (size_bytes IS NOT NULL AND sha256 IS NOT NULL))
    );
    CREATE INDEX render_jobs_state ON render_jobs(state, id);
    CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        variant_id INTEGER NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
        platform TEXT NOT NULL,
        account TEXT,
        caption TEXT NOT NULL DEFAULT '',
        scheduled_at TEXT,
        status TEXT NOT NULL DEFAULT 'planned'
            CHECK (status IN ('planned', 'published', 'failed', 'cancelled')),
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX posts_schedule ON posts(scheduled_at);
    "#,
];

/// The schema version this build writes.
pub const LATEST: u32 = MIGRATIONS.len() as u32;

pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    let current: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > LATEST {
        return Err(crate::error::EngineError::InvalidArgument(format!(
            "this database was written by a newer Repurpose Studio (schema {current}, this build knows {LATEST}); update the app"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version as u32 + 1)?;
        tx.commit()?;
        tracing::info!(version = version + 1, "database migrated");
    }
    Ok(())
}
