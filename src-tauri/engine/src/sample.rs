//! Generated sample masters (ffmpeg's lavfi test sources), for the demo, the
//! benchmark and anyone trying the app without a recording at hand.

use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;

use crate::error::{EngineError, Result};
use crate::tools::{MediaTools, spawn_error};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SampleSpec {
    pub seconds: f64,
    pub width: u32,
    pub height: u32,
    /// Frame rate as ffmpeg takes it (`30`, `30000/1001`, `12.5`).
    pub rate: String,
    pub audio: bool,
    /// x264 preset; `ultrafast` keeps generation quick.
    pub preset: String,
}

impl Default for SampleSpec {
    fn default() -> Self {
        Self { seconds: 70.0, width: 1920, height: 1080, rate: "30".into(), audio: true, preset: "ultrafast".into() }
    }
}

/// The ffmpeg arguments that write `spec` to `output` (H.264 + AAC in MP4).
pub fn sample_args(spec: &SampleSpec, output: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let video = format!("testsrc2=size={}x{}:rate={}", spec.width, spec.height, spec.rate);
    args.extend(["-f", "lavfi", "-i", &video].map(OsString::from));
    if spec.audio {
        args.extend(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"].map(OsString::from));
    }
    let t = format!("{:.3}", spec.seconds);
    args.extend(
        ["-t", &t, "-c:v", "libx264", "-preset", &spec.preset, "-crf", "28", "-pix_fmt", "yuv420p"].map(OsString::from),
    );
    if spec.audio {
        args.extend(["-c:a", "aac", "-b:a", "96k"].map(OsString::from));
    }
    args.extend(["-movflags", "+faststart", "-y"].map(OsString::from));
    args.push(crate::tools::file_url(output));
    args
}

/// Writes a sample master, unless an identical one is already there.
pub fn generate(tools: &MediaTools, spec: &SampleSpec, output: &Path) -> Result<()> {
    if let Some(dir) = output.parent() {
        std::fs::create_dir_all(dir).map_err(|e| EngineError::io(format!("creating {}", dir.display()), e))?;
    }
    let out = crate::process::tool_command(&tools.ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(sample_args(spec, output))
        .stdout(Stdio::null())
        .output()
        .map_err(|e| spawn_error("ffmpeg", "generating a sample", e))?;
    if !out.status.success() {
        return Err(EngineError::RenderFailed {
            output: output.to_owned(),
            status: out.status.to_string(),
            stderr_tail: String::from_utf8_lossy(&out.stderr).lines().rev().take(10).collect::<Vec<_>>().join("\n"),
        });
    }
    Ok(())
}
