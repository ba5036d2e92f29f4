//! The log a user can send to whoever helps them: `tracing` into a
//! size-capped, rotating file in the OS's log folder (one per program, so the
//! app and the CLI never rotate each other's file), and a zip of those files
//! with the facts about this machine that a helper asks for first.
//!
//! What is logged is chosen so the zip can be sent as it is: plans, ffmpeg's
//! last lines, error codes and paths, never a post's title, body or caption,
//! and the zip holds no media.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rolling_file::{BasicRollingFileAppender, RollingConditionBasic};
use serde::Serialize;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, fmt};

use crate::error::{EngineError, Result};
use crate::studio::Studio;

/// A log file is rotated when it passes this size…
const CAP_BYTES: u64 = 5 << 20;
/// …and this many rotated files are kept (`app.log.1` … `app.log.4`), so a
/// program's logs never take more than 25 MB.
const KEPT: usize = 4;

/// The log folder: `STUDIO_LOG_DIR` when set (tests, portable installs),
/// else the OS's (see [`crate::folders::log_dir`]).
pub fn dir() -> Option<PathBuf> {
    std::env::var_os("STUDIO_LOG_DIR").map(PathBuf::from).or_else(crate::folders::log_dir)
}

/// Sends `tracing` to `<log dir>/<name>.log` (at `info`, or `STUDIO_LOG`)
/// and, with `stderr`, warnings to stderr too. Returns the file's path, or
/// `None` when the folder cannot be written (then stderr gets everything).
pub fn init(name: &str, stderr: bool) -> Option<PathBuf> {
    let filter = || EnvFilter::try_from_env("STUDIO_LOG").unwrap_or_else(|_| "info".into());
    let path = dir().map(|d| d.join(format!("{name}.log")));
    let appender = path.as_deref().and_then(|p| {
        std::fs::create_dir_all(p.parent()?).ok()?;
        // Capacity 0: every event goes straight to the file, so a crash loses none.
        BasicRollingFileAppender::new_with_buffer_capacity(p, RollingConditionBasic::new().max_size(CAP_BYTES), KEPT, 0)
            .ok()
    });
    let opened = appender.is_some();
    let file_layer = appender.map(|a| fmt::layer().with_ansi(false).with_writer(Mutex::new(a)).with_filter(filter()));
    let stderr_layer = (stderr || !opened).then(|| {
        let level = if opened { EnvFilter::new("warn") } else { filter() };
        fmt::layer().with_writer(std::io::stderr).with_filter(level)
    });
    let _ = tracing_subscriber::registry().with(file_layer).with(stderr_layer).try_init();
    if opened { path } else { None }
}

/// What a helper needs to know about this machine, without anything of the user's posts.
#[derive(Debug, Clone, Serialize)]
pub struct MachineFacts {
    pub studio_version: String,
    pub os: String,
    pub arch: String,
    pub ffmpeg: String,
    pub ffmpeg_version: String,
    pub ffprobe: String,
    pub font_family: String,
    pub font_files: Vec<PathBuf>,
    pub data_dir: PathBuf,
    pub database_bytes: Option<u64>,
    pub schema_version: Option<u32>,
    pub backup_dir: PathBuf,
    pub snapshots: usize,
    pub newest_snapshot: Option<String>,
    pub time_zone: String,
}

/// What `write_bundle` put in the zip.
#[derive(Debug, Clone, Serialize)]
pub struct Bundle {
    pub path: PathBuf,
    pub log_files: Vec<String>,
    pub facts: MachineFacts,
}

impl Studio {
    /// The facts, read now (ffmpeg is asked for its version).
    pub fn machine_facts(&self) -> MachineFacts {
        let ffmpeg_version = crate::process::tool_command(&self.tools().ffmpeg)
            .arg("-version")
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8_lossy(&o.stdout).lines().next().map(str::to_owned))
            .unwrap_or_else(|| "not found".into());
        let font_family = self.with_text(|t| Ok(t.family().to_owned())).unwrap_or_else(|e| format!("none ({e})"));
        let db = self.database_path();
        let schema_version = match crate::store::health::check(&db) {
            crate::store::Health::Good { version } | crate::store::Health::Newer { version } => Some(version),
            _ => None,
        };
        let snapshots = crate::store::backup::list(&self.backup_dir()).unwrap_or_default();
        MachineFacts {
            studio_version: env!("CARGO_PKG_VERSION").into(),
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            ffmpeg: self.tools().ffmpeg.display().to_string(),
            ffmpeg_version,
            ffprobe: self.tools().ffprobe.display().to_string(),
            font_family,
            font_files: self.config().fonts.font_files.clone(),
            data_dir: self.data_dir().to_owned(),
            database_bytes: std::fs::metadata(&db).ok().map(|m| m.len()),
            schema_version,
            backup_dir: self.backup_dir(),
            snapshots: snapshots.len(),
            newest_snapshot: snapshots.first().map(|s| s.taken_at.clone()),
            time_zone: self.config().time_zone.clone(),
        }
    }

    /// Writes `out` (a zip): every file of the log folder under `logs/` and
    /// `machine.json`. Written to `.part` and renamed, like every output.
    pub fn write_log_bundle(&self, out: &Path) -> Result<Bundle> {
        let facts = self.machine_facts();
        let part = crate::render::partial_path(out);
        let result = write_zip(&part, &facts);
        let log_files = match result {
            Ok(files) => files,
            Err(e) => {
                let _ = std::fs::remove_file(&part);
                return Err(e);
            }
        };
        std::fs::rename(&part, out)
            .map_err(|e| EngineError::io(format!("renaming {} to {}", part.display(), out.display()), e))?;
        Ok(Bundle { path: out.to_owned(), log_files, facts })
    }
}

fn write_zip(path: &Path, facts: &MachineFacts) -> Result<Vec<String>> {
    let io = |e: std::io::Error| EngineError::io(format!("writing {}", path.display()), e);
    let zipped = |e: zip::result::ZipError| {
        EngineError::Refused(
            crate::message::Notice::new("logs.zip_failed", format!("writing {}: {e}", path.display()))
                .with("path", path.display())
                .with("detail", e),
        )
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).map_err(io)?);
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("machine.json", options).map_err(zipped)?;
    zip.write_all(serde_json::to_string_pretty(facts)?.as_bytes()).map_err(io)?;
    let mut names = Vec::new();
    if let Some(dir) = dir()
        && let Ok(entries) = std::fs::read_dir(&dir)
    {
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
        files.sort();
        for file in files {
            let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if !name.contains(".log") {
                continue;
            }
            let bytes = std::fs::read(&file).map_err(|e| EngineError::io(format!("reading {}", file.display()), e))?;
            zip.start_file(format!("logs/{name}"), options).map_err(zipped)?;
            zip.write_all(&bytes).map_err(io)?;
            names.push(name);
        }
    }
    zip.finish().map_err(zipped)?.sync_all().map_err(io)?;
    Ok(names)
}
