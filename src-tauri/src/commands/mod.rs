//! Commands the UI calls. Each one validates its input, calls the engine and
//! maps the answer to a view type; nothing else lives here.

pub mod ai;
pub mod backups;
pub mod captions;
pub mod editor;
pub mod library;
pub mod notes;
pub mod publish;
pub mod review;
pub mod settings;
pub mod team;

use serde::Serialize;
use studio_engine::message::Notice;
use studio_engine::store::{Person, Role, Store};
use tauri::State;
use tauri::ipc::Channel;
use ts_rs::TS;

use crate::error::{IpcError, NoticeView};
use crate::state::{AppState, JobEvent};

/// Ids cross IPC as plain numbers (a TypeScript `number`, not a `bigint`).
pub fn id32(id: i64) -> i32 {
    i32::try_from(id).unwrap_or(i32::MAX)
}

/// The acting person, who must exist (the UI picks one in Settings).
pub fn person(store: &Store, name: &str) -> Result<Person, IpcError> {
    if name.trim().is_empty() {
        return Err(IpcError::refused(Notice::new("person.choose_first", "choose who you are in Settings first")));
    }
    Ok(store.person(name)?)
}

/// Who acts on `store`: the team login in team mode (the server knows who
/// connected), else the person chosen in Settings.
pub fn acting(studio: &studio_engine::Studio, store: &Store, actor: &str) -> Result<Person, IpcError> {
    if store.is_team() {
        return Ok(studio.acting_person(store, None)?);
    }
    person(store, actor)
}

/// The imported master `id` if it is of `kind` (video | article); otherwise
/// `invalid_argument`, as the UI only ever names masters it listed.
pub fn master_of_kind(state: &AppState, id: i32, kind: &str) -> Result<studio_engine::library::MasterEntry, IpcError> {
    match state.studio().master(i64::from(id)) {
        Ok(m) if m.kind == kind => Ok(m),
        Ok(_) | Err(studio_engine::EngineError::NotFound { .. }) => Err(not_of_kind(id, kind)),
        Err(e) => Err(e.into()),
    }
}

/// Master `id` is not an imported master of `kind`.
pub fn not_of_kind(id: i32, kind: &str) -> IpcError {
    let n = if kind == "article" {
        Notice::new("master.not_article", format!("master {id} is not an imported article"))
    } else {
        Notice::new("master.not_video", format!("master {id} is not an imported video"))
    };
    IpcError::refused(n.with("master", id))
}

/// About this installation.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    /// False when ffmpeg/ffprobe cannot be started; the UI then offers help.
    pub ffmpeg_found: bool,
    pub ffmpeg_problem: Option<String>,
    pub time_zone: String,
    /// The database is damaged or from a newer build: the window says so
    /// first and leads to Settings → 备份, instead of failing screen by screen.
    pub database_problem: Option<IpcError>,
}

/// A platform as the UI lists it, with what the preview draws.
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
    pub takes_video: bool,
    pub takes_notes: bool,
    /// The platform whose accounts post it (`douyin` for `douyin-notes`).
    pub account_platform: String,
    /// The editor ticks it for a new master (the profile's `standard_set`).
    pub standard_set: bool,
}

/// A render job as the UI lists it.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct JobSummary {
    pub id: i32,
    pub variant_id: i32,
    pub platform: String,
    pub state: String,
    pub progress: f64,
    pub fps: Option<f64>,
    pub eta_seconds: Option<f64>,
    pub output_path: String,
    pub cover_path: Option<String>,
    pub error: Option<NoticeView>,
    /// How a full version was made: `smart: …` or `full re-encode: …`.
    pub method: Option<NoticeView>,
    /// The encoder that ran (and why not the planned one, if it failed).
    pub encoder: Option<NoticeView>,
}

/// A local profile.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct PersonView {
    pub name: String,
    pub role: String,
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    let studio = state.studio();
    let problem = state.ffmpeg_problem();
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        data_dir: studio.data_dir().display().to_string(),
        ffmpeg_found: problem.is_none(),
        ffmpeg_problem: problem,
        time_zone: studio.config().time_zone.clone(),
        database_problem: studio.store().err().map(IpcError::from),
    }
}

/// The window's language, for what the app says outside it (OS notifications).
#[tauri::command]
pub fn set_locale(state: State<'_, AppState>, locale: String) {
    state.notifier.set_locale(&locale);
}

#[tauri::command]
pub fn platforms(state: State<'_, AppState>) -> Vec<PlatformSummary> {
    state
        .studio()
        .platforms()
        .all()
        .map(|p| PlatformSummary {
            id: p.id.clone(),
            name: p.name.clone(),
            name_en: p.name_en.clone(),
            width: p.video.as_ref().map(|v| v.width),
            height: p.video.as_ref().map(|v| v.height),
            target_duration: p.video.as_ref().and_then(|v| v.target_duration),
            takes_video: p.video.is_some(),
            takes_notes: p.notes.is_some(),
            account_platform: p.account_platform().to_owned(),
            standard_set: p.video.as_ref().is_some_and(|v| v.standard_set),
        })
        .collect()
}

#[tauri::command]
pub fn people(state: State<'_, AppState>) -> Result<Vec<PersonView>, IpcError> {
    Ok(state
        .studio()
        .store()?
        .people()?
        .into_iter()
        .map(|p| PersonView { name: p.name, role: p.role.as_str().to_owned() })
        .collect())
}

#[tauri::command]
pub fn add_person(state: State<'_, AppState>, actor: String, name: String, role: String) -> Result<(), IpcError> {
    let role: Role = role.parse()?;
    let actor = if actor.trim().is_empty() { "settings".to_owned() } else { actor };
    state.studio().store()?.add_person(name.trim(), role, &actor)?;
    Ok(())
}

#[tauri::command]
pub fn jobs(state: State<'_, AppState>) -> Result<Vec<JobSummary>, IpcError> {
    let jobs = state.studio().store()?.jobs()?;
    Ok(jobs
        .into_iter()
        .map(|j| JobSummary {
            id: id32(j.id),
            variant_id: id32(j.variant_id),
            platform: j.platform,
            state: j.state.as_str().to_owned(),
            progress: j.progress,
            fps: j.fps,
            eta_seconds: j.eta_seconds,
            output_path: j.output_path.display().to_string(),
            cover_path: j.cover_path.map(|p| p.display().to_string()),
            error: j.error.map(NoticeView::from),
            method: j.method.map(NoticeView::from),
            encoder: j.encoder.map(NoticeView::from),
        })
        .collect())
}

/// Registers the window's progress channel and resumes any queued jobs.
#[tauri::command]
pub fn watch_jobs(state: State<'_, AppState>, channel: Channel<JobEvent>) {
    state.watch(channel);
    state.start_runner();
}

#[tauri::command]
pub fn cancel_job(state: State<'_, AppState>, job_id: i32) -> Result<String, IpcError> {
    Ok(state.studio().store()?.request_cancel(i64::from(job_id))?.as_str().to_owned())
}

#[tauri::command]
pub fn retry_job(state: State<'_, AppState>, job_id: i32) -> Result<(), IpcError> {
    state.studio().store()?.retry_job(i64::from(job_id))?;
    state.start_runner();
    Ok(())
}

/// A disclaimer preset.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct DisclaimerView {
    pub id: String,
    pub lang: String,
    pub text: String,
}

#[tauri::command]
pub fn disclaimers(state: State<'_, AppState>) -> Vec<DisclaimerView> {
    state
        .studio()
        .disclaimers()
        .all()
        .map(|d| DisclaimerView { id: d.id.clone(), lang: d.lang.clone(), text: d.text.clone() })
        .collect()
}
