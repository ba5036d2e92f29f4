//! Executes a [`VariantPlan`]: the video and its cover are written under
//! temporary names and renamed only when complete, so a file with the final
//! name is always whole.

pub mod ffmpeg;
pub mod smart;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use ffmpeg::{CancelToken, Progress};

use crate::encoders::SOFTWARE;
use crate::error::{EngineError, Result};
use crate::message::Notice;
use crate::plan::VariantPlan;
use crate::plan::smart::RenderMethod;
use crate::tools::MediaTools;

/// A finished variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderOutcome {
    pub output: PathBuf,
    pub cover: PathBuf,
    pub size_bytes: u64,
    pub sha256: String,
    /// How the video was made (`smart: …`, `full re-encode: …`); `None` for a clip.
    #[serde(default)]
    pub method: Option<Notice>,
    /// The encoder that ran, and why not the planned one if it failed.
    #[serde(default)]
    pub encoder: Option<Notice>,
}

/// Where a file is written before it is complete.
pub fn partial_path(final_path: &Path) -> PathBuf {
    let mut name = final_path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    final_path.with_file_name(name)
}

/// Renders the video, then the cover; on any failure the partial files go.
#[tracing::instrument(skip_all, fields(platform = %plan.platform, output = %plan.output.display()))]
pub fn render_variant(
    tools: &MediaTools,
    plan: &VariantPlan,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &CancelToken,
) -> Result<RenderOutcome> {
    if let Some(dir) = plan.output.parent() {
        std::fs::create_dir_all(dir).map_err(|e| EngineError::io(format!("creating {}", dir.display()), e))?;
    }
    let video_tmp = partial_path(&plan.output);
    let cover_tmp = partial_path(&plan.cover.output);
    tracing::info!(
        size = %format!("{}x{}", plan.width, plan.height),
        fps = plan.fps,
        duration = plan.duration,
        segments = plan.segments.len(),
        args = ?plan.ffmpeg_args(&video_tmp, Some(&cover_tmp)),
        "render planned"
    );
    let result = (|| {
        let Made { method, encoder, cover_made, hashed } =
            render_video(tools, plan, &video_tmp, &cover_tmp, on_progress, cancel)?;
        check_duration(tools, plan, &video_tmp)?;
        if !cover_made {
            ffmpeg::run(tools, &plan.cover_args(&cover_tmp), &plan.cover.output, 0.04, &mut |_| {}, cancel)?;
        }
        if let Some(label) = &plan.ai_label {
            label_cover(&cover_tmp, &label.record.implicit)?;
        }
        let (size_bytes, sha256) = match hashed {
            Some(hashed) => hashed,
            None => sync_and_hash(&video_tmp)?,
        };
        sync_and_hash(&cover_tmp)?;
        // The video first: it is what a player may hold open.
        rename(&video_tmp, &plan.output)?;
        rename(&cover_tmp, &plan.cover.output)?;
        if let Some(c) = plan.captions.as_ref().filter(|c| !c.cues.is_empty()) {
            write_complete(&c.srt, crate::subtitles::to_srt(&c.cues).as_bytes())?;
        }
        Ok(RenderOutcome {
            output: plan.output.clone(),
            cover: plan.cover.output.clone(),
            size_bytes,
            sha256,
            method,
            encoder: Some(encoder),
        })
    })();
    if result.is_err() {
        remove_partials(plan);
    }
    result
}

/// What [`render_video`] made.
struct Made {
    /// How the video was made (`None` for a clip).
    method: Option<Notice>,
    /// The encoder that ran.
    encoder: Notice,
    /// Whether the cover was written from the same decode.
    cover_made: bool,
    /// The video's size and SHA-256, already flushed to disk, when the render took them.
    hashed: Option<(u64, String)>,
}

/// The video, smart-rendered when the plan says so and that works, else in
/// full with the cover from the same decode.
fn render_video(
    tools: &MediaTools,
    plan: &VariantPlan,
    video_tmp: &Path,
    cover_tmp: &Path,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &CancelToken,
) -> Result<Made> {
    let full =
        |on_progress: &mut dyn FnMut(Progress)| full_render(tools, plan, video_tmp, cover_tmp, on_progress, cancel);
    let made =
        |method, encoder, hashed: Option<(u64, String)>| Made { method, encoder, cover_made: hashed.is_none(), hashed };
    match &plan.method {
        Some(method @ RenderMethod::Smart(s)) => match smart::render(tools, plan, s, video_tmp, on_progress, cancel) {
            // The re-encoded GOPs are x264's: their B-frame delay must be the master's.
            Ok(hashed) => Ok(made(Some(method.notice()), ran(SOFTWARE), Some(hashed))),
            Err(EngineError::Cancelled) => Err(EngineError::Cancelled),
            Err(e) => {
                // Nothing of the smart attempt is kept: the full render starts afresh.
                tracing::warn!(code = e.code(), error = %e, "smart render failed; rendering in full");
                let _ = std::fs::remove_file(video_tmp);
                let encoder = full(on_progress)?;
                let how =
                    Notice::new("plan.full_after_smart", format!("full re-encode ({e})")).with_parts(vec![e.notice()]);
                Ok(made(Some(how), encoder, None))
            }
        },
        other => {
            let encoder = full(on_progress)?;
            Ok(made(other.as_ref().map(RenderMethod::notice), encoder, None))
        }
    }
}

/// The encoder that ran, for the render table.
fn ran(encoder: &str) -> Notice {
    Notice::new("job.encoder", encoder).with("encoder", encoder)
}

/// The whole video (and the cover) through one encoder: the planned
/// hardware one, and x264 if that fails at start or mid-job (its partial
/// file is dropped first).
fn full_render(
    tools: &MediaTools,
    plan: &VariantPlan,
    video_tmp: &Path,
    cover_tmp: &Path,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &CancelToken,
) -> Result<Notice> {
    let run = |p: &VariantPlan, on_progress: &mut dyn FnMut(Progress)| {
        let args = p.ffmpeg_args(video_tmp, Some(cover_tmp));
        ffmpeg::run(tools, &args, &plan.output, plan.duration, on_progress, cancel)
    };
    let Some(hardware) = plan.video_encoder.as_deref() else {
        run(plan, on_progress)?;
        return Ok(ran(SOFTWARE));
    };
    match run(plan, on_progress) {
        Ok(()) => Ok(ran(hardware)),
        Err(e @ (EngineError::Cancelled | EngineError::DiskFull { .. })) => Err(e),
        Err(e) => {
            let why = match &e {
                EngineError::RenderFailed { status, stderr_tail, .. } => {
                    let last = stderr_tail.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
                    format!("{status}: {}", last.trim())
                }
                other => other.to_string(),
            };
            tracing::warn!(encoder = hardware, error = %e, "hardware encoder failed; rendering with x264");
            let _ = std::fs::remove_file(video_tmp);
            let software = VariantPlan { video_encoder: None, ..plan.clone() };
            run(&software, on_progress)?;
            Ok(Notice::new("job.encoder_fallback", format!("{SOFTWARE} ({hardware} failed: {why})"))
                .with("encoder", SOFTWARE)
                .with("hardware", hardware)
                .with("detail", why))
        }
    }
}

/// Writes the implicit AI label into the cover JPEG as XMP (ffmpeg's JPEG
/// writer has no way to).
fn label_cover(cover: &Path, implicit: &str) -> Result<()> {
    let jpeg = std::fs::read(cover).map_err(|e| EngineError::io(format!("reading {}", cover.display()), e))?;
    let labelled = crate::ai_label::jpeg_with_xmp(&jpeg, &crate::ai_label::xmp_packet(implicit))?;
    std::fs::write(cover, labelled).map_err(|e| EngineError::io(format!("writing {}", cover.display()), e))
}

/// A damaged master can end early without ffmpeg failing; the output must be
/// as long as planned, give or take a couple of frames.
fn check_duration(tools: &MediaTools, plan: &VariantPlan, file: &Path) -> Result<()> {
    let actual = crate::probe::probe(tools, file)?.duration;
    let tolerance = (2.0 / f64::from(plan.fps)).max(0.1);
    if (actual - plan.duration).abs() > tolerance {
        return Err(EngineError::IncompleteOutput { output: plan.output.clone(), actual, expected: plan.duration });
    }
    Ok(())
}

/// Deletes the temporary files a plan's render may have left.
pub fn remove_partials(plan: &VariantPlan) {
    let pieces = smart::work_dir(plan);
    if pieces.exists() {
        match std::fs::remove_dir_all(&pieces) {
            Ok(()) => tracing::info!(path = %pieces.display(), "removed a smart render's pieces"),
            Err(e) => tracing::warn!(path = %pieces.display(), error = %e, "could not remove a smart render's pieces"),
        }
    }
    for path in [partial_path(&plan.output), partial_path(&plan.cover.output)] {
        match std::fs::remove_file(&path) {
            Ok(()) => tracing::info!(path = %path.display(), "removed partial file"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not remove partial file")
            }
        }
    }
}

/// Writes a small file whole: under its `.part` name first, renamed when complete.
pub fn write_complete(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = partial_path(path);
    std::fs::write(&tmp, bytes).map_err(|e| EngineError::io(format!("writing {}", tmp.display()), e))?;
    rename(&tmp, path)
}

/// Renames over `to`. On Windows a file another program holds open without
/// delete sharing (most players, a virus scan) cannot be replaced: a scan lets
/// go within moments, so this tries again for a second, then says who to ask.
fn rename(from: &Path, to: &Path) -> Result<()> {
    let mut tries = 0;
    loop {
        match std::fs::rename(from, to) {
            Ok(()) => return Ok(()),
            Err(e) if held_open(&e) && tries < 5 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Err(e) if held_open(&e) => return Err(EngineError::OutputInUse { path: to.to_owned() }),
            Err(e) => {
                return Err(EngineError::io(format!("renaming {} to {}", from.display(), to.display()), e));
            }
        }
    }
}

/// Windows' "access denied" and "sharing violation", which a rename over an
/// open file gets; Unix renames over open files.
fn held_open(e: &std::io::Error) -> bool {
    cfg!(windows) && matches!(e.raw_os_error(), Some(5 | 32 | 33))
}

/// Flushes a file to disk and returns its size and SHA-256 (hex).
pub fn sync_and_hash(path: &Path) -> Result<(u64, String)> {
    let ctx = |e| EngineError::io(format!("reading {}", path.display()), e);
    let mut file = File::options().read(true).write(true).open(path).map_err(ctx)?;
    file.sync_all().map_err(ctx)?;
    let (size, hash) = hash_reader(&mut file).map_err(ctx)?;
    Ok((size, hash))
}

/// Size and SHA-256 (hex) of a file, e.g. to check a `done` job's output.
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    hash_reader(&mut File::open(path)?)
}

fn hash_reader(reader: &mut impl Read) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, crate::digest::hex(&hasher.finalize())))
}
