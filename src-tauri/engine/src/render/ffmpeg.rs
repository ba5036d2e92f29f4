//! Runs one ffmpeg command: progress out, cancellation in, and a failure that
//! keeps the exit status and the last lines ffmpeg wrote.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::Path;
use std::process::ChildStdin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
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
/// How often a silent ffmpeg's cancel token is looked at.
const POLL: Duration = Duration::from_millis(100);

/// Builds the exact command a plan runs (also printed by `studio plan`).
pub fn command(tools: &MediaTools, args: &[OsString]) -> FfmpegCommand {
    let mut cmd = FfmpegCommand::new_with_path(&tools.ffmpeg);
    cmd.args(args);
    cmd
}

/// Runs ffmpeg to completion. `duration` (seconds of output) turns ffmpeg's
/// timestamps into a percentage.
///
/// ffmpeg's events are read on a thread of their own, so this one can watch
/// the cancel token while ffmpeg is silent: on cancel it sends `q` (ffmpeg's
/// own quit, which works on every OS), and kills ffmpeg after [`GRACE`].
pub fn run(
    tools: &MediaTools,
    args: &[OsString],
    output: &Path,
    duration: f64,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &CancelToken,
) -> Result<()> {
    run_in(tools, args, None, output, duration, on_progress, cancel).map(drop)
}

/// [`run`] in the folder `cwd` (relative names in `args` are read there),
/// returning the error lines ffmpeg logged although it succeeded: a decode
/// check reads them.
pub fn run_in(
    tools: &MediaTools,
    args: &[OsString],
    cwd: Option<&Path>,
    output: &Path,
    duration: f64,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &CancelToken,
) -> Result<Vec<String>> {
    run_with(tools, args, cwd, output, duration, on_progress, cancel, None)
}

/// Writes ffmpeg's standard input (`pipe:0` in its arguments) on a thread of
/// its own; an error says what could not be fed.
pub type Feed = Box<dyn FnOnce(ChildStdin) -> std::result::Result<(), String> + Send>;

/// [`run`] with ffmpeg reading what `feed` writes. ffmpeg's end of input is
/// the feed's return; a feed that fails fails the run, even though ffmpeg,
/// seeing only a shorter input, may have finished happily.
pub fn run_fed(
    tools: &MediaTools,
    args: &[OsString],
    output: &Path,
    duration: f64,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &CancelToken,
    feed: Feed,
) -> Result<()> {
    run_with(tools, args, None, output, duration, on_progress, cancel, Some(feed)).map(drop)
}

#[allow(clippy::too_many_arguments)]
fn run_with(
    tools: &MediaTools,
    args: &[OsString],
    cwd: Option<&Path>,
    output: &Path,
    duration: f64,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &CancelToken,
    feed: Option<Feed>,
) -> Result<Vec<String>> {
    let mut cmd = command(tools, args);
    crate::process::prepare(cmd.as_inner_mut());
    if let Some(dir) = cwd {
        cmd.as_inner_mut().current_dir(dir);
    }
    let mut errors = Vec::new();
    let mut child = cmd.spawn().map_err(|e| spawn_error("ffmpeg", &output.display().to_string(), e))?;
    // Held until ffmpeg has been waited for (the end of this function).
    let _tether = match crate::process::tether(child.as_inner()) {
        Ok(t) => t,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(EngineError::io("tying ffmpeg to this process", e));
        }
    };

    // With its input fed, ffmpeg cannot be asked to quit with `q`: a cancel
    // ends the feed (see its owner) or, after the grace time, kills ffmpeg.
    let feeder = match (feed, child.take_stdin()) {
        (Some(feed), Some(stdin)) => Some(std::thread::spawn(move || feed(stdin))),
        (Some(_), None) => Some(std::thread::spawn(|| Err("ffmpeg's input could not be opened".to_owned()))),
        (None, _) => None,
    };

    let mut tail: VecDeque<String> = VecDeque::with_capacity(TAIL_LINES);
    let mut keep = |line: String| {
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    };
    let (tx, rx) = mpsc::channel();
    let reader = match child.iter() {
        Ok(events) => Some(std::thread::spawn(move || {
            for event in events {
                if tx.send(event).is_err() {
                    break;
                }
            }
        })),
        Err(e) => {
            keep(e.to_string());
            None
        }
    };
    let mut asked: Option<Instant> = None;
    let mut killed = false;
    loop {
        match rx.recv_timeout(POLL) {
            Ok(FfmpegEvent::Progress(p)) => {
                let done = parse_time(&p.time).unwrap_or(0.0);
                let left = (duration - done).max(0.0);
                on_progress(Progress {
                    percent: (done / duration * 100.0).clamp(0.0, 100.0),
                    fps: f64::from(p.fps),
                    eta_seconds: (p.speed > 0.0).then(|| left / f64::from(p.speed)),
                });
            }
            Ok(FfmpegEvent::Log(level @ (LogLevel::Error | LogLevel::Fatal | LogLevel::Warning), line)) => {
                if !matches!(level, LogLevel::Warning) {
                    errors.push(line.clone());
                }
                keep(line)
            }
            Ok(FfmpegEvent::Log(_, line)) if line.contains("Error") || line.contains("error") => keep(line),
            // ffmpeg-sidecar says this whenever the output is a file, not stdout.
            Ok(FfmpegEvent::Error(e)) if e.contains("No streams found") || e.contains("No output streams") => {}
            Ok(FfmpegEvent::Error(e)) => keep(e),
            Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if cancel.is_cancelled() && !killed {
            match asked {
                None => {
                    // A closed stdin (ffmpeg already finishing) is fine: the kill below still comes.
                    let _ = child.quit();
                    asked = Some(Instant::now());
                }
                Some(t) if t.elapsed() > GRACE => {
                    let _ = child.kill();
                    killed = true;
                }
                Some(_) => {}
            }
        }
        if reader.is_none() {
            break;
        }
    }
    if let Some(reader) = reader {
        let _ = reader.join();
    }
    let status = child.wait().map_err(|e| EngineError::io("waiting for ffmpeg", e))?;
    let fed = feeder.map(|f| f.join().unwrap_or_else(|_| Err("the feeding thread panicked".to_owned())));
    if cancel.is_cancelled() {
        return Err(EngineError::Cancelled);
    }
    if status.success() {
        if let Some(Err(why)) = fed {
            tracing::warn!(why = %why, "ffmpeg's input could not be fed");
            return Err(EngineError::RenderFailed {
                output: output.to_owned(),
                status: crate::process::describe_exit(status),
                stderr_tail: why,
            });
        }
        return Ok(errors);
    }
    // ffmpeg's own failure (a full disk, say) is what broke the feed, if it broke.
    let stderr_tail = Vec::from(tail).join("\n");
    tracing::warn!(status = %crate::process::describe_exit(status), last_lines = %stderr_tail, "ffmpeg failed");
    if stderr_tail.contains("No space left on device") || stderr_tail.contains("There is not enough space on the disk")
    {
        return Err(EngineError::DiskFull { path: output.to_owned() });
    }
    Err(EngineError::RenderFailed {
        output: output.to_owned(),
        status: crate::process::describe_exit(status),
        stderr_tail,
    })
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
