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
    // 1 → 2: compliance review, people and the audit trail.
    r#"
    CREATE TABLE people (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('editor', 'reviewer', 'admin')),
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    ALTER TABLE variants ADD COLUMN author_id INTEGER REFERENCES people(id);
    ALTER TABLE variants ADD COLUMN title TEXT NOT NULL DEFAULT '';
    ALTER TABLE variants ADD COLUMN body TEXT NOT NULL DEFAULT '';
    ALTER TABLE variants ADD COLUMN tags_json TEXT NOT NULL DEFAULT '[]';
    -- The content hash a reviewer approved; queueing requires it still to match.
    ALTER TABLE variants ADD COLUMN approved_hash TEXT;
    CREATE TABLE review_findings (
        id INTEGER PRIMARY KEY,
        variant_id INTEGER NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
        content_hash TEXT NOT NULL,
        finding_json TEXT NOT NULL,
        severity TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        override_reason TEXT,
        overridden_by TEXT,
        overridden_at TEXT
    );
    CREATE INDEX review_findings_variant ON review_findings(variant_id);
    -- Append-only; each row's hash covers the previous row's hash.
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        entity TEXT NOT NULL,
        entity_id INTEGER,
        detail TEXT NOT NULL,
        before_hash TEXT,
        after_hash TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    -- Editing what a variant publishes sends it back to draft, however it is edited.
    CREATE TRIGGER variants_edit_resets_review AFTER UPDATE OF title, body, tags_json, plan_json ON variants
    WHEN OLD.review_state IN ('in_review', 'approved')
      AND (OLD.title IS NOT NEW.title OR OLD.body IS NOT NEW.body
           OR OLD.tags_json IS NOT NEW.tags_json OR OLD.plan_json IS NOT NEW.plan_json)
    BEGIN
        UPDATE variants SET review_state = 'draft', approved_hash = NULL,
            updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
    END;
    -- So does a new rendered output.
    CREATE TRIGGER render_done_resets_review AFTER UPDATE OF state ON render_jobs
    WHEN NEW.state = 'done' AND OLD.state IS NOT 'done'
    BEGIN
        UPDATE variants SET review_state = 'draft', approved_hash = NULL
        WHERE id = NEW.variant_id AND review_state IN ('in_review', 'approved');
    END;
    -- Only approved variants can be queued for publishing.
    CREATE TRIGGER posts_need_approval BEFORE INSERT ON posts
    WHEN (SELECT review_state FROM variants WHERE id = NEW.variant_id) IS NOT 'approved'
    BEGIN SELECT RAISE(ABORT, 'only approved variants can be queued'); END;
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
