//! What the app holds while it runs: the engine, owned, handed to Tauri once.

use studio_engine::Studio;

/// Shared by every command through `tauri::State`.
pub struct AppState {
    pub studio: Studio,
}

impl AppState {
    pub fn new(studio: Studio) -> Self {
        Self { studio }
    }
}
