//! Settings: the studio's own (institution, licence, default disclaimer, kept
//! in its data folder) and this machine's (data folder, ffmpeg, font files,
//! kept in the config folder and applied at once).

use std::path::PathBuf;
use studio_engine::message::Notice;

use serde::{Deserialize, Serialize};
use studio_engine::machine::MachineSettings;
use tauri::{AppHandle, Manager, State};
use ts_rs::TS;

use crate::error::{IpcError, NoticeView};
use crate::state::AppState;

/// What Settings edits: the lines under every disclaimer and the default preset.
#[derive(Debug, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SettingsView {
    pub institution: Option<String>,
    pub licence: Option<String>,
    pub disclaimer_preset: Option<String>,
}

#[tauri::command]
pub fn settings(state: State<'_, AppState>) -> Result<SettingsView, IpcError> {
    let s = state.studio().settings()?;
    Ok(SettingsView { institution: s.institution, licence: s.licence, disclaimer_preset: s.disclaimer_preset })
}

#[tauri::command]
pub fn save_settings(state: State<'_, AppState>, settings: SettingsView) -> Result<SettingsView, IpcError> {
    let s = state.studio().save_settings(&studio_engine::settings::Settings {
        institution: settings.institution,
        licence: settings.licence,
        disclaimer_preset: settings.disclaimer_preset,
    })?;
    Ok(SettingsView { institution: s.institution, licence: s.licence, disclaimer_preset: s.disclaimer_preset })
}

/// This machine's choices as typed (`null`: the default) beside what is in use.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct MachineView {
    pub data_dir: Option<String>,
    pub ffmpeg: Option<String>,
    pub font_files: Vec<String>,
    pub backup_dir: Option<String>,
    pub backups_kept: Option<i32>,
    pub data_dir_in_use: String,
    pub ffmpeg_in_use: String,
    /// The primary family of each font file, in order.
    pub font_families: Vec<String>,
    /// Why the saved choices could not be used at start (the app then runs on defaults).
    pub problem: Option<String>,
    /// Full versions are smart-rendered (copying what no overlay touches).
    pub smart_render: bool,
    /// auto | software | h264_nvenc …, as chosen.
    pub video_encoder: String,
    /// The encoder renders use here and why ("libx264 (auto: no hardware encoder works here)").
    pub encoder_in_use: NoticeView,
}

/// What the UI sends to change them.
#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct MachineInput {
    pub data_dir: Option<String>,
    pub ffmpeg: Option<String>,
    pub font_files: Vec<String>,
    pub backup_dir: Option<String>,
    pub backups_kept: Option<i32>,
    #[serde(default)]
    #[ts(optional)]
    pub smart_render: Option<bool>,
    /// auto | software | an encoder's name; absent: as it is.
    #[serde(default)]
    #[ts(optional)]
    pub video_encoder: Option<String>,
}

fn text(path: &std::path::Path) -> String {
    path.display().to_string()
}

fn machine_view(state: &AppState) -> MachineView {
    let (chosen, problem) = state.machine();
    let studio = state.studio();
    let fonts = &studio.config().fonts;
    MachineView {
        data_dir: chosen.data_dir.as_deref().map(text),
        ffmpeg: chosen.ffmpeg.as_deref().map(text),
        font_files: chosen.font_files.iter().map(|p| text(p)).collect(),
        backup_dir: chosen.backup_dir.as_deref().map(text),
        backups_kept: chosen.backups_kept.map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
        data_dir_in_use: text(studio.data_dir()),
        ffmpeg_in_use: text(&studio.tools().ffmpeg),
        font_families: fonts.families().unwrap_or_default(),
        problem,
        smart_render: studio.config().smart_render,
        video_encoder: studio.config().video_encoder.to_string(),
        encoder_in_use: studio.encoder_choice().why.into(),
    }
}

#[tauri::command]
pub fn machine_settings(state: State<'_, AppState>) -> MachineView {
    machine_view(&state)
}

/// Checks the choices, opens the studio they describe, saves them and
/// switches to it; the window then reloads its screens. Refused while renders run.
#[tauri::command]
pub fn save_machine_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: MachineInput,
) -> Result<MachineView, IpcError> {
    // A blank field becomes an empty path, which `checked` reads as "the default".
    let path = |s: String| PathBuf::from(s.trim());
    let wanted = MachineSettings {
        data_dir: settings.data_dir.map(path),
        ffmpeg: settings.ffmpeg.map(path),
        font_files: settings.font_files.into_iter().map(path).collect(),
        backup_dir: settings.backup_dir.map(path),
        backups_kept: match settings.backups_kept {
            Some(n) => Some(usize::try_from(n).map_err(|_| {
                IpcError::refused(Notice::new("settings.keep_one_snapshot", "keep at least one snapshot"))
            })?),
            None => None,
        },
        // Settings → 团队 keeps its own choice; this form leaves it as it is.
        team_database: state.machine().0.team_database.clone(),
        smart_render: settings.smart_render.or(state.machine().0.smart_render),
        video_encoder: match settings.video_encoder {
            Some(e) => Some(e.parse::<studio_engine::encoders::EncoderSetting>()?),
            None => state.machine().0.video_encoder.clone(),
        },
    };
    apply(&app, &state, wanted)?;
    Ok(machine_view(&state))
}

fn apply(app: &AppHandle, state: &AppState, wanted: MachineSettings) -> Result<(), IpcError> {
    let wanted = wanted.checked()?;
    let studio = state.switch(wanted)?;
    // Thumbnails, overlays and renders of the new folder may now be shown.
    app.asset_protocol_scope().allow_directory(studio.data_dir(), true).map_err(|e| {
        IpcError::refused(
            Notice::new(
                "settings.scope_failed",
                format!("the window may not show files from the new data folder: {e}"),
            )
            .with("detail", e),
        )
    })?;
    Ok(())
}

/// Downloads a static ffmpeg build into the data folder (offered when none is
/// found) and switches to it at once. Offline it fails at once with the reason.
#[tauri::command]
pub async fn download_ffmpeg(app: AppHandle, state: State<'_, AppState>) -> Result<MachineView, IpcError> {
    let dir = studio_engine::tools::download_dir(state.studio().data_dir());
    let result = tauri::async_runtime::spawn_blocking(move || -> Result<PathBuf, String> {
        use ffmpeg_sidecar::download::{download_ffmpeg_package, ffmpeg_download_url, unpack_ffmpeg};
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let url = ffmpeg_download_url().map_err(|e| e.to_string())?;
        let archive = download_ffmpeg_package(url, &dir).map_err(|e| e.to_string())?;
        unpack_ffmpeg(&archive, &dir).map_err(|e| e.to_string())?;
        Ok(dir.join(studio_engine::tools::exe("ffmpeg")))
    })
    .await
    .map_err(|e| {
        IpcError::refused(
            Notice::new("settings.download_stopped", format!("the download stopped: {e}")).with("detail", e),
        )
    })?;
    let ffmpeg = result.map_err(|e| {
        let n = studio_engine::message::Notice::new(
            "download_failed",
            format!(
                "ffmpeg could not be downloaded ({e}); check the network, or install ffmpeg yourself and choose it here"
            ),
        )
        .with("detail", e);
        IpcError::from_notice("download_failed", n)
    })?;
    let (mut wanted, _) = state.machine();
    wanted.ffmpeg = Some(ffmpeg);
    apply(&app, &state, wanted)?;
    Ok(machine_view(&state))
}
