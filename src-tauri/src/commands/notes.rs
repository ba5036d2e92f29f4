//! The note editor: the engine's card images for an article, and the
//! platform's own counting rule for live counters.

use crate::error::NoticeView;
use serde::Serialize;
use studio_engine::notes::NoteRequest;
use studio_engine::platform::CountingRule;
use tauri::State;
use ts_rs::TS;

use super::{id32, master_of_kind, person};
use crate::error::IpcError;
use crate::state::AppState;

/// A platform's text limits, as the counters show them.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct LimitsView {
    pub title_max: u32,
    pub body_max: Option<u32>,
    pub tags_max: u32,
    /// chars | half-width-units
    pub counting: String,
}

/// A note variant with its cards.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct NoteView {
    pub variant_id: i32,
    pub platform: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub cards: Vec<String>,
    pub article_file: Option<String>,
    pub warnings: Vec<NoticeView>,
    pub limits: LimitsView,
}

/// Text lengths under the platform's rule: title, body, tag count.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct CountsView {
    pub title: u32,
    pub body: u32,
    pub tags: u32,
}

#[tauri::command]
pub fn themes(state: State<'_, AppState>) -> Vec<String> {
    state.studio().themes().all().map(|t| t.id.clone()).collect()
}

/// Renders the cards for an article master and records the note variant.
#[tauri::command]
pub fn make_note(
    state: State<'_, AppState>,
    actor: String,
    master_id: i32,
    platform: String,
    theme: String,
    disclaimer: String,
) -> Result<NoteView, IpcError> {
    let studio = state.studio();
    let store = studio.store()?;
    let who = person(&store, &actor)?;
    let master = master_of_kind(&state, master_id, "article")?;
    let request = NoteRequest {
        platform: platform.clone(),
        theme,
        disclaimer: studio.disclaimer_with_settings(&disclaimer)?,
        cross_line: None,
        // The article's stored mark: every card and the text version carry its label.
        ai: store.master_ai(i64::from(master_id))?,
    };
    let plan = studio.make_note(&master.path, &request, &studio.data_dir().join("notes"))?;
    let variant = studio.enqueue_note("default", &plan)?;
    store.set_author(variant, &who)?;
    let limits = &studio.platforms().get(&platform)?.text;
    Ok(NoteView {
        variant_id: id32(variant),
        platform: plan.platform,
        title: plan.text.title,
        body: plan.text.body,
        tags: plan.text.tags,
        cards: plan.cards.iter().map(|c| c.path.display().to_string()).collect(),
        article_file: plan.article_file.map(|p| p.display().to_string()),
        warnings: crate::error::notices(plan.warnings),
        limits: LimitsView {
            title_max: limits.title_max,
            body_max: limits.body_max,
            tags_max: limits.tags_max,
            counting: match limits.counting {
                CountingRule::Chars => "chars".into(),
                CountingRule::HalfWidthUnits => "half-width-units".into(),
            },
        },
    })
}

/// Lengths as the platform counts them (Xiaohongshu counts CJK as 2 half-width units, halved).
#[tauri::command]
pub fn count_text(
    state: State<'_, AppState>,
    platform: String,
    title: String,
    body: String,
    tags: Vec<String>,
) -> Result<CountsView, IpcError> {
    let studio = state.studio();
    let limits = &studio.platforms().get(&platform)?.text;
    let n = |s: &str| u32::try_from(limits.count(s)).unwrap_or(u32::MAX);
    Ok(CountsView {
        title: n(&title),
        body: n(&body),
        tags: u32::try_from(tags.iter().filter(|t| !t.trim().is_empty()).count()).unwrap_or(u32::MAX),
    })
}
