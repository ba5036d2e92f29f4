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
    // 2 → 3: publish planning: accounts, cadence rules, post outcomes, metrics.
    r#"
    CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        name TEXT NOT NULL,
        handle TEXT NOT NULL,
        owner TEXT,
        -- Appended to captions in packages, e.g. 更多干货去小红书搜 XXX.
        cross_line TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (platform, handle)
    );
    CREATE TABLE cadence_rules (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        rule TEXT NOT NULL,
        UNIQUE (account_id, rule)
    );
    -- Free-text accounts of schema 2 become account rows.
    INSERT INTO accounts (platform, name, handle)
        SELECT DISTINCT platform, account, account FROM posts WHERE account IS NOT NULL AND account <> '';
    ALTER TABLE posts ADD COLUMN account_id INTEGER REFERENCES accounts(id);
    UPDATE posts SET account_id =
        (SELECT a.id FROM accounts a WHERE a.platform = posts.platform AND a.handle = posts.account);
    ALTER TABLE posts DROP COLUMN account;
    -- Packages publish the approved title, body and tags; what the planner
    -- writes on a post is a note for whoever posts it, never published.
    ALTER TABLE posts RENAME COLUMN caption TO note;
    ALTER TABLE posts ADD COLUMN url TEXT;
    ALTER TABLE posts ADD COLUMN fail_reason TEXT;
    ALTER TABLE posts ADD COLUMN published_at TEXT;
    CREATE INDEX posts_account_time ON posts(account_id, scheduled_at);
    CREATE INDEX posts_variant ON posts(variant_id);
    -- A published post's outcome is final.
    CREATE TRIGGER posts_published_is_final BEFORE UPDATE OF status, scheduled_at, account_id, variant_id ON posts
    WHEN OLD.status = 'published'
      AND (NEW.status IS NOT OLD.status OR NEW.scheduled_at IS NOT OLD.scheduled_at
           OR NEW.account_id IS NOT OLD.account_id OR NEW.variant_id IS NOT OLD.variant_id)
    BEGIN SELECT RAISE(ABORT, 'a published post cannot be changed'); END;
    CREATE TABLE metric_snapshots (
        id INTEGER PRIMARY KEY,
        post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        captured_at TEXT NOT NULL,
        views INTEGER CHECK (views >= 0),
        likes INTEGER CHECK (likes >= 0),
        comments INTEGER CHECK (comments >= 0),
        shares INTEGER CHECK (shares >= 0),
        favorites INTEGER CHECK (favorites >= 0),
        followers INTEGER CHECK (followers >= 0),
        conversions INTEGER CHECK (conversions >= 0),
        source TEXT NOT NULL,
        UNIQUE (post_id, captured_at)
    );
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

/// A database at an old schema version, for tests of what happens on upgrade.
#[cfg(test)]
pub(crate) fn build_at(conn: &Connection, version: u32) {
    for sql in &MIGRATIONS[..version as usize] {
        conn.execute_batch(sql).expect("old migration");
    }
    conn.pragma_update(None, "user_version", version).expect("version");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_2_posts_keep_their_free_text_account_as_an_account_row() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..2] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute_batch(
            "INSERT INTO projects (name) VALUES ('p');
             INSERT INTO masters (project_id, path, kind) VALUES (1, '/m.mp4', 'video');
             INSERT INTO variants (master_id, platform, kind, plan_json, review_state) VALUES (1, 'douyin', 'video', '{}', 'approved');
             INSERT INTO posts (variant_id, platform, account, caption, scheduled_at) VALUES (1, 'douyin', '理财小王', '备注', '2026-12-01T10:00:00Z');
             INSERT INTO posts (variant_id, platform, account) VALUES (1, 'douyin', NULL);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (handle, platform, note): (String, String, String) = conn
            .query_row(
                "SELECT a.handle, a.platform, p.note FROM posts p JOIN accounts a ON a.id = p.account_id WHERE p.id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((handle.as_str(), platform.as_str(), note.as_str()), ("理财小王", "douyin", "备注"));
        let orphan: Option<i64> =
            conn.query_row("SELECT account_id FROM posts WHERE id = 2", [], |r| r.get(0)).unwrap();
        assert_eq!(orphan, None);
        assert_eq!(conn.pragma_query_value(None, "user_version", |r| r.get::<_, u32>(0)).unwrap(), LATEST);
    }
}
