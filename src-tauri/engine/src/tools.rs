//! Where ffmpeg and ffprobe live. By default: next to our executable, then on
//! PATH (ffmpeg-sidecar's rule); a user can point at their own build.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{EngineError, Result};

/// Paths of the external media tools.
#[derive(Debug, Clone)]
pub struct MediaTools {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
}

impl MediaTools {
    /// `ffmpeg` overrides the default; ffprobe is then looked up beside it.
    pub fn locate(ffmpeg: Option<&Path>) -> Self {
        match ffmpeg {
            Some(path) => {
                let ffprobe = path.with_file_name(match path.extension() {
                    Some(ext) => format!("ffprobe.{}", ext.to_string_lossy()),
                    None => "ffprobe".to_owned(),
                });
                Self { ffmpeg: path.to_owned(), ffprobe }
            }
            None => {
                Self { ffmpeg: ffmpeg_sidecar::paths::ffmpeg_path(), ffprobe: ffmpeg_sidecar::ffprobe::ffprobe_path() }
            }
        }
    }

    /// Fails with an installation hint when either tool cannot be started.
    pub fn check(&self) -> Result<()> {
        for (tool, path) in [("ffmpeg", &self.ffmpeg), ("ffprobe", &self.ffprobe)] {
            let status = Command::new(path).arg("-version").stdout(Stdio::null()).stderr(Stdio::null()).status();
            match status {
                Ok(s) if s.success() => {}
                _ => return Err(EngineError::ToolMissing { tool }),
            }
        }
        Ok(())
    }

    /// A `Command` for ffprobe, mapping "not found" to an actionable error.
    pub(crate) fn ffprobe_command(&self) -> Command {
        let mut cmd = Command::new(&self.ffprobe);
        cmd.stdin(Stdio::null());
        cmd
    }
}

/// Turns a spawn error into `ToolMissing` when the binary is absent.
pub(crate) fn spawn_error(tool: &'static str, context: &str, err: std::io::Error) -> EngineError {
    if err.kind() == std::io::ErrorKind::NotFound {
        EngineError::ToolMissing { tool }
    } else {
        EngineError::io(format!("starting {tool} for {context}"), err)
    }
}
