//! Commands the UI calls. Each one validates its input, calls the engine and
//! maps the answer to a view type; nothing else lives here.

use serde::Serialize;
use studio_engine::EngineError;
use studio_engine::jiff::{Timestamp, ToSpan};
use studio_engine::metrics::{GroupBy, compare};
use studio_engine::schedule::{from_utc_text, local_text};
use studio_engine::store::CalendarFilter;
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

/// A post on the calendar, with its time already in the user's zone.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct CalendarPost {
    pub id: i32,
    /// `2026-12-01 18:00` in the user's zone.
    pub local_time: String,
    /// `2026-12-01`, for grouping by day.
    pub local_date: String,
    pub account: String,
    pub platform: String,
    pub title: String,
    pub status: String,
}

/// One row of a results comparison (figures as numbers; `null` = not reported).
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct ReportRowView {
    pub key: String,
    pub posts: i32,
    pub views: Option<f64>,
    pub likes: Option<f64>,
    pub comments: Option<f64>,
    pub shares: Option<f64>,
    pub favorites: Option<f64>,
    pub followers: Option<f64>,
    pub conversions: Option<f64>,
    pub views_per_post: Option<f64>,
    pub engagement_rate: Option<f64>,
    pub conversion_rate: Option<f64>,
}

/// Posts from local midnight of `from` (YYYY-MM-DD, default today) for `days` days (1..=62).
#[tauri::command]
pub fn calendar(state: State<'_, AppState>, from: Option<String>, days: u32) -> Result<Vec<CalendarPost>, IpcError> {
    if !(1..=62).contains(&days) {
        return Err(IpcError::invalid(format!("days must be 1..=62, not {days}")));
    }
    let tz = state.studio.time_zone()?;
    let start = match from.as_deref() {
        Some(d) => studio_engine::metrics::parse_when(d, &tz).map_err(IpcError::invalid)?,
        None => Timestamp::now().to_zoned(tz.clone()).start_of_day().map_err(EngineError::from)?.timestamp(),
    };
    let end = start.to_zoned(tz.clone()).checked_add(i64::from(days).days()).map_err(EngineError::from)?.timestamp();
    let posts = state.studio.store()?.calendar(start, end, &CalendarFilter::default())?;
    Ok(posts
        .into_iter()
        .filter_map(|p| {
            let at = from_utc_text(p.scheduled_at.as_deref()?).ok()?;
            let local = local_text(at, &tz);
            Some(CalendarPost {
                id: i32::try_from(p.id).unwrap_or(i32::MAX),
                local_date: local.chars().take(10).collect(),
                local_time: local,
                account: p.account_handle.unwrap_or_default(),
                platform: p.platform,
                title: p.title,
                status: p.status,
            })
        })
        .collect())
}

/// Results compared by `platform`, `account` or `variant` (optionally of one master).
#[tauri::command]
pub fn report(state: State<'_, AppState>, by: String, master: Option<i32>) -> Result<Vec<ReportRowView>, IpcError> {
    let by: GroupBy = by.parse()?;
    let rows = compare(&state.studio.store()?.latest_metrics()?, by, master.map(i64::from));
    let n = |v: Option<i64>| v.map(|v| v as f64);
    Ok(rows
        .into_iter()
        .map(|r| ReportRowView {
            key: r.key,
            posts: i32::try_from(r.posts).unwrap_or(i32::MAX),
            views: n(r.totals.views),
            likes: n(r.totals.likes),
            comments: n(r.totals.comments),
            shares: n(r.totals.shares),
            favorites: n(r.totals.favorites),
            followers: n(r.totals.followers),
            conversions: n(r.totals.conversions),
            views_per_post: r.views_per_post,
            engagement_rate: r.engagement_rate,
            conversion_rate: r.conversion_rate,
        })
        .collect())
}
