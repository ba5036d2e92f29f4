//! Repurpose Studio's desktop window.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod state;

use studio_engine::{Studio, StudioConfig};

fn main() {
    let config = StudioConfig::new(
        std::env::var_os("STUDIO_DATA_DIR").map(Into::into).unwrap_or_else(StudioConfig::default_data_dir),
    );
    let studio = match Studio::open(config) {
        Ok(studio) => studio,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            std::process::exit(2);
        }
    };
    let result = tauri::Builder::default()
        .manage(state::AppState::new(studio))
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::platforms,
            commands::jobs,
            commands::calendar,
            commands::report
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("error: the window could not start: {e}");
        std::process::exit(1);
    }
}
