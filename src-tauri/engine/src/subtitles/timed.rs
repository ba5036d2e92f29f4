//! SRT and WebVTT, read as captioning tools actually write them. Both are a
//! timing line (`START --> END`) followed by text, so one reader serves both:
//! a cue's text runs until the next timing line (blank lines inside a cue are
//! kept as a line break, a missing blank line between cues is no problem);
//! the line just before a timing line is that cue's number or WebVTT
//! identifier. WebVTT's header, `NOTE`, `STYLE` and `REGION` blocks are
//! skipped and its cue settings (position, alignment) ignored: the studio
//! places captions itself. Anything else outside a cue is an error.

use super::markup::plain;
use super::{ParseError, RawCue};

struct Open {
    cue: RawCue,
    /// Text lines: (1-based line, text, first line of a block).
    lines: Vec<(usize, String, bool)>,
}

/// The cues of an SRT (`vtt = false`) or WebVTT file, in file order.
pub(super) fn parse(text: &str, vtt: bool) -> Result<Vec<RawCue>, ParseError> {
    let mut cues = Vec::new();
    let mut outside: Vec<(usize, String, bool)> = Vec::new();
    let mut open: Option<Open> = None;
    let mut block_start = true;
    let mut skipping = false;
    let mut lines = text.split('\n').enumerate().map(|(i, l)| (i + 1, l));
    if vtt {
        // The header: `WEBVTT` and anything up to the first blank line.
        for (_, line) in lines.by_ref() {
            if line.trim().is_empty() {
                break;
            }
        }
    }
    for (number, line) in lines {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            block_start = true;
            skipping = false;
            continue;
        }
        if skipping {
            continue;
        }
        if vtt && block_start && is_vtt_block(trimmed) {
            finish(&mut open, &mut cues);
            skipping = true;
            continue;
        }
        if trimmed.contains("-->") {
            let pending = open.as_mut().map_or(&mut outside, |o| &mut o.lines);
            let id = match pending.last() {
                Some((at, text, first)) if *at + 1 == number && (is_number(text) || (vtt && *first)) => {
                    pending.pop().map(|(_, text, _)| text)
                }
                _ => None,
            };
            if let Some((at, text, _)) = outside.first() {
                return Err(ParseError::new(
                    *at,
                    format!("`{}` is outside any cue (before the first timing line)", shorten(text)),
                ));
            }
            let (start_ms, end_ms) = timing(trimmed).map_err(|reason| ParseError::new(number, reason))?;
            finish(&mut open, &mut cues);
            open = Some(Open {
                cue: RawCue { start_ms, end_ms, text: String::new(), line: number, id },
                lines: Vec::new(),
            });
        } else {
            let target = open.as_mut().map_or(&mut outside, |o| &mut o.lines);
            target.push((number, line.to_owned(), block_start));
        }
        block_start = false;
    }
    finish(&mut open, &mut cues);
    if cues.is_empty() {
        return Err(match outside.first() {
            Some((at, text, _)) => ParseError::new(
                *at,
                format!(
                    "no timing line (like `00:00:01,000 --> 00:00:02,500`) anywhere, so no cues; the file starts `{}` — is it {}?",
                    shorten(text),
                    if vtt { "a WebVTT file" } else { "an SRT file" }
                ),
            ),
            None => ParseError::new(1, "the file holds no cues".into()),
        });
    }
    Ok(cues)
}

fn finish(open: &mut Option<Open>, cues: &mut Vec<RawCue>) {
    if let Some(Open { mut cue, lines }) = open.take() {
        cue.text = lines
            .iter()
            .map(|(_, l, _)| plain(l).trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        cues.push(cue);
    }
}

fn is_vtt_block(line: &str) -> bool {
    ["NOTE", "STYLE", "REGION"]
        .iter()
        .any(|w| line == *w || line.strip_prefix(w).is_some_and(|rest| rest.starts_with([' ', '\t'])))
}

fn is_number(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty() && t.chars().all(|c| c.is_ascii_digit())
}

fn shorten(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() > 40 { format!("{}…", t.chars().take(40).collect::<String>()) } else { t.to_owned() }
}

/// `START --> END [settings]` in milliseconds.
fn timing(line: &str) -> Result<(u64, u64), String> {
    let (a, b) = line.split_once("-->").ok_or_else(|| "no `-->` in the timing line".to_owned())?;
    let end_text = b.split_whitespace().next().unwrap_or("");
    let start =
        timestamp(a.trim()).ok_or_else(|| format!("the start time `{}` is not a time like 00:01:02,500", a.trim()))?;
    let end =
        timestamp(end_text).ok_or_else(|| format!("the end time `{end_text}` is not a time like 00:01:02,500"))?;
    if end < start {
        return Err(format!(
            "the cue ends ({}) before it starts ({}); fix the times in the captioning tool",
            super::clock_ms(end),
            super::clock_ms(start)
        ));
    }
    Ok((start, end))
}

/// `01:02:03,456`, `1:02:03.4`, `02:03.456`, `00:00:04`, `4.5`: hours and
/// minutes optional, `,` or `.` before a fraction of 1–9 digits.
pub(super) fn timestamp(text: &str) -> Option<u64> {
    let (whole, frac) = match text.rfind([',', '.']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let parts: Vec<&str> = whole.split(':').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty() || p.len() > 9 || !p.chars().all(|c| c.is_ascii_digit())) {
        return None;
    }
    let nums: Vec<u64> = parts.iter().map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let seconds = match nums[..] {
        [h, m, s] if m < 60 && s < 60 => h * 3600 + m * 60 + s,
        [m, s] if s < 60 => m * 60 + s,
        [s] => s,
        _ => return None,
    };
    let ms = match frac {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 9 && f.chars().all(|c| c.is_ascii_digit()) => {
            let nanos: u64 = format!("{f:0<9}").parse().ok()?;
            (nanos + 500_000) / 1_000_000
        }
        Some(_) => return None,
    };
    Some(seconds * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_as_tools_write_them() {
        for (text, ms) in [
            ("00:00:01,000", 1000),
            ("00:00:04", 4000),
            ("00:00:00,1", 100),
            ("0:01:02.5", 62_500),
            ("01:02.345", 62_345),
            ("10:00:00.000", 36_000_000),
            ("00:00:01,2345", 1235),
            ("4.5", 4500),
        ] {
            assert_eq!(timestamp(text), Some(ms), "{text}");
        }
        for text in ["", "00:60:00,000", "00:00:61,000", "1:2:3:4", "00:00:01,", "-00:00:01", "00:0a:01", "00:00:01,5x"]
        {
            assert_eq!(timestamp(text), None, "{text}");
        }
    }
}
