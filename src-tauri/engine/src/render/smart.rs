//! Runs a smart plan (see [`crate::plan::smart`]): cut the master's video at
//! keyframes into MPEG-TS pieces (stream copy), re-encode the pieces under an
//! overlay window, join them with the audio into the `.part` file, and check
//! the result before it may replace anything. The pieces live in a work
//! folder beside the output, removed whatever happens.

use std::path::{Path, PathBuf};

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
    ffmpeg::run(tools, &plan.smart_split_args(smart, dir), video_tmp, plan.duration, &mut |_| {}, cancel)?;
    let names: Vec<String> = (0..layout.len()).map(|i| format!("p{i:03}.ts")).collect();
    for name in &names {
        if !dir.join(name).is_file() {
            return Err(step_failed("cut", format!("piece {name} was not written")));
        }
    }
    if dir.join(format!("p{:03}.ts", layout.len())).exists() {
        return Err(step_failed("cut", format!("the master was cut into more than {} pieces", layout.len())));
    }

    // The pieces keep the master's timestamps, shifted so decode times start
    // at zero; the shift is the master's B-frame delay.
    let (pts, dts) = crate::probe::first_video_packet(tools, &dir.join(&names[0]))?;
    let shift = pts - smart.first_pts;
    let frame = 1.0 / smart.frame_rate.max(1.0);
    let reorder = ((pts - dts) / frame).round();
    if !(0.0..=2.0).contains(&reorder) {
        return Err(step_failed(
            "cut",
            format!("the master's B-frames delay pictures by {reorder} frames (at most 2)"),
        ));
    }

    let total: f64 = layout.iter().filter(|p| p.2).map(|p| p.1 - p.0).sum::<f64>().max(frame);
    let mut done = 0.0;
    let mut joined = Vec::with_capacity(names.len());
    for ((start, stop, reencode), name) in layout.iter().zip(&names) {
        if !reencode {
            joined.push(name.clone());
            continue;
        }
        let out_name = format!("r{}", &name[1..]);
        let args = plan.smart_reencode_args(
            &dir.join(name),
            &dir.join(&out_name),
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
            &mut |p| {
                on_progress(Progress { percent: ((done + p.percent / 100.0 * length) / total * 95.0).min(95.0), ..p })
            },
            cancel,
        )?;
        done += length;
        joined.push(out_name);
    }

    let join = plan.smart_join_args(smart, &joined, video_tmp);
    ffmpeg::run_in(tools, &join, Some(dir), video_tmp, plan.duration, &mut |_| {}, cancel)?;
    verify(tools, plan, smart, &layout, video_tmp, cancel)?;
    on_progress(Progress { percent: 100.0, fps: 0.0, eta_seconds: Some(0.0) });
    Ok(())
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
