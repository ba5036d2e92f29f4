//! The library: masters a user imported, with what the UI lists (duration,
//! size, a thumbnail). Import checks the file the same way rendering would,
//! so a bad file is refused at the door with the engine's own error.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::message::Notice;
use crate::probe::MediaInfo;
use crate::studio::Studio;

/// A master as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterEntry {
    pub id: i64,
    pub path: PathBuf,
    /// video | article
    pub kind: String,
    pub duration: Option<f64>,
    pub size_bytes: u64,
    pub media: Option<MediaInfo>,
    /// A small JPEG in the data folder, for video masters.
    pub thumbnail: Option<PathBuf>,
}

/// Markdown files become article masters; everything else is probed as video.
fn is_article(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["md", "markdown", "txt"].contains(&e.to_lowercase().as_str()))
}

impl Studio {
    /// Adds a master to `project` (again is fine: it is refreshed).
    pub fn import_master(&self, path: &Path, project: &str) -> Result<MasterEntry> {
        let path =
            std::path::absolute(path).map_err(|e| EngineError::io(format!("resolving {}", path.display()), e))?;
        let store = self.store()?;
        let project_id = store.ensure_project(project)?;
        let id = if is_article(&path) {
            crate::notes::read_article(&path)?;
            store.upsert_article_master(project_id, &path)?
        } else {
            self.tools().check()?;
            let media = self.probe(&path)?;
            let id = store.upsert_video_master(project_id, &media)?;
            if let Err(e) = self.make_thumbnail(&media, &self.thumbnail_path(id)) {
                tracing::warn!(error = %e, "no thumbnail for {}", path.display());
            }
            id
        };
        self.master(id)
    }

    /// Every master, newest first.
    pub fn masters(&self) -> Result<Vec<MasterEntry>> {
        self.master_entries(None)
    }

    /// One master, without listing (and stat-ing) the whole library.
    pub fn master(&self, id: i64) -> Result<MasterEntry> {
        self.master_entries(Some(id))?.pop().ok_or(EngineError::NotFound { what: "master", id })
    }

    fn master_entries(&self, only: Option<i64>) -> Result<Vec<MasterEntry>> {
        let rows = self.store()?.master_rows(only)?;
        Ok(rows
            .into_iter()
            .map(|(id, path, kind, media_json, duration)| {
                let media: Option<MediaInfo> = media_json.and_then(|j| serde_json::from_str(&j).ok());
                let path = PathBuf::from(path);
                let size_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                let thumb = self.thumbnail_path(id);
                MasterEntry { id, path, kind, duration, size_bytes, media, thumbnail: thumb.is_file().then_some(thumb) }
            })
            .collect())
    }

    /// Reads a subtitle file and stores it as the master's subtitles (a video
    /// master only: an article has no timeline). Returns what was stored,
    /// with the reader's warnings.
    pub fn add_subtitles(&self, master_id: i64, file: &Path, by: &str) -> Result<crate::store::MasterSubtitles> {
        let master = self.master(master_id)?;
        if master.kind != "video" {
            return Err(EngineError::Refused(
                Notice::new(
                    "subtitles.article_master",
                    format!("master {master_id} is an article; subtitles belong to a video master"),
                )
                .with("master", master_id),
            ));
        }
        let track = crate::subtitles::read(file)?;
        if let Some(last) = track.cues.last()
            && let Some(duration) = master.duration
            && last.start() >= duration
        {
            return Err(EngineError::SubtitleInvalid {
                file: file.display().to_string(),
                line: last.line,
                reason: format!(
                    "the last cue starts at {}, after the video ends ({}); is this the subtitle file of {}?",
                    crate::subtitles::clock_ms(last.start_ms),
                    crate::plan::clock(duration),
                    master.path.display()
                ),
            });
        }
        let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
        let mut store = self.store()?;
        store.add_subtitles(master_id, &name, &track, by)?;
        store.subtitles(master_id)?.ok_or(EngineError::NotFound { what: "subtitles of master", id: master_id })
    }

    /// The id of the master recorded under `path` (as typed: it is made
    /// absolute, as import and probing record it), if the library has one.
    pub fn master_at(&self, path: &Path) -> Result<Option<i64>> {
        let path =
            std::path::absolute(path).map_err(|e| EngineError::io(format!("resolving {}", path.display()), e))?;
        self.store()?.master_by_path(&path.to_string_lossy())
    }

    /// The AI-content mark of the master recorded under `path`, if any.
    pub fn ai_mark_for(&self, path: &Path) -> Result<Option<crate::ai_label::AiMark>> {
        let Some(id) = self.master_at(path)? else { return Ok(None) };
        self.store()?.master_ai(id)
    }

    /// The cues of the master recorded under `path`, empty when it has none.
    pub fn cues_for(&self, path: &Path) -> Result<Vec<crate::subtitles::Cue>> {
        let Some(id) = self.master_at(path)? else { return Ok(Vec::new()) };
        Ok(self.store()?.subtitles(id)?.map(|s| s.cues).unwrap_or_default())
    }

    fn thumbnail_path(&self, master_id: i64) -> PathBuf {
        self.data_dir().join("thumbnails").join(format!("master-{master_id}.jpg"))
    }

    /// One upright frame, 320 px wide, from a second in (or the middle of a short master).
    fn make_thumbnail(&self, media: &MediaInfo, out: &Path) -> Result<()> {
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).map_err(|e| EngineError::io(format!("creating {}", dir.display()), e))?;
        }
        let part = crate::render::partial_path(out);
        let at = (media.duration / 2.0).min(1.0);
        let status = crate::process::tool_command(&self.tools().ffmpeg)
            .args(["-nostdin", "-v", "error", "-y", "-ss", &format!("{at:.3}"), "-i"])
            .arg(crate::tools::file_url(&media.path))
            .args(["-frames:v", "1", "-vf", "scale=320:-2", "-q:v", "4", "-f", "mjpeg"])
            .arg(crate::tools::file_url(&part))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| EngineError::io("starting ffmpeg for a thumbnail", e))?;
        if !status.success() {
            let _ = std::fs::remove_file(&part);
            return Err(EngineError::Refused(
                Notice::new("library.thumbnail_failed", format!("ffmpeg could not take a thumbnail ({status})"))
                    .with("status", status),
            ));
        }
        std::fs::rename(&part, out).map_err(|e| EngineError::io(format!("renaming {}", part.display()), e))
    }
}
