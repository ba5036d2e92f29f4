//! Card themes as data (`assets/templates/*.toml`): colours, sizes, margins.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::assets::{AssetRecord, load_records, unknown};
use crate::error::{EngineError, Result};

/// A card theme. Pixel sizes are for a 1080-wide card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub id: String,
    pub name: String,
    pub background: String,
    pub text: String,
    pub muted: String,
    pub accent: String,
    pub quote_background: String,
    pub code_background: String,
    pub footer_background: String,
    pub footer_text: String,
    pub margin: f32,
    pub body_px: f32,
    pub line_height: f32,
    pub h2_px: f32,
    pub h3_px: f32,
    pub title_px: f32,
    pub subtitle_px: f32,
    pub meta_px: f32,
    pub footer_px: f32,
    pub block_gap: f32,
}

/// `#RRGGBB` or `#RRGGBBAA` → RGBA.
pub fn parse_color(text: &str) -> Option<[u8; 4]> {
    let hex = text.strip_prefix('#')?;
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    match hex.len() {
        6 => Some([byte(0)?, byte(2)?, byte(4)?, 255]),
        8 => Some([byte(0)?, byte(2)?, byte(4)?, byte(6)?]),
        _ => None,
    }
}

impl Theme {
    pub fn color(&self, field: &str) -> [u8; 4] {
        let value = match field {
            "background" => &self.background,
            "text" => &self.text,
            "muted" => &self.muted,
            "accent" => &self.accent,
            "quote_background" => &self.quote_background,
            "code_background" => &self.code_background,
            "footer_background" => &self.footer_background,
            _ => &self.footer_text,
        };
        parse_color(value).unwrap_or([0, 0, 0, 255])
    }
}

impl AssetRecord for Theme {
    fn id(&self) -> &str {
        &self.id
    }
    fn validate(&self, file: &str) -> Result<()> {
        let colors = [
            ("background", &self.background),
            ("text", &self.text),
            ("muted", &self.muted),
            ("accent", &self.accent),
            ("quote_background", &self.quote_background),
            ("code_background", &self.code_background),
            ("footer_background", &self.footer_background),
            ("footer_text", &self.footer_text),
        ];
        for (field, value) in colors {
            if parse_color(value).is_none() {
                return Err(EngineError::ProfileInvalid {
                    file: file.to_owned(),
                    field: field.to_owned(),
                    reason: format!("`{value}` is not a colour like #1D1D1F"),
                });
            }
        }
        let sizes = [
            ("margin", self.margin),
            ("body_px", self.body_px),
            ("h2_px", self.h2_px),
            ("h3_px", self.h3_px),
            ("title_px", self.title_px),
            ("subtitle_px", self.subtitle_px),
            ("meta_px", self.meta_px),
            ("footer_px", self.footer_px),
        ];
        for (field, value) in sizes {
            if !(8.0..=400.0).contains(&value) {
                return Err(EngineError::ProfileInvalid {
                    file: file.to_owned(),
                    field: field.to_owned(),
                    reason: format!("{value} must be between 8 and 400"),
                });
            }
        }
        if !(1.0..=3.0).contains(&self.line_height) {
            return Err(EngineError::ProfileInvalid {
                file: file.to_owned(),
                field: "line_height".into(),
                reason: "must be between 1 and 3".into(),
            });
        }
        Ok(())
    }
}

/// Shipped themes plus the data folder's `templates/`.
#[derive(Debug, Clone)]
pub struct ThemeCatalog {
    themes: BTreeMap<String, Theme>,
}

impl ThemeCatalog {
    pub fn load(user_dir: Option<&Path>) -> Result<Self> {
        Ok(Self { themes: load_records("templates", user_dir)? })
    }
    pub fn get(&self, id: &str) -> Result<&Theme> {
        self.themes.get(id).ok_or_else(|| unknown("theme", id, &self.themes))
    }
    pub fn all(&self) -> impl Iterator<Item = &Theme> {
        self.themes.values()
    }
}
