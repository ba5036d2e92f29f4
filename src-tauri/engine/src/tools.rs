//! Where ffmpeg and ffprobe live. Unless the user points at their own build:
//! next to our executable (a Windows install ships them there), then in the
//! data folder's `ffmpeg/` (where the app's download offer puts them), then
//! on PATH. The same rule on every OS; only the `.exe` suffix differs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{EngineError, Result};

/// Paths of the external media tools.
#[derive(Debug, Clone)]
pub struct MediaTools {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
}

/// `ffmpeg` → `ffmpeg.exe` on Windows.
pub fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// A path as ffmpeg must be given it: behind `file:`, so that nothing in it is
/// read as a protocol (`C:` is one to ffmpeg's URL parser on some builds, a
/// relative `a:b.mp4` always is), and a leading `-` is not an option.
/// `file:C:\…`, `file:\\nas\…` and `file:/home/…` all open the plain file.
pub fn file_url(path: &Path) -> std::ffi::OsString {
    let mut url = std::ffi::OsString::from("file:");
    url.push(path.as_os_str());
    url
}

/// How to get ffmpeg on this OS, for the "not found" error.
pub fn install_hint() -> &'static str {
    if cfg!(windows) {
        "Reinstall Repurpose Studio (its installer puts ffmpeg.exe beside the app), use the download offer in Settings, or choose an ffmpeg.exe in Settings / --ffmpeg"
    } else if cfg!(target_os = "macos") {
        "Install it (`brew install ffmpeg`), use the download offer in Settings, or choose the program in Settings / --ffmpeg"
    } else {
        "Install it (Debian/Ubuntu: `sudo apt-get install ffmpeg`), use the download offer in Settings, or set the path in Settings / --ffmpeg"
    }
}

/// Where the app's download offer unpacks ffmpeg.
pub fn download_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("ffmpeg")
}

impl MediaTools {
    /// The ffmpeg at `path`, with the ffprobe beside it.
    pub fn at(path: &Path) -> Self {
        let ffprobe = path.with_file_name(match path.extension() {
            Some(ext) => format!("ffprobe.{}", ext.to_string_lossy()),
            None => "ffprobe".to_owned(),
        });
        Self { ffmpeg: path.to_owned(), ffprobe }
    }

    /// `ffmpeg` overrides the search; ffprobe is then looked up beside it.
    pub fn locate(ffmpeg: Option<&Path>, data_dir: &Path) -> Self {
        if let Some(path) = ffmpeg {
            return Self::at(path);
        }
        let beside_exe = std::env::current_exe().ok().and_then(|p| p.parent().map(Path::to_owned));
        let found = beside_exe
            .into_iter()
            .chain([download_dir(data_dir)])
            .map(|dir| Self { ffmpeg: dir.join(exe("ffmpeg")), ffprobe: dir.join(exe("ffprobe")) })
            .find(|t| t.ffmpeg.is_file() && t.ffprobe.is_file());
        found.unwrap_or_else(|| Self { ffmpeg: exe("ffmpeg").into(), ffprobe: exe("ffprobe").into() })
    }

    /// Fails with an installation hint when either tool cannot be started.
    pub fn check(&self) -> Result<()> {
        for (tool, path) in [("ffmpeg", &self.ffmpeg), ("ffprobe", &self.ffprobe)] {
            let status =
                crate::process::tool_command(path).arg("-version").stdout(Stdio::null()).stderr(Stdio::null()).status();
            match status {
                Ok(s) if s.success() => {}
                _ => return Err(EngineError::ToolMissing { tool }),
            }
        }
        Ok(())
    }

    /// A `Command` for ffprobe, mapping "not found" to an actionable error.
    pub(crate) fn ffprobe_command(&self) -> Command {
        let mut cmd = crate::process::tool_command(&self.ffprobe);
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
