//! Disclaimer presets and the overlay image burned into every variant.
//!
//! The text is drawn by our own layout into a PNG and ffmpeg only overlays
//! that picture, so nothing a user types ever reaches a filtergraph.

mod overlay;
mod policy;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub(crate) use overlay::rounded_rect;
pub use overlay::{OverlayImage, overlay_font_px, render_overlay};
pub use policy::{DisclaimerPolicy, Window, window_length};

use crate::assets::{AssetRecord, load_records, unknown};
use crate::error::{EngineError, Result};

/// Fund-marketing rules: risk text stays on screen at least this long.
pub const MIN_DISPLAY_SECONDS: f64 = 5.0;

/// A shipped or user-defined disclaimer text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclaimerPreset {
    pub id: String,
    pub lang: String,
    pub text: String,
}

impl AssetRecord for DisclaimerPreset {
    fn id(&self) -> &str {
        &self.id
    }
    fn validate(&self, file: &str) -> Result<()> {
        if self.text.trim().is_empty() {
            return Err(EngineError::ProfileInvalid {
                file: file.to_owned(),
                field: "text".into(),
                reason: "must not be empty".into(),
            });
        }
        Ok(())
    }
}

/// All disclaimer presets, shipped and user-defined.
#[derive(Debug, Clone)]
pub struct DisclaimerCatalog {
    presets: BTreeMap<String, DisclaimerPreset>,
}

impl DisclaimerCatalog {
    pub fn load(user_dir: Option<&Path>) -> Result<Self> {
        Ok(Self { presets: load_records("disclaimers", user_dir)? })
    }
    pub fn get(&self, id: &str) -> Result<&DisclaimerPreset> {
        self.presets.get(id).ok_or_else(|| unknown("disclaimer preset", id, &self.presets))
    }
    pub fn all(&self) -> impl Iterator<Item = &DisclaimerPreset> {
        self.presets.values()
    }
}

/// What a variant shows: the lines and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disclaimer {
    /// Risk text first, then the institution and licence lines if given.
    pub lines: Vec<String>,
    /// Seconds from the start of the variant.
    #[serde(default)]
    pub start: f64,
    /// Seconds shown; `None` means until the end (with `start-end` timing:
    /// the length of each window, at least the minimum).
    pub duration: Option<f64>,
    /// When it is on screen; `None`: as the platform's profile says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DisclaimerPolicy>,
}

impl Disclaimer {
    /// Builds the shown lines from a preset plus the institution's name and licence.
    pub fn from_preset(preset: &DisclaimerPreset, institution: Option<&str>, licence: Option<&str>) -> Self {
        let mut lines = vec![preset.text.clone()];
        lines.extend(institution.filter(|s| !s.trim().is_empty()).map(str::to_owned));
        if let Some(licence) = licence.filter(|s| !s.trim().is_empty()) {
            let label = if preset.lang.starts_with("zh") { "执业编号：" } else { "Licence: " };
            lines.push(format!("{label}{licence}"));
        }
        Self { lines, start: 0.0, duration: None, at: None }
    }

    /// The text as one string, lines separated by newlines.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}
