//! Runs a smart plan (see [`crate::plan::smart`]): cut the master's video at
//! the keyframes around each overlay window (stream copy, MPEG-TS) and
//! re-encode those pieces; then join, in one pass, the copied stretches
//! (each streamed by an ffmpeg reading the master, never written to disk on
//! the way) and the re-encoded pieces with the audio into the `.part` file,
//! and check the result before it may replace anything. An hour's smart
//! render so reads the master once and writes the output once, and needs
//! free space for the output and a few seconds of pieces, not for a second
//! copy of the master. The pieces live in a work folder beside the output,
//! removed whatever happens.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Stdio};
use std::sync::mpsc;

use super::ffmpeg::{self, CancelToken, Progress};
use crate::error::{EngineError, Result};
use crate::plan::VariantPlan;
use crate::plan::smart::{SmartPlan, pieces};
use crate::tools::MediaTools;

/// Where a smart render keeps its pieces.
pub fn work_dir(plan: &VariantPlan) -> PathBuf {
    let mut name = plan.output.file_name().unwrap_or_default().to_os_string();
    name.push(".smart");
    plan.output.with_file_name(name)
}

/// Renders `plan`'s video to `video_tmp` the smart way, and returns its size
/// and SHA-256 (flushed to disk). Any error leaves `video_tmp` to the
/// caller, which then renders in full.
pub fn render(
    tools: &MediaTools,
    plan: &VariantPlan,
    smart: &SmartPlan,
    video_tmp: &Path,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &CancelToken,
) -> Result<(u64, String)> {
    let dir = work_dir(plan);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| EngineError::io(format!("creating {}", dir.display()), e))?;
    let result = run_steps(tools, plan, smart, &dir, video_tmp, on_progress, cancel);
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        tracing::warn!(dir = %dir.display(), error = %e, "could not remove the smart render's pieces");
    }
    result
}

fn step_failed(step: &str, detail: String) -> EngineError {
    EngineError::SmartRender { step: step.to_owned(), detail }
}

/// What the join reads, in order.
enum Piece {
    /// A stretch of the master, stream-copied by an ffmpeg of its own.
    Copied { args: Vec<OsString>, at: f64 },
    /// A re-encoded piece's file.
    Reencoded(PathBuf),
}

fn run_steps(
    tools: &MediaTools,
    plan: &VariantPlan,
    smart: &SmartPlan,
    dir: &Path,
    video_tmp: &Path,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &CancelToken,
) -> Result<(u64, String)> {
    let end = smart.first_pts + plan.duration;
    let layout = pieces(smart, end);
    let frame = 1.0 / smart.frame_rate.max(1.0);

    // The pieces keep the master's timestamps, shifted so decode times start
    // at zero; the master's B-frame delay is what the re-encoded GOPs need.
    let (pts, dts) = crate::probe::first_video_packet(tools, &plan.master)?;
    let shift = -dts;
    let reorder = ((pts - dts) / frame).round();
    if !(0.0..=2.0).contains(&reorder) {
        return Err(step_failed(
            "cut",
            format!("the master's B-frames delay pictures by {reorder} frames (at most 2)"),
        ));
    }
    // Frames from the master's first to `t`, a keyframe time.
    let frames_to = |t: f64| ((t - smart.first_pts) / frame).round() as u64;

    let mut feed = Vec::with_capacity(layout.len());
    let mut encodes = Vec::new();
    for (i, (start, stop, reencode)) in layout.iter().enumerate() {
        let frames = (i + 1 < layout.len()).then(|| frames_to(*stop) - frames_to(*start));
        if !reencode {
            let args = plan.smart_copy_args(smart, *start, frames, shift, "pipe:1".into());
            feed.push(Piece::Copied { args, at: *start });
            continue;
        }
        let cut = dir.join(format!("p{i:03}.ts"));
        let out = dir.join(format!("r{i:03}.ts"));
        let (offset, first) = (smart.first_pts + shift, start - smart.first_pts);
        encodes.push(Encode {
            cut_args: plan.smart_copy_args(smart, *start, frames, shift, crate::tools::file_url(&cut)),
            args: plan.smart_reencode_args(&cut, &out, offset, first, frame, reorder as u32),
            first: start + shift,
            frames,
            length: stop - start,
            cut,
        });
        feed.push(Piece::Reencoded(out));
    }

    // The pieces are re-encoded on a thread of their own while the join
    // streams the copied stretches before them: the join waits only for the
    // piece it has come to, and an hour's copying hides behind the encoding.
    let join = plan.smart_join_args(smart, video_tmp);
    let started = std::time::Instant::now();
    let stop = cancel.child();
    std::thread::scope(|scope| {
        let (ready, pieces_ready) = mpsc::channel();
        let stop_encoding = &stop;
        let encoder = scope.spawn(move || {
            for e in encodes {
                let done = encode_piece(tools, &e, frame, video_tmp, stop_encoding);
                let failed = done.is_err();
                if ready.send(!failed).is_err() || failed {
                    return done;
                }
            }
            Ok(())
        });
        let feeder = feed_pieces(tools.clone(), dir.to_owned(), feed, pieces_ready, cancel.clone());
        let joined = ffmpeg::run_fed(
            tools,
            &join,
            video_tmp,
            plan.duration,
            &mut |p| on_progress(Progress { percent: p.percent * 0.95, ..p }),
            cancel,
            feeder,
        );
        if joined.is_err() {
            stop.cancel();
        }
        let encoded =
            encoder.join().unwrap_or_else(|_| Err(EngineError::internal("a smart render's encoding thread panicked")));
        match (joined, encoded) {
            // A piece that could not be made says more than the join it cut short.
            (_, Err(e)) if !matches!(e, EngineError::Cancelled) => Err(e),
            (Err(EngineError::RenderFailed { status, stderr_tail, .. }), _) => {
                Err(step_failed("join", format!("{status}: {stderr_tail}")))
            }
            (Err(e), _) | (Ok(()), Err(e)) => Err(e),
            (Ok(()), Ok(())) => Ok(()),
        }
    })?;
    let joined = started.elapsed().as_secs_f64();
    // The file is complete: it is hashed and flushed while the checks decode
    // it (an hour is 3.6 GB to read and write out), and waited for whatever
    // they find, so nothing still reads it when a full render replaces it.
    let file = video_tmp.to_owned();
    let hashing = std::thread::spawn(move || super::sync_and_hash(&file));
    let checked = verify(tools, plan, smart, &layout, video_tmp, cancel);
    let hashed = hashing.join().unwrap_or_else(|_| Err(EngineError::internal("the hashing thread panicked")));
    checked?;
    let hashed = hashed?;
    tracing::info!(
        pieces = layout.len(),
        encode_and_join_s = format!("{joined:.1}"),
        check_s = format!("{:.1}", started.elapsed().as_secs_f64() - joined),
        "smart render joined and checked"
    );
    on_progress(Progress { percent: 100.0, fps: 0.0, eta_seconds: Some(0.0) });
    Ok(hashed)
}

/// One piece under an overlay window: its cut, and the re-encode of it.
struct Encode {
    cut_args: Vec<OsString>,
    cut: PathBuf,
    /// The cut's first presentation time (the pieces' time).
    first: f64,
    frames: Option<u64>,
    length: f64,
    args: Vec<OsString>,
}

fn encode_piece(tools: &MediaTools, e: &Encode, frame: f64, video_tmp: &Path, cancel: &CancelToken) -> Result<()> {
    ffmpeg::run(tools, &e.cut_args, video_tmp, e.length, &mut |_| {}, cancel)?;
    check_cut(tools, &e.cut, e.first, e.frames, frame)?;
    ffmpeg::run(tools, &e.args, video_tmp, e.length, &mut |_| {}, cancel)
}

/// A re-encoded piece's cut starts on its keyframe and holds the frames
/// asked for (the last piece runs to the end, which the check after the
/// join counts): what the seek found is checked before anything is encoded
/// from it.
fn check_cut(tools: &MediaTools, cut: &Path, first: f64, frames: Option<u64>, frame: f64) -> Result<()> {
    let (pts, _) = crate::probe::first_video_packet(tools, cut)?;
    if (pts - first).abs() > frame / 2.0 {
        return Err(step_failed("cut", format!("the cut starts at {pts:.3} s, not at the keyframe at {first:.3} s")));
    }
    if let Some(frames) = frames {
        let got = crate::probe::video_frames(tools, cut)?;
        if got != frames {
            return Err(step_failed("cut", format!("the cut holds {got} frames, not {frames}")));
        }
    }
    Ok(())
}

/// Writes the pieces, in order, into the join's input: each copied stretch
/// from an ffmpeg of its own (its log in the work folder), each re-encoded
/// piece from its file once `ready` says it is complete. A cancel stops the
/// copying, and the join with it.
fn feed_pieces(
    tools: MediaTools,
    dir: PathBuf,
    pieces: Vec<Piece>,
    ready: mpsc::Receiver<bool>,
    cancel: CancelToken,
) -> ffmpeg::Feed {
    Box::new(move |mut input: ChildStdin| {
        for (i, piece) in pieces.into_iter().enumerate() {
            match piece {
                Piece::Reencoded(path) => {
                    // Each re-encoded piece is announced, in order, when its file is complete.
                    if !ready.recv().unwrap_or(false) {
                        return Err(format!("{} was not made", path.display()));
                    }
                    let mut file =
                        std::fs::File::open(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
                    pump(&mut file, &mut input, &cancel).map_err(|e| format!("joining {}: {e}", path.display()))?;
                }
                Piece::Copied { args, at } => {
                    let log = dir.join(format!("c{i:03}.log"));
                    copy_stretch(&tools, &args, &log, &mut input, &cancel)
                        .map_err(|e| format!("copying the master from {at:.3} s: {e}"))?;
                }
            }
            if cancel.is_cancelled() {
                return Err("cancelled".to_owned());
            }
        }
        Ok(())
    })
}

/// One copied stretch: an ffmpeg writing MPEG-TS to its standard output,
/// pumped into `input`; killed if the join stops reading or on cancel.
fn copy_stretch(
    tools: &MediaTools,
    args: &[OsString],
    log: &Path,
    input: &mut ChildStdin,
    cancel: &CancelToken,
) -> std::result::Result<(), String> {
    let errors = std::fs::File::create(log).map_err(|e| format!("creating {}: {e}", log.display()))?;
    let mut cmd = crate::process::tool_command(&tools.ffmpeg);
    cmd.args(["-hide_banner", "-nostdin", "-v", "error"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(errors));
    crate::process::prepare(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| format!("starting ffmpeg: {e}"))?;
    // Held until ffmpeg has been waited for: on Windows, letting go of it
    // kills ffmpeg, which may still be finishing after its last write.
    let tether = crate::process::tether(&child);
    let pumped = match (&tether, child.stdout.take()) {
        (Ok(_), Some(mut out)) => pump(&mut out, input, cancel),
        (Ok(_), None) => Err(std::io::Error::other("no output")),
        (Err(e), _) => Err(std::io::Error::new(e.kind(), e.to_string())),
    };
    if pumped.is_err() {
        let _ = child.kill();
    }
    let status = child.wait().map_err(|e| format!("waiting for ffmpeg: {e}"))?;
    drop(tether);
    pumped.map_err(|e| e.to_string())?;
    if !status.success() {
        let said = std::fs::read_to_string(log).unwrap_or_default();
        let last = said.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
        return Err(format!("{}: {}", crate::process::describe_exit(status), last.trim()));
    }
    Ok(())
}

/// Copies `from` into `to` until its end, stopping early on cancel.
fn pump(from: &mut impl Read, to: &mut impl Write, cancel: &CancelToken) -> std::io::Result<()> {
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if cancel.is_cancelled() {
            return Err(std::io::Error::other("cancelled"));
        }
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
    }
}

/// The joined file has the master's frames, and decodes cleanly across every join.
fn verify(
    tools: &MediaTools,
    plan: &VariantPlan,
    smart: &SmartPlan,
    layout: &[(f64, f64, bool)],
    file: &Path,
    cancel: &CancelToken,
) -> Result<()> {
    let frames = crate::probe::video_frames(tools, file)?;
    if frames != smart.frames {
        return Err(step_failed("check", format!("{frames} frames joined, the master has {}", smart.frames)));
    }
    for (start, _, _) in layout.iter().skip(1) {
        let at = (start - smart.first_pts - 1.0).max(0.0);
        let args: Vec<std::ffi::OsString> = vec![
            "-ss".into(),
            format!("{at:.3}").into(),
            "-i".into(),
            crate::tools::file_url(file),
            "-t".into(),
            "2".into(),
            "-map".into(),
            "0:v:0".into(),
            "-f".into(),
            "null".into(),
            "-".into(),
        ];
        let errors = ffmpeg::run_in(tools, &args, None, file, 2.0, &mut |_| {}, cancel)?;
        if !errors.is_empty() {
            return Err(step_failed("check", format!("decoding across the join at {at:.3} s: {}", errors.join("; "))));
        }
    }
    tracing::info!(frames, pieces = layout.len(), copied = smart.copied, platform = %plan.platform, "smart render checked");
    Ok(())
}
