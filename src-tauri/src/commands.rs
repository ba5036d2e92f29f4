//! Commands the UI calls. Each one validates its input, calls the engine and
//! maps the answer to a view type; nothing else lives here.

use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::error::IpcError;
use crate::state::AppState;

/// About this installation.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    /// False when ffmpeg/ffprobe cannot be started; the UI then offers help.
    pub ffmpeg_found: bool,
}

/// A platform as the UI lists it.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct PlatformSummary {
    pub id: String,
    pub name: String,
    pub name_en: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Seconds; `null` for the whole master.
    pub target_duration: Option<f64>,
}

/// A render job as the UI lists it.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct JobSummary {
    pub id: i32,
    pub platform: String,
    pub state: String,
    pub progress: f64,
    pub output_path: String,
    pub error: Option<String>,
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        data_dir: state.studio.data_dir().display().to_string(),
        ffmpeg_found: state.studio.tools().check().is_ok(),
    }
}

#[tauri::command]
pub fn platforms(state: State<'_, AppState>) -> Vec<PlatformSummary> {
    state
        .studio
        .platforms()
        .all()
        .map(|p| PlatformSummary {
            id: p.id.clone(),
            name: p.name.clone(),
            name_en: p.name_en.clone(),
            width: p.video.as_ref().map(|v| v.width),
            height: p.video.as_ref().map(|v| v.height),
            target_duration: p.video.as_ref().and_then(|v| v.target_duration),
        })
        .collect()
}

#[tauri::command]
pub fn jobs(state: State<'_, AppState>) -> Result<Vec<JobSummary>, IpcError> {
    let jobs = state.studio.store()?.jobs()?;
    Ok(jobs
        .into_iter()
        .map(|j| JobSummary {
            id: i32::try_from(j.id).unwrap_or(i32::MAX),
            platform: j.platform,
            state: j.state.as_str().to_owned(),
            progress: j.progress,
            output_path: j.output_path.display().to_string(),
            error: j.error,
        })
        .collect())
}
