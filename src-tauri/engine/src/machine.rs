//! This machine's choices: where the studio's data lives, which ffmpeg runs
//! and which font files draw the text. Kept in the OS config folder, not in
//! the data folder, because one of them says where the data folder is; the app
//! and the CLI both read it, so a folder picked in the app is the one the CLI
//! uses next (flags and environment variables still win).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::message::Notice;
use crate::studio::StudioConfig;
use crate::text::FontConfig;
use crate::tools::MediaTools;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MachineSettings {
    /// `None`: the platform's app-data folder.
    pub data_dir: Option<PathBuf>,
    /// `None`: next to the executable, then PATH (or a downloaded one).
    pub ffmpeg: Option<PathBuf>,
    /// Font files for overlays and cards; the first one's family is primary.
    pub font_files: Vec<PathBuf>,
    /// Where database snapshots go (a USB disk, a NAS); `None`: the data folder's `backups/`.
    pub backup_dir: Option<PathBuf>,
    /// How many snapshots to keep; `None`: the default.
    pub backups_kept: Option<usize>,
    /// The team's PostgreSQL database (`postgresql://login@host/db`, without the
    /// password); `None`: solo, everything in the local file.
    #[serde(default)]
    pub team_database: Option<String>,
    /// Smart render of full versions (`None`: on); see [`crate::plan::smart`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smart_render: Option<bool>,
    /// `auto`, `software` or a hardware encoder (`None`: auto); see [`crate::encoders`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_encoder: Option<crate::encoders::EncoderSetting>,
}

impl MachineSettings {
    /// `machine.json` in the platform's config folder (`~/.config/repurpose-studio`).
    pub fn default_path() -> Option<PathBuf> {
        crate::folders::config_dir().map(|d| d.join("machine.json"))
    }

    /// A missing file means defaults; an unreadable one is an error naming it,
    /// so a caller can say so and go on with defaults without overwriting it.
    pub fn load(path: &Path) -> Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                EngineError::Refused(
                    Notice::new(
                        "settings.machine_unreadable",
                        format!(
                            "{}: not valid machine settings ({e}); fix or delete the file to start from defaults",
                            path.display()
                        ),
                    )
                    .with("path", path.display())
                    .with("detail", e),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(EngineError::io(format!("reading {}", path.display()), e)),
        }
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| EngineError::io(format!("creating {}", dir.display()), e))?;
        }
        crate::render::write_complete(path, serde_json::to_string_pretty(self)?.as_bytes())
    }

    /// Puts the choices into `config`, leaving what is unset as it is.
    pub fn apply(&self, config: &mut StudioConfig) {
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(ffmpeg) = &self.ffmpeg {
            config.ffmpeg = Some(ffmpeg.clone());
        }
        if !self.font_files.is_empty() {
            config.fonts = FontConfig { font_files: self.font_files.clone() };
        }
        if let Some(dir) = &self.backup_dir {
            config.backups.dir = Some(dir.clone());
        }
        if let Some(keep) = self.backups_kept {
            config.backups.keep = keep;
        }
        if let Some(url) = self.team_database.as_ref().filter(|u| !u.trim().is_empty()) {
            config.team_database = Some(url.trim().to_owned());
        }
        if let Some(on) = self.smart_render {
            config.smart_render = on;
        }
        if let Some(e) = &self.video_encoder {
            config.video_encoder = e.clone();
        }
    }

    /// Drops empty paths (an emptied field means the default) and checks
    /// every choice before anything is saved: the folder can be written,
    /// ffmpeg and the ffprobe beside it run, each font file holds a font.
    /// Returns the cleaned settings.
    pub fn checked(&self) -> Result<Self> {
        let given = |p: &&Path| !p.as_os_str().is_empty();
        let data_dir = self.data_dir.as_deref().filter(given);
        let ffmpeg = self.ffmpeg.as_deref().filter(given);
        if let Some(dir) = data_dir {
            check_folder(dir, Folder::Data)?;
        }
        if let Some(path) = ffmpeg {
            check_ffmpeg(path)?;
        }
        let backup_dir = self.backup_dir.as_deref().filter(given);
        if let Some(dir) = backup_dir {
            check_folder(dir, Folder::Backups)?;
        }
        if self.backups_kept == Some(0) {
            return Err(EngineError::Refused(Notice::new("settings.keep_one_snapshot", "keep at least one snapshot")));
        }
        let font_files = self.font_files.iter().map(PathBuf::as_path).filter(given).map(Path::to_owned).collect();
        let fonts = FontConfig { font_files };
        fonts.families()?;
        let team_database = self.team_database.as_deref().map(str::trim).filter(|u| !u.is_empty());
        if let Some(url) = team_database {
            crate::team::check_url(url)?;
        }
        Ok(Self {
            data_dir: data_dir.map(Path::to_owned),
            ffmpeg: ffmpeg.map(Path::to_owned),
            font_files: fonts.font_files,
            backup_dir: backup_dir.map(Path::to_owned),
            backups_kept: self.backups_kept,
            team_database: team_database.map(str::to_owned),
            smart_render: self.smart_render,
            video_encoder: self.video_encoder.clone(),
        })
    }
}

/// The folders a person chooses in Settings, each worded by its own catalog entries.
#[derive(Clone, Copy)]
enum Folder {
    Data,
    Backups,
}

fn check_folder(dir: &Path, folder: Folder) -> Result<()> {
    let what = match folder {
        Folder::Data => "data folder",
        Folder::Backups => "backup folder",
    };
    // Both codes are spelled out, so the catalog test sees them.
    let refuse = |data: Notice, backups: Notice| {
        let n = match folder {
            Folder::Data => data,
            Folder::Backups => backups,
        };
        n.with("path", dir.display())
    };
    if !dir.is_absolute() {
        let text = format!("{}: give the {what} as a full path (e.g. /home/me/Studio)", dir.display());
        return Err(EngineError::Refused(refuse(
            Notice::new("settings.data_dir_relative", &text),
            Notice::new("settings.backup_dir_relative", &text),
        )));
    }
    if dir.exists() && !dir.is_dir() {
        let text = format!("{}: this is a file, not a folder", dir.display());
        return Err(EngineError::Refused(refuse(
            Notice::new("settings.data_dir_is_file", &text),
            Notice::new("settings.backup_dir_is_file", &text),
        )));
    }
    let unwritable = |e: std::io::Error| {
        let text = format!("{}: the {what} must be a folder this user can write to; choose another", dir.display());
        EngineError::Refused(
            refuse(
                Notice::new("settings.data_dir_unwritable", &text),
                Notice::new("settings.backup_dir_unwritable", &text),
            )
            .with("detail", e),
        )
    };
    std::fs::create_dir_all(dir).map_err(unwritable)?;
    let probe = dir.join(".write-check");
    std::fs::write(&probe, b"ok").map_err(unwritable)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

fn check_ffmpeg(path: &Path) -> Result<()> {
    if !path.is_file() {
        let text = format!(
            "{}: no such program; choose the ffmpeg program itself (ffprobe must be beside it)",
            path.display()
        );
        return Err(EngineError::Refused(Notice::new("settings.ffmpeg_missing", text).with("path", path.display())));
    }
    let tools = MediaTools::at(path);
    tools.check().map_err(|_| {
        let text = format!(
            "{}: ffmpeg or the ffprobe beside it ({}) did not run `-version`; choose a working ffmpeg build",
            path.display(),
            tools.ffprobe.display()
        );
        EngineError::Refused(
            Notice::new("settings.ffmpeg_broken", text)
                .with("path", path.display())
                .with("ffprobe", tools.ffprobe.display()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::MachineSettings;

    #[test]
    fn round_trip_apply_and_checks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conf").join("machine.json");
        assert_eq!(MachineSettings::load(&path).unwrap(), MachineSettings::default());

        let data = dir.path().join("数据 folder's: 1");
        let s = MachineSettings {
            data_dir: Some(data.clone()),
            ffmpeg: Some("".into()),
            font_files: vec!["".into()],
            ..Default::default()
        };
        let s = s.checked().unwrap();
        assert!(data.is_dir() && s.ffmpeg.is_none() && s.font_files.is_empty());
        s.save(&path).unwrap();
        assert_eq!(MachineSettings::load(&path).unwrap(), s);
        let mut config = crate::StudioConfig::new("/elsewhere".into());
        s.apply(&mut config);
        assert_eq!(config.data_dir, data);

        let relative = MachineSettings { data_dir: Some("rel/dir".into()), ..Default::default() };
        let refused = relative.checked().unwrap_err();
        assert!(refused.to_string().contains("full path"));
        assert_eq!(refused.code(), "invalid_argument");
        let zh = refused.render(crate::message::Lang::ZhCn);
        assert_eq!(zh, "rel/dir：数据文件夹要写完整路径（例如 D:\\Studio 或 /home/me/Studio）。");
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        let not_dir = MachineSettings { data_dir: Some(file.clone()), ..Default::default() };
        assert!(not_dir.checked().unwrap_err().to_string().contains("not a folder"));
        let bad_ffmpeg = MachineSettings { ffmpeg: Some(file.clone()), ..Default::default() };
        assert!(bad_ffmpeg.checked().unwrap_err().to_string().contains("ffprobe"));
        let missing = MachineSettings { ffmpeg: Some(dir.path().join("nope")), ..Default::default() };
        assert!(missing.checked().unwrap_err().to_string().contains("no such program"));
        let bad_font = MachineSettings { font_files: vec![file], ..Default::default() };
        assert!(bad_font.checked().unwrap_err().to_string().contains("font"));

        std::fs::write(&path, b"{ not json").unwrap();
        assert!(MachineSettings::load(&path).unwrap_err().to_string().contains("delete the file"));
    }
}
