//! `cargo bench -p studio-e2e --bench app`: the desktop app's cold start,
//! idle memory, and how fast it answers while two renders run. Figures, not
//! a pass/fail test; build the release app first (`scripts/bench-app` does).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use fantoccini::Client;
use studio_e2e::window::{Display, Driver, app_bin};
use studio_e2e::{Master, make_master};
use studio_engine::{Studio, StudioConfig};

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

async fn until_ready(app: &Client) {
    let started = Instant::now();
    loop {
        let ready = app.execute("return document.body.dataset.ready === 'true'", vec![]).await.unwrap();
        if ready == true {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the window never became ready");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// (name, RSS KiB, PSS KiB) of a process and all its descendants, by /proc.
/// PSS shares each shared page among the processes that map it (libraries,
/// fonts), so it is what the app costs the machine; RSS counts them whole.
fn tree_rss(root: u32) -> Vec<(String, u64, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| {
            status.lines().find(|l| l.starts_with(name)).map(|l| l[name.len()..].trim().to_owned()).unwrap_or_default()
        };
        let kib = field("VmRSS:").trim_end_matches(" kB").trim().parse().unwrap_or(0);
        let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let pss = rollup
            .lines()
            .find(|l| l.starts_with("Pss:"))
            .and_then(|l| l[4..].trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap_or(0);
        out.push((field("Name:"), kib, pss));
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        stack.extend(children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()));
    }
    out
}

/// When a process started, in ms since the Unix epoch (10 ms ticks since
/// boot, placed on the wall clock through /proc/uptime).
fn started_at_ms(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at `) `.
    let ticks: f64 = stat.rsplit_once(") ")?.1.split_whitespace().nth(19)?.parse().ok()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime").ok()?.split_whitespace().next()?.parse().ok()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs_f64();
    Some((now - uptime + ticks / 100.0) * 1000.0)
}

/// Idle memory of a bare WebKitGTK window showing one paragraph (Python's
/// GObject bindings for Debian's own python3; `scripts/bench-app` installs them): the floor any app
/// on this WebKitGTK pays, to set the app's figure against.
async fn blank_webview(display: &Display) -> Option<(u64, u64)> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/blank-webview.py");
    let dir = tempfile::tempdir().unwrap();
    // WebKit's settings as the app runs with (WEBKIT_* variables pass through).
    let mut child = std::process::Command::new("/usr/bin/python3")
        .arg(&script)
        .env("DISPLAY", &display.name)
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    // It prints "loaded" once the page has finished loading.
    let mut line = String::new();
    let stdout = child.stdout.take()?;
    let loaded = tokio::task::spawn_blocking(move || {
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).map(|_| line)
    });
    let loaded = tokio::time::timeout(Duration::from_secs(30), loaded).await;
    let result = match loaded {
        Ok(Ok(Ok(line))) if line.trim() == "loaded" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            let procs = tree_rss(child.id());
            Some((procs.iter().map(|(_, k, _)| k).sum(), procs.iter().map(|(_, _, p)| p).sum()))
        }
        _ => None,
    };
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn app_pid() -> Option<u32> {
    let bin = app_bin();
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
        (exe == bin).then_some(pid)
    })
}

const IPC_LOOP: &str = "
    const [command, n] = arguments; const done = arguments[arguments.length - 1];
    (async () => {
      const times = []; let running = 0;
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        const r = await window.__TAURI_INTERNALS__.invoke(command);
        times.push(performance.now() - t);
        if (Array.isArray(r)) running = Math.max(running, r.filter(j => j.state === 'running').length);
        await new Promise(res => setTimeout(res, 20));
      }
      done([times, running]);
    })();";

async fn ipc(app: &Client, command: &str, n: u32) -> (Vec<f64>, u64) {
    let r = app.execute_async(IPC_LOOP, vec![command.into(), n.into()]).await.unwrap();
    let mut times: Vec<f64> = r[0].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    times.sort_by(f64::total_cmp);
    (times, r[1].as_u64().unwrap_or(0))
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

async fn run() {
    println!("app: {}", app_bin().display());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let master = dir.path().join("talk.mp4");
    make_master(&master, &Master { seconds: 120.0, size: (1920, 1080), ..Master::default() });
    let studio = Studio::open(StudioConfig::new(data.clone())).unwrap();
    let imported = studio.import_master(&master, "bench").unwrap();
    let mut store = studio.store().unwrap();
    store.add_person("bench", studio_engine::store::Role::Admin, "bench").unwrap();
    drop((store, studio));

    let display = Display::start();
    let driver = Driver::start_with(&display, &data, &[("STUDIO_PARALLEL_JOBS", "2")]);

    // Cold start: session request (the app is launched) to the UI's first data
    // on screen; and from the app process's own start, which leaves out the
    // WebDriver session set-up a user does not have.
    let mut starts = Vec::new();
    let mut launches = Vec::new();
    let mut page_starts = Vec::new();
    let mut paints = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let app = driver.open().await;
        until_ready(&app).await;
        starts.push(t.elapsed().as_secs_f64() * 1000.0);
        let ready = app
            .execute(
                "const m = performance.getEntriesByName('studio-ready')[0]; \
                 return m ? [performance.timeOrigin, performance.timeOrigin + m.startTime] : null",
                vec![],
            )
            .await
            .unwrap();
        if let (Some([page, ready]), Some(started)) = (
            ready.as_array().and_then(|a| Some([a.first()?.as_f64()?, a.get(1)?.as_f64()?])),
            app_pid().and_then(started_at_ms),
        ) {
            launches.push(ready - started);
            page_starts.push(page - started);
        }
        let paint = app
            .execute(
                "const p = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint'); \
                 return p ? p.startTime : null",
                vec![],
            )
            .await
            .unwrap();
        paints.extend(paint.as_f64());
        app.close().await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    starts.sort_by(f64::total_cmp);
    println!(
        "cold start, app launch to first data painted (5 runs): median {:.0} ms, max {:.0} ms (includes WebDriver's own start-up)",
        percentile(&starts, 0.5),
        percentile(&starts, 1.0)
    );
    if !launches.is_empty() {
        launches.sort_by(f64::total_cmp);
        println!(
            "  from the app process's start to first data painted: median {:.0} ms, max {:.0} ms (target ≤ 1 s)",
            percentile(&launches, 0.5),
            percentile(&launches, 1.0)
        );
        page_starts.sort_by(f64::total_cmp);
        println!("  of which before the page starts loading: median {:.0} ms", percentile(&page_starts, 0.5));
    }
    if !paints.is_empty() {
        paints.sort_by(f64::total_cmp);
        println!("  first contentful paint after page start: median {:.0} ms", percentile(&paints, 0.5));
    }

    // Measured alone, before the app opens again, so no page is shared with it.
    let floor = blank_webview(&display).await;
    let floor_text = match floor {
        Some((rss, pss)) => format!(
            "  a bare WebKitGTK window showing one paragraph, same display: RSS {:.0} MB, PSS {:.0} MB (the floor of this WebKitGTK)",
            rss as f64 / 1024.0,
            pss as f64 / 1024.0
        ),
        None => {
            "  (no baseline: python3-gi and gir1.2-webkit2-4.1 are needed for the bare WebKitGTK window)".to_owned()
        }
    };

    // Idle memory.
    let app = driver.open().await;
    until_ready(&app).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    if let Some(pid) = app_pid() {
        let procs = tree_rss(pid);
        let total: u64 = procs.iter().map(|(_, k, _)| k).sum();
        let pss: u64 = procs.iter().map(|(_, _, p)| p).sum();
        let mb = |k: u64| k as f64 / 1024.0;
        let list: Vec<String> =
            procs.iter().map(|(n, k, p)| format!("{n} RSS {:.0} / PSS {:.0} MB", mb(*k), mb(*p))).collect();
        println!(
            "idle memory of the app and its web processes: RSS {:.0} MB, PSS {:.0} MB (target 150 MB)  [{}]",
            mb(total),
            mb(pss),
            list.join(", ")
        );
    } else {
        println!("idle memory: the app's process was not found");
    }
    println!("{floor_text}");

    // IPC while idle, then while two renders run.
    let (idle, _) = ipc(&app, "jobs", 200).await;
    println!(
        "IPC round trip idle (jobs, 200 calls): p50 {:.2} ms, p99 {:.2} ms",
        percentile(&idle, 0.5),
        percentile(&idle, 0.99)
    );
    let choice = |platform: &str| {
        serde_json::json!({ "platform": platform, "start": 10.0, "end": null, "extra_segments": [],
                            "reframe": null, "focus_x": 0.5, "focus_y": 0.5 })
    };
    app.execute_async(
        "const [args] = arguments; const done = arguments[arguments.length - 1]; \
         window.__TAURI_INTERNALS__.invoke('render', args).then(done, e => done(String(e.message || e)));",
        vec![serde_json::json!({ "actor": "bench", "masterId": imported.id, "choices": [choice("bilibili"), choice("xiaohongshu")], "disclaimer": "risk-zh" })],
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (busy, running) = ipc(&app, "jobs", 300).await;
    println!(
        "IPC round trip during renders (jobs, 300 calls, up to {running} renders running): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 ≤ 50 ms)",
        percentile(&busy, 0.5),
        percentile(&busy, 0.99),
        percentile(&busy, 1.0)
    );
    let (cheap, _) = ipc(&app, "platforms", 100).await;
    println!("  platforms during renders: p99 {:.2} ms", percentile(&cheap, 0.99));
    app.close().await.unwrap();
}
