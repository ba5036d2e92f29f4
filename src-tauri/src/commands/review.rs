//! Review: a variant's texts, findings and history; edit, submit, approve,
//! request changes. The engine and the database enforce who may do what.

use serde::{Deserialize, Serialize};
use studio_engine::store::{Override, Store};
use tauri::State;
use ts_rs::TS;

use super::{id32, person};
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
    let store = state.studio().store()?;
    let mut out = Vec::new();
    for row in store.variants()? {
        out.push(variant_view(&store, row.id, row.master_id)?);
    }
    out.reverse();
    Ok(out)
}

#[tauri::command]
pub fn review_detail(state: State<'_, AppState>, variant_id: i32) -> Result<ReviewView, IpcError> {
    let store = state.studio().store()?;
    let id = i64::from(variant_id);
    let content = store.variant_content(id)?;
    let row = store
        .variants()?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or(studio_engine::EngineError::NotFound { what: "variant", id })?;
    let findings = store
        .findings(id)?
        .into_iter()
        .map(|f| FindingView {
            id: id32(f.id),
            severity: format!("{:?}", f.finding.severity).to_lowercase(),
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
    Ok(ReviewView {
        variant: variant_view(&store, id, row.master_id)?,
        body: content.body,
        tags: content.tags,
        findings,
        history,
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
    let mut store = state.studio().store()?;
    let who = person(&store, &actor)?;
    let tags: Vec<String> =
        tags.iter().map(|t| t.trim().trim_start_matches('#').to_owned()).filter(|t| !t.is_empty()).collect();
    store.edit_variant_text(i64::from(variant_id), &who, title.trim(), body.trim(), &tags)?;
    Ok(())
}

/// Sends a variant to review; returns how many blocking findings it has.
#[tauri::command]
pub fn submit_review(state: State<'_, AppState>, actor: String, variant_id: i32) -> Result<i32, IpcError> {
    let studio = state.studio();
    person(&studio.store()?, &actor)?;
    let findings = studio.submit_for_review(i64::from(variant_id), &actor)?;
    Ok(findings.iter().filter(|f| f.severity == studio_engine::compliance::Severity::Block).count() as i32)
}

#[tauri::command]
pub fn approve(
    state: State<'_, AppState>,
    actor: String,
    variant_id: i32,
    overrides: Vec<OverrideInput>,
) -> Result<(), IpcError> {
    let mut store = state.studio().store()?;
    let who = person(&store, &actor)?;
    let overrides: Vec<Override> =
        overrides.into_iter().map(|o| Override { rule_id: o.rule_id, reason: o.reason }).collect();
    store.approve(i64::from(variant_id), &who, &overrides)?;
    Ok(())
}

#[tauri::command]
pub fn request_changes(
    state: State<'_, AppState>,
    actor: String,
    variant_id: i32,
    reason: String,
) -> Result<(), IpcError> {
    let mut store = state.studio().store()?;
    let who = person(&store, &actor)?;
    store.request_changes(i64::from(variant_id), &who, &reason)?;
    Ok(())
}
