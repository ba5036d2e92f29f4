//! The library: import masters (dialog or drop), list them, preview articles.

use std::path::PathBuf;
use studio_engine::message::Notice;

use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use ts_rs::TS;

use super::id32;
use crate::error::IpcError;
use crate::state::AppState;

/// A master as the library lists it.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct MasterView {
    pub id: i32,
    pub path: String,
    pub name: String,
    /// video | article
    pub kind: String,
    pub duration: Option<f64>,
    pub size_bytes: f64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub has_audio: bool,
    pub thumbnail: Option<String>,
    /// Where the player streams it from (video masters).
    pub media_url: Option<String>,
}

fn view(state: &AppState, m: studio_engine::library::MasterEntry) -> MasterView {
    let media_url = match (&state.media, m.kind.as_str()) {
        (Some(server), "video") => {
            server.allow(&m.path);
            Some(server.url(&m.path))
        }
        _ => None,
    };
    MasterView {
        media_url,
        id: id32(m.id),
        name: m.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        path: m.path.display().to_string(),
        kind: m.kind,
        duration: m.duration,
        size_bytes: m.size_bytes as f64,
        width: m.media.as_ref().map(|i| i.video.display_width),
        height: m.media.as_ref().map(|i| i.video.display_height),
        has_audio: m.media.as_ref().is_some_and(|i| i.audio.is_some()),
        thumbnail: m.thumbnail.map(|p| p.display().to_string()),
    }
}

/// Imports a file the user picked or dropped; the engine's checks decide
/// whether it is usable, and its error says why not.
#[tauri::command]
pub fn import_master(app: AppHandle, state: State<'_, AppState>, path: String) -> Result<MasterView, IpcError> {
    if path.trim().is_empty() {
        return Err(IpcError::refused(Notice::new("library.no_file", "no file given")));
    }
    let path = PathBuf::from(path);
    let master = state.studio().import_master(&path, "default")?;
    // The player may now read this one file (and nothing else outside the data folder).
    let _ = app.asset_protocol_scope().allow_file(&master.path);
    Ok(view(&state, master))
}

#[tauri::command]
pub fn masters(app: AppHandle, state: State<'_, AppState>) -> Result<Vec<MasterView>, IpcError> {
    let masters = state.studio().masters()?;
    for m in &masters {
        let _ = app.asset_protocol_scope().allow_file(&m.path);
    }
    Ok(masters.into_iter().map(|m| view(&state, m)).collect())
}

/// An article master as sanitised HTML.
#[tauri::command]
pub fn article_preview(state: State<'_, AppState>, master_id: i32) -> Result<String, IpcError> {
    let master = super::master_of_kind(&state, master_id, "article")?;
    Ok(studio_engine::notes::preview_html(&master.path)?)
}
