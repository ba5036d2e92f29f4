//! ASS/SSA (Aegisub, 字幕组 tools): the `Dialogue:` lines of `[Events]`,
//! fields in the order its `Format:` line gives (the standard order when it
//! is missing). Styles, positions and effects are dropped: the studio styles
//! captions itself; `{…}` override blocks go, `\N` is a line break.

use super::markup::visible;
use super::timed::timestamp;
use super::{ParseError, RawCue};

const DEFAULT_FORMAT: &str = "Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text";

pub(super) fn parse(text: &str) -> Result<Vec<RawCue>, ParseError> {
    let mut in_events = false;
    let mut seen_events = false;
    let mut fields: Vec<String> = split_format(DEFAULT_FORMAT);
    let mut cues = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let number = i + 1;
        let line = line.trim();
        if line.starts_with('[') && line.ends_with(']') {
            in_events = line.eq_ignore_ascii_case("[events]");
            seen_events |= in_events;
            continue;
        }
        if !in_events {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else { continue };
        match key.trim() {
            "Format" => fields = split_format(value),
            "Dialogue" => {
                let mut cue = dialogue(value, &fields).map_err(|reason| ParseError::new(number, reason))?;
                cue.line = number;
                cues.push(cue);
            }
            // Comment lines are comments, styles live elsewhere: nothing to show.
            _ => {}
        }
    }
    if !seen_events {
        return Err(ParseError::new(1, "an ASS/SSA file without an [Events] section holds no cues".into()));
    }
    if cues.is_empty() {
        return Err(ParseError::new(1, "the [Events] section has no Dialogue lines".into()));
    }
    Ok(cues)
}

fn split_format(value: &str) -> Vec<String> {
    value.split(',').map(|f| f.trim().to_ascii_lowercase()).collect()
}

fn dialogue(value: &str, fields: &[String]) -> Result<RawCue, String> {
    let values: Vec<&str> = value.trim_start().splitn(fields.len(), ',').collect();
    if values.len() < fields.len() {
        return Err(format!(
            "a Dialogue line needs {} comma-separated fields; this one has {}",
            fields.len(),
            values.len()
        ));
    }
    let field = |name: &str| {
        fields
            .iter()
            .position(|f| f == name)
            .map(|i| values[i])
            .ok_or_else(|| format!("the Format line has no {name} field"))
    };
    let start_text = field("start")?.trim();
    let end_text = field("end")?.trim();
    let start_ms =
        timestamp(start_text).ok_or_else(|| format!("the start time `{start_text}` is not a time like 0:01:02.50"))?;
    let end_ms =
        timestamp(end_text).ok_or_else(|| format!("the end time `{end_text}` is not a time like 0:01:02.50"))?;
    if end_ms < start_ms {
        return Err(format!("the cue ends ({end_text}) before it starts ({start_text})"));
    }
    Ok(RawCue { start_ms, end_ms, text: text_of(field("text")?), line: 0, id: None })
}

fn text_of(raw: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            '\\' => match chars.peek() {
                Some('N' | 'n') => {
                    chars.next();
                    out.push('\n');
                }
                Some('h') => {
                    chars.next();
                    out.push(' ');
                }
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    let out: String = out.chars().filter_map(visible).collect();
    out.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}
