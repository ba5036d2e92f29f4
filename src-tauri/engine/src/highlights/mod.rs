//! Highlights: the moments of a long master most worth a 15 s or 60 s clip,
//! found from what can be measured cheaply (speech, loudness, scene cuts on
//! keyframes, caption density and hook words) and said in words.

mod rank;
pub mod signals;

use serde::{Deserialize, Serialize};

pub use rank::{Hooks, Reason, Suggestion, rank};

use crate::assets::{AssetRecord, load_records};
use crate::error::{EngineError, Result};
use crate::message::Notice;
use crate::studio::Studio;

/// A list of hook words (`assets/hooks/*.toml`, or the user's own in `hooks/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookSet {
    pub id: String,
    #[serde(default = "one")]
    pub weight: f64,
    pub words: Vec<String>,
}

fn one() -> f64 {
    1.0
}

impl AssetRecord for HookSet {
    fn id(&self) -> &str {
        &self.id
    }
    fn validate(&self, file: &str) -> Result<()> {
        if self.words.iter().any(|w| w.trim().is_empty()) {
            return Err(EngineError::ProfileInvalid {
                file: file.into(),
                field: "words".into(),
                reason: "an empty word".into(),
            });
        }
        if !(self.weight > 0.0 && self.weight <= 5.0) {
            return Err(EngineError::ProfileInvalid {
                file: file.into(),
                field: "weight".into(),
                reason: format!("{} must be above 0 and at most 5", self.weight),
            });
        }
        Ok(())
    }
}

/// What `suggest` found, with what it measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestReport {
    pub suggestions: Vec<Suggestion>,
    pub used_subtitles: bool,
    pub keyframes: usize,
    pub cuts: usize,
}

impl Studio {
    /// The `count` best windows of about `duration` seconds in a video master,
    /// using its subtitles when it has them.
    pub fn suggest(&self, master: &std::path::Path, duration: f64, count: usize) -> Result<SuggestReport> {
        if !(duration >= 3.0 && duration.is_finite()) {
            return Err(EngineError::Refused(
                Notice::new(
                    "suggest.too_short",
                    format!("a clip of {duration} s is too short to suggest; use 3 s or more"),
                )
                .with("seconds", duration),
            ));
        }
        self.tools().check()?;
        let media = self.probe(master)?;
        if media.duration < duration {
            let length = format!("{:.1}", media.duration);
            return Err(EngineError::Refused(
                Notice::new(
                    "suggest.master_short",
                    format!("the master is {length} s long, shorter than a {duration} s clip: use it whole"),
                )
                .with("length", length)
                .with("seconds", duration),
            ));
        }
        let measured = signals::measure(self.tools(), &media.path, media.duration, media.audio.is_some())?;
        let cues = self.cues_for(&media.path)?;
        let hooks: Vec<Hooks> = load_records::<HookSet>("hooks", Some(&self.data_dir().join("hooks")))?
            .into_values()
            .map(|h| Hooks { words: h.words, weight: h.weight })
            .collect();
        Ok(SuggestReport {
            suggestions: rank(&measured, &cues, &hooks, duration, count.max(1)),
            used_subtitles: !cues.is_empty(),
            keyframes: measured.keyframes,
            cuts: measured.cuts.len(),
        })
    }
}
