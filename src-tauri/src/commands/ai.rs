//! AI-content marks on masters, as the editor and the notes screen set them
//! (the same store calls as `studio ai mark|clear`).

use serde::Serialize;
use studio_engine::ai_label::{AiKind, AiMark, DEFAULT_NOTE_LABEL, DEFAULT_VIDEO_LABEL};
use tauri::State;
use ts_rs::TS;

use super::person;
use crate::error::IpcError;
use crate::state::AppState;

/// A master's mark: what AI made and the words its outputs show.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct AiMarkView {
    /// virtual-presenter | synthetic-voice | ai-text | ai-image
    pub kinds: Vec<String>,
    /// The user's words; null for the default.
    pub label: Option<String>,
    pub producer: Option<String>,
    /// The words the outputs will show (the default when `label` is null).
    pub shown: String,
}

fn view(mark: Option<AiMark>, kind: &str) -> Option<AiMarkView> {
    mark.map(|m| AiMarkView {
        kinds: m.kinds.iter().map(|k| k.as_str().to_owned()).collect(),
        shown: if kind == "article" { m.note_text() } else { m.video_text() },
        label: m.label,
        producer: m.producer,
    })
}

fn master_kind(state: &AppState, master_id: i32) -> Result<String, IpcError> {
    Ok(state.studio().master(i64::from(master_id))?.kind)
}

/// The default words for a master of `kind`, shown as the input's placeholder.
#[tauri::command]
pub fn ai_default_label(kind: String) -> String {
    if kind == "article" { DEFAULT_NOTE_LABEL } else { DEFAULT_VIDEO_LABEL }.to_owned()
}

#[tauri::command]
pub fn ai_mark(state: State<'_, AppState>, master_id: i32) -> Result<Option<AiMarkView>, IpcError> {
    let kind = master_kind(&state, master_id)?;
    Ok(view(state.studio().store()?.master_ai(i64::from(master_id))?, &kind))
}

/// Marks the master (no kinds: clears the mark). Variants rendered before
/// need a new render: review blocks a marked variant without its label.
#[tauri::command]
pub fn set_ai_mark(
    state: State<'_, AppState>,
    actor: String,
    master_id: i32,
    kinds: Vec<String>,
    label: Option<String>,
    producer: Option<String>,
) -> Result<Option<AiMarkView>, IpcError> {
    let kind = master_kind(&state, master_id)?;
    let store = state.studio().store()?;
    let who = person(&store, &actor)?;
    let mark = if kinds.is_empty() {
        None
    } else {
        let kinds = kinds.iter().map(|k| k.parse::<AiKind>()).collect::<Result<Vec<_>, _>>()?;
        Some(AiMark::new(kinds, label.as_deref(), producer.as_deref())?)
    };
    store.set_master_ai(i64::from(master_id), mark.as_ref(), &who.name)?;
    Ok(view(mark, &kind))
}
