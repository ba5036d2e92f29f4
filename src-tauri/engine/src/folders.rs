//! Where the studio keeps things on each OS, in one place (the `directories`
//! crate knows each OS's conventions):
//!
//! | what | Windows | macOS | Linux |
//! |---|---|---|---|
//! | data (database, overlays, renders by default) | `%APPDATA%\repurpose-studio\data` | `~/Library/Application Support/repurpose-studio` | `~/.local/share/repurpose-studio` |
//! | config (`machine.json`) | `%APPDATA%\repurpose-studio\config` | `~/Library/Application Support/repurpose-studio` | `~/.config/repurpose-studio` |
//! | logs (`app.log`) | `%LOCALAPPDATA%\repurpose-studio\logs` | `~/Library/Logs/repurpose-studio` | `~/.local/state/repurpose-studio` |

use std::path::PathBuf;

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "repurpose-studio")
}

/// The default data folder.
pub fn data_dir() -> PathBuf {
    project().map(|d| d.data_dir().to_owned()).unwrap_or_else(|| PathBuf::from(".repurpose-studio"))
}

/// The folder of this machine's settings, if the OS has a home for them.
pub fn config_dir() -> Option<PathBuf> {
    project().map(|d| d.config_dir().to_owned())
}

/// The folder the app's log goes to.
pub fn log_dir() -> Option<PathBuf> {
    let dirs = project()?;
    if cfg!(target_os = "macos") {
        let home = directories::BaseDirs::new()?.home_dir().to_owned();
        return Some(home.join("Library/Logs/repurpose-studio"));
    }
    Some(match dirs.state_dir() {
        Some(state) => state.to_owned(),
        None => dirs.data_local_dir().join("logs"),
    })
}
