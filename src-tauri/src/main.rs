//! Repurpose Studio's desktop window.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod media;
mod state;

use studio_engine::{Studio, StudioConfig};
use tauri::Manager;

fn main() {
    let mut config = StudioConfig::new(
        std::env::var_os("STUDIO_DATA_DIR").map(Into::into).unwrap_or_else(StudioConfig::default_data_dir),
    );
    // An ffmpeg downloaded from Settings lives in the data folder.
    let downloaded = config.data_dir.join("ffmpeg").join(if cfg!(windows) { "ffmpeg.exe" } else { "ffmpeg" });
    if downloaded.is_file() {
        config.ffmpeg = Some(downloaded);
    }
    // ffmpeg processes at once (each already uses every core, so 1 unless told).
    if let Some(n) = std::env::var("STUDIO_PARALLEL_JOBS").ok().and_then(|v| v.parse().ok()) {
        config.max_parallel_jobs = n;
    }
    let studio = match Studio::open(config) {
        Ok(studio) => studio,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            std::process::exit(2);
        }
    };
    let data_dir = studio.data_dir().to_owned();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(state::AppState::new(studio))
        .setup(move |app| {
            // Media shown in the window: the data folder (thumbnails, overlays,
            // renders); masters are added one by one as they are imported.
            app.asset_protocol_scope().allow_directory(&data_dir, true)?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::platforms,
            commands::people,
            commands::disclaimers,
            commands::settings,
            commands::save_settings,
            commands::download_ffmpeg,
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
            commands::editor::render,
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
