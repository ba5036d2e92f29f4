//! Review: a variant's texts, findings and history; edit, submit, approve,
//! request changes. The engine and the database enforce who may do what.
//! In team mode these are the team database's variants, and the person is
//! the team login; this laptop's own drafts are sent with `send_to_team`.

use serde::{Deserialize, Serialize};
use studio_engine::store::{Override, Store};
use tauri::State;
use ts_rs::TS;

use super::editor::SegmentView;
use super::{acting, id32, person};
use crate::error::IpcError;
use crate::state::AppState;

/// A variant as the review list shows it.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct VariantView {
    pub id: i32,
    pub master_id: i32,
    pub platform: String,
    pub kind: String,
    pub title: String,
    pub review_state: String,
    pub output_path: Option<String>,
    pub cover_path: Option<String>,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct FindingView {
    pub id: i32,
    /// block | warn | info
    pub severity: String,
    pub rule_id: String,
    pub field: String,
    /// The match in context, marked with 【】.
    pub excerpt: String,
    pub explanation: String,
    pub suggestion: String,
    pub override_reason: Option<String>,
    /// Where the finding is: the screen jumps there when it is clicked.
    pub place: PlaceView,
}

/// [`studio_engine::review::Place`], for the review screen.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlaceView {
    Field { field: String },
    Card { card: i32 },
    Time { at: f64 },
    Nowhere,
}

impl From<studio_engine::review::Place> for PlaceView {
    fn from(p: studio_engine::review::Place) -> Self {
        use studio_engine::review::Place;
        match p {
            Place::Field { field } => Self::Field { field },
            Place::Card { card } => Self::Card { card: i32::try_from(card).unwrap_or(i32::MAX) },
            Place::Time { at } => Self::Time { at },
            Place::Nowhere => Self::Nowhere,
        }
    }
}

/// One card of a note at full size, with the SHA-256 its approval records.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct CardView {
    /// From 1, as numbered on the cards and in findings (`card 3`).
    pub index: i32,
    pub path: String,
    pub sha256: String,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct HistoryView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct ReviewView {
    pub variant: VariantView,
    pub body: String,
    pub tags: Vec<String>,
    pub findings: Vec<FindingView>,
    pub history: Vec<HistoryView>,
    /// Where the player streams the rendered video from (video variants).
    pub media_url: Option<String>,
    /// The rendered file's SHA-256, the one an approval records.
    pub sha256: Option<String>,
    /// What the screen shows, hashed: approving sends it back, and a variant
    /// that changed since is refused (`stale_view`).
    pub content_hash: String,
    /// Seconds of video, for the timeline under the player.
    pub duration: Option<f64>,
    /// Where in the video the disclaimer is on screen, and the burned-in captions, from its plan.
    pub disclaimer_windows: Vec<SegmentView>,
    pub caption_windows: Vec<SegmentView>,
    /// A note's cards, in order (empty for video).
    pub cards: Vec<CardView>,
}

#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct OverrideInput {
    pub rule_id: String,
    pub reason: String,
}

fn variant_view(store: &Store, id: i64, master_id: i64) -> Result<VariantView, IpcError> {
    let content = store.variant_content(id)?;
    let job = store.latest_done_job(id)?;
    Ok(VariantView {
        id: id32(id),
        master_id: id32(master_id),
        platform: content.platform,
        kind: content.kind,
        title: content.title,
        review_state: content.review_state.as_str().to_owned(),
        output_path: job.as_ref().map(|j| j.output_path.display().to_string()),
        cover_path: job.and_then(|j| j.cover_path).map(|p| p.display().to_string()),
    })
}

#[tauri::command]
pub fn variants(state: State<'_, AppState>) -> Result<Vec<VariantView>, IpcError> {
    let store = state.studio().review_store()?;
    let mut out = Vec::new();
    for row in store.variants()? {
        out.push(variant_view(&store, row.id, row.master_id)?);
    }
    out.reverse();
    Ok(out)
}

#[tauri::command]
pub fn review_detail(state: State<'_, AppState>, variant_id: i32) -> Result<ReviewView, IpcError> {
    let studio = state.studio();
    let store = studio.review_store()?;
    let id = i64::from(variant_id);
    // The reviewer sees the very files that were sent, fetched and checked here.
    if store.is_team() {
        studio.fetch_team_files(&store, id)?;
    }
    let content = store.variant_content(id)?;
    let row = store
        .variants()?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or(studio_engine::EngineError::NotFound { what: "variant", id })?;
    let places = studio_engine::review::Places::of(&content);
    let findings = store
        .findings(id)?
        .into_iter()
        .map(|f| FindingView {
            id: id32(f.id),
            severity: format!("{:?}", f.finding.severity).to_lowercase(),
            place: places.place(&f.finding.field).into(),
            rule_id: f.finding.rule_id,
            field: f.finding.field,
            excerpt: f.finding.excerpt,
            explanation: f.finding.explanation,
            suggestion: f.finding.suggestion,
            override_reason: f.override_reason,
        })
        .collect();
    let history = store
        .audit_entries(Some(("variant", id)))?
        .into_iter()
        .map(|e| HistoryView { at: e.at, actor: e.actor, action: e.action, detail: e.detail })
        .collect();
    let variant = variant_view(&store, id, row.master_id)?;
    let job = store.latest_done_job(id)?;
    // What the render was planned to show: the same plan the approval's hash covers.
    let plan = (content.kind == "video")
        .then(|| serde_json::from_str::<studio_engine::plan::VariantPlan>(&content.plan_json).ok())
        .flatten();
    let span = |start: f64, end: f64| SegmentView { start, end };
    let disclaimer_windows = plan
        .as_ref()
        .and_then(|p| p.overlay.as_ref().map(|o| o.on_screen(p.duration)))
        .unwrap_or_default()
        .iter()
        .map(|w| span(w.start, w.end))
        .collect();
    let caption_windows = plan
        .as_ref()
        .and_then(|p| p.captions.as_ref())
        .filter(|c| c.burn)
        .map(|c| c.cues.iter().map(|q| span(q.start, q.end)).collect())
        .unwrap_or_default();
    let media_url = match (&state.media, job.as_ref()) {
        (Some(server), Some(j)) if variant.kind == "video" => {
            server.allow(&j.output_path);
            Some(server.url(&j.output_path))
        }
        _ => None,
    };
    let cards = if content.kind == "video" {
        Vec::new()
    } else {
        store
            .local_json::<studio_engine::notes::NotePlan>(&content.plan_json)
            .map(|p| p.cards)
            .unwrap_or_default()
            .into_iter()
            .map(|c| CardView {
                index: i32::try_from(c.index).unwrap_or(i32::MAX),
                path: c.path.display().to_string(),
                sha256: c.sha256,
            })
            .collect()
    };
    Ok(ReviewView {
        variant,
        cards,
        content_hash: content.content_hash(),
        body: content.body,
        tags: content.tags,
        findings,
        history,
        media_url,
        sha256: job.and_then(|j| j.sha256),
        duration: plan.as_ref().map(|p| p.duration),
        disclaimer_windows,
        caption_windows,
    })
}

#[tauri::command]
pub fn edit_variant(
    state: State<'_, AppState>,
    actor: String,
    variant_id: i32,
    title: String,
    body: String,
    tags: Vec<String>,
) -> Result<(), IpcError> {
    let studio = state.studio();
    let mut store = studio.review_store()?;
    let who = acting(&studio, &store, &actor)?;
    let tags: Vec<String> =
        tags.iter().map(|t| t.trim().trim_start_matches('#').to_owned()).filter(|t| !t.is_empty()).collect();
    store.edit_variant_text(i64::from(variant_id), &who, title.trim(), body.trim(), &tags)?;
    Ok(())
}

/// Sends a variant to review; returns how many blocking findings it has.
#[tauri::command]
pub fn submit_review(state: State<'_, AppState>, actor: String, variant_id: i32) -> Result<i32, IpcError> {
    let studio = state.studio();
    let blocking = |findings: &[studio_engine::compliance::Finding]| {
        findings.iter().filter(|f| f.severity == studio_engine::compliance::Severity::Block).count() as i32
    };
    let mut store = studio.review_store()?;
    if store.is_team() {
        // A team variant sent back: submitted again as it now stands there.
        let me = acting(&studio, &store, &actor)?;
        let content = store.variant_content(i64::from(variant_id))?;
        let findings = studio_engine::review::check(studio.lexicon(), &content)?;
        store.submit_for_review(i64::from(variant_id), &me, &content.content_hash(), &findings)?;
        return Ok(blocking(&findings));
    }
    person(&store, &actor)?;
    let findings = studio.submit_for_review(i64::from(variant_id), &actor)?;
    Ok(blocking(&findings))
}

/// This laptop's own variants and, in team mode, the team variant each was sent as.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct LocalDraftView {
    pub variant: VariantView,
    pub team_variant: Option<i32>,
}

#[tauri::command]
pub fn local_drafts(state: State<'_, AppState>) -> Result<Vec<LocalDraftView>, IpcError> {
    let studio = state.studio();
    let store = studio.store()?;
    let server = studio.team()?.map(|t| t.path().display().to_string());
    let mut out = Vec::new();
    for row in store.variants()?.into_iter().rev() {
        let team_variant = match &server {
            Some(server) => store.team_link(row.id, server)?.map(id32),
            None => None,
        };
        out.push(LocalDraftView { variant: variant_view(&store, row.id, row.master_id)?, team_variant });
    }
    Ok(out)
}

/// Sends a local variant (its rendered files too) to the team's review; returns the team variant's id.
#[tauri::command]
pub fn send_to_team(state: State<'_, AppState>, variant_id: i32) -> Result<i32, IpcError> {
    let sent = state.studio().send_to_team(i64::from(variant_id))?;
    Ok(id32(sent.team_variant))
}

#[tauri::command]
pub fn approve(
    state: State<'_, AppState>,
    actor: String,
    variant_id: i32,
    overrides: Vec<OverrideInput>,
    seen: Option<String>,
) -> Result<(), IpcError> {
    let studio = state.studio();
    let mut store = studio.review_store()?;
    let who = acting(&studio, &store, &actor)?;
    let overrides: Vec<Override> =
        overrides.into_iter().map(|o| Override { rule_id: o.rule_id, reason: o.reason }).collect();
    studio.approve_seen(&mut store, i64::from(variant_id), &who, &overrides, seen.as_deref())?;
    Ok(())
}

#[tauri::command]
pub fn request_changes(
    state: State<'_, AppState>,
    actor: String,
    variant_id: i32,
    reason: String,
) -> Result<(), IpcError> {
    let studio = state.studio();
    let mut store = studio.review_store()?;
    let who = acting(&studio, &store, &actor)?;
    store.request_changes(i64::from(variant_id), &who, &reason)?;
    Ok(())
}
