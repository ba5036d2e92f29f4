//! Repurpose Studio's desktop window.

// A window, never a console, on Windows (debug builds too, so the installer
// made in CI is the one users get); the log goes to a file instead.
#![windows_subsystem = "windows"]

mod commands;
mod error;
mod media;
mod notify;
mod state;

use studio_engine::machine::MachineSettings;
use studio_engine::{Studio, StudioConfig};
use tauri::Manager;

fn main() {
    // `app.log` in the OS's log folder (a GUI app on Windows has no console).
    studio_engine::logs::init("app", false);
    let (studio, launch) = open_studio();
    let data_dir = studio.data_dir().to_owned();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .manage(state::AppState::new(studio, launch))
        .setup(move |app| {
            // Media shown in the window: the data folder (thumbnails, overlays,
            // renders); masters are added one by one as they are imported.
            app.asset_protocol_scope().allow_directory(&data_dir, true)?;
            app.state::<state::AppState>().notifier.attach(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::set_locale,
            commands::platforms,
            commands::people,
            commands::disclaimers,
            commands::settings::settings,
            commands::settings::save_settings,
            commands::settings::machine_settings,
            commands::settings::save_machine_settings,
            commands::settings::download_ffmpeg,
            commands::team::team_status,
            commands::team::save_team,
            commands::review::local_drafts,
            commands::review::send_to_team,
            commands::backups::backups,
            commands::backups::backup_now,
            commands::backups::restore_snapshot,
            commands::backups::diagnostics,
            commands::backups::write_log_bundle,
            commands::add_person,
            commands::jobs,
            commands::watch_jobs,
            commands::cancel_job,
            commands::retry_job,
            commands::library::import_master,
            commands::library::masters,
            commands::library::article_preview,
            commands::notes::themes,
            commands::notes::make_note,
            commands::notes::count_text,
            commands::editor::preview,
            commands::ai::ai_mark,
            commands::ai::ai_default_label,
            commands::ai::set_ai_mark,
            commands::editor::render,
            commands::captions::add_subtitles,
            commands::captions::subtitles,
            commands::captions::suggest,
            commands::review::variants,
            commands::review::review_detail,
            commands::review::edit_variant,
            commands::review::submit_review,
            commands::review::approve,
            commands::review::request_changes,
            commands::publish::calendar,
            commands::publish::report,
            commands::publish::accounts,
            commands::publish::add_account,
            commands::publish::schedule_post,
            commands::publish::move_post,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("error: the window could not start: {e}");
        std::process::exit(1);
    }
}

/// Defaults and environment first (`STUDIO_DATA_DIR` wins over the saved
/// folder, for scripts and tests), then this machine's saved choices. If the
/// choices cannot be read or their folder cannot be opened, the app starts on
/// the defaults and Settings says why; the saved file is left as it is.
fn open_studio() -> (Studio, state::Launch) {
    let env_dir = std::env::var_os("STUDIO_DATA_DIR").map(std::path::PathBuf::from);
    let mut base = StudioConfig::new(env_dir.clone().unwrap_or_else(StudioConfig::default_data_dir));
    // ffmpeg processes at once (each already uses every core, so 1 unless told).
    if let Some(n) = std::env::var("STUDIO_PARALLEL_JOBS").ok().and_then(|v| v.parse().ok()) {
        base.max_parallel_jobs = n;
    }
    let machine_path = MachineSettings::default_path();
    let (machine, mut problem) = match machine_path.as_deref().map(MachineSettings::load).transpose() {
        Ok(machine) => (machine.unwrap_or_default(), None),
        Err(e) => (MachineSettings::default(), Some(e.to_string())),
    };
    let mut config = base.clone();
    machine.apply(&mut config);
    if let Some(dir) = env_dir {
        config.data_dir = dir;
    }
    let studio = Studio::open(config).or_else(|e| {
        problem = Some(format!("the saved data folder could not be opened ({e}); using {}", base.data_dir.display()));
        Studio::open(base.clone())
    });
    match studio {
        Ok(studio) => (studio, state::Launch { base, machine, machine_path, problem, team_password: None }),
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            std::process::exit(2);
        }
    }
}
