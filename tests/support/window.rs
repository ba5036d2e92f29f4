//! The desktop app in a real window: its own Xvfb display, tauri-driver in
//! front of WebKitWebDriver, and a WebDriver session that starts the real
//! binary on a data folder. Everything is stopped from `Drop`, tauri-driver
//! with SIGTERM (a killed tauri-driver orphans WebKitWebDriver, which keeps
//! the test's output open and hangs the run).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// An Xvfb server on a free display number.
#[derive(Debug)]
pub struct Display {
    child: Child,
    pub name: String,
}

impl Display {
    pub fn start() -> Self {
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x900x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs (package xvfb; scripts/setup --app installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        Self { child, name: format!(":{}", line.trim()) }
    }
}

impl Display {
    /// Moves the keyboard focus off every window (to none), as when the user
    /// switches to another program; the app's window then reports it lost the focus.
    pub fn take_focus_away(&self) {
        use x11rb::protocol::xproto::{ConnectionExt, InputFocus};
        use x11rb::wrapper::ConnectionExt as _;
        let (conn, _) = x11rb::connect(Some(&self.name)).expect("a connection to Xvfb");
        conn.set_input_focus(InputFocus::NONE, x11rb::NONE, x11rb::CURRENT_TIME).unwrap();
        conn.sync().unwrap();
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// tauri-driver, with the app's environment (display, data folder).
#[derive(Debug)]
pub struct Driver {
    running: std::sync::Mutex<(Child, u16)>,
    display: String,
    data_dir: PathBuf,
    env: Vec<(String, String)>,
}

/// How long a new WebDriver session may take before tauri-driver is started
/// again (WebKitWebDriver has been seen to never answer a second session).
const SESSION_WAIT: Duration = Duration::from_secs(60);

impl Driver {
    pub fn start(display: &Display, data_dir: &Path) -> Self {
        Self::start_with(display, data_dir, &[])
    }

    /// With extra environment for the app.
    pub fn start_with(display: &Display, data_dir: &Path, env: &[(&str, &str)]) -> Self {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let running = spawn_driver(&display.name, data_dir, &env);
        Self {
            running: std::sync::Mutex::new(running),
            display: display.name.clone(),
            data_dir: data_dir.to_owned(),
            env,
        }
    }

    /// Starts the app and connects to its webview; if the session does not
    /// come within a minute, or the driver drops the request (seen on a
    /// loaded 2-core machine while another app renders), tauri-driver and any
    /// app it left are replaced and it is asked again.
    pub async fn open(&self) -> Client {
        let mut last = String::new();
        for attempt in 1..=3 {
            let port = self.running.lock().unwrap().1;
            let mut caps = serde_json::Map::new();
            caps.insert("browserName".into(), "wry".into());
            caps.insert("tauri:options".into(), serde_json::json!({ "application": app_bin() }));
            let url = format!("http://127.0.0.1:{port}");
            let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
            builder.capabilities(caps);
            let connect = builder.connect(&url);
            last = match tokio::time::timeout(SESSION_WAIT, connect).await {
                Ok(Ok(client)) => return client,
                Ok(Err(e)) => format!("the session request failed: {e:?}"),
                Err(_) => format!("no session within {SESSION_WAIT:?}"),
            };
            eprintln!("{last} (attempt {attempt}); restarting tauri-driver");
            let mut running = self.running.lock().unwrap();
            stop_driver(&mut running.0);
            kill_apps_of(&self.data_dir);
            *running = spawn_driver(&self.display, &self.data_dir, &self.env);
        }
        panic!("the app's WebDriver session never started (3 tauri-driver runs): {last}");
    }
}

/// The app processes started on `data_dir` (other window tests run their
/// own apps on their own folders at the same time).
pub fn app_pids(data_dir: &Path) -> Vec<u32> {
    let mine = format!("STUDIO_DATA_DIR={}", data_dir.display());
    crate::processes_mentioning(app_bin().to_str().unwrap())
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == mine.as_bytes()))
        })
        .collect()
}

/// Kills the apps started on `data_dir` and waits until they are gone, so a
/// retried session never finds the runner lock held by a half-started app.
fn kill_apps_of(data_dir: &Path) {
    for pid in app_pids(data_dir) {
        let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    }
    let started = Instant::now();
    while !app_pids(data_dir).is_empty() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn spawn_driver(display: &str, data_dir: &Path, env: &[(String, String)]) -> (Child, u16) {
    let (port, native) = (free_port(), free_port());
    let exe = std::env::var_os("TAURI_DRIVER").map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
        home.join("bin/tauri-driver")
    });
    let child = Command::new(&exe)
        .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
        .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
        .env("DISPLAY", display)
        .env("STUDIO_DATA_DIR", data_dir)
        // The webview's own storage (the UI's language, the acting person)
        // and the app's machine settings go beside the data folder, so
        // runs never see each other's.
        .env("XDG_DATA_HOME", data_dir.with_extension("webview-data"))
        .env("XDG_CACHE_HOME", data_dir.with_extension("webview-cache"))
        .env("XDG_CONFIG_HOME", data_dir.with_extension("webview-config"))
        .env("STUDIO_LOG_DIR", data_dir.with_extension("logs"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{} runs (cargo install tauri-driver --locked): {e}", exe.display()));
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "tauri-driver did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, port)
}

/// SIGTERM lets tauri-driver stop WebKitWebDriver and the app first.
fn stop_driver(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Driver {
    fn drop(&mut self) {
        match self.running.get_mut() {
            Ok(running) => stop_driver(&mut running.0),
            Err(mut poisoned) => stop_driver(&mut poisoned.get_mut().0),
        }
    }
}

/// The app binary built with the `custom-protocol` feature (`scripts/test` builds it first).
pub fn app_bin() -> PathBuf {
    let target = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_owned();
    let bin = target.join("repurpose-studio");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p repurpose-studio --features custom-protocol` (scripts/test does)",
        bin.display()
    );
    bin
}

/// Waits until `css` matches an element whose text satisfies `check`; returns that text.
pub async fn wait_text(client: &Client, css: &str, seconds: u64, check: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        if let Ok(el) = client.find(Locator::Css(css)).await
            && let Ok(text) = el.text().await
        {
            if check(&text) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{css} never matched within {seconds} s; last text: {last:?}");
}

/// Saves the viewport as `<dir>/<name>.png` after the repaint settles.
pub async fn screenshot(client: &Client, dir: &Path, name: &str) {
    tokio::time::sleep(Duration::from_millis(400)).await;
    // WebKit can stall a snapshot (seen with its DMA-BUF renderer turned off);
    // fail the test then rather than hang the run.
    let png = tokio::time::timeout(Duration::from_secs(30), client.screenshot())
        .await
        .unwrap_or_else(|_| panic!("the screenshot {name} did not come back within 30 s"))
        .unwrap();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}
