//! The store's contract, run twice: on a real SQLite file and on a real
//! PostgreSQL server (a cluster the tests start themselves). Every case is
//! written once against `Store` and instantiated per engine by `both!`, so
//! a solo studio and a team database cannot drift apart in behaviour.
//! People act through their own connection: on PostgreSQL that is their own
//! login, so what the server enforces is tested, not what the client checks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use studio_e2e::pg;
use studio_e2e::*;
use studio_engine::Studio;
use studio_engine::compliance::{Finding, Severity};
use studio_engine::jiff::Timestamp;
use studio_engine::notes::NoteRequest;
use studio_engine::probe::{AudioInfo, MediaInfo, VideoInfo};
use studio_engine::render::{Progress, RenderOutcome};
use studio_engine::schedule::parse_time;
use studio_engine::store::{CalendarFilter, Counts, JobState, NewAccount, Override, Person, ReviewState, Role, Store};

#[derive(Clone, Copy, PartialEq)]
enum Engine {
    Sqlite,
    Postgres,
}

/// A data folder, a studio for plans, and an empty database on one engine.
struct Env {
    engine: Engine,
    dir: tempfile::TempDir,
    studio: Studio,
    /// The PostgreSQL database's name.
    database: String,
    /// Tells this test's people apart from other tests' on the shared server (logins are per server).
    tag: u32,
}

const PASSWORD: &str = "pa55 w0rd: 'x' %";

impl Env {
    fn new(engine: Engine) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let tag = NEXT.fetch_add(1, Ordering::Relaxed) + std::process::id() % 1000 * 100;
        let dir = tempfile::tempdir().unwrap();
        let studio = fast_studio(&dir.path().join("data"));
        let database = format!("store_{tag}");
        if engine == Engine::Postgres {
            pg::shared().create_database(&database);
        }
        let env = Self { engine, dir, studio, database, tag };
        drop(env.admin());
        env
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The database as its owner (solo: the file; team: the owner's login, which migrates).
    fn admin(&self) -> Store {
        match self.engine {
            Engine::Sqlite => Store::open(&self.data().join("studio.db")).unwrap(),
            Engine::Postgres => Store::open_team(&pg::shared().owner_url(&self.database), &self.data()).unwrap(),
        }
    }

    /// A new person and their own connection.
    fn person(&self, name: &str, role: Role) -> (Person, Store) {
        let name = format!("{name}{}", self.tag);
        match self.engine {
            Engine::Sqlite => {
                let person = self.admin().add_person(&name, role, "setup").unwrap();
                (person, self.admin())
            }
            Engine::Postgres => {
                let person = self.admin().add_member(&name, role, PASSWORD).unwrap();
                let url = pg::shared().url_as(&name, PASSWORD, &self.database);
                let store = Store::open_team(&url, &self.data()).unwrap();
                assert_eq!(store.me().unwrap().as_ref(), Some(&person), "the server knows who connected");
                (person, store)
            }
        }
    }

    /// SQL typed at the database directly (sqlite3, or psql as `login`); the error text if refused.
    fn raw_sql(&self, login: Option<&Person>, sql: &str) -> Result<(), String> {
        match self.engine {
            Engine::Sqlite => {
                let conn = rusqlite::Connection::open(self.data().join("studio.db")).unwrap();
                conn.execute_batch(sql).map_err(|e| e.to_string())
            }
            Engine::Postgres => {
                let (user, password) = match login {
                    Some(p) => (p.name.as_str(), PASSWORD),
                    None => (pg::OWNER, pg::OWNER_PASSWORD),
                };
                let out = pg::shared().psql_as(user, password, &self.database, sql);
                if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
            }
        }
    }

    /// A planned Douyin clip of a (pretend) two-minute talk, with its render job.
    fn video_variant(&self, store: &mut Store, author: &Person) -> (i64, i64, studio_engine::plan::VariantPlan) {
        let media = MediaInfo {
            path: self.dir.path().join("路演 master 'v1' & co.mp4"),
            container: "mov,mp4,m4a,3gp,3g2,mj2".into(),
            duration: 120.0,
            size_bytes: 50_000_000,
            video: VideoInfo {
                codec: "h264".into(),
                width: 1920,
                height: 1080,
                rotation: 0,
                display_width: 1920,
                display_height: 1080,
                frame_rate: 30.0,
                frame_rate_text: "30/1".into(),
                variable_frame_rate: false,
                pix_fmt: Some("yuv420p".into()),
            },
            audio: Some(AudioInfo { codec: "aac".into(), channels: 2, sample_rate: 48000 }),
        };
        let plan = self
            .studio
            .plan(&media, "douyin", &request(&self.studio, Some(10.0)), &self.dir.path().join("out"))
            .unwrap();
        let project = store.ensure_project("路演").unwrap();
        let master = store.upsert_video_master(project, &media).unwrap();
        let (variant, job) = store.add_video_variant(master, &plan).unwrap();
        made_by(store, variant, author);
        (variant, job, plan)
    }

    /// A Xiaohongshu note variant (cards rendered) from a short article.
    fn note_variant(&self, store: &mut Store, author: &Person, platform: &str) -> i64 {
        let md = self.dir.path().join(format!("{platform}.md"));
        std::fs::write(
            &md,
            "---\ntitle: 定投入门\ntags: [基金]\n---\n\n定投的核心在于纪律。\n\n投资有风险，入市需谨慎。\n",
        )
        .unwrap();
        let request = NoteRequest {
            platform: platform.into(),
            theme: "light".into(),
            disclaimer: self.studio.disclaimer(Some("risk-zh"), None, None, None).unwrap(),
            cross_line: None,
            ai: None,
        };
        let plan = self.studio.make_note(&md, &request, &self.dir.path().join("cards").join(platform)).unwrap();
        let project = store.ensure_project("笔记").unwrap();
        let master = store.upsert_article_master(project, &plan.source).unwrap();
        let v = store.add_note_variant(master, &plan).unwrap();
        made_by(store, v, author);
        v
    }

    fn at(&self, local: &str) -> Timestamp {
        parse_time(local, &self.studio.time_zone().unwrap()).unwrap()
    }
}

/// Records the author: a solo studio is told; a team database takes it from the login that made the row.
fn made_by(store: &Store, variant: i64, author: &Person) {
    if !store.is_team() {
        store.set_author(variant, author).unwrap();
    }
}

fn outcome(plan: &studio_engine::plan::VariantPlan, n: u8) -> RenderOutcome {
    RenderOutcome {
        output: plan.output.clone(),
        cover: plan.cover.output.clone(),
        size_bytes: 1_234_567,
        sha256: format!("{n:02x}").repeat(32),
        method: None,
        encoder: None,
    }
}

/// Submits a variant with the findings given (the scan is the review tests' business).
fn submit(store: &mut Store, v: i64, who: &Person, findings: &[Finding]) -> studio_engine::Result<()> {
    let hash = store.variant_content(v)?.content_hash();
    store.submit_for_review(v, who, &hash, findings)
}

fn block_finding() -> Finding {
    Finding {
        severity: Severity::Block,
        rule_id: "promise.no-risk".into(),
        family: "promise".into(),
        field: "title".into(),
        matched: "稳赚不赔".into(),
        start: 0,
        end: 12,
        excerpt: "【稳赚不赔】的定投".into(),
        explanation: "承诺收益".into(),
        suggestion: "删去".into(),
    }
}

fn state(store: &Store, v: i64) -> ReviewState {
    store.variant_content(v).unwrap().review_state
}

// ---------------------------------------------------------------- cases

fn jobs_move_through_their_states(env: &Env) {
    let (editor, mut store) = env.person("编辑", Role::Editor);
    let (v, job, plan) = env.video_variant(&mut store, &editor);
    let (claimed, claimed_plan) = store.claim_next_job().unwrap().expect("a queued job");
    assert_eq!((claimed.id, claimed.state, claimed.attempts), (job, JobState::Running, 1));
    assert_eq!(claimed_plan, plan, "the plan comes back as it was stored");
    assert!(store.claim_next_job().unwrap().is_none(), "a running job is not claimed twice");
    store.record_progress(job, &Progress { percent: 42.5, fps: 61.0, eta_seconds: Some(3.5) }).unwrap();
    assert_eq!(store.job(job).unwrap().progress, 42.5);
    assert!(!store.cancel_requested(job).unwrap());
    assert_eq!(store.request_cancel(job).unwrap(), JobState::Running);
    assert!(store.cancel_requested(job).unwrap());
    store
        .end_job(job, JobState::Cancelled, Some(&studio_engine::message::Notice::new("job.cancelled", "cancelled")))
        .unwrap();
    let err = store.retry_job(v + 1000).unwrap_err();
    assert_eq!(err.code(), "not_found", "{err}");
    store.retry_job(job).unwrap();
    assert!(!store.cancel_requested(job).unwrap(), "a retried job starts clean");
    let (again, _) = store.claim_next_job().unwrap().unwrap();
    assert_eq!(again.attempts, 2);
    // The app was killed mid-render: the job goes back to the queue.
    let interrupted = store.requeue_interrupted().unwrap();
    assert_eq!(interrupted.iter().map(|(j, _)| j.id).collect::<Vec<_>>(), [job]);
    assert_eq!(store.job(job).unwrap().state, JobState::Queued);
    store.claim_next_job().unwrap().unwrap();
    store.finish_job(job, &outcome(&plan, 1)).unwrap();
    let done = store.latest_done_job(v).unwrap().unwrap();
    assert_eq!(
        (done.state, done.size_bytes, done.output_path.clone()),
        (JobState::Done, Some(1_234_567), plan.output.clone())
    );
    assert_eq!(store.variant_content(v).unwrap().output_sha256.as_deref(), Some("01".repeat(32).as_str()));
    let err = store.retry_job(job).unwrap_err();
    assert!(err.to_string().contains("only failed or cancelled"), "{err}");
    assert_eq!(store.jobs().unwrap().len(), 1);
    assert_eq!(store.variants().unwrap()[0].platform, "douyin");
    let masters = store.master_rows(None).unwrap();
    assert_eq!((masters.len(), masters[0].2.as_str(), masters[0].4), (1, "video", Some(120.0)));
}

fn review_is_enforced_for_each_person(env: &Env) {
    let (editor, mut ed) = env.person("编辑小李", Role::Editor);
    let (reviewer, mut rv) = env.person("审核老王", Role::Reviewer);
    let (v, job, plan) = env.video_variant(&mut ed, &editor);

    let err = submit(&mut ed, v, &editor, &[]).unwrap_err();
    assert!(err.to_string().contains("has not been rendered"), "{err}");
    ed.claim_next_job().unwrap();
    ed.finish_job(job, &outcome(&plan, 1)).unwrap();
    let err = ed.submit_for_review(v, &editor, "stale", &[]).unwrap_err();
    assert!(err.to_string().contains("changed while it was being checked"), "{err}");
    submit(&mut ed, v, &editor, &[]).unwrap();
    assert_eq!(state(&rv, v), ReviewState::InReview, "the reviewer's connection sees the submission");

    let err = ed.approve(v, &editor, &[]).unwrap_err();
    assert_eq!(err.code(), "not_allowed", "{err}");
    assert!(err.to_string().contains("is an editor"), "{err}");
    rv.approve(v, &reviewer, &[]).unwrap();
    assert_eq!(state(&ed, v), ReviewState::Approved);
    let record = ed.approval_record(v).unwrap().expect("approved");
    assert_eq!((record.reviewer.as_str(), record.role.as_str()), (reviewer.name.as_str(), "reviewer"));
    let err = rv.approve(v, &reviewer, &[]).unwrap_err();
    assert!(err.to_string().contains("only variants in review"), "{err}");

    // An edit sends it back to draft, through the store or typed at the database.
    ed.edit_variant_text(v, &editor, "定投入门（修订）", "正文", &["基金".into()]).unwrap();
    assert_eq!(state(&rv, v), ReviewState::Draft);
    assert!(rv.approval_record(v).unwrap().is_none());
    submit(&mut ed, v, &editor, &[]).unwrap();
    rv.request_changes(v, &reviewer, "标题再短些").unwrap();
    assert_eq!(state(&ed, v), ReviewState::ChangesRequested);
    submit(&mut ed, v, &editor, &[]).unwrap();
    rv.approve(v, &reviewer, &[]).unwrap();
    let actions: Vec<String> = ed.audit_entries(Some(("variant", v))).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["submit", "approve", "edit", "submit", "request_changes", "submit", "approve"]);
    let entries = ed.audit_entries(Some(("variant", v))).unwrap();
    assert_eq!(entries[1].actor, reviewer.name, "the trail names who approved");
    assert_eq!(entries[0].actor, editor.name);
    let verdict = ed.verify_audit().unwrap();
    assert!(verdict.problems.is_empty(), "{:?}", verdict.problems);
}

fn nobody_but_an_admin_approves_their_own_work(env: &Env) {
    let (reviewer, mut rv) = env.person("审核甲", Role::Reviewer);
    let (admin, mut ad) = env.person("管理员", Role::Admin);
    let own = env.note_variant(&mut rv, &reviewer, "xiaohongshu");
    submit(&mut rv, own, &reviewer, &[]).unwrap();
    let err = rv.approve(own, &reviewer, &[]).unwrap_err();
    assert!(err.to_string().contains("cannot approve it"), "{err}");
    ad.approve(own, &admin, &[]).unwrap();
    let admins = env.note_variant(&mut ad, &admin, "xiaohongshu");
    submit(&mut ad, admins, &admin, &[]).unwrap();
    ad.approve(admins, &admin, &[]).unwrap();
    assert!(ad.approval_record(admins).unwrap().unwrap().own_work, "a solo advisor's own approval is marked");
}

fn blocking_findings_need_a_written_override(env: &Env) {
    let (editor, mut ed) = env.person("编辑", Role::Editor);
    let (reviewer, mut rv) = env.person("审核", Role::Reviewer);
    let v = env.note_variant(&mut ed, &editor, "xiaohongshu");
    submit(&mut ed, v, &editor, &[block_finding()]).unwrap();
    assert_eq!(rv.findings(v).unwrap()[0].finding, block_finding());
    let err = rv.approve(v, &reviewer, &[]).unwrap_err();
    assert!(err.to_string().contains("promise.no-risk"), "{err}");
    let blank = Override { rule_id: "promise.no-risk".into(), reason: "  ".into() };
    assert!(rv.approve(v, &reviewer, &[blank]).is_err(), "a blank reason is no reason");
    let reason = Override { rule_id: "promise.no-risk".into(), reason: "引用监管原文，非承诺".into() };
    rv.approve(v, &reviewer, &[reason]).unwrap();
    let record = rv.approval_record(v).unwrap().unwrap();
    assert_eq!(record.overrides.len(), 1);
    assert_eq!(
        (record.overrides[0].reason.as_str(), record.overrides[0].by.as_str()),
        ("引用监管原文，非承诺", reviewer.name.as_str())
    );
    let stored = ed.findings(v).unwrap();
    assert_eq!(stored[0].overridden_by.as_deref(), Some(reviewer.name.as_str()));
}

fn posts_need_approval_and_a_published_post_is_final(env: &Env) {
    let (editor, mut ed) = env.person("运营", Role::Editor);
    let (reviewer, mut rv) = env.person("合规", Role::Reviewer);
    let draft = env.note_variant(&mut ed, &editor, "douyin-notes");
    let approved = env.note_variant(&mut ed, &editor, "douyin-notes");
    submit(&mut ed, approved, &editor, &[]).unwrap();
    rv.approve(approved, &reviewer, &[]).unwrap();
    let new = NewAccount {
        platform: "douyin".into(),
        name: "理财小王".into(),
        handle: format!("licai_{}", env.tag),
        owner: None,
        cross_line: None,
    };
    let account = ed.add_account(&new, &editor.name).unwrap();
    let err = ed.add_account(&new, &editor.name).unwrap_err();
    assert!(err.to_string().contains("already has an account"), "{err}");
    let account = ed
        .set_cadence(account.id, &["daily 18:00".parse().unwrap(), "daily 12:00".parse().unwrap()], &editor.name)
        .unwrap();
    assert_eq!(account.cadence.len(), 2);
    assert_eq!(ed.find_account(&new.handle).unwrap().id, account.id);
    let now = env.at("2026-11-25 09:00");
    let rules = env.studio.plan_rules(&account, now).unwrap();

    let err = ed.schedule_post(draft, account.id, env.at("2026-11-26 18:00"), "", &editor, &rules).unwrap_err();
    assert!(err.to_string().contains("only approved variants"), "{err}");
    let sql = format!("INSERT INTO posts (variant_id, platform) VALUES ({draft}, 'douyin-notes')");
    let refused = env.raw_sql(None, &sql).unwrap_err();
    assert!(refused.contains("only approved variants can be queued"), "the schema refuses too: {refused}");

    let first = ed.schedule_post(approved, account.id, env.at("2026-11-26 18:00"), "置顶", &editor, &rules).unwrap();
    assert_eq!(first.post.scheduled_at.as_deref(), Some("2026-11-26T10:00:00Z"));
    assert!(first.clashes.is_empty(), "{:?}", first.clashes);
    let again = ed.schedule_post(approved, account.id, env.at("2026-11-26 19:00"), "", &editor, &rules).unwrap();
    let kinds: Vec<String> = again
        .clashes
        .iter()
        .map(|c| serde_json::to_value(&c.kind).unwrap()["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(kinds.contains(&"same_variant".to_owned()) && kinds.contains(&"slot_taken".to_owned()), "{kinds:?}");
    ed.cancel_post(again.post.id, &editor).unwrap();
    let moved = ed.reschedule_post(first.post.id, env.at("2026-11-27 12:00"), &editor, &rules).unwrap();
    assert_eq!(moved.post.scheduled_at.as_deref(), Some("2026-11-27T04:00:00Z"));

    let month =
        ed.calendar(env.at("2026-11-01 00:00"), env.at("2026-12-01 00:00"), &CalendarFilter::default()).unwrap();
    assert_eq!(month.iter().map(|p| p.id).collect::<Vec<_>>(), [first.post.id], "cancelled posts leave the calendar");
    let other = CalendarFilter { platform: Some("xiaohongshu".into()), ..CalendarFilter::default() };
    assert!(ed.calendar(env.at("2026-11-01 00:00"), env.at("2026-12-01 00:00"), &other).unwrap().is_empty());
    let due = ed.due_posts(env.at("2026-11-28 00:00")).unwrap();
    assert_eq!((due.len(), due[0].problem.clone()), (1, None));

    let url = "https://www.douyin.com/video/7300000000000000001";
    let published = ed.mark_published(first.post.id, Some(url), env.at("2026-11-27 12:01"), &editor).unwrap();
    assert_eq!(published.status, "published");
    let err = ed.cancel_post(first.post.id, &editor).unwrap_err();
    assert!(err.to_string().contains("cannot become cancelled"), "{err}");
    let sql = format!("UPDATE posts SET scheduled_at = '2026-12-24T00:00:00Z' WHERE id = {}", first.post.id);
    let refused = env.raw_sql(None, &sql).unwrap_err();
    assert!(refused.contains("a published post cannot be changed"), "{refused}");

    // Figures: the newest snapshot per post, the plan's duration with it.
    assert_eq!(ed.post_by_url(url).unwrap(), Some(first.post.id));
    let counts = |views| Counts { views: Some(views), likes: Some(3), ..Counts::default() };
    assert!(ed.record_metrics(first.post.id, "2026-11-28T00:00:00Z", &counts(100), "manual").unwrap());
    assert!(ed.record_metrics(first.post.id, "2026-11-29T00:00:00Z", &counts(250), "csv:导出.csv").unwrap());
    assert!(!ed.record_metrics(first.post.id, "2026-11-29T00:00:00Z", &counts(260), "csv:导出.csv").unwrap());
    let latest = ed.latest_metrics().unwrap();
    assert_eq!(
        (latest.len(), latest[0].counts.views, latest[0].captured_at.as_str()),
        (1, Some(260), "2026-11-29T00:00:00Z")
    );
    assert_eq!(latest[0].duration, None, "a note has no duration");
    assert_eq!(ed.snapshots(first.post.id).unwrap().len(), 2);
    let err = ed.record_metrics(again.post.id, "2026-11-29T00:00:00Z", &counts(1), "manual").unwrap_err();
    assert!(err.to_string().contains("mark it published"), "{err}");
}

fn free_slots_fill_with_approved_variants(env: &Env) {
    let (admin, mut ad) = env.person("投顾", Role::Admin);
    let notes: Vec<i64> = (0..3).map(|_| env.note_variant(&mut ad, &admin, "douyin-notes")).collect();
    for &v in &notes {
        submit(&mut ad, v, &admin, &[]).unwrap();
        ad.approve(v, &admin, &[]).unwrap();
    }
    let new = NewAccount {
        platform: "douyin".into(),
        name: "号".into(),
        handle: format!("h{}", env.tag),
        owner: None,
        cross_line: None,
    };
    let account = ad.add_account(&new, &admin.name).unwrap();
    let account = ad.set_cadence(account.id, &["daily 18:00".parse().unwrap()], &admin.name).unwrap();
    let rules = env.studio.plan_rules(&account, env.at("2026-11-25 09:00")).unwrap();
    let free = ad.free_slots(account.id, env.at("2026-11-25 09:00"), 2, &rules).unwrap();
    assert_eq!(free, [env.at("2026-11-25 18:00"), env.at("2026-11-26 18:00")]);
    let filled =
        ad.fill_slots(account.id, env.at("2026-11-25 00:00"), env.at("2026-11-30 00:00"), &admin, &rules).unwrap();
    assert_eq!(filled.iter().map(|s| s.post.variant_id).collect::<Vec<_>>(), notes, "oldest approval first, one each");
    assert!(ad.ready_variants().unwrap().is_empty(), "notes have no render job");
}

fn the_audit_trail_is_append_only_and_one_chain(env: &Env) {
    let (editor, mut ed) = env.person("编辑", Role::Editor);
    let v = env.note_variant(&mut ed, &editor, "xiaohongshu");
    submit(&mut ed, v, &editor, &[]).unwrap();
    ed.record_export(&editor.name, &serde_json::json!({ "variants": [v], "zip": "包 1.zip" })).unwrap();
    let entries = ed.audit_entries(None).unwrap();
    assert!(entries.len() >= 2);
    assert_eq!(entries.last().unwrap().action, "export_package");
    let (head_id, head_hash) = ed.audit_head().unwrap().unwrap();
    assert_eq!((head_id, head_hash.as_str()), (entries.last().unwrap().id, entries.last().unwrap().hash.as_str()));
    assert!(ed.verify_audit().unwrap().problems.is_empty());
    for sql in ["UPDATE audit_log SET detail = '{}' WHERE id = 1", "DELETE FROM audit_log WHERE id = 1"] {
        let refused = env.raw_sql(None, sql).unwrap_err();
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    assert!(ed.verify_audit().unwrap().problems.is_empty(), "nothing changed");
    let csv = studio_engine::store::audit_csv(&entries);
    assert!(csv.starts_with('\u{feff}') && csv.contains("包 1.zip"));
}

/// What a member cannot do with the team database even when they bypass
/// the studio: claim to be someone else, or type SQL at it.
#[test]
fn postgres_the_server_decides_who_may_act_whatever_the_client_claims() {
    let env = Env::new(Engine::Postgres);
    let (editor, mut ed) = env.person("编辑", Role::Editor);
    let (reviewer, mut rv) = env.person("审核", Role::Reviewer);
    let v = env.note_variant(&mut ed, &editor, "xiaohongshu");
    submit(&mut ed, v, &editor, &[block_finding()]).unwrap();

    // The editor's connection, claiming to be the reviewer: the client's check passes, the server's does not.
    let err =
        ed.approve(v, &reviewer, &[Override { rule_id: "promise.no-risk".into(), reason: "x".into() }]).unwrap_err();
    assert_eq!(err.code(), "not_allowed", "{err}");
    assert!(err.to_string().contains("reviewer"), "{err}");
    assert_eq!(state(&rv, v), ReviewState::InReview, "nothing of it was applied");

    let editor_sql = |sql: &str| env.raw_sql(Some(&editor), sql).unwrap_err();
    let refused =
        editor_sql(&format!("UPDATE variants SET review_state = 'approved', approved_hash = 'x' WHERE id = {v}"));
    assert!(refused.contains("is an editor; approval needs a reviewer"), "{refused}");
    let refused = editor_sql(&format!("UPDATE review_findings SET override_reason = 'ok' WHERE variant_id = {v}"));
    assert!(refused.contains("only reviewers and admins override"), "{refused}");
    let refused = editor_sql(&format!("DELETE FROM review_findings WHERE variant_id = {v}"));
    assert!(refused.contains("cannot change now"), "{refused}");
    let refused = editor_sql(&format!(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, prev_hash, hash)
         VALUES ('', '{0}', 'approve', 'variant', {v}, '{{}}', '', '')",
        reviewer.name
    ));
    assert!(refused.contains("is not a reviewer"), "{refused}");
    for sql in [
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "UPDATE audit_log SET actor = 'x'",
        "UPDATE audit_head SET id = 0",
    ] {
        let refused = editor_sql(sql);
        assert!(refused.contains("permission denied") || refused.contains("append-only"), "{sql}: {refused}");
    }
    let refused = editor_sql("CREATE ROLE sneaky LOGIN IN ROLE studio_admin");
    assert!(refused.contains("permission denied"), "{refused}");
    let refused = editor_sql("SELECT studio_add_member('sneaky', 'admin', 'x')");
    assert!(refused.contains("permission denied") || refused.contains("not an admin"), "{refused}");
    let err = ed.add_member("sneaky2", Role::Admin, "long enough pw").unwrap_err();
    assert_eq!(err.code(), "not_allowed", "{err}");

    // A reviewer typing the approval at the database still has to leave it in the audit trail.
    let refused = env
        .raw_sql(
            Some(&reviewer),
            &format!("UPDATE variants SET review_state = 'approved', approved_hash = 'x' WHERE id = {v}"),
        )
        .unwrap_err();
    assert!(refused.contains("must be recorded in the audit trail"), "{refused}");
    // An audit row written by hand names who wrote it, not whom it claims.
    env.raw_sql(
        Some(&editor),
        &format!(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, prev_hash, hash)
             VALUES ('', '{0}', 'note', 'variant', {v}, '{{}}', 'forged', 'forged')",
            reviewer.name
        ),
    )
    .unwrap();
    let last = rv.audit_entries(None).unwrap().pop().unwrap();
    assert_eq!((last.actor.as_str(), last.action.as_str()), (editor.name.as_str(), "note"));
    assert_ne!(last.prev_hash, "forged");
    assert!(rv.verify_audit().unwrap().problems.is_empty(), "the server chained it");

    rv.approve(v, &reviewer, &[Override { rule_id: "promise.no-risk".into(), reason: "引用原文".into() }]).unwrap();
    let refused = editor_sql(&format!("UPDATE variants SET author_id = {} WHERE id = {v}", reviewer.id));
    assert!(refused.contains("only an admin changes who made"), "{refused}");
}

/// Twenty connections deciding one variant at the same moment: one
/// approval, the others told why not; then twenty scheduling the same post:
/// one post. The audit trail stays one unbroken chain.
fn twenty_at_once_end_with_one_result(env: &Env) {
    let (editor, mut ed) = env.person("编辑", Role::Editor);
    let v = env.note_variant(&mut ed, &editor, "douyin-notes");
    submit(&mut ed, v, &editor, &[]).unwrap();
    let reviewers: Vec<(Person, Store)> = (0..4).map(|i| env.person(&format!("审核{i}号"), Role::Reviewer)).collect();
    let people: Vec<Person> = reviewers.iter().map(|(p, _)| p.clone()).collect();
    drop(reviewers);
    let connect = |p: &Person| match env.engine {
        Engine::Sqlite => env.admin(),
        Engine::Postgres => {
            Store::open_team(&pg::shared().url_as(&p.name, PASSWORD, &env.database), &env.data()).unwrap()
        }
    };
    let barrier = std::sync::Barrier::new(20);
    let results: Vec<studio_engine::Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let person = people[i % 4].clone();
                let mut store = connect(&person);
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    store.approve(v, &person, &[])
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    for lost in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(lost.to_string().contains("is approved; only variants in review"), "the loser is told why: {lost}");
    }
    let approvals =
        ed.audit_entries(Some(("variant", v))).unwrap().into_iter().filter(|e| e.action == "approve").count();
    assert_eq!(approvals, 1);

    let new = NewAccount {
        platform: "douyin".into(),
        name: "号".into(),
        handle: format!("c{}", env.tag),
        owner: None,
        cross_line: None,
    };
    let account = ed.add_account(&new, &editor.name).unwrap();
    let rules = env.studio.plan_rules(&account, env.at("2026-11-25 09:00")).unwrap();
    let at = env.at("2026-11-26 18:00");
    let barrier = std::sync::Barrier::new(20);
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                let mut store = connect(&editor);
                let (barrier, rules, editor) = (&barrier, &rules, &editor);
                scope.spawn(move || {
                    barrier.wait();
                    store.schedule_post(v, account.id, at, "", editor, rules).map(|s| s.post.id)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    for lost in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(lost.to_string().contains("already planned"), "{lost}");
    }
    assert_eq!(ed.posts().unwrap().iter().filter(|p| p.variant_id == v).count(), 1, "no duplicate post");
    let verdict = ed.verify_audit().unwrap();
    assert!(verdict.problems.is_empty(), "{:?}", verdict.problems);
}

/// An action run again under the id it was first run with is applied once,
/// and answers as the first run did.
fn an_action_retried_under_its_id_applies_once(env: &Env) {
    let (editor, mut ed) = env.person("编辑", Role::Editor);
    let (reviewer, mut rv) = env.person("审核", Role::Reviewer);
    let v = env.note_variant(&mut ed, &editor, "xiaohongshu");
    submit(&mut ed, v, &editor, &[]).unwrap();
    rv.set_action_id("approve-7f3a 第一次");
    rv.approve(v, &reviewer, &[]).unwrap();
    let mut again = match env.engine {
        Engine::Sqlite => env.admin(),
        Engine::Postgres => {
            Store::open_team(&pg::shared().url_as(&reviewer.name, PASSWORD, &env.database), &env.data()).unwrap()
        }
    };
    again.set_action_id("approve-7f3a 第一次");
    again.approve(v, &reviewer, &[]).expect("the retry finds it done");
    let approvals =
        ed.audit_entries(Some(("variant", v))).unwrap().into_iter().filter(|e| e.action == "approve").count();
    assert_eq!(approvals, 1);
    let err = again.approve(v, &reviewer, &[]).unwrap_err();
    assert!(err.to_string().contains("only variants in review"), "a new action is a new action: {err}");
}

/// The server crashes (`pg_ctl stop -m immediate`) while an approval's
/// transaction is open; when it is back the client's retry applies the
/// approval, with its override, exactly once. Then a commit whose reply is
/// lost: the retry finds it applied.
#[test]
fn postgres_a_server_crash_mid_approval_loses_nothing_and_applies_once() {
    let mut cluster = pg::Cluster::start();
    let url = cluster.create_database("crash");
    let data = tempfile::tempdir().unwrap();
    let studio = fast_studio(data.path());
    let mut admin = Store::open_team(&url, data.path()).unwrap();
    let editor = admin.add_member("crash_editor", Role::Editor, PASSWORD).unwrap();
    let reviewer = admin.add_member("crash_reviewer", Role::Reviewer, PASSWORD).unwrap();
    let mut ed = Store::open_team(&cluster.url_as(&editor.name, PASSWORD, "crash"), data.path()).unwrap();
    let env_like = |store: &mut Store, name: &str| {
        let md = data.path().join(format!("{name}.md"));
        std::fs::write(&md, "---\ntitle: 稳赚不赔\n---\n\n正文。\n").unwrap();
        let request = NoteRequest {
            platform: "xiaohongshu".into(),
            theme: "light".into(),
            disclaimer: studio.disclaimer(Some("risk-zh"), None, None, None).unwrap(),
            cross_line: None,
            ai: None,
        };
        let plan = studio.make_note(&md, &request, &data.path().join(name)).unwrap();
        let project = store.ensure_project("p").unwrap();
        let master = store.upsert_article_master(project, &plan.source).unwrap();
        store.add_note_variant(master, &plan).unwrap()
    };
    let v = env_like(&mut ed, "a");
    let w = env_like(&mut ed, "b");
    submit(&mut ed, v, &editor, &[block_finding()]).unwrap();
    submit(&mut ed, w, &editor, &[]).unwrap();

    let mut rv = Store::open_team(&cluster.url_as(&reviewer.name, PASSWORD, "crash"), data.path()).unwrap();
    rv.inject_fault(studio_engine::store::db::Fault::PauseBeforeCommit(std::time::Duration::from_secs(2)));
    let person = reviewer.clone();
    let approving = std::thread::spawn(move || {
        let reason = Override { rule_id: "promise.no-risk".into(), reason: "引用监管原文".into() };
        let result = rv.approve(v, &person, &[reason]);
        (rv, result)
    });
    std::thread::sleep(std::time::Duration::from_millis(800));
    cluster.stop("immediate");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let restarted = Timestamp::now();
    cluster.run_server();
    let (mut rv, result) = approving.join().unwrap();
    result.expect("the approval is applied after the server is back");
    let entries = ed.audit_entries(Some(("variant", v))).unwrap();
    let approved_at: Timestamp = entries.iter().find(|e| e.action == "approve").unwrap().at.parse().unwrap();
    assert!(
        approved_at > restarted,
        "the approval committed after the crash ({approved_at} vs {restarted}), not before it"
    );
    let count = |action: &str| entries.iter().filter(|e| e.action == action).count();
    assert_eq!((count("approve"), count("override")), (1, 1), "{entries:?}");
    assert_eq!(state(&ed, v), ReviewState::Approved);
    assert_eq!(ed.findings(v).unwrap()[0].override_reason.as_deref(), Some("引用监管原文"));

    rv.inject_fault(studio_engine::store::db::Fault::LoseCommitReply);
    rv.approve(w, &reviewer, &[]).expect("the retry learns it was applied");
    let approvals =
        ed.audit_entries(Some(("variant", w))).unwrap().into_iter().filter(|e| e.action == "approve").count();
    assert_eq!(approvals, 1);
    let verdict = ed.verify_audit().unwrap();
    assert!(verdict.problems.is_empty(), "{:?}", verdict.problems);

    // Offline: refused at once, with what still works.
    cluster.stop("fast");
    let started = std::time::Instant::now();
    let err = ed.request_changes(w, &editor, "x").unwrap_err();
    assert_eq!(err.code(), "team_unreachable", "{err}");
    assert!(err.to_string().contains("drafts and renders still work"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "no long wait when the server is simply not there");
    cluster.run_server();
}

macro_rules! both {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $case() { super::$case(&super::Env::new(super::Engine::Sqlite)); } )*
        }
        mod postgres {
            $( #[test] fn $case() { super::$case(&super::Env::new(super::Engine::Postgres)); } )*
        }
    };
}

both!(
    jobs_move_through_their_states,
    review_is_enforced_for_each_person,
    nobody_but_an_admin_approves_their_own_work,
    blocking_findings_need_a_written_override,
    posts_need_approval_and_a_published_post_is_final,
    free_slots_fill_with_approved_variants,
    the_audit_trail_is_append_only_and_one_chain,
    twenty_at_once_end_with_one_result,
    an_action_retried_under_its_id_applies_once,
);

/// Tables and columns, as each engine reports them.
fn columns_sqlite(path: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.name",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

#[test]
fn both_engines_build_the_same_tables_from_the_one_migration_list() {
    let lite = Env::new(Engine::Sqlite);
    let team = Env::new(Engine::Postgres);
    // What only a laptop has: which of its variants it sent to which team.
    let mut sqlite: Vec<_> =
        columns_sqlite(&lite.data().join("studio.db")).into_iter().filter(|(t, _)| t != "team_links").collect();
    let out = pg::shared().psql(
        &team.database,
        "SELECT table_name || '|' || column_name FROM information_schema.columns
         WHERE table_schema = 'public' ORDER BY 1",
    );
    let mut postgres: Vec<(String, String)> = out
        .lines()
        .map(|l| l.split_once('|').unwrap())
        .map(|(t, c)| (t.to_owned(), c.to_owned()))
        // What only a team database has: its version row, the chain's head, the transaction of each audit row.
        .filter(|(t, c)| !(matches!(t.as_str(), "studio_schema" | "audit_head") || (t == "audit_log" && c == "txid")))
        .collect();
    sqlite.sort();
    postgres.sort();
    // A team's people are its server's logins (a view), a solo studio's a table.
    assert_eq!(sqlite, postgres);
    assert_eq!(lite.admin().schema_version().unwrap(), team.admin().schema_version().unwrap());
}
