//! Compliance review through the store with a real SQLite file: the workflow
//! gates the queue, roles are enforced, edits reset approval, and the audit
//! trail catches rows changed with plain SQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use studio_e2e::*;
use studio_engine::Studio;
use studio_engine::compliance::Severity;
use studio_engine::jiff::Timestamp;
use studio_engine::plan::PlanRequest;
use studio_engine::schedule::parse_time;
use studio_engine::store::{NewAccount, Override, Person, ReviewState, Role, Store, audit_csv};

/// A studio with one rendered Douyin variant made by an editor.
fn rendered(dir: &Path, request: impl Fn(&Studio) -> PlanRequest) -> (Studio, i64) {
    let master = dir.join("m.mp4");
    make_master(&master, &Master { seconds: 6.0, ..Master::default() });
    let studio = fast_studio(&dir.join("data"));
    let (_, jobs) = render(&studio, &master, &["douyin"], &request(&studio), &dir.join("out"));
    let mut store = studio.store().unwrap();
    let editor = store.add_person("编辑小李", Role::Editor, "setup").unwrap();
    store.add_person("审核老王", Role::Reviewer, "setup").unwrap();
    store.add_person("独立顾问", Role::Admin, "setup").unwrap();
    store.set_author(jobs[0].variant_id, &editor).unwrap();
    (studio, jobs[0].variant_id)
}

/// Plans `v` on a Douyin account (added on first use) at 18:00 Shanghai on 1 Dec 2026.
fn plan(studio: &Studio, store: &mut Store, v: i64, who: &Person) -> studio_engine::Result<i64> {
    let account = match store.find_account("licai_wang") {
        Ok(a) => a,
        Err(_) => {
            let new = NewAccount {
                platform: "douyin".into(),
                name: "理财小王".into(),
                handle: "licai_wang".into(),
                owner: None,
                cross_line: None,
            };
            studio.add_account(store, &new, "setup").unwrap()
        }
    };
    let rules = studio.plan_rules(&account, Timestamp::now())?;
    let at = parse_time("2026-12-01 18:00", &studio.time_zone()?)?;
    Ok(store.schedule_post(v, account.id, at, "", who, &rules)?.post.id)
}

fn state(store: &Store, id: i64) -> ReviewState {
    store.variant_content(id).unwrap().review_state
}

#[test]
fn only_reviewed_and_approved_variants_reach_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let (studio, v) = rendered(dir.path(), |s| request(s, None));
    let mut store = studio.store().unwrap();
    let editor = store.person("编辑小李").unwrap();
    let reviewer = store.person("审核老王").unwrap();

    let err = plan(&studio, &mut store, v, &editor).unwrap_err();
    assert_eq!(err.code(), "not_allowed", "{err}");
    let raw = rusqlite::Connection::open(studio.data_dir().join("studio.db")).unwrap();
    let sql = raw.execute("INSERT INTO posts (variant_id, platform) VALUES (?1, 'douyin')", [v]);
    assert!(sql.unwrap_err().to_string().contains("only approved variants can be queued"), "the schema refuses too");

    // A promise in the title blocks approval.
    store.edit_variant_text(v, &editor, "稳赚不赔的定投方法", "", &["基金".into()]).unwrap();
    let findings = studio.submit_for_review(v, "编辑小李").unwrap();
    assert!(
        findings.iter().any(|f| f.rule_id == "promise.no-risk" && f.severity == Severity::Block && f.field == "title")
    );
    assert_eq!(state(&store, v), ReviewState::InReview);

    let err = store.approve(v, &editor, &[]).unwrap_err();
    assert!(err.to_string().contains("is an editor"), "{err}");
    let err = store.approve(v, &reviewer, &[]).unwrap_err();
    assert!(err.to_string().contains("promise.no-risk"), "{err}");
    let err = store
        .approve(v, &reviewer, &[Override { rule_id: "promise.no-risk".into(), reason: "  ".into() }])
        .unwrap_err();
    assert!(err.to_string().contains("written reason"), "an empty reason is no override: {err}");
    assert!(store.request_changes(v, &reviewer, "").is_err(), "sending back needs a reason");
    store.request_changes(v, &reviewer, "标题承诺收益，请修改").unwrap();
    assert_eq!(state(&store, v), ReviewState::ChangesRequested);

    store.edit_variant_text(v, &editor, "基金定投入门", "三分钟看懂定投的原理。", &["基金".into()]).unwrap();
    let findings = studio.submit_for_review(v, "编辑小李").unwrap();
    assert!(findings.iter().all(|f| f.severity != Severity::Block), "{findings:#?}");
    store.approve(v, &reviewer, &[]).unwrap();
    assert_eq!(state(&store, v), ReviewState::Approved);
    let post = plan(&studio, &mut store, v, &editor).unwrap();
    assert!(post > 0);

    // Any edit after approval sends it back, through the API or plain SQL.
    store.edit_variant_text(v, &editor, "基金定投入门（修订）", "三分钟看懂定投的原理。", &[]).unwrap();
    assert_eq!(state(&store, v), ReviewState::Draft);
    assert_eq!(plan(&studio, &mut store, v, &editor).unwrap_err().code(), "not_allowed");
    studio.submit_for_review(v, "编辑小李").unwrap();
    store.approve(v, &reviewer, &[]).unwrap();
    raw.execute("UPDATE variants SET body = body || '！' WHERE id = ?1", [v]).unwrap();
    assert_eq!(state(&store, v), ReviewState::Draft, "the trigger resets a raw edit");

    // History: every step is in the audit trail, and the chain verifies.
    let actions: Vec<String> =
        store.audit_entries(Some(("variant", v))).unwrap().into_iter().map(|e| e.action).collect();
    for a in ["edit", "submit", "request_changes", "approve"] {
        assert!(actions.contains(&a.to_owned()), "{a} in {actions:?}");
    }
    let post_actions: Vec<String> =
        store.audit_entries(Some(("post", post))).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(post_actions, ["schedule"]);
    assert!(store.verify_audit().unwrap().problems.is_empty());
}

/// The editor changes and resubmits while the reviewer's screen still shows
/// the old version: approving from that screen is refused.
#[test]
fn a_reviewer_approves_only_what_the_screen_showed() {
    let dir = tempfile::tempdir().unwrap();
    let (studio, v) = rendered(dir.path(), |s| request(s, None));
    let mut store = studio.store().unwrap();
    let editor = store.person("编辑小李").unwrap();
    let reviewer = store.person("审核老王").unwrap();
    store.edit_variant_text(v, &editor, "基金定投入门", "三分钟看懂定投的原理。", &[]).unwrap();
    studio.submit_for_review(v, "编辑小李").unwrap();
    let seen = store.variant_content(v).unwrap().content_hash();

    store.edit_variant_text(v, &editor, "基金定投入门：三个误区", "三分钟看懂定投的原理。", &[]).unwrap();
    studio.submit_for_review(v, "编辑小李").unwrap();
    let err = studio.approve_seen(&mut store, v, &reviewer, &[], Some(&seen)).unwrap_err();
    assert_eq!(err.code(), "stale_view", "{err}");
    assert!(err.to_string().contains("look at it again"), "{err}");
    assert_eq!(state(&store, v), ReviewState::InReview, "nothing changed");

    let now = store.variant_content(v).unwrap().content_hash();
    studio.approve_seen(&mut store, v, &reviewer, &[], Some(&now)).unwrap();
    assert_eq!(state(&store, v), ReviewState::Approved);
}

/// The file the screen played is the file approved: one edited or removed
/// on disk after its render is refused, and approving works again once the
/// recorded bytes are back.
#[test]
fn a_rendered_file_changed_on_disk_is_not_approved() {
    let dir = tempfile::tempdir().unwrap();
    let (studio, v) = rendered(dir.path(), |s| request(s, None));
    let mut store = studio.store().unwrap();
    let reviewer = store.person("审核老王").unwrap();
    studio.submit_for_review(v, "编辑小李").unwrap();
    let seen = store.variant_content(v).unwrap().content_hash();
    let output = store.latest_done_job(v).unwrap().unwrap().output_path;
    let original = std::fs::read(&output).unwrap();

    let mut edited = original.clone();
    let middle = edited.len() / 2;
    edited[middle] ^= 0xff;
    std::fs::write(&output, &edited).unwrap();
    let err = studio.approve_seen(&mut store, v, &reviewer, &[], Some(&seen)).unwrap_err();
    assert_eq!(err.code(), "output_changed", "{err}");
    assert_eq!(
        err.params().iter().find(|(k, _)| *k == "path").map(|(_, p)| p.as_str()),
        Some(output.to_str().unwrap())
    );
    assert_eq!(state(&store, v), ReviewState::InReview, "nothing changed");

    std::fs::remove_file(&output).unwrap();
    let err = studio.approve_seen(&mut store, v, &reviewer, &[], Some(&seen)).unwrap_err();
    assert_eq!(err.code(), "output_gone", "{err}");

    std::fs::write(&output, &original).unwrap();
    studio.approve_seen(&mut store, v, &reviewer, &[], Some(&seen)).unwrap();
    assert_eq!(state(&store, v), ReviewState::Approved);
}

/// Each finding of a real clip is placed where the reviewer can see it: a
/// missing on-screen
/// risk text at the start, the texts on their fields.
#[test]
fn findings_of_a_clip_are_placed_at_their_cue_and_field() {
    use studio_engine::review::{Place, Places};
    let dir = tempfile::tempdir().unwrap();
    // No disclaimer: the clip's finding is the risk text missing from the picture.
    let (studio, v) = rendered(dir.path(), |_| PlanRequest::default());
    let mut store = studio.store().unwrap();
    let editor = store.person("编辑小李").unwrap();
    store.edit_variant_text(v, &editor, "稳赚不赔的基金", "保本保收益。", &[]).unwrap();
    let (content, findings) = studio.check_variant(v).unwrap();
    let places = Places::of(&content);
    let title = findings.iter().find(|f| f.field == "title").expect("a finding in the title");
    assert_eq!(places.place(&title.field), Place::Field { field: "title".into() });
    let body = findings.iter().find(|f| f.field == "body").expect("a finding in the body");
    assert_eq!(places.place(&body.field), Place::Field { field: "body".into() });
    let video = findings.iter().find(|f| f.field == "video").expect("no risk text on screen");
    assert_eq!(places.place(&video.field), Place::Time { at: 0.0 });
}

#[test]
fn overrides_need_reasons_and_nobody_but_an_admin_approves_their_own_work() {
    let dir = tempfile::tempdir().unwrap();
    let (studio, v) = rendered(dir.path(), |s| request(s, None));
    let mut store = studio.store().unwrap();
    let reviewer = store.person("审核老王").unwrap();
    let admin = store.person("独立顾问").unwrap();
    store.set_author(v, &reviewer).unwrap();
    store.edit_variant_text(v, &reviewer, "保本型产品的历史", "介绍保本基金这一类产品的由来。", &[]).unwrap();
    studio.submit_for_review(v, "审核老王").unwrap();
    let err = store.approve(v, &reviewer, &[]).unwrap_err();
    assert!(err.to_string().contains("cannot approve it"), "{err}");
    let reason = "介绍已退出市场的产品类别的历史，并非承诺";
    store.approve(v, &admin, &[Override { rule_id: "promise.principal".into(), reason: reason.into() }]).unwrap();
    let overridden: Vec<_> = store.findings(v).unwrap().into_iter().filter(|f| f.override_reason.is_some()).collect();
    assert!(!overridden.is_empty() && overridden.iter().all(|f| f.override_reason.as_deref() == Some(reason)));
    assert_eq!(overridden[0].overridden_by.as_deref(), Some("独立顾问"));

    // The admin may approve their own variant (a solo advisor); it is recorded.
    store.set_author(v, &admin).unwrap();
    store.edit_variant_text(v, &admin, "定投入门", "", &[]).unwrap();
    studio.submit_for_review(v, "独立顾问").unwrap();
    store.approve(v, &admin, &[]).unwrap();
    let last = store.audit_entries(Some(("variant", v))).unwrap().pop().unwrap();
    assert_eq!(last.action, "approve");
    assert!(last.detail.contains("\"own_work\":true"), "{}", last.detail);
}

#[test]
fn a_video_without_risk_text_on_screen_is_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let (studio, v) = rendered(dir.path(), |_| PlanRequest::default());
    let findings = studio.submit_for_review(v, "编辑小李").unwrap();
    let onscreen = findings.iter().find(|f| f.rule_id == "required.onscreen-risk").expect("blocked");
    assert_eq!(onscreen.severity, Severity::Block);
    assert!(findings.iter().any(|f| f.rule_id == "required.risk-warning"));
}

#[test]
fn the_audit_trail_catches_edited_and_deleted_rows_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let (studio, v) = rendered(dir.path(), |s| request(s, None));
    let mut store = studio.store().unwrap();
    let editor = store.person("编辑小李").unwrap();
    store.edit_variant_text(v, &editor, "定投入门", "", &[]).unwrap();
    studio.submit_for_review(v, "编辑小李").unwrap();
    let entries = store.audit_entries(None).unwrap();
    assert!(entries.len() >= 5);

    let csv = audit_csv(&entries);
    assert!(csv.starts_with("\u{feff}id,at,actor,action"));
    assert_eq!(csv.lines().count(), entries.len() + 1);
    assert!(csv.contains("编辑小李"));

    let db = studio.data_dir().join("studio.db");
    let raw = rusqlite::Connection::open(&db).unwrap();
    assert!(raw.execute("UPDATE audit_log SET actor = 'x' WHERE id = 2", []).is_err(), "append-only");
    assert!(store.verify_audit().unwrap().problems.is_empty());
    // Someone with the file and a SQLite shell removes the guard and edits a row.
    raw.execute_batch("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = '审核老王' WHERE id = 4;")
        .unwrap();
    let verdict = store.verify_audit().unwrap();
    assert_eq!(verdict.problems, ["row 4: content does not match its hash (edited)"]);

    // On a copy: undo that edit, then delete a row instead.
    let copy = dir.path().join("copy.db");
    raw.execute("VACUUM INTO ?1", [copy.to_str().unwrap()]).unwrap();
    let raw2 = rusqlite::Connection::open(&copy).unwrap();
    raw2.execute_batch(
        "UPDATE audit_log SET actor = '编辑小李' WHERE id = 4;
         DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 3;",
    )
    .unwrap();
    drop(raw2);
    let verdict = Store::open(&copy).unwrap().verify_audit().unwrap();
    assert!(verdict.problems.iter().any(|p| p.contains("missing (deleted)")), "{verdict:?}");
    assert!(verdict.problems.iter().any(|p| p.contains("row 4: does not follow")), "{verdict:?}");
}

#[test]
fn check_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let blocked = studio_cmd(&data, &["check", "稳 赚不赔，加微信领取内部消息"]).output().unwrap();
    assert_eq!(blocked.status.code(), Some(1));
    let out = String::from_utf8_lossy(&blocked.stdout);
    assert!(out.contains("BLOCK promise.no-risk") && out.contains("【稳 赚不赔】"), "{out}");
    assert!(out.contains("diversion.contact") && out.contains("advice.insider"), "{out}");

    let article = dir.path().join("周评 'A'.md");
    std::fs::write(&article, "# 本周市场回顾\n\n两市成交额回升，北向资金净买入。\n\n投资有风险，入市需谨慎。本内容仅供参考，不构成投资建议。\n").unwrap();
    let clean = studio_cmd(&data, &["--json", "check"]).arg(&article).output().unwrap();
    assert_eq!(clean.status.code(), Some(0), "{}", String::from_utf8_lossy(&clean.stdout));
    let findings: serde_json::Value = serde_json::from_slice(&clean.stdout).unwrap();
    assert_eq!(findings, serde_json::json!([]));
}

#[test]
fn an_ai_marked_variant_carries_its_labels_and_is_not_approved_without_them() {
    use studio_engine::ai_label::{AiKind, AiMark, find_implicit};
    let dir = tempfile::tempdir().unwrap();
    let (studio, v) = rendered(dir.path(), |s| request(s, None));
    let mut store = studio.store().unwrap();
    let reviewer = store.person("审核老王").unwrap();
    let editor = store.person("编辑小李").unwrap();
    let master_id = store.variants().unwrap().into_iter().find(|r| r.id == v).unwrap().master_id;

    // Marked after it was rendered: the file has no label, review blocks it.
    let mark = AiMark::new(vec![AiKind::VirtualPresenter, AiKind::SyntheticVoice], None, Some("某数字人平台")).unwrap();
    store.set_master_ai(master_id, Some(&mark), "编辑小李").unwrap();
    let findings = studio.submit_for_review(v, "编辑小李").unwrap();
    let missing = findings.iter().find(|f| f.rule_id == "required.ai-label").expect("the missing label is found");
    assert_eq!((missing.severity, missing.field.as_str()), (Severity::Block, "video"));
    let err = store.approve(v, &reviewer, &[]).unwrap_err();
    assert!(err.to_string().contains("required.ai-label"), "{err}");

    // Rendered with the master's mark (as `studio render` and the editor do): labelled, approvable.
    let marked = PlanRequest { ai: store.master_ai(master_id).unwrap(), ..request(&studio, None) };
    let (plans, jobs) = render(&studio, &dir.path().join("m.mp4"), &["douyin"], &marked, &dir.path().join("out2"));
    let v2 = jobs[0].variant_id;
    store.set_author(v2, &editor).unwrap();
    let findings = studio.submit_for_review(v2, "编辑小李").unwrap();
    assert!(findings.iter().all(|f| f.rule_id != "required.ai-label"), "{findings:#?}");
    store.approve(v2, &reviewer, &[]).unwrap();

    // What a platform's checker reads: the MP4's AIGC tag and the cover's XMP.
    let probe = ffprobe(&jobs[0].output_path);
    let tag = probe["format"]["tags"]["AIGC"].as_str().expect("an AIGC tag in the MP4");
    let record: serde_json::Value = serde_json::from_str(tag).unwrap();
    assert_eq!((record["Label"].as_str(), record["ContentProducer"].as_str()), (Some("1"), Some("某数字人平台")));
    let cover = std::fs::read(jobs[0].cover_path.as_ref().unwrap()).unwrap();
    assert_eq!(find_implicit(&cover).as_deref(), Some(tag), "the cover carries the same record");
    let cover_probe = ffprobe(jobs[0].cover_path.as_ref().unwrap());
    assert_eq!(stream(&cover_probe, "video").unwrap()["codec_name"], "mjpeg", "the labelled cover still decodes");

    // What a viewer sees: the label's plate in the safe zone's top-left corner, from the first frame to the last.
    let label = plans[0].ai_label.as_ref().unwrap();
    assert_eq!(label.record.text, "本视频含AI生成内容");
    let o = &label.overlay;
    let first_job = store.jobs().unwrap().into_iter().find(|j| j.variant_id == v).unwrap();
    let area = (o.x, o.y, o.source.width, o.source.height);
    for t in [0.0, 5.8] {
        let (plain, w, _) = frame_rgb(&first_job.output_path, t);
        let (labelled, _, _) = frame_rgb(&jobs[0].output_path, t);
        let diff = mean_diff(&plain, &labelled, w, area);
        assert!(diff > 8.0, "the label changes its box at {t} s (mean difference {diff:.1})");
    }
    let disclaimer = plans[0].overlay.as_ref().unwrap();
    assert!(o.y + o.source.height < disclaimer.y, "the label sits clear of the disclaimer");
    let actions: Vec<String> =
        store.audit_entries(Some(("master", master_id))).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["ai-mark"]);
}
