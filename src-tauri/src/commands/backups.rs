//! Settings → 备份 and 诊断: the snapshots, taking and restoring one, and the
//! logs a user can send.

use serde::Serialize;
use studio_engine::message::Notice;
use tauri::State;
use ts_rs::TS;

use crate::error::IpcError;
use crate::state::AppState;

/// One snapshot as the list shows it.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct SnapshotView {
    pub path: String,
    /// UTC, RFC 3339.
    pub taken_at: String,
    pub reason: String,
    pub size_bytes: f64,
}

/// Settings → 备份.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct BackupsView {
    pub dir: String,
    pub keep: i32,
    /// Newest first.
    pub snapshots: Vec<SnapshotView>,
    /// Why the last automatic snapshot failed.
    pub problem: Option<String>,
    /// Why the database cannot be used (damaged, or from a newer build): the
    /// screen then leads with the restore.
    pub database_problem: Option<IpcError>,
}

fn view(state: &AppState) -> Result<BackupsView, IpcError> {
    let studio = state.studio();
    let database_problem = studio.store().err().map(IpcError::from);
    let status = studio.backup_status()?;
    Ok(BackupsView {
        dir: status.dir.display().to_string(),
        keep: i32::try_from(status.keep).unwrap_or(i32::MAX),
        snapshots: status
            .snapshots
            .into_iter()
            .map(|s| SnapshotView {
                path: s.path.display().to_string(),
                taken_at: s.taken_at,
                reason: s.reason,
                size_bytes: s.size_bytes as f64,
            })
            .collect(),
        problem: status.problem,
        database_problem,
    })
}

#[tauri::command]
pub fn backups(state: State<'_, AppState>) -> Result<BackupsView, IpcError> {
    view(&state)
}

#[tauri::command]
pub async fn backup_now(state: State<'_, AppState>) -> Result<BackupsView, IpcError> {
    let studio = state.studio();
    tauri::async_runtime::spawn_blocking(move || studio.backup(None)).await.map_err(|e| {
        IpcError::refused(Notice::new("backup.stopped", format!("the snapshot stopped: {e}")).with("detail", e))
    })??;
    view(&state)
}

/// Refused while renders run (they write to the database being replaced).
#[tauri::command]
pub fn restore_snapshot(state: State<'_, AppState>, path: String) -> Result<BackupsView, IpcError> {
    state.refuse_while_rendering("restore", "restore a snapshot")?;
    state.studio().restore(std::path::Path::new(&path))?;
    view(&state)
}

/// Settings → 诊断.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct DiagnosticsView {
    pub log_dir: Option<String>,
}

#[tauri::command]
pub fn diagnostics() -> DiagnosticsView {
    DiagnosticsView { log_dir: studio_engine::logs::dir().map(|d| d.display().to_string()) }
}

/// Writes the zip of logs and machine facts where the user chose; returns its path.
#[tauri::command]
pub async fn write_log_bundle(state: State<'_, AppState>, path: String) -> Result<String, IpcError> {
    let studio = state.studio();
    let bundle = tauri::async_runtime::spawn_blocking(move || studio.write_log_bundle(std::path::Path::new(&path)))
        .await
        .map_err(|e| {
            IpcError::refused(Notice::new("logs.zip_stopped", format!("the zip stopped: {e}")).with("detail", e))
        })??;
    Ok(bundle.path.display().to_string())
}
