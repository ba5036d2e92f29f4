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

/// Renders `plan`'s video to `video_tmp` the smart way. Any error leaves
/// `video_tmp` to the caller, which then renders in full.
pub fn render(
    tools: &MediaTools,
    plan: &VariantPlan,
    smart: &SmartPlan,
    video_tmp: &Path,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &CancelToken,
) -> Result<()> {
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
) -> Result<()> {
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

    let reencoded: f64 = layout.iter().filter(|p| p.2).map(|p| p.1 - p.0).sum::<f64>().max(frame);
    // The re-encodes and the join share the progress bar.
    let share = if layout.iter().any(|p| p.2) { 50.0 } else { 0.0 };
    let mut done = 0.0;
    let mut feed = Vec::with_capacity(layout.len());
    for (i, (start, stop, reencode)) in layout.iter().enumerate() {
        let frames = (i + 1 < layout.len()).then(|| frames_to(*stop) - frames_to(*start));
        if !reencode {
            let args = plan.smart_copy_args(smart, *start, frames, shift, "pipe:1".into());
            feed.push(Piece::Copied { args, at: *start });
            continue;
        }
        let cut = dir.join(format!("p{i:03}.ts"));
        let args = plan.smart_copy_args(smart, *start, frames, shift, crate::tools::file_url(&cut));
        ffmpeg::run(tools, &args, video_tmp, stop - start, &mut |_| {}, cancel)?;
        check_cut(tools, &cut, start + shift, frames, frame)?;
        let out = dir.join(format!("r{i:03}.ts"));
        let args = plan.smart_reencode_args(
            &cut,
            &out,
            smart.first_pts + shift,
            start - smart.first_pts,
            frame,
            reorder as u32,
        );
        let length = stop - start;
        ffmpeg::run(
            tools,
            &args,
            video_tmp,
            length,
            &mut |p| on_progress(Progress { percent: (done + p.percent / 100.0 * length) / reencoded * share, ..p }),
            cancel,
        )?;
        done += length;
        feed.push(Piece::Reencoded(out));
    }

    let join = plan.smart_join_args(smart, video_tmp);
    let feeder = feed_pieces(tools.clone(), dir.to_owned(), feed, cancel.clone());
    ffmpeg::run_fed(
        tools,
        &join,
        video_tmp,
        plan.duration,
        &mut |p| on_progress(Progress { percent: share + p.percent * (95.0 - share) / 100.0, ..p }),
        cancel,
        feeder,
    )
    .map_err(|e| match e {
        EngineError::RenderFailed { status, stderr_tail, .. } => {
            step_failed("join", format!("{status}: {stderr_tail}"))
        }
        other => other,
    })?;
    verify(tools, plan, smart, &layout, video_tmp, cancel)?;
    on_progress(Progress { percent: 100.0, fps: 0.0, eta_seconds: Some(0.0) });
    Ok(())
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
/// piece from its file. A cancel stops the copying, and the join with it.
fn feed_pieces(tools: MediaTools, dir: PathBuf, pieces: Vec<Piece>, cancel: CancelToken) -> ffmpeg::Feed {
    Box::new(move |mut input: ChildStdin| {
        for (i, piece) in pieces.into_iter().enumerate() {
            match piece {
                Piece::Reencoded(path) => {
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
    let pumped = match crate::process::tether(&child) {
        Ok(_tether) => match child.stdout.take() {
            Some(mut out) => pump(&mut out, input, cancel),
            None => Err(std::io::Error::other("no output")),
        },
        Err(e) => Err(e),
    };
    if pumped.is_err() {
        let _ = child.kill();
    }
    let status = child.wait().map_err(|e| format!("waiting for ffmpeg: {e}"))?;
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
