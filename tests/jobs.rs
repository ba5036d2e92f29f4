//! The render queue's life: crashes, cancels, a killed ffmpeg, one runner
//! per data folder, and a schema that migrates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;

use studio_e2e::*;
use studio_engine::queue::{JobEvents, RunnerLock, run_queue};
use studio_engine::render::{CancelToken, Progress, hash_file, partial_path};
use studio_engine::store::{JobState, RenderJob, Store};

/// A data folder with one queued Bilibili job (a full re-encode of a 40 s
/// master: long enough to interrupt), queued through the CLI.
fn queued_job(dir: &Path) -> (PathBuf, RenderJob) {
    let master = dir.join("long talk.mp4");
    make_master(&master, &Master { seconds: 40.0, ..Master::default() });
    let data = dir.join("data");
    fast_studio(&data);
    let out = dir.join("out");
    let queued = studio_cmd(&data, &["render", "--no-run", "--platforms", "bilibili", "--out", out.to_str().unwrap()])
        .arg(&master)
        .output()
        .unwrap();
    assert!(queued.status.success(), "{}", String::from_utf8_lossy(&queued.stderr));
    let job = Store::open(&data.join("studio.db")).unwrap().jobs().unwrap().remove(0);
    assert_eq!(job.state, JobState::Queued);
    (data, job)
}

fn job_now(data: &Path, id: i64) -> RenderJob {
    Store::open(&data.join("studio.db")).unwrap().job(id).unwrap()
}

fn wait_until_rendering(data: &Path, job: &RenderJob) {
    wait_for(60.0, "the job to make progress", || {
        let j = job_now(data, job.id);
        j.state == JobState::Running && j.progress > 3.0
    });
}

#[test]
fn a_killed_studio_leaves_no_done_row_and_the_job_finishes_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (data, job) = queued_job(dir.path());
    let partial = partial_path(&job.output_path);

    let mut runner = studio_cmd(&data, &["run"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    wait_until_rendering(&data, &job);
    assert!(partial.exists(), "ffmpeg is writing the partial file");
    runner.kill().unwrap(); // SIGKILL: no cleanup code runs
    runner.wait().unwrap();

    // ffmpeg dies with it instead of writing on as an orphan.
    wait_for(5.0, "ffmpeg to exit with studio", || processes_mentioning(partial.to_str().unwrap()).is_empty());
    let crashed = job_now(&data, job.id);
    assert_eq!(crashed.state, JobState::Running, "the row still says running");
    assert!(!job.output_path.exists(), "no file under the final name");

    let resumed = studio_cmd(&data, &["run"]).output().unwrap();
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    let done = job_now(&data, job.id);
    assert_eq!((done.state, done.attempts), (JobState::Done, 2));
    let (size, sha) = hash_file(&done.output_path).unwrap();
    assert_eq!((Some(size), done.sha256.as_deref()), (done.size_bytes, Some(sha.as_str())));
    assert!(!partial.exists());
    assert_duration(assert_platform_mp4(&done.output_path, (1920, 1080)), 40.0);
    let verify = studio_cmd(&data, &["jobs", "verify"]).output().unwrap();
    assert!(verify.status.success() && String::from_utf8_lossy(&verify.stdout).contains("ok"));

    // Once reviewed and approved, the variant can be scheduled, and the post survives a reopen.
    let run = |args: &[&str]| {
        let out = studio_cmd(&data, args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let variant = done.variant_id.to_string();
    run(&["people", "add", "理财小王", "--role", "editor"]);
    run(&["people", "add", "合规老张", "--role", "reviewer"]);
    run(&[
        "--as",
        "理财小王",
        "accounts",
        "add",
        "--platform",
        "bilibili",
        "--name",
        "理财小王",
        "--handle",
        "licai_wang",
    ]);
    let at = ["--at", "2026-12-01 18:00"];
    let refused = studio_cmd(
        &data,
        &[&["--as", "理财小王", "posts", "add", &variant, "--account", "licai_wang"][..], &at[..]].concat(),
    )
    .output()
    .unwrap();
    assert_eq!(refused.status.code(), Some(2), "not before review");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("only approved variants"));
    run(&["--as", "理财小王", "edit", &variant, "--title", "定投入门", "--tags", "基金,定投"]);
    run(&["--as", "理财小王", "review", &variant, "--submit"]);
    run(&["--as", "合规老张", "review", &variant, "--approve"]);
    run(&[&["--as", "理财小王", "posts", "add", &variant, "--account", "licai_wang"][..], &at[..]].concat());
    let listed = studio_cmd(&data, &["--json", "queue"]).output().unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed["posts"][0]["account_handle"], "licai_wang");
    assert_eq!(listed["posts"][0]["scheduled_at"], "2026-12-01T10:00:00Z", "18:00 in Shanghai, stored as UTC");
    let verify = studio_cmd(&data, &["audit", "verify"]).output().unwrap();
    assert!(String::from_utf8_lossy(&verify.stdout).contains("audit trail intact"));
    assert_eq!(listed["ready"].as_array().unwrap().len(), 0);
}

#[test]
fn cancelling_from_another_process_stops_ffmpeg_and_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (data, job) = queued_job(dir.path());
    let runner = studio_cmd(&data, &["run"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    wait_until_rendering(&data, &job);
    let cancel = studio_cmd(&data, &["jobs", "cancel", &job.id.to_string()]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&cancel.stdout).trim(), format!("job {}: cancel requested", job.id));
    let finished = runner.wait_with_output().unwrap();
    assert_eq!(finished.status.code(), Some(1), "a run with a cancelled job does not report success");
    let cancelled = job_now(&data, job.id);
    assert_eq!(cancelled.state, JobState::Cancelled);
    assert!(!job.output_path.exists() && !partial_path(&job.output_path).exists());

    // A cancelled job can be retried.
    assert!(studio_cmd(&data, &["jobs", "retry", &job.id.to_string()]).status().unwrap().success());
    assert_eq!(job_now(&data, job.id).state, JobState::Queued);
}

struct CancelOnProgress(CancelToken);
impl JobEvents for CancelOnProgress {
    fn progress(&self, _job_id: i64, p: &Progress) {
        if p.percent > 5.0 {
            self.0.cancel();
        }
    }
}

#[test]
fn cancel_token_stops_the_runner_and_later_jobs_stay_queued() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("m.mp4");
    make_master(&master, &Master { seconds: 40.0, ..Master::default() });
    let studio = fast_studio(&dir.path().join("data"));
    let media = studio.probe(&master).unwrap();
    let req = request(&studio, None);
    let out = dir.path().join("out");
    let plans: Vec<_> = ["bilibili", "douyin"].iter().map(|p| studio.plan(&media, p, &req, &out).unwrap()).collect();
    studio.enqueue("t", &media, &plans).unwrap();
    let token = CancelToken::default();
    let ran = run_queue(&studio, &CancelOnProgress(token.clone()), &token).unwrap();
    assert_eq!(ran.len(), 1);
    assert_eq!(ran[0].state, JobState::Cancelled);
    let jobs = studio.store().unwrap().jobs().unwrap();
    assert_eq!(jobs[1].state, JobState::Queued, "the next job was not started");
    assert!(!partial_path(&plans[0].output).exists());
}

#[test]
fn a_killed_ffmpeg_fails_the_job_with_its_exit_and_log() {
    let dir = tempfile::tempdir().unwrap();
    let (data, job) = queued_job(dir.path());
    let partial = partial_path(&job.output_path);
    let runner = studio_cmd(&data, &["run"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    wait_until_rendering(&data, &job);
    let pids = processes_mentioning(partial.to_str().unwrap());
    assert_eq!(pids.len(), 1, "one ffmpeg writes the partial file");
    #[allow(unsafe_code)]
    // SAFETY: kill(2) on a pid we just read; no memory is shared.
    unsafe {
        libc::kill(pids[0] as libc::pid_t, libc::SIGKILL);
    }
    let finished = runner.wait_with_output().unwrap();
    assert_eq!(finished.status.code(), Some(1));
    let failed = job_now(&data, job.id);
    assert_eq!(failed.state, JobState::Failed);
    let why = failed.error.unwrap();
    let error = why.text.clone();
    assert!(error.starts_with("[render_failed]") && error.contains("killed by signal 9"), "{error}");
    // The render table words it from its code and parameters, in Chinese too.
    assert_eq!(why.code, "render_failed", "{why:?}");
    let zh = why.render(studio_engine::message::Lang::ZhCn);
    assert!(zh.contains("killed by signal 9") && zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{zh}");
    assert!(!partial.exists(), "the partial file is removed");
    assert!(String::from_utf8_lossy(&finished.stdout).contains("killed by signal 9"));
}

#[test]
fn one_runner_per_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let studio = fast_studio(&dir.path().join("data"));
    let lock = RunnerLock::acquire(&studio).unwrap();
    let second = studio_cmd(studio.data_dir(), &["run"]).output().unwrap();
    assert_eq!(second.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("error[busy]") && stderr.contains("another studio process"), "{stderr}");
    drop(lock);
    assert!(studio_cmd(studio.data_dir(), &["run"]).status().unwrap().success());
}

#[test]
fn the_database_migrates_uses_wal_and_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("studio.db");
    {
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), studio_engine::store::SCHEMA_VERSION);
        store.ensure_project("默认").unwrap();
        assert!(dir.path().join("studio.db-wal").exists(), "WAL journal");
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.ensure_project("默认").unwrap(), 1, "reopening keeps the data");
    drop(store);

    let raw = rusqlite::Connection::open(&path).unwrap();
    let mode: String = raw.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let version: u32 = raw.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, studio_engine::store::SCHEMA_VERSION, "the file records the schema it holds");
    // The newest migration's tables are there (subtitles, migration 6).
    let tables: i64 = raw
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' \
             AND name IN ('subtitle_tracks', 'subtitle_cues', 'subtitle_edits')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 3, "every migration ran");
    // A done job must carry its size and hash.
    raw.execute_batch(
        "INSERT INTO masters (project_id, path, kind) VALUES (1, '/m.mp4', 'video');
         INSERT INTO variants (master_id, platform, kind, plan_json) VALUES (1, 'douyin', 'video', '{}');",
    )
    .unwrap();
    let bad = raw.execute("INSERT INTO render_jobs (variant_id, state, output_path) VALUES (1, 'done', '/x.mp4')", []);
    assert!(bad.is_err(), "a done row without size and hash is refused");
    raw.pragma_update(None, "user_version", 99).unwrap();
    drop(raw);
    let err = Store::open(&path).unwrap_err();
    assert!(err.to_string().contains("newer Repurpose Studio"), "{err}");
}
