//! Burned-in captions, planned: where the caption band sits (inside the safe
//! zone, above the disclaimer, from the same geometry the preview draws),
//! which frames show which cue, and the list that feeds the caption pictures
//! to ffmpeg. Captions are pictures drawn by the engine's own layout, as the
//! disclaimer is: no cue text ever reaches a filtergraph.
//!
//! Timing is in output frames, not seconds, so it is exact: a cue is on every
//! frame `k` with `start <= k / fps < end`, i.e. from the first frame at or
//! after its start until the last frame before its end.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::PlacedOverlay;
use super::geometry::overlay_box;
use crate::platform::{CaptionPosition, PlatformProfile};
use crate::subtitles::ClipCue;

/// Where captions are drawn, in pixels of the output frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CaptionBand {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub font_px: f32,
    /// Room around the text for its outline or plate.
    pub pad: u32,
    pub line_height: f32,
}

/// Frames `[first_frame, end_frame)` of the output show `text` (the cues
/// `cues`, more than one when they overlap).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptionSpan {
    pub first_frame: u64,
    pub end_frame: u64,
    pub cues: Vec<u32>,
    pub text: String,
}

/// A span with the picture that shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptionPicture {
    #[serde(flatten)]
    pub span: CaptionSpan,
    pub image: PathBuf,
}

/// A variant's captions: the cues it shows (written as its `.srt`), and when
/// burned in, the pictures and the list ffmpeg reads them from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptionPlan {
    pub cues: Vec<ClipCue>,
    pub burn: bool,
    pub band: CaptionBand,
    pub pictures: Vec<CaptionPicture>,
    /// The ffconcat list of pictures and transparent gaps (when burned in).
    pub list: Option<PathBuf>,
    /// The subtitle file written beside the video.
    pub srt: PathBuf,
    /// The font family that drew the pictures.
    #[serde(default)]
    pub font: String,
}

const LINE_HEIGHT: f32 = 1.25;

/// The band for a profile's frame: the safe zone's width, tall enough for
/// `max_lines` lines, resting on the disclaimer plate (with a gap) or on the
/// safe zone's bottom edge; or at its top edge when the style says so (below
/// the AI-content label, when there is one).
pub fn caption_band(
    profile: &PlatformProfile,
    disclaimer: Option<&PlacedOverlay>,
    ai_label: Option<&PlacedOverlay>,
) -> Result<CaptionBand, String> {
    let area = overlay_box(profile, false);
    let style = &profile.captions;
    let font_px = (area.frame_width.min(area.frame_height) as f32 * style.font_scale).round().max(12.0);
    let pad = (font_px * 0.18).ceil() as u32;
    let text_h = (font_px * LINE_HEIGHT * style.max_lines as f32).ceil() as u32;
    let height = (text_h + 2 * pad).next_multiple_of(2);
    let width = area.max_width() & !1;
    let (top, bottom) = (area.top, area.frame_height.saturating_sub(area.bottom));
    let y = match style.position {
        CaptionPosition::Top => {
            ai_label.map_or(top, |l| l.y + l.source.height + (font_px * 0.3).round() as u32).next_multiple_of(2)
        }
        CaptionPosition::Bottom => {
            let floor = disclaimer.map_or(bottom, |d| d.y.saturating_sub((font_px * 0.3).round() as u32));
            floor.saturating_sub(height)
        }
    };
    if y < top || y + height > bottom {
        return Err(format!(
            "there is no room for {} caption line(s) of {font_px} px inside the safe zone{}; lower captions.font_scale or captions.max_lines in the profile",
            style.max_lines,
            if disclaimer.is_some() { " above the disclaimer" } else { "" }
        ));
    }
    Ok(CaptionBand { x: area.left, y, width, height, font_px, pad, line_height: LINE_HEIGHT })
}

/// The first output frame at or after `t` seconds.
fn frame_at(t: f64, fps: u32) -> u64 {
    // A hair under the frame's time still counts as at it: cue times are
    // milliseconds, frame times thirtieths.
    (t * f64::from(fps) - 1e-6).ceil().max(0.0) as u64
}

/// Which frames show which cues. Cues shorter than a frame that fall between
/// two frames show on none and are returned in the second list.
pub fn caption_spans(cues: &[ClipCue], fps: u32, duration: f64) -> (Vec<CaptionSpan>, Vec<u32>) {
    let total = frame_at(duration, fps);
    let mut unseen = Vec::new();
    let framed: Vec<(u64, u64, &ClipCue)> = cues
        .iter()
        .filter_map(|c| {
            let (a, b) = (frame_at(c.start, fps), frame_at(c.end, fps).min(total));
            if b > a {
                Some((a, b, c))
            } else {
                unseen.push(c.number);
                None
            }
        })
        .collect();
    let mut edges: Vec<u64> = framed.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
    edges.sort_unstable();
    edges.dedup();
    let mut spans: Vec<CaptionSpan> = Vec::new();
    for pair in edges.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        let on: Vec<&ClipCue> = framed.iter().filter(|(a, b, _)| *a <= from && from < *b).map(|(_, _, c)| *c).collect();
        if on.is_empty() {
            continue;
        }
        let numbers: Vec<u32> = on.iter().map(|c| c.number).collect();
        match spans.last_mut() {
            Some(last) if last.end_frame == from && last.cues == numbers => last.end_frame = to,
            _ => spans.push(CaptionSpan {
                first_frame: from,
                end_frame: to,
                cues: numbers,
                text: on.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join("\n"),
            }),
        }
    }
    (spans, unseen)
}

/// Splits a span whose text needs more lines than fit into consecutive parts,
/// each on screen for a share of the frames as large as its share of the text
/// (at least one frame each).
pub fn split_span(span: &CaptionSpan, pages: &[String]) -> Vec<CaptionSpan> {
    if pages.len() <= 1 {
        return vec![span.clone()];
    }
    let frames = span.end_frame - span.first_frame;
    let weights: Vec<u64> = pages.iter().map(|p| p.chars().count().max(1) as u64).collect();
    let total: u64 = weights.iter().sum();
    let mut out = Vec::new();
    let mut at = span.first_frame;
    let mut used = 0u64;
    for (i, page) in pages.iter().enumerate() {
        used += weights[i];
        let left = (pages.len() - i - 1) as u64;
        let end = if left == 0 {
            span.end_frame
        } else {
            (span.first_frame + frames * used / total).clamp(at + 1, span.end_frame.saturating_sub(left).max(at + 1))
        };
        if end > at {
            out.push(CaptionSpan { first_frame: at, end_frame: end, cues: span.cues.clone(), text: page.clone() });
        }
        at = end;
    }
    out
}

/// The ffconcat list: each picture from its first frame, the transparent
/// `blank` in the gaps and after the last one. Times are whole milliseconds
/// rounded down, so each lands after the frame before it and at or before its
/// own frame; the readers are told to count in milliseconds (`framerate
/// 1000`) so nothing rounds them to their default 25 fps.
pub fn concat_list(pictures: &[(u64, u64, String)], blank: &str, fps: u32, duration: f64) -> String {
    let ms = |frame: u64| frame * 1000 / u64::from(fps);
    let mut entries: Vec<(&str, u64)> = Vec::new();
    let mut at = 0u64;
    for (first, end, name) in pictures {
        if *first > at {
            entries.push((blank, ms(at)));
        }
        entries.push((name.as_str(), ms(*first)));
        at = *end;
    }
    entries.push((blank, ms(at)));
    let end_ms = (duration * 1000.0).ceil() as u64 + 1000;
    let mut out = String::from("ffconcat version 1.0\n");
    for (i, (name, start)) in entries.iter().enumerate() {
        let next = entries.get(i + 1).map_or(end_ms.max(*start + 1), |(_, s)| *s);
        out.push_str(&format!(
            "file '{name}'\noption framerate 1000\nduration {:.3}\n",
            (next - start) as f64 / 1000.0
        ));
    }
    // The concat reader takes the last entry's duration only when it is
    // followed by another: repeat the final gap.
    out.push_str(&format!("file '{blank}'\noption framerate 1000\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::PlatformCatalog;

    fn cue(number: u32, start: f64, end: f64, text: &str) -> ClipCue {
        ClipCue { number, master_start: start, master_end: end, start, end, text: text.into() }
    }

    #[test]
    fn a_cue_is_on_the_frames_from_its_start_until_before_its_end() {
        let (spans, unseen) =
            caption_spans(&[cue(1, 1.0, 2.0, "一"), cue(2, 2.01, 2.02, "闪"), cue(3, 2.5, 3.1, "二")], 30, 10.0);
        assert_eq!(
            spans.iter().map(|s| (s.first_frame, s.end_frame, s.cues.clone())).collect::<Vec<_>>(),
            vec![(30, 60, vec![1]), (75, 93, vec![3])]
        );
        assert_eq!(unseen, vec![2]);
    }

    #[test]
    fn overlapping_cues_share_the_frames_they_overlap() {
        let (spans, _) = caption_spans(&[cue(1, 0.0, 2.0, "甲"), cue(2, 1.0, 3.0, "乙")], 10, 5.0);
        let got: Vec<(u64, u64, &str)> = spans.iter().map(|s| (s.first_frame, s.end_frame, s.text.as_str())).collect();
        assert_eq!(got, vec![(0, 10, "甲"), (10, 20, "甲\n乙"), (20, 30, "乙")]);
    }

    #[test]
    fn a_long_cue_is_shown_in_parts_by_their_length() {
        let span = CaptionSpan { first_frame: 100, end_frame: 190, cues: vec![4], text: String::new() };
        let parts = split_span(&span, &["一二三四五六".into(), "七八九".into()]);
        assert_eq!(
            parts.iter().map(|p| (p.first_frame, p.end_frame)).collect::<Vec<_>>(),
            vec![(100, 160), (160, 190)]
        );
    }

    #[test]
    fn the_list_starts_each_picture_at_or_just_before_its_frame() {
        let list = concat_list(&[(31, 46, "a.png".into())], "blank.png", 30, 3.0);
        assert_eq!(
            list,
            "ffconcat version 1.0\n\
             file 'blank.png'\noption framerate 1000\nduration 1.033\n\
             file 'a.png'\noption framerate 1000\nduration 0.500\n\
             file 'blank.png'\noption framerate 1000\nduration 2.467\n\
             file 'blank.png'\noption framerate 1000\n"
        );
    }

    #[test]
    fn the_band_sits_above_the_disclaimer_inside_the_safe_zone() {
        let catalog = PlatformCatalog::load(None).unwrap();
        for profile in catalog.video_platforms() {
            let area = overlay_box(profile, false);
            let plate_y = area.frame_height - area.bottom - 120;
            let disclaimer = PlacedOverlay {
                source: super::super::OverlaySource {
                    path: "d.png".into(),
                    width: 600,
                    height: 120,
                    font: String::new(),
                },
                x: area.left,
                y: plate_y,
                start: 0.0,
                end: None,
                windows: Vec::new(),
            };
            for d in [None, Some(&disclaimer)] {
                let band = caption_band(profile, d, None).unwrap();
                assert!(band.y >= area.top && band.x >= area.left, "{}", profile.id);
                assert!(band.x + band.width <= area.frame_width - area.right, "{}", profile.id);
                let limit = d.map_or(area.frame_height - area.bottom, |d| d.y);
                assert!(
                    band.y + band.height <= limit,
                    "{}: band ends at {}, limit {limit}",
                    profile.id,
                    band.y + band.height
                );
            }
        }
    }
}
