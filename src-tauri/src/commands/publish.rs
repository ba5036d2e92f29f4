//! The publish calendar, accounts and scheduling, and the results view.

use crate::error::NoticeView;
use serde::Serialize;
use studio_engine::EngineError;
use studio_engine::jiff::tz::TimeZone;
use studio_engine::jiff::{Timestamp, ToSpan};
use studio_engine::message::Notice;
use studio_engine::metrics::{GroupBy, compare};
use studio_engine::schedule::{from_utc_text, local_text, parse_time};
use studio_engine::store::{CalendarFilter, NewAccount, Scheduled};
use tauri::State;
use ts_rs::TS;

use super::{acting, id32};
use crate::error::IpcError;
use crate::state::AppState;

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
    let studio = state.studio();
    if !(1..=62).contains(&days) {
        return Err(IpcError::refused(
            Notice::new("calendar.days_range", format!("days must be 1..=62, not {days}")).with("days", days),
        ));
    }
    let tz = studio.time_zone()?;
    let start = match from.as_deref() {
        Some(d) => studio_engine::metrics::parse_when(d, &tz)
            .map_err(|text| IpcError::refused(Notice::new("calendar.not_a_date", text).with("value", d.trim())))?,
        None => Timestamp::now().to_zoned(tz.clone()).start_of_day().map_err(EngineError::from)?.timestamp(),
    };
    let end = start.to_zoned(tz.clone()).checked_add(i64::from(days).days()).map_err(EngineError::from)?.timestamp();
    let posts = studio.review_store()?.calendar_entries(start, end, &CalendarFilter::default())?;
    Ok(posts
        .into_iter()
        .filter_map(|p| {
            let at = from_utc_text(p.scheduled_at.as_deref()?).ok()?;
            let local = local_text(at, &tz);
            Some(CalendarPost {
                id: id32(p.id),
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
    let rows = compare(&state.studio().review_store()?.latest_metrics()?, by, master.map(i64::from));
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

/// An account as the UI lists it.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct AccountView {
    pub id: i32,
    pub platform: String,
    pub name: String,
    pub handle: String,
    pub cadence: Vec<String>,
}

#[tauri::command]
pub fn accounts(state: State<'_, AppState>) -> Result<Vec<AccountView>, IpcError> {
    Ok(state
        .studio()
        .review_store()?
        .accounts()?
        .into_iter()
        .map(|a| AccountView {
            id: id32(a.id),
            platform: a.platform,
            name: a.name,
            handle: a.handle,
            cadence: a.cadence.iter().map(ToString::to_string).collect(),
        })
        .collect())
}

#[tauri::command]
pub fn add_account(
    state: State<'_, AppState>,
    actor: String,
    platform: String,
    name: String,
    handle: String,
    cadence: Vec<String>,
) -> Result<i32, IpcError> {
    let studio = state.studio();
    let mut store = studio.review_store()?;
    let rules = studio_engine::Studio::parse_cadence(&cadence)?;
    let new = NewAccount { platform, name, handle, owner: None, cross_line: None };
    let account = studio.add_account(&mut store, &new, &actor)?;
    if !rules.is_empty() {
        store.set_cadence(account.id, &rules, &actor)?;
    }
    Ok(id32(account.id))
}

/// The outcome of planning or moving a post: its id and the clash warnings.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct ScheduledView {
    pub post_id: i32,
    pub local_time: String,
    pub warnings: Vec<NoticeView>,
}

fn scheduled_view(s: Scheduled, at: Timestamp, tz: &TimeZone) -> ScheduledView {
    ScheduledView {
        post_id: id32(s.post.id),
        local_time: local_text(at, tz),
        warnings: crate::error::notices(s.clashes.into_iter().map(|c| c.notice)),
    }
}

/// Plans an approved variant on an account at a local time (`2026-12-01 18:00`).
#[tauri::command]
pub fn schedule_post(
    state: State<'_, AppState>,
    actor: String,
    variant_id: i32,
    account_id: i32,
    local_time: String,
) -> Result<ScheduledView, IpcError> {
    let studio = state.studio();
    let mut store = studio.review_store()?;
    let who = acting(&studio, &store, &actor)?;
    let account = store.account(i64::from(account_id))?;
    let tz = studio.time_zone()?;
    let at = parse_time(&local_time, &tz)?;
    let rules = studio.plan_rules(&account, Timestamp::now())?;
    let s = store.schedule_post(i64::from(variant_id), account.id, at, "", &who, &rules)?;
    Ok(scheduled_view(s, at, &tz))
}

/// Moves a planned post (the calendar's drag and drop).
#[tauri::command]
pub fn move_post(
    state: State<'_, AppState>,
    actor: String,
    post_id: i32,
    local_time: String,
) -> Result<ScheduledView, IpcError> {
    let studio = state.studio();
    let mut store = studio.review_store()?;
    let who = acting(&studio, &store, &actor)?;
    let post = store.post(i64::from(post_id))?;
    let account_id = post.account_id.ok_or_else(|| {
        IpcError::refused(
            Notice::new(
                "post.no_account",
                format!("post {post_id} has no account; schedule the variant on an account"),
            )
            .with("post", post_id),
        )
    })?;
    let account = store.account(account_id)?;
    let tz = studio.time_zone()?;
    let at = parse_time(&local_time, &tz)?;
    let rules = studio.plan_rules(&account, Timestamp::now())?;
    let s = store.reschedule_post(post.id, at, &who, &rules)?;
    Ok(scheduled_view(s, at, &tz))
}
