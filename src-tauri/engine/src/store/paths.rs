//! Paths as the database keeps them, so a studio folder can move: to another
//! drive, a new laptop, or between Windows and Linux.
//!
//! A path inside the data folder is stored relative to it, with `/` between
//! its parts, behind [`MARKER`] (`$STUDIO_DATA/overlays/3f…png`); a path
//! elsewhere (a master on the user's disk, an output folder they chose) is
//! stored as given. Plans are stored in this form too, so the content hash an
//! approval signs is the same wherever the folder is opened.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Store;
use crate::error::Result;

/// What stands for the data folder in a stored path.
pub const MARKER: &str = "$STUDIO_DATA/";

/// What stands for a file in team storage (`$STUDIO_TEAM/<sha256>.mp4`): on
/// each laptop it is read from the copy fetched into `team-media/`.
pub const TEAM_MARKER: &str = "$STUDIO_TEAM/";

/// Where this laptop keeps the files it fetched from team storage.
pub const TEAM_MEDIA: &str = "team-media";

impl Store {
    /// The data folder paths are stored relative to (where a local database lives).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// `path` as stored.
    pub(crate) fn portable_path(&self, path: &Path) -> String {
        portable(self.data_dir(), path)
    }

    /// A stored path as this machine reads it.
    pub(crate) fn local_path(&self, stored: &str) -> PathBuf {
        local(self.data_dir(), stored)
    }

    /// `value` as JSON with every path inside the data folder made portable.
    pub(crate) fn portable_json(&self, value: &impl Serialize) -> Result<String> {
        let mut json = serde_json::to_value(value)?;
        map_strings(&mut json, &|s| {
            let p = Path::new(s);
            p.is_absolute().then(|| portable(self.data_dir(), p)).filter(|out| out.starts_with(MARKER))
        });
        Ok(serde_json::to_string(&json)?)
    }

    /// Reads JSON written by [`Store::portable_json`].
    pub fn local_json<T: DeserializeOwned>(&self, stored: &str) -> Result<T> {
        let mut json: serde_json::Value = serde_json::from_str(stored)?;
        map_strings(&mut json, &|s| {
            (s.starts_with(MARKER) || s.starts_with(TEAM_MARKER))
                .then(|| local(self.data_dir(), s).to_string_lossy().into_owned())
        });
        Ok(serde_json::from_value(json)?)
    }
}

fn portable(data_dir: &Path, path: &Path) -> String {
    match path.strip_prefix(data_dir) {
        Ok(rel) if !rel.as_os_str().is_empty() => {
            let parts: Vec<_> = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect();
            format!("{MARKER}{}", parts.join("/"))
        }
        _ => path.to_string_lossy().into_owned(),
    }
}

pub(super) fn local(data_dir: &Path, stored: &str) -> PathBuf {
    if let Some(name) = stored.strip_prefix(TEAM_MARKER) {
        return data_dir.join(TEAM_MEDIA).join(name.replace(['/', '\\'], ""));
    }
    match stored.strip_prefix(MARKER) {
        Some(rel) => rel.split('/').filter(|p| !p.is_empty()).fold(data_dir.to_owned(), |acc, p| acc.join(p)),
        None => PathBuf::from(stored),
    }
}

/// The SHA-256 of a fetched team file, from its name in `team-media/`.
pub fn team_file_sha(data_dir: &Path, path: &Path) -> Option<String> {
    if path.parent()? != data_dir.join(TEAM_MEDIA) {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    (stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit())).then(|| stem.to_owned())
}

fn map_strings(value: &mut serde_json::Value, f: &dyn Fn(&str) -> Option<String>) {
    match value {
        serde_json::Value::String(s) => {
            if let Some(new) = f(s) {
                *s = new;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| map_strings(v, f)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| map_strings(v, f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::{MARKER, local, portable};
    use std::path::Path;

    #[test]
    fn paths_inside_the_data_folder_travel_and_others_stay() {
        let data = Path::new("/home/u/工作室 a");
        let inside = data.join("out").join("路演 \"终版\" & 1.douyin.mp4");
        let stored = portable(data, &inside);
        assert_eq!(stored, format!("{MARKER}out/路演 \"终版\" & 1.douyin.mp4"));
        assert_eq!(local(data, &stored), inside);
        // The same row read where the folder now lives.
        let moved = Path::new("/mnt/usb/studio");
        assert_eq!(local(moved, &stored), moved.join("out").join("路演 \"终版\" & 1.douyin.mp4"));
        let outside = Path::new("/home/u/视频/talk.mp4");
        assert_eq!(portable(data, outside), "/home/u/视频/talk.mp4");
        assert_eq!(local(data, "/home/u/视频/talk.mp4"), outside);
        assert_eq!(portable(data, data), data.to_string_lossy());
    }
}
