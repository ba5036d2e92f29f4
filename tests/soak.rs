//! Kill anything at any moment: a queue of renders and note sets, the CLI
//! killed with SIGKILL at random moments and started again each time, then
//! checked as a user would after pulling the plug: every job done, every file
//! whole (`jobs verify`), the database intact, no `.part` file, no ffmpeg left.
//!
//! CI runs it small; `STUDIO_SOAK_KILLS=20` (and `STUDIO_SOAK_SEED` to repeat
//! a run) for the full one: `cargo test -p studio-e2e --test soak -- --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use studio_e2e::*;
use studio_engine::store::{JobState, Store};

const ARTICLE: &str = "---\ntitle: 定投入门\ntags: [基金, 定投]\n---\n\n# 定投入门\n\n定投是每月固定投入一笔钱，摊薄成本。\n\n\
坚持比择时更重要。\n\n投资有风险，入市需谨慎。\n";

/// xorshift64*: enough randomness for kill times, and repeatable from its seed.
struct Rng(u64);

impl Rng {
    fn from_env() -> Self {
        let seed = std::env::var("STUDIO_SOAK_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
        });
        println!("soak seed {seed} (STUDIO_SOAK_SEED={seed} repeats this run)");
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `[lo, hi)` seconds.
    fn seconds(&mut self, lo: f64, hi: f64) -> Duration {
        Duration::from_secs_f64(lo + (self.next() % 10_000) as f64 / 10_000.0 * (hi - lo))
    }
}

fn kills() -> usize {
    std::env::var("STUDIO_SOAK_KILLS").ok().and_then(|s| s.parse().ok()).unwrap_or(6)
}

fn part_files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(".part") {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

fn integrity(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
}

#[test]
fn the_cli_killed_at_random_moments_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("路演 talk.mp4");
    make_master(&master, &Master { seconds: 30.0, ..Master::default() });
    let data = dir.path().join("data");
    drop(fast_studio(&data));
    let out = dir.path().join("out");
    studio_ok(
        &data,
        &[
            "render",
            master.to_str().unwrap(),
            "--no-run",
            "--platforms",
            "douyin,xiaohongshu,bilibili",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let article = dir.path().join("文章.md");
    std::fs::write(&article, ARTICLE).unwrap();
    let notes_out = out.join("notes");
    let notes_args = ["notes", article.to_str().unwrap(), "--out", notes_out.to_str().unwrap()];

    let mut rng = Rng::from_env();
    let (mut tried, mut survived) = (0, 0);
    for _ in 0..kills() {
        let args: Vec<&str> = if rng.next().is_multiple_of(3) { notes_args.to_vec() } else { vec!["run"] };
        let mut child = studio_cmd(&data, &args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let deadline = Instant::now() + rng.seconds(0.05, 2.5);
        while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(10));
        }
        if child.try_wait().unwrap().is_some() {
            continue; // it finished first: not a kill
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        tried += 1;
        let orphans = Instant::now() + Duration::from_secs(5);
        while !processes_mentioning(out.to_str().unwrap()).is_empty() && Instant::now() < orphans {
            std::thread::sleep(Duration::from_millis(50));
        }
        let no_orphan = processes_mentioning(out.to_str().unwrap()).is_empty();
        let listed = studio_cmd(&data, &["jobs"]).output().unwrap().status.success();
        if no_orphan && listed && integrity(&data.join("studio.db")) == "ok" {
            survived += 1;
        }
    }
    println!("kills survived / kills tried: {survived} / {tried}");

    // Started again until the queue is empty, and the notes made once more.
    studio_ok(&data, &["run"]);
    studio_ok(&data, &notes_args);
    let jobs = Store::open(&data.join("studio.db")).unwrap().jobs().unwrap();
    assert_eq!(jobs.len(), 3);
    assert!(jobs.iter().all(|j| j.state == JobState::Done), "{jobs:?}");
    assert!(studio_ok(&data, &["jobs", "verify"]).contains("ok"));
    assert_eq!(integrity(&data.join("studio.db")), "ok");
    assert_eq!(part_files(dir.path()), Vec::<String>::new(), "no partial file is left");
    assert!(processes_mentioning(dir.path().to_str().unwrap()).is_empty(), "no ffmpeg outlives its parent");
    assert_eq!(survived, tried, "kills survived / kills tried");
}
