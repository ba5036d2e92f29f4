//! Subtitle files as they come from captioning tools (剪映, 飞书妙记, 讯飞听见,
//! Aegisub): SRT, WebVTT and ASS/SSA, in any encoding those tools write. The
//! readers are lenient about form (missing numbers, odd timestamps, blank
//! lines inside a cue) and strict about content: what cannot be read is an
//! error naming its line, and anything changed on the way in (cues sorted,
//! numbered again, left out for having no text) is said in a warning.
//!
//! No crate fitted: the SRT/VTT crates on crates.io either follow the spec
//! (and refuse `00:00:04` or a missing cue number) or drop what they cannot
//! read without saying where. Decoding is encoding_rs's, guessing chardetng's.

mod ass;
mod burn;
mod clip;
mod decode;
mod markup;
mod timed;

use crate::message::Notice;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use clip::{ClipCue, clip_cues, to_srt};

use crate::error::{EngineError, Result};

/// Larger than any real subtitle file (a 3-hour talk is well under 1 MB).
const MAX_BYTES: u64 = 20 * 1024 * 1024;
/// Warnings of one kind listed before "and N more".
const WARNINGS_PER_KIND: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubtitleFormat {
    Srt,
    WebVtt,
    Ass,
}

impl SubtitleFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Srt => "srt",
            Self::WebVtt => "webvtt",
            Self::Ass => "ass",
        }
    }
}

/// One caption, timed in the master.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cue {
    /// 1, 2, 3 … in time order.
    pub number: u32,
    pub start_ms: u64,
    pub end_ms: u64,
    /// Plain text, lines separated by `\n`.
    pub text: String,
    /// The file line its timing is on, for messages about the original file.
    pub line: usize,
}

impl Cue {
    pub fn start(&self) -> f64 {
        self.start_ms as f64 / 1000.0
    }
    pub fn end(&self) -> f64 {
        self.end_ms as f64 / 1000.0
    }
}

/// A subtitle file, read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubtitleTrack {
    pub format: SubtitleFormat,
    /// The encoding it was read as (`UTF-8`, `gb18030`, `UTF-16LE` …).
    pub encoding: String,
    pub cues: Vec<Cue>,
    /// What was changed or left out on the way in.
    pub warnings: Vec<Notice>,
}

/// A cue as a reader found it, before sorting and numbering.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawCue {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    pub line: usize,
    /// The cue number or WebVTT identifier written above it.
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParseError {
    pub line: usize,
    pub reason: String,
}

impl ParseError {
    fn new(line: usize, reason: String) -> Self {
        Self { line, reason }
    }
}

/// Reads and parses a subtitle file.
pub fn read(path: &Path) -> Result<SubtitleTrack> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => EngineError::InputMissing { path: path.to_owned() },
        _ => EngineError::io(format!("reading {}", path.display()), e),
    })?;
    if meta.len() > MAX_BYTES {
        return Err(EngineError::SubtitleInvalid {
            file: path.display().to_string(),
            line: 1,
            reason: format!("{} MB is far larger than a subtitle file; is this the right file?", meta.len() >> 20),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| EngineError::io(format!("reading {}", path.display()), e))?;
    if bytes.is_empty() {
        return Err(EngineError::InputEmpty { path: path.to_owned() });
    }
    parse(&bytes, &path.display().to_string())
}

/// Parses subtitle bytes; `file` names them in errors.
pub fn parse(bytes: &[u8], file: &str) -> Result<SubtitleTrack> {
    let fail = |line: usize, reason: String| EngineError::SubtitleInvalid { file: file.to_owned(), line, reason };
    let decoded = decode::decode(bytes).map_err(|e| {
        fail(
            e.line,
            format!(
                "bytes that are not valid {} text; save the file as UTF-8 in the captioning tool (or a text editor) and import it again",
                e.encoding
            ),
        )
    })?;
    let text = decoded.text.trim_start_matches('\u{FEFF}').replace("\r\n", "\n").replace('\r', "\n");
    let format = detect(&text);
    let raw = match format {
        SubtitleFormat::Srt => timed::parse(&text, false),
        SubtitleFormat::WebVtt => timed::parse(&text, true),
        SubtitleFormat::Ass => ass::parse(&text),
    }
    .map_err(|e| fail(e.line, e.reason))?;
    let (cues, warnings) = arrange(raw, format);
    if cues.is_empty() {
        return Err(fail(1, "every cue in the file is empty or shown for no time; nothing to import".into()));
    }
    Ok(SubtitleTrack { format, encoding: decoded.encoding.to_owned(), cues, warnings })
}

fn detect(text: &str) -> SubtitleFormat {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if first.starts_with("WEBVTT") {
        SubtitleFormat::WebVtt
    } else if text.lines().any(|l| {
        let l = l.trim();
        l.eq_ignore_ascii_case("[script info]") || l.eq_ignore_ascii_case("[events]")
    }) {
        SubtitleFormat::Ass
    } else {
        SubtitleFormat::Srt
    }
}

/// Leaves out cues nobody would see (saying so), sorts by time, numbers
/// 1, 2, 3 …, and notes irregular numbering and overlaps.
fn arrange(raw: Vec<RawCue>, format: SubtitleFormat) -> (Vec<Cue>, Vec<Notice>) {
    let mut warnings = Warnings::default();
    if format == SubtitleFormat::Srt {
        let numbers: Vec<(usize, Option<u64>)> =
            raw.iter().map(|c| (c.line, c.id.as_deref().and_then(|i| i.trim().parse().ok()))).collect();
        if numbers.iter().all(|(_, n)| n.is_none()) {
            warnings.push(
                "numbers",
                Notice::new("subtitles.unnumbered", "the cues have no numbers; they are numbered in time order"),
            );
        } else {
            let first = numbers.iter().find_map(|(_, n)| *n).unwrap_or(1);
            let mut expected = first;
            for (index, (line, n)) in numbers.iter().enumerate() {
                match n {
                    // The next number, or the one its place calls for (after a repeat).
                    Some(n) if *n == expected || *n == first + index as u64 => {}
                    Some(n) => {
                        let at = line.saturating_sub(1);
                        warnings.push(
                            "numbers",
                            Notice::new(
                                "subtitles.number_unexpected",
                                format!("line {at}: cue number {n} where {expected} was expected; the cues are numbered again in time order"),
                            )
                            .with("line", at)
                            .with("number", n)
                            .with("expected", expected),
                        )
                    }
                    None => warnings.push(
                        "numbers",
                        Notice::new(
                            "subtitles.number_missing",
                            format!("line {line}: a cue without a number; numbered in time order"),
                        )
                        .with("line", line),
                    ),
                }
                expected = n.unwrap_or(expected) + 1;
            }
        }
    }
    let mut kept: Vec<RawCue> = Vec::with_capacity(raw.len());
    for cue in raw {
        if cue.text.trim().is_empty() {
            warnings.push(
                "empty",
                Notice::new("subtitles.empty_cue", format!("line {}: the cue has no text; left out", cue.line))
                    .with("line", cue.line),
            );
        } else if cue.end_ms == cue.start_ms {
            warnings.push(
                "instant",
                Notice::new(
                    "subtitles.instant_cue",
                    format!(
                        "line {}: the cue starts and ends at {}, so it is never on screen; left out",
                        cue.line,
                        clock_ms(cue.start_ms)
                    ),
                )
                .with("line", cue.line)
                .with("at", clock_ms(cue.start_ms)),
            );
        } else {
            kept.push(cue);
        }
    }
    for pair in kept.windows(2) {
        if pair[1].start_ms < pair[0].start_ms {
            warnings.push(
                "order",
                Notice::new(
                    "subtitles.out_of_order",
                    format!(
                        "line {}: the cue starts at {}, before the one above it ({}); cues are put in time order",
                        pair[1].line,
                        clock_ms(pair[1].start_ms),
                        clock_ms(pair[0].start_ms)
                    ),
                )
                .with("line", pair[1].line)
                .with("at", clock_ms(pair[1].start_ms))
                .with("before", clock_ms(pair[0].start_ms)),
            );
        }
    }
    kept.sort_by_key(|c| (c.start_ms, c.line));
    for pair in kept.windows(2) {
        if pair[1].start_ms < pair[0].end_ms {
            warnings.push(
                "overlap",
                Notice::new(
                    "subtitles.overlap",
                    format!(
                        "line {}: the cue starts at {}, while the one before (line {}) runs until {}; both are shown together",
                        pair[1].line,
                        clock_ms(pair[1].start_ms),
                        pair[0].line,
                        clock_ms(pair[0].end_ms)
                    ),
                )
                .with("line", pair[1].line)
                .with("at", clock_ms(pair[1].start_ms))
                .with("other_line", pair[0].line)
                .with("until", clock_ms(pair[0].end_ms)),
            );
        }
    }
    let cues = kept
        .into_iter()
        .zip(1..)
        .map(|(c, number)| Cue { number, start_ms: c.start_ms, end_ms: c.end_ms, text: c.text, line: c.line })
        .collect();
    (cues, warnings.finish())
}

/// Warnings grouped by kind, each kind capped so a file with 800 unnumbered
/// cues says so once, not 800 times.
#[derive(Default)]
struct Warnings {
    kinds: Vec<(&'static str, Vec<Notice>, usize)>,
}

impl Warnings {
    fn push(&mut self, kind: &'static str, text: Notice) {
        let at = match self.kinds.iter().position(|(k, _, _)| *k == kind) {
            Some(i) => i,
            None => {
                self.kinds.push((kind, Vec::new(), 0));
                self.kinds.len() - 1
            }
        };
        let (_, shown, more) = &mut self.kinds[at];
        if shown.len() < WARNINGS_PER_KIND {
            shown.push(text);
        } else {
            *more += 1;
        }
    }

    fn finish(self) -> Vec<Notice> {
        let mut out = Vec::new();
        for (_, shown, more) in self.kinds {
            out.extend(shown);
            if more > 0 {
                out.push(
                    Notice::new("subtitles.more", format!("… and {more} more like the one above")).with("count", more),
                );
            }
        }
        out
    }
}

/// `00:01:02.500`.
pub fn clock_ms(ms: u64) -> String {
    format!("{:02}:{:02}:{:02}.{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

#[cfg(test)]
mod tests;
