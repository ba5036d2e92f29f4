//! Hardware H.264 encoders. A laptop's GPU encodes a full version several
//! times faster than x264 on two cores; which ones this machine's ffmpeg can
//! use is found once (listed by `ffmpeg -encoders` *and* a tiny test encode,
//! since a build lists NVENC whether or not there is an NVIDIA card) and kept
//! in the data folder until ffmpeg changes. The profile's CRF is mapped to
//! each encoder's constant-quality mode. A hardware encoder that fails at
//! start or mid-job leaves the render to x264, and the job says so.

use std::fmt;
use std::path::Path;
use std::process::Stdio;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::message::Notice;
use crate::tools::MediaTools;

/// The encoders tried, in the order `auto` prefers them.
pub const HARDWARE: [&str; 4] = ["h264_videotoolbox", "h264_nvenc", "h264_qsv", "h264_amf"];

/// x264, the software encoder every build has.
pub const SOFTWARE: &str = "libx264";

/// The machine's choice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum EncoderSetting {
    /// The first hardware encoder that works here, else x264.
    #[default]
    Auto,
    /// Always x264.
    Software,
    /// This encoder if it works here, else x264.
    Named(String),
}

impl FromStr for EncoderSetting {
    type Err = EngineError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "auto" | "" => Ok(Self::Auto),
            "software" | SOFTWARE => Ok(Self::Software),
            name if HARDWARE.contains(&name) => Ok(Self::Named(name.to_owned())),
            other => Err(EngineError::Refused(
                Notice::new(
                    "encoder.unknown_setting",
                    format!(
                        "`{other}` is not an encoder setting; use auto, software or one of {}",
                        HARDWARE.join(", ")
                    ),
                )
                .with("value", other)
                .with("encoders", HARDWARE.join(", ")),
            )),
        }
    }
}

impl fmt::Display for EncoderSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Software => f.write_str("software"),
            Self::Named(n) => f.write_str(n),
        }
    }
}

impl TryFrom<String> for EncoderSetting {
    type Error = EngineError;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<EncoderSetting> for String {
    fn from(s: EncoderSetting) -> Self {
        s.to_string()
    }
}

/// The encoder a render uses and why: `None` is x264.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub encoder: Option<String>,
    /// For logs and the render table: "h264_nvenc (auto)", "libx264 (h264_qsv is not usable here)".
    pub said: String,
    /// The same for a person, in their language: the plan's note and Settings' line.
    pub why: Notice,
}

impl Choice {
    /// `why` names the case; its English text and the encoder's name are filled in here.
    fn new(encoder: Option<&str>, said: String, why: Notice) -> Self {
        let mut why = why.with("encoder", encoder.unwrap_or(SOFTWARE));
        why.text = format!("encoder: {said}");
        Self { encoder: encoder.map(str::to_owned), said, why }
    }
}

/// Picks from what works here.
pub fn choose(setting: &EncoderSetting, usable: &[String]) -> Choice {
    match setting {
        EncoderSetting::Software => {
            Choice::new(None, format!("{SOFTWARE} (software)"), Notice::new("plan.encoder.software", ""))
        }
        EncoderSetting::Auto => match HARDWARE.iter().find(|h| usable.iter().any(|u| u == *h)) {
            Some(h) => Choice::new(Some(h), format!("{h} (auto)"), Notice::new("plan.encoder.auto", "")),
            None => Choice::new(
                None,
                format!("{SOFTWARE} (auto: no hardware encoder works here)"),
                Notice::new("plan.encoder.none_usable", ""),
            ),
        },
        EncoderSetting::Named(n) if usable.contains(n) => {
            Choice::new(Some(n), n.clone(), Notice::new("plan.encoder.named", ""))
        }
        EncoderSetting::Named(n) => Choice::new(
            None,
            format!("{SOFTWARE} ({n} is not usable here)"),
            Notice::new("plan.encoder.unusable", "").with("wanted", n),
        ),
    }
}

/// The encoder's constant-quality settings for the profile's x264 CRF. Each
/// maps the CRF onto its own scale so that a CRF of 22 gives about the same
/// quality: NVENC's and QSV's scales follow x264's, VideoToolbox's runs
/// 1–100 the other way, AMF takes per-frame-type QPs.
pub fn quality_args(encoder: &str, crf: u32) -> Vec<String> {
    let s = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    match encoder {
        "h264_nvenc" => s(&["-preset", "p5", "-rc", "vbr", "-cq", &crf.to_string(), "-b:v", "0"]),
        "h264_qsv" => s(&["-preset", "medium", "-global_quality", &crf.to_string()]),
        "h264_videotoolbox" => {
            let q = (100 - crf.min(50) * 2).clamp(1, 100);
            s(&["-q:v", &q.to_string()])
        }
        "h264_amf" => {
            let (i, p, b) = (crf, (crf + 2).min(51), (crf + 4).min(51));
            s(&["-rc", "cqp", "-qp_i", &i.to_string(), "-qp_p", &p.to_string(), "-qp_b", &b.to_string()])
        }
        _ => Vec::new(),
    }
}

/// What this machine's ffmpeg was found to use, kept in the data folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Found {
    ffmpeg: String,
    size: u64,
    modified: Option<u64>,
    usable: Vec<String>,
}

/// The hardware encoders that work with this ffmpeg, from `cache` when it
/// was written for the same ffmpeg file.
pub fn usable(tools: &MediaTools, cache: &Path) -> Vec<String> {
    let id = identity(tools);
    if let Some((ffmpeg, size, modified)) = &id
        && let Ok(bytes) = std::fs::read(cache)
        && let Ok(found) = serde_json::from_slice::<Found>(&bytes)
        && (&found.ffmpeg, &found.size, &found.modified) == (ffmpeg, size, modified)
    {
        return found.usable;
    }
    let usable = detect(tools);
    if let Some((ffmpeg, size, modified)) = id {
        let found = Found { ffmpeg, size, modified, usable: usable.clone() };
        if let Ok(json) = serde_json::to_vec_pretty(&found)
            && let Err(e) = crate::render::write_complete(cache, &json)
        {
            tracing::warn!(error = %e, "could not keep the list of hardware encoders");
        }
    }
    usable
}

/// The ffmpeg file's path, size and modification time (`None`: not a file we
/// can see; then nothing is cached). A bare `ffmpeg` is the one PATH finds, so
/// a system ffmpeg's test encodes, which take a few tenths of a second, are not
/// run again at every start.
fn identity(tools: &MediaTools) -> Option<(String, u64, Option<u64>)> {
    let file = on_path(&tools.ffmpeg)?;
    let meta = std::fs::metadata(&file).ok()?;
    let modified = meta.modified().ok().and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_secs());
    Some((file.display().to_string(), meta.len(), modified))
}

/// `program` itself when it names a folder, else the first file of that name in a PATH folder.
fn on_path(program: &Path) -> Option<std::path::PathBuf> {
    if program.components().count() > 1 {
        return Some(program.to_owned());
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(program)).find(|p| p.is_file())
}

fn detect(tools: &MediaTools) -> Vec<String> {
    let Ok(out) = crate::process::tool_command(&tools.ffmpeg)
        .args(["-hide_banner", "-encoders"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    else {
        return Vec::new();
    };
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    HARDWARE
        .iter()
        .filter(|h| listed.split_whitespace().any(|w| w == **h))
        .filter(|h| test_encode(tools, h))
        .map(|h| (*h).to_owned())
        .collect()
}

/// A few frames through the encoder: a build lists encoders its machine
/// has no hardware for.
fn test_encode(tools: &MediaTools, encoder: &str) -> bool {
    let child = crate::process::tool_command(&tools.ffmpeg)
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-f",
            "lavfi",
            "-i",
            "color=black:s=256x256:r=30:d=0.2",
        ])
        .args(["-frames:v", "3", "-c:v", encoder, "-pix_fmt", "yuv420p", "-f", "null", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let ok = match child {
        Ok(mut child) => wait_briefly(&mut child),
        Err(_) => false,
    };
    tracing::info!(encoder, ok, "hardware encoder test");
    ok
}

/// A driver that hangs must not hang the studio: a few frames take well under this.
const TEST_ENCODE_LIMIT: std::time::Duration = std::time::Duration::from_secs(15);

fn wait_briefly(child: &mut std::process::Child) -> bool {
    let started = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if started.elapsed() < TEST_ENCODE_LIMIT => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn settings_parse_and_choose_from_what_works() {
        assert_eq!("auto".parse::<EncoderSetting>().unwrap(), EncoderSetting::Auto);
        assert_eq!("software".parse::<EncoderSetting>().unwrap(), EncoderSetting::Software);
        assert_eq!("h264_qsv".parse::<EncoderSetting>().unwrap(), EncoderSetting::Named("h264_qsv".into()));
        assert!("h265_magic".parse::<EncoderSetting>().unwrap_err().to_string().contains("h264_nvenc"));
        let usable = vec!["h264_qsv".to_owned(), "h264_nvenc".to_owned()];
        assert_eq!(choose(&EncoderSetting::Auto, &usable).encoder.as_deref(), Some("h264_nvenc"));
        assert_eq!(choose(&EncoderSetting::Auto, &[]).said, "libx264 (auto: no hardware encoder works here)");
        assert_eq!(choose(&EncoderSetting::Software, &usable).encoder, None);
        let amf = choose(&EncoderSetting::Named("h264_amf".into()), &usable);
        assert_eq!((amf.encoder, amf.said.as_str()), (None, "libx264 (h264_amf is not usable here)"));
    }

    #[test]
    fn crf_maps_to_each_encoders_constant_quality() {
        assert_eq!(quality_args("h264_nvenc", 22).join(" "), "-preset p5 -rc vbr -cq 22 -b:v 0");
        assert_eq!(quality_args("h264_qsv", 22).join(" "), "-preset medium -global_quality 22");
        assert_eq!(quality_args("h264_videotoolbox", 22).join(" "), "-q:v 56");
        assert_eq!(quality_args("h264_videotoolbox", 18).join(" "), "-q:v 64");
        assert_eq!(quality_args("h264_amf", 22).join(" "), "-rc cqp -qp_i 22 -qp_p 24 -qp_b 26");
        assert!(quality_args("libx264", 22).is_empty());
    }
}
