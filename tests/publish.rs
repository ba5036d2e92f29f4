//! Publish planning with a real SQLite file and real rendered files:
//! accounts and cadence, clash rules, due posts and outcomes, packages whose
//! checksums match the approved files, CSV imports and the reports.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use studio_e2e::*;
use studio_engine::Studio;
use studio_engine::jiff::Timestamp;
use studio_engine::metrics::{GroupBy, compare};
use studio_engine::notes::NoteRequest;
use studio_engine::package::Manifest;
use studio_engine::schedule::{ClashKind, parse_time};
use studio_engine::store::{Account, CalendarEntry, CalendarFilter, NewAccount, Person, Role, Store};

const ARTICLE: &str = "---\ntitle: 定投入门\ntags: [基金, 定投]\naccount: 理财小王\n---\n\n\
定投的核心在于纪律，而不是择时。三分钟看懂定投的原理。\n\n投资有风险，入市需谨慎。\n";

struct Team {
    studio: Studio,
    store: Store,
    editor: Person,
    reviewer: Person,
}

fn team(dir: &Path) -> Team {
    let studio = fast_studio(&dir.join("data"));
    let mut store = studio.store().unwrap();
    let editor = store.add_person("编辑小李", Role::Editor, "setup").unwrap();
    let reviewer = store.add_person("审核老王", Role::Reviewer, "setup").unwrap();
    Team { studio, store, editor, reviewer }
}

impl Team {
    /// A note variant for `platform`, in draft.
    fn note(&self, dir: &Path, platform: &str, name: &str) -> studio_engine::notes::NotePlan {
        let md = dir.join(format!("{name}.md"));
        std::fs::write(&md, ARTICLE).unwrap();
        let request = NoteRequest {
            platform: platform.into(),
            theme: "light".into(),
            disclaimer: self.studio.disclaimer(Some("risk-zh"), None, None, None).unwrap(),
            cross_line: None,
            ai: None,
        };
        self.studio.make_note(&md, &request, &dir.join("cards").join(name)).unwrap()
    }

    /// `n` approved note variants for `platform`, titled 第1篇, 第2篇 … (one card set, rendered once).
    fn approved_notes(&mut self, dir: &Path, platform: &str, n: usize) -> Vec<i64> {
        let plan = self.note(dir, platform, platform);
        (1..=n)
            .map(|i| {
                let v = self.studio.enqueue_note("tests", &plan).unwrap();
                self.approve(v, &format!("第{i}篇 定投入门"));
                v
            })
            .collect()
    }

    fn approve(&mut self, v: i64, title: &str) {
        let body = "定投的核心在于纪律，而不是择时。投资有风险，入市需谨慎。";
        self.store.edit_variant_text(v, &self.editor, title, body, &["基金".into(), "定投".into()]).unwrap();
        self.studio.submit_for_review(v, &self.editor.name).unwrap();
        self.store.approve(v, &self.reviewer, &[]).unwrap();
    }

    fn account(&mut self, platform: &str, handle: &str, cadence: &[&str]) -> Account {
        let new = NewAccount {
            platform: platform.into(),
            name: format!("{handle} 的号"),
            handle: handle.into(),
            owner: Some("投顾A".into()),
            cross_line: Some("更多干货去小红书搜 理财小王".into()),
        };
        let account = self.studio.add_account(&mut self.store, &new, "setup").unwrap();
        let rules: Vec<_> = cadence.iter().map(|c| c.parse().unwrap()).collect();
        self.store.set_cadence(account.id, &rules, "setup").unwrap()
    }

    fn at(&self, local: &str) -> Timestamp {
        parse_time(local, &self.studio.time_zone().unwrap()).unwrap()
    }

    /// Schedules as of `now` (a fixed time, so the rules don't depend on today's date).
    fn schedule(
        &mut self,
        v: i64,
        account: &Account,
        local: &str,
        now: &str,
    ) -> studio_engine::Result<studio_engine::store::Scheduled> {
        let rules = self.studio.plan_rules(account, self.at(now)).unwrap();
        let at = self.at(local);
        self.store.schedule_post(v, account.id, at, "", &self.editor, &rules)
    }
}

fn kinds(s: &studio_engine::store::Scheduled) -> Vec<String> {
    s.clashes.iter().map(|c| serde_json::to_value(&c.kind).unwrap()["kind"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn scheduling_refuses_unapproved_and_wrong_platform_and_warns_on_clashes() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = team(dir.path());
    let douyin = t.account("douyin", "licai_dy", &["daily 18:00", "daily 12:00"]);
    let xhs = t.account("xiaohongshu", "licai_xhs", &["周一,周三,周五 12:00"]);
    let dy_notes = t.approved_notes(dir.path(), "douyin-notes", 6);
    let xhs_notes = t.approved_notes(dir.path(), "xiaohongshu", 2);
    let now = "2026-11-25 09:00"; // a Wednesday

    // Accounts live on account platforms; a cross line review would block is refused.
    let bad = NewAccount {
        platform: "douyin-notes".into(),
        name: "x".into(),
        handle: "x".into(),
        owner: None,
        cross_line: None,
    };
    assert!(t.studio.add_account(&mut t.store, &bad, "setup").unwrap_err().to_string().contains("`douyin`"));
    let diversion =
        NewAccount { platform: "douyin".into(), cross_line: Some("想要内幕消息加微信 abc123".into()), ..bad };
    let err = t.studio.add_account(&mut t.store, &diversion, "setup").unwrap_err();
    assert_eq!(err.code(), "not_allowed", "{err}");

    // Unapproved: refused. Edited after approval: refused.
    let draft = t.studio.enqueue_note("tests", &t.note(dir.path(), "douyin-notes", "draft")).unwrap();
    let err = t.schedule(draft, &douyin, "2026-11-26 18:00", now).unwrap_err();
    assert!(err.to_string().contains("only approved variants"), "{err}");
    // A Xiaohongshu note does not go on a Douyin account.
    let err = t.schedule(xhs_notes[0], &douyin, "2026-11-26 18:00", now).unwrap_err();
    assert!(err.to_string().contains("xiaohongshu") && err.to_string().contains("douyin"), "{err}");

    // Douyin image-text notes go on the Douyin account.
    let first = t.schedule(dy_notes[0], &douyin, "2026-11-26 18:00", now).unwrap();
    assert!(first.clashes.is_empty(), "{:?}", first.clashes);
    assert_eq!(first.post.scheduled_at.as_deref(), Some("2026-11-26T10:00:00Z"));
    // 19:00 is inside Douyin's two-hour gap; the same variant twice; the daily cap of 3.
    let near = t.schedule(dy_notes[1], &douyin, "2026-11-26 19:00", now).unwrap();
    assert_eq!(kinds(&near), ["slot_taken"]);
    let again = t.schedule(dy_notes[0], &douyin, "2026-11-27 18:00", now).unwrap();
    assert_eq!(kinds(&again), ["same_variant"]);
    t.schedule(dy_notes[2], &douyin, "2026-11-26 08:00", now).unwrap();
    let fourth = t.schedule(dy_notes[3], &douyin, "2026-11-26 23:30", now).unwrap();
    assert_eq!(fourth.clashes[0].kind, ClashKind::DailyCap { count: 4, cap: 3 });
    // Just after midnight is the next local day: no cap, but still the 23:30 slot.
    let after = t.schedule(dy_notes[4], &douyin, "2026-11-27 00:10", now).unwrap();
    assert_eq!(kinds(&after), ["slot_taken"]);
    let past = t.schedule(xhs_notes[0], &xhs, "2026-11-20 12:00", now).unwrap();
    assert_eq!(kinds(&past), ["in_past"]);

    // The calendar: one local day, per account and per platform.
    let day = CalendarFilter { account_id: Some(douyin.id), platform: None };
    let posts = t.store.calendar(t.at("2026-11-26 00:00"), t.at("2026-11-27 00:00"), &day).unwrap();
    let times: Vec<_> = posts.iter().map(|p| p.scheduled_at.clone().unwrap()).collect();
    assert_eq!(times, ["2026-11-26T00:00:00Z", "2026-11-26T10:00:00Z", "2026-11-26T11:00:00Z", "2026-11-26T15:30:00Z"]);
    // What the app's calendar loads is the same posts, in the same order, with what it shows of each.
    let entries = t.store.calendar_entries(t.at("2026-11-26 00:00"), t.at("2026-11-27 00:00"), &day).unwrap();
    let shown: Vec<CalendarEntry> = posts
        .iter()
        .map(|p| CalendarEntry {
            id: p.id,
            scheduled_at: p.scheduled_at.clone(),
            status: p.status.clone(),
            platform: p.platform.clone(),
            account_handle: p.account_handle.clone(),
            title: p.title.clone(),
        })
        .collect();
    assert_eq!(entries, shown);
    let by_platform = CalendarFilter { account_id: None, platform: Some("xiaohongshu".into()) };
    assert_eq!(t.store.calendar(t.at("2026-11-01 00:00"), t.at("2026-12-01 00:00"), &by_platform).unwrap().len(), 1);

    // Moving a post re-checks; cancelling frees its slot.
    let rules = t.studio.plan_rules(&douyin, t.at(now)).unwrap();
    let moved = t.store.reschedule_post(near.post.id, t.at("2026-11-28 12:00"), &t.editor, &rules).unwrap();
    assert!(moved.clashes.is_empty(), "{:?}", moved.clashes);
    t.store.cancel_post(again.post.id, &t.editor).unwrap();

    // Free slots and a week's fill follow the cadence and skip clashes.
    let slots = t.store.free_slots(douyin.id, t.at("2026-11-27 00:00"), 3, &rules).unwrap();
    let slots: Vec<String> = slots.iter().map(|s| studio_engine::schedule::local_text(*s, &rules.tz)).collect();
    assert_eq!(
        slots,
        ["2026-11-27 12:00", "2026-11-27 18:00", "2026-11-28 18:00"],
        "00:10 is taken; 28th noon is taken"
    );
    let week = t
        .store
        .fill_slots(
            xhs.id,
            t.at("2026-11-30 00:00"),
            t.at("2026-12-07 00:00"),
            &t.editor,
            &t.studio.plan_rules(&xhs, t.at(now)).unwrap(),
        )
        .unwrap();
    let filled: Vec<(i64, String)> =
        week.iter().map(|s| (s.post.variant_id, s.post.scheduled_at.clone().unwrap())).collect();
    assert_eq!(
        filled,
        [(xhs_notes[1], "2026-11-30T04:00:00Z".to_owned())],
        "Monday noon gets the one Xiaohongshu variant not yet planned; then there are none left"
    );

    // Everything survives reopening the database.
    drop(t.store);
    let store = t.studio.store().unwrap();
    assert_eq!(store.posts().unwrap().iter().filter(|p| p.status == "planned").count(), 7);
    assert!(store.verify_audit().unwrap().problems.is_empty());
}

#[test]
fn due_posts_and_their_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = team(dir.path());
    let douyin = t.account("douyin", "licai_dy", &[]);
    let v = t.approved_notes(dir.path(), "douyin-notes", 2);
    let now = "2026-11-25 09:00";
    let due_one = t.schedule(v[0], &douyin, "2026-11-25 08:00", "2026-11-24 09:00").unwrap().post;
    let later = t.schedule(v[1], &douyin, "2026-11-25 18:00", now).unwrap().post;

    let due = t.store.due_posts(t.at(now)).unwrap();
    assert_eq!(due.iter().map(|d| d.post.id).collect::<Vec<_>>(), [due_one.id], "18:00 is not due at 09:00");
    assert_eq!(due[0].problem, None);
    assert_eq!(t.store.due_posts(t.at("2026-11-25 18:00")).unwrap().len(), 2, "due at its minute");

    // Edited after approval: listed, with the reason it must not go out, and refused as published.
    t.store.edit_variant_text(v[0], &t.editor, "改过的标题", "投资有风险，入市需谨慎。", &[]).unwrap();
    let due = t.store.due_posts(t.at(now)).unwrap();
    assert!(
        due[0].problem.as_ref().unwrap().text.contains("only approved variants can be scheduled or posted"),
        "{due:?}"
    );
    let err = t.store.mark_published(due_one.id, None, t.at(now), &t.editor).unwrap_err();
    assert_eq!(err.code(), "not_allowed");
    t.approve(v[0], "第1篇 定投入门");

    let published =
        t.store.mark_published(due_one.id, Some(" https://v.douyin.com/abc/ "), t.at(now), &t.editor).unwrap();
    assert_eq!((published.status.as_str(), published.url.as_deref()), ("published", Some("https://v.douyin.com/abc/")));
    assert!(t.store.due_posts(t.at(now)).unwrap().is_empty());
    // Published is final, through the API and in plain SQL.
    assert_eq!(t.store.cancel_post(due_one.id, &t.editor).unwrap_err().code(), "not_allowed");
    let raw = rusqlite::Connection::open(t.studio.data_dir().join("studio.db")).unwrap();
    let err = raw.execute("UPDATE posts SET status = 'planned' WHERE id = ?1", [due_one.id]).unwrap_err();
    assert!(err.to_string().contains("cannot be changed"), "{err}");

    assert!(t.store.mark_failed(later.id, " ", &t.editor).is_err(), "a failure needs a reason");
    let failed = t.store.mark_failed(later.id, "平台审核中，发布失败", &t.editor).unwrap();
    assert_eq!(failed.fail_reason.as_deref(), Some("平台审核中，发布失败"));
    let rules = t.studio.plan_rules(&douyin, t.at(now)).unwrap();
    let retried = t.store.reschedule_post(later.id, t.at("2026-11-26 18:00"), &t.editor, &rules).unwrap();
    assert_eq!((retried.post.status.as_str(), retried.post.fail_reason), ("planned", None));
    let actions: Vec<String> =
        t.store.audit_entries(Some(("post", later.id))).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["schedule", "failed", "reschedule"]);
}

fn read_zip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut bytes).unwrap();
            (f.name().unwrap().into_owned(), bytes)
        })
        .collect()
}

#[test]
fn packages_hold_exactly_the_approved_files_with_checksums_and_the_approval() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = team(dir.path());
    let master = dir.path().join("talk.mp4");
    make_master(&master, &Master { seconds: 6.0, ..Master::default() });
    let (_, jobs) = render(&t.studio, &master, &["douyin"], &request(&t.studio, None), &dir.path().join("out"));
    let video = jobs[0].variant_id;
    t.approve(video, "三分钟看懂定投");
    let notes = t.approved_notes(dir.path(), "xiaohongshu", 1);
    let douyin = t.account("douyin", "理财小王", &[]);
    let xhs = t.account("xiaohongshu", "licai:xhs/1", &[]);
    let now = "2026-11-25 09:00";
    let p1 = t.schedule(video, &douyin, "2026-11-26 18:00", now).unwrap().post;
    let p2 = t.schedule(notes[0], &xhs, "2026-11-27 12:00", now).unwrap().post;

    let out = dir.path().join("包 裹's: out");
    let report = t.studio.export_package(&mut t.store, &[p1.id, p2.id], &out, "本周素材包", true, "总部合规").unwrap();
    assert_eq!(report.folder, out.join("本周素材包"));
    assert_eq!(report.posts.len(), 2);

    let manifest_of = |i: usize| -> (std::path::PathBuf, Manifest, Vec<u8>) {
        let folder = report.folder.join(&report.posts[i].folder);
        let bytes = std::fs::read(folder.join("manifest.json")).unwrap();
        (folder, serde_json::from_slice(&bytes).unwrap(), bytes)
    };
    let (folder, m, raw) = manifest_of(0);
    assert_eq!(report.posts[0].folder, "20261126-1800_douyin_理财小王_post1");
    assert_eq!((m.platform.as_str(), m.account.handle.as_str(), m.kind.as_str()), ("douyin", "理财小王", "video"));
    assert_eq!(
        (m.scheduled_at.as_deref(), m.scheduled_local.as_deref()),
        (Some("2026-11-26T10:00:00Z"), Some("2026-11-26 18:00"))
    );
    assert_eq!(m.approval.reviewer, "审核老王");
    assert!(m.disclaimer_text.contains("投资有风险"), "{}", m.disclaimer_text);
    let roles: Vec<&str> = m.files.iter().map(|f| f.role.as_str()).collect();
    assert_eq!(roles, ["video", "cover", "caption"]);
    for f in &m.files {
        let (size, sha) = studio_engine::render::hash_file(&folder.join(&f.path)).unwrap();
        assert_eq!((size, sha.as_str()), (f.bytes, f.sha256.as_str()), "{}", f.path);
    }
    assert_eq!(m.files[0].sha256, jobs[0].sha256.clone().unwrap(), "the very file that was rendered and approved");
    assert_platform_mp4(&folder.join("video.mp4"), (1080, 1920));
    assert_eq!(image_size(&folder.join("cover.jpg")), (1080, 1920));
    let caption = std::fs::read_to_string(folder.join("caption.txt")).unwrap();
    assert_eq!(
        caption,
        "三分钟看懂定投\n\n定投的核心在于纪律，而不是择时。投资有风险，入市需谨慎。\n\n#基金 #定投\n\n更多干货去小红书搜 理财小王\n"
    );
    // The approval record points at a real row of the audit chain.
    let entry = t
        .store
        .audit_entries(Some(("variant", video)))
        .unwrap()
        .into_iter()
        .find(|e| e.id == m.approval.audit_id)
        .unwrap();
    assert_eq!((entry.action.as_str(), entry.hash.as_str()), ("approve", m.approval.audit_hash.as_str()));
    assert_eq!(studio_engine::digest::sha256_hex(&raw), report.posts[0].manifest_sha256);
    // And the chain's newest row when the package was made, a copy of its state outside the database.
    let head = m.audit_head.clone().expect("the manifest records the audit chain's head");
    let all = t.store.audit_entries(None).unwrap();
    let row = all.iter().find(|e| e.id == head.id).unwrap();
    assert_eq!(row.hash, head.hash);
    assert!(head.id >= m.approval.audit_id && all.last().unwrap().action == "export_package", "{head:?}");

    let (folder, m, _) = manifest_of(1);
    assert!(report.posts[1].folder.contains("licai_xhs_1"), "{}", report.posts[1].folder);
    assert_eq!(m.files[0].path, "card-01.png");
    assert_eq!(m.files[0].role, "cover");
    assert!(m.files.iter().all(|f| folder.join(&f.path).is_file()));

    // The zip holds the same files under the package's name.
    let zip = read_zip(report.zip.as_ref().unwrap());
    let names: Vec<&str> = zip.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"本周素材包/index.json"), "{names:?}");
    for (name, bytes) in &zip {
        let on_disk = std::fs::read(out.join(name)).unwrap();
        assert!(on_disk == *bytes, "{name} differs in the zip");
    }

    // A file changed after approval, or a variant edited since: the whole batch is refused, nothing written.
    let err = t.studio.export_package(&mut t.store, &[p1.id, p2.id], &out, "本周素材包", false, "x").unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    let mut bytes = std::fs::read(&jobs[0].output_path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&jobs[0].output_path, &bytes).unwrap();
    t.store.edit_variant_text(notes[0], &t.editor, "新标题", "投资有风险，入市需谨慎。", &[]).unwrap();
    let err = t.studio.export_package(&mut t.store, &[p1.id, p2.id], &out, "第二包", true, "x").unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&format!("post {}", p1.id)) && text.contains("changed after it was rendered"), "{text}");
    assert!(text.contains(&format!("post {}", p2.id)) && text.contains("not approved"), "{text}");
    assert!(!out.join("第二包").exists() && !out.join("第二包.part").exists() && !out.join("第二包.zip").exists());
}

#[test]
fn metrics_import_keeps_good_rows_and_reports_which_cut_worked() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = team(dir.path());
    let douyin = t.account("douyin", "licai_dy", &[]);
    let douyin2 = t.account("douyin", "licai_dy2", &[]);
    let xhs = t.account("xiaohongshu", "licai_xhs", &[]);
    let dy = t.approved_notes(dir.path(), "douyin-notes", 2);
    let xh = t.approved_notes(dir.path(), "xiaohongshu", 1);
    let now = "2026-11-25 09:00";
    let mut publish = |v: i64, a: &Account, at: &str, url: &str| {
        let p = t.schedule(v, a, at, "2026-11-20 00:00").unwrap().post;
        t.store.mark_published(p.id, Some(url), t.at(now), &t.editor).unwrap();
        p.id
    };
    let p1 = publish(dy[0], &douyin, "2026-11-21 18:00", "https://v.douyin.com/1/");
    let p2 = publish(dy[1], &douyin2, "2026-11-22 18:00", "https://v.douyin.com/2/");
    let p3 = publish(xh[0], &xhs, "2026-11-22 12:00", "https://xhslink.com/3");
    let planned = t.schedule(dy[1], &douyin, "2026-12-01 18:00", now).unwrap().post.id;

    let csv = format!(
        "\u{feff}帖子ID,日期,播放量,Likes,评论,分享,收藏,涨粉,转化,备注\n\
         {p1},2026-11-23,\"1,200\",100,10,5,20,3,2,首发\n\
         {p2},2026/11/23,1.5万,300,30,,,,,\n\
         ,2026-11-23,5,5,,,,,,没有帖子\n\
         {p3},2026-11-23,abc,1,,,,,,坏数字\n\
         {planned},2026-11-23,10,1,,,,,,还没发布\n\
         {p3},2026-11-23,800,-4,,,,,,负数\n\
         {p1},2026-11-23,1300,110,10,5,20,3,2,重复的一行\n\
         {p3},2026-11-24,900,90,9,,,,,\n"
    );
    let path = dir.path().join("小红书 数据.csv");
    std::fs::write(&path, &csv).unwrap();
    let s = t.studio.import_metrics(&t.store, &path).unwrap();
    assert_eq!((s.imported, s.updated), (3, 0), "{s:#?}");
    assert_eq!(s.ignored_columns, ["备注"]);
    let lines: Vec<u64> = s.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [4, 5, 6, 7], "{:#?}", s.errors);
    assert!(s.errors[0].message.contains("names no post"));
    assert!(s.errors[1].message.contains("`abc` is not a count"));
    assert!(s.errors[2].message.contains("mark it published"));
    assert!(s.errors[3].message.contains("negative"));
    assert_eq!(s.notes.len(), 1);
    assert_eq!(s.notes[0].line, 8);
    assert!(s.notes[0].message.contains("repeats line 2"));
    let snaps = t.store.snapshots(p1).unwrap();
    assert_eq!(
        (snaps.len(), snaps[0].counts.views, snaps[0].counts.likes),
        (1, Some(1300), Some(110)),
        "the later row wins"
    );
    assert_eq!(snaps[0].captured_at, "2026-11-22T16:00:00Z", "dates are local days");
    assert_eq!(t.store.snapshots(p2).unwrap()[0].counts.views, Some(15_000));

    // Importing the same file again changes nothing but counts as updates.
    let again = t.studio.import_metrics(&t.store, &path).unwrap();
    assert_eq!((again.imported, again.updated), (0, 3));

    // A file without a post column or without figures is refused as a whole, with what to do.
    std::fs::write(&path, "日期,播放量\n2026-11-23,5\n").unwrap();
    assert!(t.studio.import_metrics(&t.store, &path).unwrap_err().to_string().contains("帖子ID"));
    std::fs::write(&path, "链接,备注\nhttps://v.douyin.com/1/,x\n").unwrap();
    assert!(t.studio.import_metrics(&t.store, &path).unwrap_err().to_string().contains("播放量/views"));
    // Posts can be named by their link.
    std::fs::write(&path, "Link,Date,Views\nhttps://v.douyin.com/2/,2026-11-24,20000\n").unwrap();
    assert_eq!(t.studio.import_metrics(&t.store, &path).unwrap().imported, 1);

    let latest = t.store.latest_metrics().unwrap();
    let by_platform = compare(&latest, GroupBy::Platform, None);
    let row = |key: &str| by_platform.iter().find(|r| r.key == key).unwrap().clone();
    let d = row("douyin");
    assert_eq!(
        (d.posts, d.totals.views, d.totals.likes),
        (2, Some(21_300), Some(110)),
        "p2's newest snapshot has views only"
    );
    assert_eq!(row("xiaohongshu").totals.views, Some(900), "the newest snapshot of each post counts");
    assert_eq!(by_platform[0].key, "douyin", "best views per post first");
    let by_account = compare(&latest, GroupBy::Account, None);
    assert_eq!(by_account[0].key, "douyin:licai_dy2");
    let master = latest[0].master_id;
    let cuts = compare(&latest, GroupBy::Variant, Some(master));
    assert_eq!(cuts.len(), 2, "two cuts of the Douyin article: {cuts:#?}");
    assert_eq!(cuts[0].key, format!("#{} douyin-notes", dy[1]));
}

#[test]
fn bulk_planning_csv_reports_each_bad_row_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = team(dir.path());
    let douyin = t.account("douyin", "licai_dy", &[]);
    t.account("xiaohongshu", "licai_xhs", &[]);
    let dy = t.approved_notes(dir.path(), "douyin-notes", 3);
    let xh = t.approved_notes(dir.path(), "xiaohongshu", 1);
    let draft = t.studio.enqueue_note("tests", &t.note(dir.path(), "douyin-notes", "draft")).unwrap();
    let csv = format!(
        "变体,账号,发布时间,备注,多余的列\n\
         {},licai_dy,2026-12-01 18:00,首发,x\n\
         {},licai_xhs,2026-12-01 12:00,,\n\
         {draft},licai_dy,2026-12-02 18:00,,\n\
         {},nobody,2026-12-02 18:00,,\n\
         {},licai_dy,明天,,\n\
         {},licai_dy,2026-12-01 18:00,重复,\n\
         {},licai_dy,2026-12-01 19:00,,\n\
         abc,licai_dy,2026-12-03 18:00,,\n",
        dy[0], xh[0], dy[1], dy[1], dy[0], dy[2]
    );
    let path = dir.path().join("plan.csv");
    std::fs::write(&path, csv).unwrap();
    let rules_now = t.at("2026-11-25 09:00");
    let result = t.studio.import_plan(&mut t.store, &path, &t.editor, rules_now).unwrap();
    let ok: Vec<u64> = result.scheduled.iter().map(|s| s.line).collect();
    assert_eq!(ok, [2, 3, 8]);
    assert_eq!(result.scheduled[0].scheduled.post.note, "首发");
    assert_eq!(result.scheduled[0].scheduled.post.scheduled_at.as_deref(), Some("2026-12-01T10:00:00Z"));
    assert!(result.scheduled[2].scheduled.clashes.iter().any(|c| matches!(c.kind, ClashKind::SlotTaken { .. })));
    let errors: Vec<(u64, &str)> = result.errors.iter().map(|e| (e.line, e.message.as_str())).collect();
    assert_eq!(errors.iter().map(|e| e.0).collect::<Vec<_>>(), [4, 5, 6, 7, 9], "{errors:#?}");
    assert!(errors[0].1.contains("only approved variants"));
    assert!(errors[1].1.contains("no account `nobody`"));
    assert!(errors[2].1.contains("cannot read the time"));
    assert!(errors[3].1.contains("repeats line 2"));
    assert!(errors[4].1.contains("not a number"));
    assert_eq!(result.ignored_columns, ["多余的列"]);
    assert_eq!(
        t.store
            .calendar(
                t.at("2026-12-01 00:00"),
                t.at("2026-12-04 00:00"),
                &CalendarFilter { account_id: Some(douyin.id), platform: None }
            )
            .unwrap()
            .len(),
        2
    );
}

/// The whole loop through the `studio` binary, as a team's script would run it.
#[test]
fn the_cli_plans_exports_records_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |args: &[&str]| -> String {
        let out = studio_cmd(&data, args).output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{args:?}: {text}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let md = dir.path().join("article.md");
    std::fs::write(&md, ARTICLE).unwrap();
    run(&["people", "add", "小李", "--role", "editor"]);
    run(&["people", "add", "老王", "--role", "reviewer"]);
    let made: serde_json::Value = serde_json::from_str(&run(&[
        "--json",
        "--as",
        "小李",
        "notes",
        md.to_str().unwrap(),
        "--platforms",
        "douyin-notes",
        "--out",
        dir.path().join("cards").to_str().unwrap(),
    ]))
    .unwrap();
    let variant = made[0]["variant"].to_string();
    run(&["--as", "小李", "review", &variant, "--submit"]);
    run(&["--as", "老王", "review", &variant, "--approve"]);
    run(&[
        "--as",
        "小李",
        "accounts",
        "add",
        "--platform",
        "douyin",
        "--name",
        "理财小王",
        "--handle",
        "licai_dy",
        "--cadence",
        "每天 18:00",
    ]);
    let planned = run(&["--as", "小李", "posts", "add", &variant, "--account", "licai_dy", "--next"]);
    assert!(planned.contains("18:00 (Asia/Shanghai)"), "{planned}");
    let posts: serde_json::Value = serde_json::from_str(&run(&["--json", "posts"])).unwrap();
    let post = posts[0]["id"].to_string();
    assert!(run(&["due"]).contains("nothing due"), "the next 18:00 is in the future");
    let due: serde_json::Value = serde_json::from_str(&run(&["--json", "due", "--at", "2099-01-01 00:00"])).unwrap();
    assert_eq!(due[0]["id"].to_string(), post);
    assert!(due[0]["problem"].is_null());

    let out = dir.path().join("pkg");
    run(&["--as", "小李", "package", &post, "--out", out.to_str().unwrap(), "--name", "p", "--zip"]);
    assert!(out.join("p.zip").is_file() && out.join("p/index.json").is_file());

    run(&["--as", "小李", "posts", "published", &post, "--url", "https://v.douyin.com/x/"]);
    let csv = dir.path().join("m.csv");
    std::fs::write(&csv, format!("post,views,likes\n{post},1000,50\n{post},oops,1\n")).unwrap();
    let import = studio_cmd(&data, &["metrics", "import", csv.to_str().unwrap()]).output().unwrap();
    assert_eq!(import.status.code(), Some(1), "a bad row makes the import exit 1");
    let stderr = String::from_utf8_lossy(&import.stderr);
    assert!(stderr.contains("line 3") && stderr.contains("`oops`"), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&run(&["--json", "report", "--by", "account"])).unwrap();
    assert_eq!(report[0]["key"], "douyin:licai_dy");
    assert_eq!(report[0]["totals"]["views"], 1000);
    assert!(run(&["report"]).contains("5.00%"), "50 likes over 1000 views");
}
