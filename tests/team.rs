//! Two laptops as one team, through the `studio` CLI against a real
//! PostgreSQL server the test starts: the editor renders and sends a clip to
//! review on one data folder, the reviewer (another login) fetches exactly
//! those bytes and approves on another, the editor schedules and packages;
//! what a role forbids is refused; bytes altered in team storage are refused
//! at review and at packaging; a solo studio moves in with `team push`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use studio_e2e::pg::{self, Cluster};
use studio_e2e::*;

const PASSWORD: &str = "团队 pass: 'w0rd' %";

/// One person on one laptop: a data folder and their login.
struct Laptop {
    data: PathBuf,
    url: String,
}

impl Laptop {
    fn new(cluster: &Cluster, dir: &Path, folder: &str, login: &str, password: &str, database: &str) -> Self {
        let data = dir.join(folder);
        fast_studio(&data);
        // The saved address carries no password; PGPASSWORD does.
        let url = cluster.url_as(login, "", database).replacen(":@", "@", 1);
        let laptop = Self { data, url };
        std::fs::write(laptop.data.with_extension("pw"), password).unwrap();
        laptop
    }

    fn run(&self, args: &[&str]) -> Output {
        let password = std::fs::read_to_string(self.data.with_extension("pw")).unwrap();
        studio_cmd(&self.data, args)
            .env("STUDIO_DATABASE", &self.url)
            .env("PGPASSWORD", password)
            .env("STUDIO_MEMBER_PASSWORD", PASSWORD)
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        succeeded(self.run(args), args)
    }

    /// Renders a Douyin clip of `master` from `start` seconds into `out`; its local variant id and file.
    fn render_clip(&self, master: &Path, out: &Path, start: &str) -> (String, PathBuf) {
        let args = [
            "render",
            master.to_str().unwrap(),
            "--platforms",
            "douyin",
            "--out",
            out.to_str().unwrap(),
            "--start",
            start,
        ];
        let made = self.json(&args);
        (made[0]["variant_id"].to_string(), PathBuf::from(made[0]["output_path"].as_str().unwrap()))
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    /// A refused command: exit 2 and its error code.
    fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "studio {args:?} should be refused: {stderr}");
        stderr
    }
}

fn sha256_of(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_owned()
}

#[test]
fn two_laptops_behave_as_one_team() {
    let cluster = Cluster::start();
    cluster.create_database("团队库");
    let dir = tempfile::tempdir().unwrap();
    let owner = Laptop::new(&cluster, dir.path(), "owner", pg::OWNER, pg::OWNER_PASSWORD, "团队库");
    owner.ok(&["team", "add-member", "编辑小李", "--role", "editor"]);
    owner.ok(&["team", "add-member", "审核老王", "--role", "reviewer"]);
    let status = owner.json(&["team", "status"]);
    assert_eq!(status["members"].as_array().unwrap().len(), 2, "{status}");

    let editor = Laptop::new(&cluster, dir.path(), "laptop A 编辑", "编辑小李", PASSWORD, "团队库");
    let reviewer = Laptop::new(&cluster, dir.path(), "laptop B 审核", "审核老王", PASSWORD, "团队库");
    assert_eq!(editor.json(&["team", "status"])["role"], "editor");

    // Laptop A renders locally and sends the clip to the team's review.
    let master = dir.path().join("路演 master.mp4");
    make_master(&master, &Master { seconds: 20.0, ..Master::default() });
    let out = dir.path().join("out A");
    let (local_variant, rendered) = editor.render_clip(&master, &out, "2");
    let sent = editor.json(&["review", &local_variant, "--submit"]);
    let team_variant = sent["team_variant"].to_string();
    assert_eq!(sent["files"][0]["sha256"], sha256_of(&rendered), "the team has the rendered bytes");

    // Laptop B has none of A's files: it fetches them, checked, and sees the same bytes.
    let shown = reviewer.json(&["review", &team_variant]);
    let fetched = PathBuf::from(shown["files"][0]["path"].as_str().unwrap());
    assert!(fetched.starts_with(&reviewer.data), "{fetched:?}");
    assert_eq!(sha256_of(&fetched), sha256_of(&rendered));
    assert_platform_mp4(&fetched, (1080, 1920));
    assert_eq!(shown["variant"]["review_state"], "in_review");

    // The editor cannot approve, whatever name they give, nor through plain SQL.
    let err = editor.refused(&["review", &team_variant, "--approve"]);
    assert!(err.contains("error[not_allowed]") && err.contains("is an editor"), "{err}");
    let err = editor.refused(&["--as", "审核老王", "review", &team_variant, "--approve"]);
    assert!(err.contains("you act as your login `编辑小李`"), "{err}");
    let sql = format!("UPDATE variants SET review_state = 'approved', approved_hash = 'x' WHERE id = {team_variant}");
    let psql = cluster.psql_as("编辑小李", PASSWORD, "团队库", &sql);
    assert!(!psql.status.success() && String::from_utf8_lossy(&psql.stderr).contains("is an editor"));

    reviewer.ok(&["review", &team_variant, "--approve"]);
    assert_eq!(editor.json(&["review", &team_variant])["variant"]["review_state"], "approved");

    // The editor schedules and packages from team storage.
    editor.ok(&["accounts", "add", "--platform", "douyin", "--name", "理财小王", "--handle", "licai_dy"]);
    editor.ok(&["posts", "add", &team_variant, "--account", "licai_dy", "--at", "2099-01-01 18:00"]);
    let posts = editor.json(&["posts", "list", "--from", "2098-12-01 00:00", "--to", "2099-02-01 00:00"]);
    let post = posts[0]["id"].to_string();
    let pkg = dir.path().join("包");
    editor.ok(&["package", &post, "--out", pkg.to_str().unwrap(), "--name", "p1"]);
    let packaged = pkg.join("p1").read_dir().unwrap().flatten().next().unwrap().path().join("video.mp4");
    assert_eq!(sha256_of(&packaged), sha256_of(&rendered), "the package holds the approved bytes");

    // Both laptops read one trail, rows from both logins, intact.
    for laptop in [&editor, &reviewer] {
        assert!(laptop.ok(&["audit", "verify"]).contains("audit trail intact"));
    }
    let trail = reviewer.json(&["audit", "list"]);
    let actors: Vec<&str> = trail.as_array().unwrap().iter().map(|e| e["actor"].as_str().unwrap()).collect();
    assert!(actors.contains(&"编辑小李") && actors.contains(&"审核老王"), "{actors:?}");

    // Bytes altered in team storage: refused at packaging …
    let video_sha = sent["files"][0]["sha256"].as_str().unwrap();
    cluster.psql(
        "团队库",
        &format!("UPDATE media_chunks SET bytes = overlay(bytes placing '\\x00ff'::bytea from 100) WHERE sha256 = '{video_sha}' AND seq = 0"),
    );
    let err = editor.refused(&["package", &post, "--out", pkg.to_str().unwrap(), "--name", "p2"]);
    assert!(err.contains("altered in team storage"), "{err}");
    assert!(!pkg.join("p2").exists(), "nothing was exported");
    // … and at review: a second clip, altered after it was sent, is neither shown nor approved.
    let out2 = dir.path().join("out A2");
    let (second, _) = editor.render_clip(&master, &out2, "5");
    let sent2 = editor.json(&["review", &second, "--submit"]);
    let sha2 = sent2["files"][0]["sha256"].as_str().unwrap();
    cluster.psql(
        "团队库",
        &format!("UPDATE media_chunks SET bytes = bytes || '\\x00'::bytea WHERE sha256 = '{sha2}' AND seq = 0"),
    );
    let team2 = sent2["team_variant"].to_string();
    let err = reviewer.refused(&["review", &team2]);
    assert!(err.contains("error[media_altered]"), "{err}");
    let err = reviewer.refused(&["review", &team2, "--approve"]);
    assert!(err.contains("error[media_altered]"), "{err}");

    // Offline: the laptop keeps working on its own drafts; team actions say why they wait.
    drop(cluster);
    let err = editor.refused(&["review", &team_variant]);
    assert!(err.contains("error[team_unreachable]") && err.contains("drafts and renders still work"), "{err}");
    editor.ok(&["edit", &second, "--title", "离线也能改草稿"]);
}

#[test]
fn a_solo_studio_moves_into_the_team_with_its_history() {
    let cluster = Cluster::start();
    cluster.create_database("moving");
    let dir = tempfile::tempdir().unwrap();
    let owner = Laptop::new(&cluster, dir.path(), "owner", pg::OWNER, pg::OWNER_PASSWORD, "moving");
    owner.ok(&["team", "add-member", "advisor", "--role", "admin"]);

    // A solo advisor's studio: one approved note.
    let solo = dir.path().join("solo");
    let run = |args: &[&str]| {
        let out = studio_cmd(&solo, args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["people", "add", "我", "--role", "admin"]);
    let md = dir.path().join("文章.md");
    std::fs::write(
        &md,
        "---\ntitle: 定投入门\ntags: [基金]\n---\n\n定投的核心在于纪律。\n\n投资有风险，入市需谨慎。\n",
    )
    .unwrap();
    let made: Value = serde_json::from_str(&run(&[
        "--json",
        "--as",
        "我",
        "notes",
        md.to_str().unwrap(),
        "--platforms",
        "xiaohongshu",
        "--out",
        dir.path().join("cards").to_str().unwrap(),
    ]))
    .unwrap();
    let v = made[0]["variant"].to_string();
    run(&["--as", "我", "review", &v, "--submit"]);
    run(&["--as", "我", "review", &v, "--approve"]);
    let head: Value = serde_json::from_str(&run(&["--json", "audit", "list"])).unwrap();
    let last_hash = head.as_array().unwrap().last().unwrap()["hash"].as_str().unwrap().to_owned();

    let url = cluster.url_as("advisor", "", "moving").replacen(":@", "@", 1);
    let push = |extra: &[&str]| {
        let mut cmd = studio_cmd(&solo, &["--json", "--database", &url, "team", "push"]);
        cmd.args(extra).env("PGPASSWORD", PASSWORD);
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    owner.ok(&["team", "status"]);
    let report = push(&[]);
    assert_eq!(report["variants"], 1, "{report}");
    assert_eq!(report["anchored_hash"], last_hash.as_str());
    assert!(report["files"].as_u64().unwrap() >= 2, "the cards went to team storage: {report}");
    assert_eq!(push(&[])["variants"], 0, "a second push sends nothing twice");

    let trail = owner.json(&["audit", "list"]);
    let rows = trail.as_array().unwrap();
    let anchor = rows.iter().find(|r| r["action"] == "team_push").unwrap();
    assert!(anchor["detail"].as_str().unwrap().contains(&last_hash), "the old chain's head is recorded");
    let history = rows.iter().find(|r| r["action"] == "history").unwrap();
    assert!(history["detail"].as_str().unwrap().contains("\"approve\""), "the solo approval is kept as history");
    assert_eq!(history["actor"], "advisor", "the server says who pushed it");
    let team_variant = history["entity_id"].to_string();
    let shown = owner.json(&["review", &team_variant]);
    assert_eq!(shown["variant"]["review_state"], "draft", "a solo approval is not a team approval");
    assert!(owner.ok(&["audit", "verify"]).contains("audit trail intact"));
}
