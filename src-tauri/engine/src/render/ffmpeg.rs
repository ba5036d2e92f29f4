//! Runs one ffmpeg command: progress out, cancellation in, and a failure that
//! keeps the exit status and the last lines ffmpeg wrote.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ffmpeg_sidecar::command::FfmpegCommand;
use ffmpeg_sidecar::event::{FfmpegEvent, LogLevel};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::tools::{MediaTools, spawn_error};

/// How far a render has come.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// 0..=100.
    pub percent: f64,
    /// Frames encoded per second.
    pub fps: f64,
    /// Seconds left, once ffmpeg reports a speed.
    pub eta_seconds: Option<f64>,
}

/// Asks a running render to stop; cheap to clone and share across threads.
/// A child token is also cancelled when its parent is (cancel one job, or all).
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    flag: Arc<AtomicBool>,
    parent: Option<Arc<AtomicBool>>,
}

impl CancelToken {
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst) || self.parent.as_ref().is_some_and(|p| p.load(Ordering::SeqCst))
    }
    /// A token for one job under this one.
    pub fn child(&self) -> Self {
        Self { flag: Arc::default(), parent: Some(self.flag.clone()) }
    }
}

/// Lines of ffmpeg's log kept for an error report.
const TAIL_LINES: usize = 12;
/// After asking ffmpeg to stop, how long it may take to finish the file.
const GRACE: Duration = Duration::from_secs(3);

/// Builds the exact command a plan runs (also printed by `studio plan`).
pub fn command(tools: &MediaTools, args: &[OsString]) -> FfmpegCommand {
    let mut cmd = FfmpegCommand::new_with_path(&tools.ffmpeg);
    cmd.args(args);
    cmd
}

/// Runs ffmpeg to completion. `duration` (seconds of output) turns ffmpeg's
/// timestamps into a percentage.
pub fn run(
    tools: &MediaTools,
    args: &[OsString],
    output: &Path,
    duration: f64,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &CancelToken,
) -> Result<()> {
    let mut cmd = command(tools, args);
    die_with_parent(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| spawn_error("ffmpeg", &output.display().to_string(), e))?;
    let pid = child.as_inner().id();
    let finished = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (cancel, finished) = (cancel.clone(), finished.clone());
        std::thread::spawn(move || watch(pid, &cancel, &finished))
    };

    let mut tail: VecDeque<String> = VecDeque::with_capacity(TAIL_LINES);
    let mut keep = |line: String| {
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    };
    match child.iter() {
        Ok(events) => {
            for event in events {
                match event {
                    FfmpegEvent::Progress(p) => {
                        let done = parse_time(&p.time).unwrap_or(0.0);
                        let left = (duration - done).max(0.0);
                        on_progress(Progress {
                            percent: (done / duration * 100.0).clamp(0.0, 100.0),
                            fps: f64::from(p.fps),
                            eta_seconds: (p.speed > 0.0).then(|| left / f64::from(p.speed)),
                        });
                    }
                    FfmpegEvent::Log(LogLevel::Error | LogLevel::Fatal | LogLevel::Warning, line) => keep(line),
                    FfmpegEvent::Log(_, line) if line.contains("Error") || line.contains("error") => keep(line),
                    // ffmpeg-sidecar says this whenever the output is a file, not stdout.
                    FfmpegEvent::Error(e) if e.contains("No streams found") || e.contains("No output streams") => {}
                    FfmpegEvent::Error(e) => keep(e),
                    _ => {}
                }
            }
        }
        Err(e) => keep(e.to_string()),
    }
    let status = child.wait().map_err(|e| EngineError::io("waiting for ffmpeg", e));
    finished.store(true, Ordering::SeqCst);
    let _ = watchdog.join();
    let status = status?;
    if cancel.is_cancelled() {
        return Err(EngineError::Cancelled);
    }
    if status.success() {
        return Ok(());
    }
    let stderr_tail = Vec::from(tail).join("\n");
    if stderr_tail.contains("No space left on device") {
        return Err(EngineError::DiskFull { path: output.to_owned() });
    }
    Err(EngineError::RenderFailed { output: output.to_owned(), status: describe_status(status), stderr_tail })
}

/// Polls the cancel token; asks ffmpeg to finish (SIGINT, which it treats
/// like pressing q), then kills it if it has not stopped after [`GRACE`].
fn watch(pid: u32, cancel: &CancelToken, finished: &AtomicBool) {
    let mut asked: Option<Instant> = None;
    while !finished.load(Ordering::SeqCst) {
        if cancel.is_cancelled() {
            match asked {
                None => {
                    signal(pid, libc::SIGINT);
                    asked = Some(Instant::now());
                }
                Some(t) if t.elapsed() > GRACE => {
                    signal(pid, libc::SIGKILL);
                    return;
                }
                Some(_) => {}
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[allow(unsafe_code)]
fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) has no memory-safety preconditions. The pid is our own
    // child, which has not been reaped (the render thread sets `finished`
    // only after wait()), so it cannot have been reused.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

/// Makes the kernel kill ffmpeg if the thread that started it dies, so a
/// crashed or killed studio leaves no orphan writing to a partial file.
#[allow(unsafe_code)]
fn die_with_parent(cmd: &mut FfmpegCommand) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl(2) is async-signal-safe and touches no memory of the
        // parent, as required between fork and exec.
        unsafe {
            cmd.as_inner_mut().pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
    }
}

fn describe_status(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => status.to_string(),
    }
}

/// `00:01:02.50` → 62.5
fn parse_time(text: &str) -> Option<f64> {
    let mut total = 0.0;
    for part in text.trim().trim_start_matches('-').split(':') {
        total = total * 60.0 + part.parse::<f64>().ok()?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_ffmpeg_times() {
        assert_eq!(super::parse_time("00:01:02.50"), Some(62.5));
        assert_eq!(super::parse_time("N/A"), None);
    }
}
