//! Settings → 团队: the team database this laptop works with, and as whom.

use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::error::IpcError;
use crate::state::AppState;

/// The team connection as Settings shows it.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct TeamView {
    /// `postgresql://LOGIN@HOST:PORT/DB`, without the password; `None`: solo.
    pub address: Option<String>,
    pub connected: bool,
    pub login: Option<String>,
    pub role: Option<String>,
    pub members: Vec<MemberView>,
    /// Why the team database cannot be used now (offline, wrong password …).
    pub problem: Option<String>,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct MemberView {
    pub name: String,
    pub role: String,
}

fn team_view(state: &AppState) -> TeamView {
    let studio = state.studio();
    let address = studio.config().team_database.clone();
    let mut view = TeamView { address, connected: false, login: None, role: None, members: Vec::new(), problem: None };
    if view.address.is_none() {
        return view;
    }
    let outcome = studio.team().and_then(|team| {
        let team = team.ok_or_else(|| {
            studio_engine::EngineError::Refused(studio_engine::message::Notice::new("team.none", "no team database"))
        })?;
        Ok((team.me()?, team.people()?))
    });
    match outcome {
        Ok((me, people)) => {
            view.connected = true;
            view.login = me.as_ref().map(|p| p.name.clone());
            view.role = me.map(|p| p.role.as_str().to_owned());
            view.members =
                people.into_iter().map(|p| MemberView { name: p.name, role: p.role.as_str().to_owned() }).collect();
        }
        Err(e) => view.problem = Some(format!("[{}] {e}", e.code())),
    }
    view
}

#[tauri::command]
pub fn team_status(state: State<'_, AppState>) -> TeamView {
    team_view(&state)
}

/// Joins the team database (the login is tried before anything is saved),
/// or leaves team mode when `address` is empty.
#[tauri::command]
pub fn save_team(state: State<'_, AppState>, address: String, password: String) -> Result<TeamView, IpcError> {
    state.switch_team(&address, &password)?;
    Ok(team_view(&state))
}
