//! A master's subtitles and highlight suggestions, for the editor.

use crate::error::NoticeView;
use serde::Serialize;
use studio_engine::highlights::Suggestion;
use tauri::State;
use ts_rs::TS;

use super::master_of_kind;
use crate::error::IpcError;
use crate::state::AppState;

/// A master's subtitles as the editor shows them.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct SubtitlesView {
    pub file_name: String,
    pub format: String,
    pub encoding: String,
    pub cues: u32,
    /// What was changed or left out when the file was read.
    pub warnings: Vec<NoticeView>,
}

/// A suggested window, with its reasons in both UI languages.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct SuggestionView {
    pub start: f64,
    pub end: f64,
    pub score: f64,
    pub reasons_zh: Vec<String>,
    pub reasons_en: Vec<String>,
}

fn video_master(state: &AppState, master_id: i32) -> Result<studio_engine::library::MasterEntry, IpcError> {
    master_of_kind(state, master_id, "video")
}

fn view(s: studio_engine::store::MasterSubtitles) -> SubtitlesView {
    SubtitlesView {
        file_name: s.file_name,
        format: s.format,
        encoding: s.encoding,
        cues: u32::try_from(s.cues.len()).unwrap_or(u32::MAX),
        warnings: crate::error::notices(s.warnings),
    }
}

/// Reads a subtitle file and makes it the master's subtitles.
#[tauri::command]
pub fn add_subtitles(
    state: State<'_, AppState>,
    actor: String,
    master_id: i32,
    path: String,
) -> Result<SubtitlesView, IpcError> {
    let master = video_master(&state, master_id)?;
    let path = std::path::PathBuf::from(path.trim());
    Ok(view(state.studio().add_subtitles(master.id, &path, &actor)?))
}

/// The master's subtitles, if it has any.
#[tauri::command]
pub fn subtitles(state: State<'_, AppState>, master_id: i32) -> Result<Option<SubtitlesView>, IpcError> {
    let master = video_master(&state, master_id)?;
    Ok(state.studio().store()?.subtitles(master.id)?.map(view))
}

/// The best windows of about `duration` seconds.
#[tauri::command]
pub async fn suggest(
    state: State<'_, AppState>,
    master_id: i32,
    duration: f64,
) -> Result<Vec<SuggestionView>, IpcError> {
    let master = video_master(&state, master_id)?;
    let report = state.studio().suggest(&master.path, duration, 5)?;
    Ok(report
        .suggestions
        .into_iter()
        .map(|Suggestion { start, end, score, reasons }| SuggestionView {
            start,
            end,
            score,
            reasons_zh: reasons.iter().map(|r| r.zh.clone()).collect(),
            reasons_en: reasons.iter().map(|r| r.en.clone()).collect(),
        })
        .collect())
}
