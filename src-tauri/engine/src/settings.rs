//! What a user sets once and every variant uses: the institution and licence
//! lines under the disclaimer and the default disclaimer preset. Kept as
//! `settings.json` in the data folder, written whole and renamed into place.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::studio::Studio;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Shown under the disclaimer, e.g. 某某证券股份有限公司.
    pub institution: Option<String>,
    /// Licence number shown under the disclaimer.
    pub licence: Option<String>,
    /// The preset new variants start with (`risk-zh` when unset).
    pub disclaimer_preset: Option<String>,
}

impl Studio {
    fn settings_path(&self) -> PathBuf {
        self.data_dir().join("settings.json")
    }

    pub fn settings(&self) -> Result<Settings> {
        match std::fs::read(self.settings_path()) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(EngineError::io(format!("reading {}", self.settings_path().display()), e)),
        }
    }

    /// Checks and saves; a preset must exist, blank lines are removed.
    pub fn save_settings(&self, settings: &Settings) -> Result<Settings> {
        let clean = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let settings = Settings {
            institution: clean(&settings.institution),
            licence: clean(&settings.licence),
            disclaimer_preset: clean(&settings.disclaimer_preset),
        };
        if let Some(id) = &settings.disclaimer_preset {
            self.disclaimers().get(id)?;
        }
        crate::render::write_complete(&self.settings_path(), serde_json::to_string_pretty(&settings)?.as_bytes())?;
        Ok(settings)
    }

    /// A preset's disclaimer with the saved institution and licence lines.
    pub fn disclaimer_with_settings(&self, preset: &str) -> Result<crate::disclaimer::Disclaimer> {
        let s = self.settings()?;
        self.disclaimer(Some(preset), None, s.institution.as_deref(), s.licence.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Studio, StudioConfig};

    #[test]
    fn settings_round_trip_and_refuse_unknown_presets() {
        let dir = tempfile::tempdir().unwrap();
        let studio = Studio::open(StudioConfig::new(dir.path().to_owned())).unwrap();
        assert_eq!(studio.settings().unwrap(), super::Settings::default());
        let saved = studio
            .save_settings(&super::Settings {
                institution: Some(" 某某证券 ".into()),
                licence: Some("".into()),
                disclaimer_preset: Some("not-advice-zh".into()),
            })
            .unwrap();
        assert_eq!((saved.institution.as_deref(), saved.licence.as_deref()), (Some("某某证券"), None));
        assert_eq!(studio.settings().unwrap(), saved);
        let d = studio.disclaimer_with_settings("risk-zh").unwrap();
        assert!(d.lines.iter().any(|l| l.contains("某某证券")), "{:?}", d.lines);
        let bad = super::Settings { disclaimer_preset: Some("nope".into()), ..saved };
        assert!(studio.save_settings(&bad).is_err());
    }
}
