//! Nothing lost: snapshots of a real SQLite file through the `studio` CLI, a
//! damaged database refused untouched and recovered in two steps, and an
//! audit trail replaced wholesale caught by the hashes kept outside it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use studio_e2e::*;

const ARTICLE: &str = "---\ntitle: 定投入门\ntags: [基金, 定投]\n---\n\n# 定投入门\n\n定投是每月固定投入一笔钱，摊薄成本。\n\n投资有风险，入市需谨慎。\n";

fn json(data: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&studio_ok(data, &all)).unwrap()
}

/// A studio folder with two people and one approved note variant.
fn approved_studio(dir: &Path) -> PathBuf {
    let data = dir.join("数据 folder's & more");
    for (name, role) in [("编辑小李", "editor"), ("审核老王", "reviewer")] {
        studio_ok(&data, &["people", "add", name, "--role", role]);
    }
    let article = dir.join("article.md");
    std::fs::write(&article, ARTICLE).unwrap();
    let made = json(
        &data,
        &[
            "--as",
            "编辑小李",
            "notes",
            article.to_str().unwrap(),
            "--platforms",
            "xiaohongshu",
            "--out",
            data.join("cards").to_str().unwrap(),
        ],
    );
    let variant = made[0]["variant"].to_string();
    studio_ok(&data, &["--as", "编辑小李", "review", &variant, "--submit"]);
    studio_ok(&data, &["--as", "审核老王", "review", &variant, "--approve"]);
    data
}

fn failed(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn remove_wal(db: &Path) {
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

#[test]
fn a_damaged_database_is_left_alone_and_restored_from_the_newest_good_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let data = approved_studio(dir.path());
    let db = data.join("studio.db");
    let snapshot = json(&data, &["backup"]);
    let listed = json(&data, &["backup", "list"]);
    assert_eq!(listed[0]["path"], snapshot["path"], "newest first: {listed}");
    assert!(listed[0]["taken_at"].as_str().unwrap().ends_with('Z'), "{listed}");
    let snapshot_path = snapshot["path"].as_str().unwrap().to_owned();
    let good = std::fs::read(&db).unwrap();
    assert!(good.len() > 8 * 4096, "the test needs a database of several pages");

    type Damage = fn(&Path, &[u8]);
    let cases: [(&str, &str, Damage); 5] = [
        ("pages overwritten", "database_damaged", |db, good| {
            let mut bytes = good.to_vec();
            bytes[2 * 4096..5 * 4096].fill(0xA5);
            std::fs::write(db, bytes).unwrap();
        }),
        ("truncated", "database_damaged", |db, good| std::fs::write(db, &good[..good.len() / 2]).unwrap()),
        ("zero bytes", "database_damaged", |db, _| std::fs::write(db, b"").unwrap()),
        ("not a database", "database_damaged", |db, _| {
            std::fs::write(db, "id,name\n1,这不是数据库\n".repeat(500)).unwrap();
        }),
        ("from a newer build", "database_newer", |db, good| {
            std::fs::write(db, good).unwrap();
            let conn = rusqlite::Connection::open(db).unwrap();
            conn.pragma_update(None, "user_version", 999).unwrap();
        }),
    ];
    for (what, code, damage) in cases {
        std::fs::write(&db, &good).unwrap();
        remove_wal(&db);
        damage(&db, &good);
        let before = std::fs::read(&db).unwrap();

        // Step one: every command refuses, says what is wrong and which snapshot to restore.
        let stderr = failed(&studio_cmd(&data, &["people"]).output().unwrap());
        assert!(stderr.contains(&format!("error[{code}]")), "{what}: {stderr}");
        assert!(stderr.contains("studio restore") && stderr.contains(&snapshot_path), "{what}: {stderr}");
        assert!(!stderr.contains("database error"), "{what}: no raw SQLite error: {stderr}");
        let stderr = failed(&studio_cmd(&data, &["--as", "编辑小李", "review", "1", "--submit"]).output().unwrap());
        assert!(stderr.contains(&format!("error[{code}]")), "{what}: {stderr}");
        assert_eq!(std::fs::read(&db).unwrap(), before, "{what}: the file is not touched");

        // Step two: restore, and the work is back.
        let restored = json(&data, &["restore", "--latest"]);
        assert_eq!(restored["snapshot"].as_str().unwrap(), snapshot_path, "{what}");
        let aside = PathBuf::from(restored["kept_aside"].as_str().unwrap());
        assert_eq!(std::fs::read(&aside).unwrap(), before, "{what}: the damaged file is kept aside");
        let people = studio_ok(&data, &["people"]);
        assert!(people.contains("审核老王"), "{what}: {people}");
        let verify = studio_ok(&data, &["audit", "verify"]);
        assert!(verify.contains("audit trail intact"), "{what}: {verify}");
        let states = json(&data, &["audit", "list"]);
        assert!(states.as_array().unwrap().iter().any(|e| e["action"] == "approve"), "{what}: the approval survived");
    }
    let kept = std::fs::read_dir(data.join("replaced")).unwrap().count();
    assert!(kept >= 5, "every replaced file kept: {kept}");
}

#[test]
fn a_restore_refuses_a_bad_snapshot_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = approved_studio(dir.path());
    let db = data.join("studio.db");
    let bad = dir.path().join("studio-20260101T000000Z-manual.db");
    std::fs::write(&bad, b"SQLite format 3\0 and then nothing").unwrap();
    let before = std::fs::read(&db).unwrap();
    let stderr = failed(&studio_cmd(&data, &["restore", bad.to_str().unwrap()]).output().unwrap());
    assert!(stderr.contains("not a good snapshot"), "{stderr}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(!data.join("replaced").exists());
}

#[test]
fn an_audit_trail_replaced_wholesale_is_caught_by_the_hashes_kept_outside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = approved_studio(&dir.path().join("a"));
    let other = approved_studio(&dir.path().join("b"));
    let anchors = std::fs::read_to_string(data.join("backups").join("audit-anchors.txt")).unwrap();
    assert_eq!(anchors.lines().filter(|l| l.starts_with("anchor\t")).count(), 1, "{anchors}");
    let verify = studio_ok(&data, &["audit", "verify"]);
    assert!(verify.contains("1 hashes recorded outside the database match"), "{verify}");

    // Someone with the file swaps in another consistent chain (the other
    // studio's, of the same length and the same kinds of rows).
    let conn = rusqlite::Connection::open(data.join("studio.db")).unwrap();
    conn.execute("ATTACH DATABASE ?1 AS other", [other.join("studio.db").to_str().unwrap()]).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_delete;
         DELETE FROM audit_log;
         INSERT INTO audit_log SELECT * FROM other.audit_log;
         DETACH DATABASE other;",
    )
    .unwrap();
    drop(conn);

    let out = studio_cmd(&data, &["--json", "audit", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let verdict: Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems: Vec<&str> = verdict["problems"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert!(
        !problems.iter().any(|p| p.contains("edited") || p.contains("deleted") || p.contains("chain broken")),
        "the forged chain is consistent in itself: {problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("recorded outside the database")),
        "only the anchor catches it: {problems:?}"
    );
}

#[test]
fn the_log_bundle_holds_logs_and_machine_facts_but_no_media_and_no_post_text() {
    let dir = tempfile::tempdir().unwrap();
    let data = approved_studio(dir.path());
    let logs = data.with_extension("logs");
    std::fs::write(data.join("studio.db"), b"").unwrap();
    failed(&studio_cmd(&data, &["people"]).output().unwrap());
    let log = std::fs::read_to_string(logs.join("studio.log")).unwrap();
    assert!(log.contains("database_damaged"), "the error's code is logged: {log}");

    let out = dir.path().join("求助 包.zip");
    let bundle = json(&data, &["logs", "--zip", out.to_str().unwrap()]);
    assert_eq!(bundle["log_files"], serde_json::json!(["studio.log"]), "{bundle}");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let mut facts = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("machine.json").unwrap(), &mut facts).unwrap();
    let facts: Value = serde_json::from_str(&facts).unwrap();
    assert!(facts["ffmpeg_version"].as_str().unwrap().starts_with("ffmpeg version"), "{facts}");
    assert!(facts["snapshots"].as_u64().is_some() && facts["os"] == std::env::consts::OS, "{facts}");
    let mut all = Vec::new();
    for i in 0..zip.len() {
        std::io::Read::read_to_end(&mut zip.by_index(i).unwrap(), &mut all).unwrap();
    }
    let text = String::from_utf8_lossy(&all);
    for private in ["定投是每月固定投入", "摊薄成本"] {
        assert!(!text.contains(private), "post text `{private}` leaked into the bundle");
    }
    assert!(!out.with_extension("zip.part").exists());
}
