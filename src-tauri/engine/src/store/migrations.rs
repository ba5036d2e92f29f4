//! Versioned schema migrations: migration N brings the schema from version N
//! to N+1, in one transaction with the version bump. One list serves both
//! engines, so a solo file and a team database never drift apart: each step
//! has the tables and data changes both run (`common`, written once with
//! `{id}`, `{int}`, `{real}`, `{bytes}` and `{now}` standing for what the dialects spell
//! differently), then each engine's own part (SQLite triggers; PostgreSQL's
//! triggers, roles and policies). SQLite keeps the version in
//! `PRAGMA user_version`, PostgreSQL in the `studio_schema` table.

use rusqlite::Connection;

use super::db::{Db, Engine, args};
use crate::error::{EngineError, Result};

/// One schema step.
struct Migration {
    common: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    // 0 → 1: the foundation.
    Migration {
        common: r#"
    CREATE TABLE projects (
        id {id},
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL DEFAULT ({now})
    );
    CREATE TABLE masters (
        id {id},
        project_id {int} NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('video', 'article')),
        media_json TEXT,
        duration_s {real},
        created_at TEXT NOT NULL DEFAULT ({now}),
        UNIQUE (project_id, path)
    );
    CREATE TABLE variants (
        id {id},
        master_id {int} NOT NULL REFERENCES masters(id) ON DELETE CASCADE,
        platform TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('video', 'note')),
        plan_json TEXT NOT NULL,
        review_state TEXT NOT NULL DEFAULT 'draft',
        created_at TEXT NOT NULL DEFAULT ({now}),
        updated_at TEXT NOT NULL DEFAULT ({now})
    );
    CREATE INDEX variants_master ON variants(master_id);
    CREATE TABLE render_jobs (
        id {id},
        variant_id {int} NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
        state TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        attempts {int} NOT NULL DEFAULT 0,
        progress {real} NOT NULL DEFAULT 0,
        fps {real},
        eta_s {real},
        error TEXT,
        output_path TEXT NOT NULL,
        cover_path TEXT,
        size_bytes {int},
        sha256 TEXT,
        cancel_requested {int} NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL DEFAULT ({now}),
        started_at TEXT,
        finished_at TEXT,
        CHECK (state <> 'done' OR (size_bytes IS NOT NULL AND sha256 IS NOT NULL))
    );
    CREATE INDEX render_jobs_state ON render_jobs(state, id);
    CREATE TABLE posts (
        id {id},
        variant_id {int} NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
        platform TEXT NOT NULL,
        account TEXT,
        caption TEXT NOT NULL DEFAULT '',
        scheduled_at TEXT,
        status TEXT NOT NULL DEFAULT 'planned'
            CHECK (status IN ('planned', 'published', 'failed', 'cancelled')),
        created_at TEXT NOT NULL DEFAULT ({now})
    );
    CREATE INDEX posts_schedule ON posts(scheduled_at);
    "#,
        sqlite: "",
        postgres: "",
    },
    // 1 → 2: compliance review, people and the audit trail.
    Migration {
        common: r#"
    CREATE TABLE people (
        id {id},
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('editor', 'reviewer', 'admin')),
        created_at TEXT NOT NULL DEFAULT ({now})
    );
    ALTER TABLE variants ADD COLUMN author_id {int} REFERENCES people(id);
    ALTER TABLE variants ADD COLUMN title TEXT NOT NULL DEFAULT '';
    ALTER TABLE variants ADD COLUMN body TEXT NOT NULL DEFAULT '';
    ALTER TABLE variants ADD COLUMN tags_json TEXT NOT NULL DEFAULT '[]';
    -- The content hash a reviewer approved; queueing requires it still to match.
    ALTER TABLE variants ADD COLUMN approved_hash TEXT;
    CREATE TABLE review_findings (
        id {id},
        variant_id {int} NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
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
        id {id},
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        entity TEXT NOT NULL,
        entity_id {int},
        detail TEXT NOT NULL,
        before_hash TEXT,
        after_hash TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
"#,
        sqlite: r#"    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
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
            updated_at = {now} WHERE id = NEW.id;
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
        postgres: r#"
    CREATE FUNCTION studio_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION studio_append_only();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION studio_append_only();
    -- Editing what a variant publishes sends it back to draft, however it is edited.
    CREATE FUNCTION studio_edit_resets_review() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.review_state IN ('in_review', 'approved')
           AND (OLD.title IS DISTINCT FROM NEW.title OR OLD.body IS DISTINCT FROM NEW.body
                OR OLD.tags_json IS DISTINCT FROM NEW.tags_json OR OLD.plan_json IS DISTINCT FROM NEW.plan_json) THEN
            NEW.review_state := 'draft';
            NEW.approved_hash := NULL;
            NEW.updated_at := studio_now();
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER variants_edit_resets_review BEFORE UPDATE OF title, body, tags_json, plan_json ON variants
        FOR EACH ROW EXECUTE FUNCTION studio_edit_resets_review();
    -- So does a new rendered output.
    CREATE FUNCTION studio_render_resets_review() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.state = 'done' AND OLD.state IS DISTINCT FROM 'done' THEN
            UPDATE variants SET review_state = 'draft', approved_hash = NULL
            WHERE id = NEW.variant_id AND review_state IN ('in_review', 'approved');
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER render_done_resets_review AFTER UPDATE OF state ON render_jobs
        FOR EACH ROW EXECUTE FUNCTION studio_render_resets_review();
    -- Only approved variants can be queued for publishing.
    CREATE FUNCTION studio_posts_need_approval() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (SELECT review_state FROM variants WHERE id = NEW.variant_id) IS DISTINCT FROM 'approved' THEN
            RAISE EXCEPTION 'only approved variants can be queued';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER posts_need_approval BEFORE INSERT ON posts
        FOR EACH ROW EXECUTE FUNCTION studio_posts_need_approval();
    "#,
    },
    // 2 → 3: publish planning: accounts, cadence rules, post outcomes, metrics.
    Migration {
        common: r#"
    CREATE TABLE accounts (
        id {id},
        platform TEXT NOT NULL,
        name TEXT NOT NULL,
        handle TEXT NOT NULL,
        owner TEXT,
        -- Appended to captions in packages, e.g. 更多干货去小红书搜 XXX.
        cross_line TEXT,
        created_at TEXT NOT NULL DEFAULT ({now}),
        UNIQUE (platform, handle)
    );
    CREATE TABLE cadence_rules (
        id {id},
        account_id {int} NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        rule TEXT NOT NULL,
        UNIQUE (account_id, rule)
    );
    -- Free-text accounts of schema 2 become account rows.
    INSERT INTO accounts (platform, name, handle)
        SELECT DISTINCT platform, account, account FROM posts WHERE account IS NOT NULL AND account <> '';
    ALTER TABLE posts ADD COLUMN account_id {int} REFERENCES accounts(id);
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
    CREATE TABLE metric_snapshots (
        id {id},
        post_id {int} NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        captured_at TEXT NOT NULL,
        views {int} CHECK (views >= 0),
        likes {int} CHECK (likes >= 0),
        comments {int} CHECK (comments >= 0),
        shares {int} CHECK (shares >= 0),
        favorites {int} CHECK (favorites >= 0),
        followers {int} CHECK (followers >= 0),
        conversions {int} CHECK (conversions >= 0),
        source TEXT NOT NULL,
        UNIQUE (post_id, captured_at)
    );
    "#,
        sqlite: r#"    -- A published post's outcome is final.
    CREATE TRIGGER posts_published_is_final BEFORE UPDATE OF status, scheduled_at, account_id, variant_id ON posts
    WHEN OLD.status = 'published'
      AND (NEW.status IS NOT OLD.status OR NEW.scheduled_at IS NOT OLD.scheduled_at
           OR NEW.account_id IS NOT OLD.account_id OR NEW.variant_id IS NOT OLD.variant_id)
    BEGIN SELECT RAISE(ABORT, 'a published post cannot be changed'); END;
"#,
        postgres: r#"
    -- A published post's outcome is final.
    CREATE FUNCTION studio_published_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.status = 'published'
           AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.scheduled_at IS DISTINCT FROM OLD.scheduled_at
                OR NEW.account_id IS DISTINCT FROM OLD.account_id OR NEW.variant_id IS DISTINCT FROM OLD.variant_id) THEN
            RAISE EXCEPTION 'a published post cannot be changed';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER posts_published_is_final BEFORE UPDATE OF status, scheduled_at, account_id, variant_id ON posts
        FOR EACH ROW EXECUTE FUNCTION studio_published_is_final();
    "#,
    },
    // 3 → 4: team mode. Both engines: client-chosen action ids, so an action
    // retried after a lost connection applies once. PostgreSQL: the roles,
    // privileges and checks that make the server, not the client, decide
    // who may do what and who did it.
    Migration {
        common: r#"
    CREATE TABLE actions (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        -- What the action returned, for a retry that finds it already applied.
        result TEXT NOT NULL,
        at TEXT NOT NULL DEFAULT ({now})
    );
    "#,
        sqlite: "",
        postgres: r#"
    -- Roles belong to the whole server: made once, whichever database asks first.
    DO $$
    DECLARE
        r text;
    BEGIN
        FOREACH r IN ARRAY ARRAY['studio_member', 'studio_editor', 'studio_reviewer', 'studio_admin'] LOOP
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END;
        END LOOP;
        FOREACH r IN ARRAY ARRAY['studio_editor', 'studio_reviewer', 'studio_admin'] LOOP
            IF NOT pg_has_role(r, 'studio_member', 'MEMBER') THEN
                BEGIN
                    EXECUTE format('GRANT studio_member TO %I', r);
                EXCEPTION WHEN unique_violation THEN NULL;
                END;
            END IF;
        END LOOP;
    END $$;

    -- Who is who comes from the server's logins and their role membership.
    ALTER TABLE variants DROP CONSTRAINT IF EXISTS variants_author_id_fkey;
    DROP TABLE people;
    CREATE VIEW people AS
        SELECT r.oid::bigint AS id, r.rolname::text AS name,
               CASE WHEN bool_or(g.rolname = 'studio_admin') THEN 'admin'
                    WHEN bool_or(g.rolname = 'studio_reviewer') THEN 'reviewer'
                    ELSE 'editor' END AS role,
               NULL::text AS created_at
        FROM pg_roles r
        JOIN pg_auth_members m ON m.member = r.oid
        JOIN pg_roles g ON g.oid = m.roleid AND g.rolname IN ('studio_editor', 'studio_reviewer', 'studio_admin')
        WHERE r.rolcanlogin
        GROUP BY r.oid, r.rolname;

    CREATE FUNCTION studio_is(role_name text) RETURNS boolean LANGUAGE sql STABLE AS $$
        SELECT EXISTS (
            SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member
            WHERE r.rolname = session_user AND g.rolname = role_name)
        OR (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)
    $$;
    CREATE FUNCTION studio_me() RETURNS bigint LANGUAGE sql STABLE AS $$
        SELECT oid::bigint FROM pg_roles WHERE rolname = session_user
    $$;

    -- The audit chain is numbered, timed, attributed and hashed by the server
    -- under one lock (the head row), so concurrent writers make one chain.
    CREATE TABLE audit_head (
        only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
        id BIGINT NOT NULL,
        hash TEXT NOT NULL
    );
    INSERT INTO audit_head (id, hash)
        SELECT COALESCE(MAX(id), 0),
               COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), repeat('0', 64))
        FROM audit_log;
    ALTER TABLE audit_log ADD COLUMN txid BIGINT;
    CREATE FUNCTION studio_audit_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp AS $$
    DECLARE
        sep text := chr(31);
    BEGIN
        IF NEW.action IN ('approve', 'override', 'request_changes')
           AND NOT (studio_is('studio_reviewer') OR studio_is('studio_admin')) THEN
            RAISE EXCEPTION '% is not a reviewer; only reviewers and admins record reviews', session_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        UPDATE audit_head SET id = id + 1 RETURNING id, hash INTO NEW.id, NEW.prev_hash;
        NEW.at := studio_now();
        NEW.actor := session_user;
        NEW.txid := txid_current();
        NEW.hash := encode(sha256(convert_to(
            NEW.prev_hash || sep || NEW.id::text || sep || NEW.at || sep || NEW.actor || sep
            || NEW.action || sep || NEW.entity || sep || COALESCE(NEW.entity_id::text, '') || sep
            || NEW.detail || sep || COALESCE(NEW.before_hash, '') || sep || COALESCE(NEW.after_hash, '') || sep,
            'UTF8')), 'hex');
        UPDATE audit_head SET hash = NEW.hash;
        RETURN NEW;
    END $$;
    CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
        FOR EACH ROW EXECUTE FUNCTION studio_audit_chain();

    -- Review transitions: who may make them, whatever client they use.
    CREATE FUNCTION studio_review_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            NEW.author_id := studio_me();
            IF NEW.review_state <> 'draft' OR NEW.approved_hash IS NOT NULL THEN
                RAISE EXCEPTION 'a new variant starts as a draft' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END IF;
        IF NEW.author_id IS DISTINCT FROM OLD.author_id AND NOT studio_is('studio_admin') THEN
            RAISE EXCEPTION 'only an admin changes who made a variant' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.review_state IS DISTINCT FROM OLD.review_state OR NEW.approved_hash IS DISTINCT FROM OLD.approved_hash THEN
            IF NEW.review_state IN ('approved', 'changes_requested') THEN
                IF NOT (studio_is('studio_reviewer') OR studio_is('studio_admin')) THEN
                    RAISE EXCEPTION '% is an editor; approval needs a reviewer or an admin', session_user
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF OLD.review_state <> 'in_review' THEN
                    RAISE EXCEPTION 'variant % is %; only variants in review can be decided', OLD.id, OLD.review_state
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF NEW.review_state = 'approved' AND OLD.author_id = studio_me() AND NOT studio_is('studio_admin') THEN
                    RAISE EXCEPTION '% made variant % and cannot approve it; ask another reviewer', session_user, OLD.id
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF NEW.review_state = 'approved' AND NEW.approved_hash IS NULL THEN
                    RAISE EXCEPTION 'an approval records the content hash it approves' USING ERRCODE = 'insufficient_privilege';
                END IF;
            ELSIF NEW.approved_hash IS NOT NULL THEN
                RAISE EXCEPTION 'only an approval records an approved hash' USING ERRCODE = 'insufficient_privilege';
            ELSIF NEW.review_state = 'in_review' AND OLD.review_state NOT IN ('draft', 'changes_requested') THEN
                RAISE EXCEPTION 'variant % is %; only drafts can be sent to review', OLD.id, OLD.review_state
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER variants_review_guard BEFORE INSERT OR UPDATE ON variants
        FOR EACH ROW EXECUTE FUNCTION studio_review_guard();
    -- After the edit trigger, so a reset it makes is checked too (triggers fire by name).
    CREATE FUNCTION studio_review_audited() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM audit_log WHERE entity = 'variant' AND entity_id = NEW.id AND txid = txid_current()) THEN
            RAISE EXCEPTION 'variant %: a review change must be recorded in the audit trail in the same transaction (use Repurpose Studio)', NEW.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER variants_review_audited AFTER UPDATE ON variants
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (OLD.review_state IS DISTINCT FROM NEW.review_state OR OLD.approved_hash IS DISTINCT FROM NEW.approved_hash)
        EXECUTE FUNCTION studio_review_audited();

    -- Findings are recorded when a variant is sent to review and only then;
    -- overriding one is a reviewer's act.
    CREATE FUNCTION studio_findings_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        v_id bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.variant_id ELSE NEW.variant_id END;
        state text := (SELECT review_state FROM variants WHERE id = v_id);
    BEGIN
        IF TG_OP IN ('INSERT', 'DELETE') AND state NOT IN ('draft', 'changes_requested') THEN
            RAISE EXCEPTION 'the findings of variant % (%) are what its reviewer is deciding on; they cannot change now', v_id, state
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF TG_OP = 'UPDATE' AND NOT (studio_is('studio_reviewer') OR studio_is('studio_admin')) THEN
            RAISE EXCEPTION 'only reviewers and admins override findings' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END $$;
    CREATE TRIGGER review_findings_guard BEFORE INSERT OR UPDATE OR DELETE ON review_findings
        FOR EACH ROW EXECUTE FUNCTION studio_findings_guard();

    -- What members may touch at all. No one but the owner deletes history.
    REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
    GRANT USAGE ON SCHEMA public TO studio_member;
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO studio_member;
    REVOKE SELECT ON audit_head FROM studio_member;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO studio_member;
    GRANT INSERT, UPDATE ON projects, masters, variants, render_jobs, accounts, metric_snapshots, posts TO studio_member;
    GRANT INSERT, DELETE ON review_findings, cadence_rules TO studio_member;
    GRANT UPDATE (override_reason, overridden_by, overridden_at) ON review_findings TO studio_member;
    GRANT INSERT ON audit_log, actions TO studio_member;

    -- Adding a member is the admin's: a login with its password's SCRAM
    -- verifier (the password itself never reaches the server) and one role.
    CREATE FUNCTION studio_add_member(member text, role_name text, verifier text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    BEGIN
        IF NOT studio_is('studio_admin') THEN
            RAISE EXCEPTION '% is not an admin; only admins add members', session_user USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF role_name NOT IN ('editor', 'reviewer', 'admin') THEN
            RAISE EXCEPTION 'unknown role %; use editor, reviewer or admin', role_name USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = member) THEN
            RAISE EXCEPTION '% already exists', member USING ERRCODE = 'unique_violation';
        END IF;
        EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', member, verifier, 'studio_' || role_name);
        RETURN (SELECT oid::bigint FROM pg_roles WHERE rolname = member);
    END $$;
    REVOKE ALL ON FUNCTION studio_add_member(text, text, text) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION studio_add_member(text, text, text) TO studio_admin;
    "#,
    },
    // 4 → 5: team storage. The rendered files a team reviews and publishes
    // are kept by their SHA-256, in the database itself, in 4 MiB chunks; and
    // a solo studio remembers which of its variants it sent to which team.
    Migration {
        common: r#"
    CREATE TABLE media (
        sha256 TEXT PRIMARY KEY,
        size_bytes {int} NOT NULL CHECK (size_bytes >= 0),
        chunks {int} NOT NULL,
        at TEXT NOT NULL DEFAULT ({now})
    );
    CREATE TABLE media_chunks (
        sha256 TEXT NOT NULL,
        seq {int} NOT NULL,
        bytes {bytes} NOT NULL,
        PRIMARY KEY (sha256, seq)
    );
    "#,
        sqlite: r#"
    CREATE TABLE team_links (
        variant_id INTEGER PRIMARY KEY REFERENCES variants(id) ON DELETE CASCADE,
        server TEXT NOT NULL,
        team_variant_id INTEGER NOT NULL
    );
    "#,
        postgres: r#"
    -- Video is compressed already: no point in trying again on every chunk.
    ALTER TABLE media_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;
    -- Insert-only: a stored file never changes and never goes.
    GRANT SELECT, INSERT ON media, media_chunks TO studio_member;
    "#,
    },
    // 5 → 6: a master's subtitles. Each import is a new track (the newest is
    // the master's); a cue's text can be corrected, and every correction is
    // kept with who made it.
    Migration {
        common: r#"
    CREATE TABLE subtitle_tracks (
        id {id},
        master_id {int} NOT NULL REFERENCES masters(id) ON DELETE CASCADE,
        file_name TEXT NOT NULL,
        format TEXT NOT NULL CHECK (format IN ('srt', 'webvtt', 'ass')),
        encoding TEXT NOT NULL,
        warnings_json TEXT NOT NULL DEFAULT '[]',
        added_by TEXT NOT NULL DEFAULT '',
        added_at TEXT NOT NULL DEFAULT ({now})
    );
    CREATE INDEX subtitle_tracks_master ON subtitle_tracks(master_id, id);
    CREATE TABLE subtitle_cues (
        track_id {int} NOT NULL REFERENCES subtitle_tracks(id) ON DELETE CASCADE,
        number {int} NOT NULL,
        start_ms {int} NOT NULL CHECK (start_ms >= 0),
        end_ms {int} NOT NULL CHECK (end_ms > start_ms),
        text TEXT NOT NULL,
        source_line {int} NOT NULL,
        PRIMARY KEY (track_id, number)
    );
    CREATE TABLE subtitle_edits (
        id {id},
        track_id {int} NOT NULL,
        number {int} NOT NULL,
        old_text TEXT NOT NULL,
        new_text TEXT NOT NULL,
        edited_by TEXT NOT NULL,
        at TEXT NOT NULL DEFAULT ({now}),
        FOREIGN KEY (track_id, number) REFERENCES subtitle_cues(track_id, number) ON DELETE CASCADE
    );
    "#,
        sqlite: "",
        postgres: r#"
    GRANT SELECT, INSERT, UPDATE ON subtitle_tracks, subtitle_cues TO studio_member;
    GRANT SELECT, INSERT ON subtitle_edits TO studio_member;
    "#,
    },
    // 6 → 7: AI-content marks (JSON of `ai_label::AiMark`) on a master, which
    // all its variants inherit, or on one variant.
    Migration {
        common: r#"
    ALTER TABLE masters ADD COLUMN ai_json TEXT;
    ALTER TABLE variants ADD COLUMN ai_json TEXT;
    "#,
        sqlite: "",
        postgres: "",
    },
    // 7 → 8: how a job's video was made (smart render, a full re-encode, and
    // why a smart render fell back) and which encoder ran, for the render table.
    Migration {
        common: r#"
    ALTER TABLE render_jobs ADD COLUMN method TEXT;
    ALTER TABLE render_jobs ADD COLUMN encoder TEXT;
    "#,
        sqlite: "",
        postgres: "",
    },
];

/// The schema version this build writes.
pub const LATEST: u32 = MIGRATIONS.len() as u32;

/// A migration's SQL for one engine, tokens spelled out.
fn sql_for(m: &Migration, engine: Engine) -> String {
    let (id, int, real, bytes, own) = match engine {
        Engine::Sqlite => ("INTEGER PRIMARY KEY", "INTEGER", "REAL", "BLOB", m.sqlite),
        Engine::Postgres => {
            ("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BIGINT", "DOUBLE PRECISION", "BYTEA", m.postgres)
        }
    };
    let mut common =
        m.common.replace("{id}", id).replace("{int}", int).replace("{real}", real).replace("{bytes}", bytes);
    if engine == Engine::Postgres {
        // Text compares byte by byte, as in SQLite, whatever locale the team's
        // server was set up with: the same order everywhere, and ISO times
        // sort fast.
        common = common.replace(" TEXT", " TEXT COLLATE \"C\"");
    }
    super::db::translate(&format!("{common}\n{own}"), engine)
}

pub(super) fn migrate_sqlite(conn: &mut Connection) -> Result<()> {
    let current: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > LATEST {
        return Err(EngineError::Refused(
            crate::message::Notice::new(
                "schema.newer",
                format!(
                    "this database was written by a newer Repurpose Studio (schema {current}, this build knows {LATEST}); update the app"
                ),
            )
            .with("found", current)
            .with("known", LATEST),
        ));
    }
    for (version, m) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(&sql_for(m, Engine::Sqlite))?;
        tx.pragma_update(None, "user_version", version as u32 + 1)?;
        tx.commit()?;
        tracing::info!(version = version + 1, "database migrated");
    }
    Ok(())
}

/// What a team database needs before any migration: its clock in the text
/// form SQLite writes, and where the version is kept.
const PG_PREAMBLE: &str = r#"
    CREATE OR REPLACE FUNCTION studio_now() RETURNS text LANGUAGE sql STABLE AS
        $$ SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
    CREATE TABLE IF NOT EXISTS studio_schema (only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row), version INTEGER NOT NULL);
    INSERT INTO studio_schema (version) VALUES (0) ON CONFLICT DO NOTHING;
"#;

/// Brings a team database up to date; only its owner can (members are told to ask).
pub(super) fn migrate_postgres(db: &Db) -> Result<()> {
    let current = version(db)?;
    if current > LATEST {
        return Err(EngineError::Refused(
            crate::message::Notice::new(
                "schema.team_newer",
                format!(
                    "the team database was set up by a newer Repurpose Studio (schema {current}, this build knows {LATEST}); update the app"
                ),
            )
            .with("found", current)
            .with("known", LATEST),
        ));
    }
    if current == LATEST {
        return Ok(());
    }
    db.write(|db| {
        // One migrating laptop at a time; the others wait, then find nothing to do.
        db.execute("SELECT pg_advisory_xact_lock(7247001)", args![])?;
        db.batch(PG_PREAMBLE)?;
        let current: u32 = db.row("SELECT version FROM studio_schema", args![])?.get(0)?;
        for (version, m) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            db.batch(&sql_for(m, Engine::Postgres))?;
            db.execute("UPDATE studio_schema SET version = ?1", args![version as u32 + 1])?;
            tracing::info!(version = version + 1, "team database migrated");
        }
        Ok(())
    })
}

/// The schema version of an open database (0 for a team database not set up yet).
pub(super) fn version(db: &Db) -> Result<u32> {
    match db.sqlite_conn() {
        Some(conn) => Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?),
        None => {
            let exists: bool = db.row("SELECT to_regclass('studio_schema') IS NOT NULL", args![])?.get(0)?;
            if !exists {
                return Ok(0);
            }
            db.row("SELECT version FROM studio_schema", args![])?.get(0)
        }
    }
}

/// A database at an old schema version, for tests of what happens on upgrade.
#[cfg(test)]
pub(crate) fn build_at(conn: &Connection, version: u32) {
    for m in &MIGRATIONS[..version as usize] {
        conn.execute_batch(&sql_for(m, Engine::Sqlite)).expect("old migration");
    }
    conn.pragma_update(None, "user_version", version).expect("version");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_2_posts_keep_their_free_text_account_as_an_account_row() {
        let mut conn = Connection::open_in_memory().unwrap();
        for m in &MIGRATIONS[..2] {
            conn.execute_batch(&sql_for(m, Engine::Sqlite)).unwrap();
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
        migrate_sqlite(&mut conn).unwrap();
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
