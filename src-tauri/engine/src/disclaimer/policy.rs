//! When a variant shows its disclaimer. A short clip shows it throughout
//! (`whole`); a long full version may show it at the start and the end, and
//! optionally as a reminder every N minutes (`start-end,every=10m`), each
//! window at least [`MIN_DISPLAY_SECONDS`] long. The windows are decided here
//! once; the filtergraph, the preview and review's on-screen check read them
//! from the plan.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::MIN_DISPLAY_SECONDS;
use crate::error::{EngineError, Result};
use crate::message::Notice;

/// Reminders closer than this are not reminders: use `whole`.
const MIN_EVERY_SECONDS: f64 = 60.0;

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DisclaimerPolicy {
    /// On screen for the whole clip (or the disclaimer's own start and length).
    #[default]
    Whole,
    /// A window at the start and one at the end, and one every `every` seconds between.
    StartEnd { every: Option<f64> },
}

/// One span of output time, in seconds, during which the disclaimer is on screen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub start: f64,
    pub end: f64,
}

impl DisclaimerPolicy {
    /// The start-end windows for a clip of `duration` seconds, each `len`
    /// seconds. A clip too short for two separate windows keeps the
    /// disclaimer on screen throughout (`None`: the caller's whole window).
    pub fn windows(self, len: f64, duration: f64) -> Option<Vec<Window>> {
        let Self::StartEnd { every } = self else { return None };
        // The windows must not touch: a gap of at least one second between
        // them, else the overlay would blink off for a frame.
        if duration < 2.0 * len + 1.0 {
            return None;
        }
        let mut out = vec![Window { start: 0.0, end: len }];
        let last_start = duration - len;
        if let Some(every) = every {
            let mut at = every;
            while at + len + 1.0 <= last_start {
                out.push(Window { start: at, end: at + len });
                at += every;
            }
        }
        out.push(Window { start: last_start, end: duration });
        Some(out)
    }
}

impl FromStr for DisclaimerPolicy {
    type Err = EngineError;
    fn from_str(text: &str) -> Result<Self> {
        let bad = |why: &str| {
            EngineError::Refused(
                Notice::new(
                    "disclaimer.bad_timing",
                    format!("disclaimer timing `{text}`: {why}; use `whole`, `start-end` or `start-end,every=10m`"),
                )
                .with("value", text),
            )
        };
        let mut parts = text.split(',').map(str::trim);
        let policy = match parts.next().unwrap_or_default() {
            "whole" => Self::Whole,
            "start-end" => Self::StartEnd { every: None },
            other => return Err(bad(&format!("`{other}` is not a timing"))),
        };
        let mut every = None;
        for part in parts {
            let Some(value) = part.strip_prefix("every=") else {
                return Err(bad(&format!("`{part}` is not an option")));
            };
            if policy == Self::Whole {
                return Err(bad("`every` applies to start-end"));
            }
            let seconds =
                parse_span(value).ok_or_else(|| bad(&format!("`{value}` is not a span like 10m, 90s or 1h")))?;
            if seconds < MIN_EVERY_SECONDS {
                return Err(bad(&format!("a reminder every {seconds} s is almost always on; at least 1m")));
            }
            every = Some(seconds);
        }
        Ok(match policy {
            Self::StartEnd { .. } => Self::StartEnd { every },
            whole => whole,
        })
    }
}

/// `10m`, `90s`, `1h`, `1.5m` or plain seconds.
fn parse_span(text: &str) -> Option<f64> {
    let (number, unit) = match text.char_indices().last()? {
        (i, 'h') => (&text[..i], 3600.0),
        (i, 'm') => (&text[..i], 60.0),
        (i, 's') => (&text[..i], 1.0),
        _ => (text, 1.0),
    };
    let v: f64 = number.trim().parse().ok()?;
    (v.is_finite() && v > 0.0).then_some(v * unit)
}

impl fmt::Display for DisclaimerPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Whole => f.write_str("whole"),
            Self::StartEnd { every: None } => f.write_str("start-end"),
            Self::StartEnd { every: Some(s) } if s % 60.0 == 0.0 => write!(f, "start-end,every={}m", s / 60.0),
            Self::StartEnd { every: Some(s) } => write!(f, "start-end,every={s}s"),
        }
    }
}

impl TryFrom<String> for DisclaimerPolicy {
    type Error = EngineError;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<DisclaimerPolicy> for String {
    fn from(p: DisclaimerPolicy) -> Self {
        p.to_string()
    }
}

/// The length of each start-end window: the disclaimer's own, never under the minimum.
pub fn window_length(duration: Option<f64>) -> f64 {
    duration.unwrap_or(MIN_DISPLAY_SECONDS).max(MIN_DISPLAY_SECONDS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_and_prints_the_three_forms() {
        for (text, want) in [
            ("whole", DisclaimerPolicy::Whole),
            ("start-end", DisclaimerPolicy::StartEnd { every: None }),
            ("start-end,every=10m", DisclaimerPolicy::StartEnd { every: Some(600.0) }),
            ("start-end, every=90s", DisclaimerPolicy::StartEnd { every: Some(90.0) }),
            ("start-end,every=1h", DisclaimerPolicy::StartEnd { every: Some(3600.0) }),
        ] {
            let p: DisclaimerPolicy = text.parse().unwrap();
            assert_eq!(p, want, "{text}");
            assert_eq!(p.to_string().parse::<DisclaimerPolicy>().unwrap(), p);
        }
        for bad in ["", "start", "whole,every=10m", "start-end,every=10x", "start-end,every=30s", "start-end,often"] {
            let e = bad.parse::<DisclaimerPolicy>().unwrap_err().to_string();
            assert!(e.contains("start-end,every=10m"), "{bad}: {e}");
        }
    }

    #[test]
    fn start_end_windows_with_reminders_stay_apart() {
        let p = DisclaimerPolicy::StartEnd { every: Some(600.0) };
        let w = p.windows(5.0, 2400.0).unwrap();
        let spans: Vec<(f64, f64)> = w.iter().map(|w| (w.start, w.end)).collect();
        assert_eq!(spans, vec![(0.0, 5.0), (600.0, 605.0), (1200.0, 1205.0), (1800.0, 1805.0), (2395.0, 2400.0)]);
        // A reminder that would run into the end window is left out.
        let w = p.windows(5.0, 1204.0).unwrap();
        assert_eq!(w.iter().map(|w| w.start).collect::<Vec<_>>(), vec![0.0, 600.0, 1199.0]);
        // Too short for two windows: the caller shows it throughout.
        assert_eq!(DisclaimerPolicy::StartEnd { every: None }.windows(5.0, 10.5), None);
        assert_eq!(DisclaimerPolicy::Whole.windows(5.0, 100.0), None);
        assert_eq!(window_length(Some(3.0)), 5.0);
        assert_eq!(window_length(Some(8.0)), 8.0);
    }
}
