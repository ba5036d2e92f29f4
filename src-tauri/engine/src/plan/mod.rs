//! Pure planning: a master's probe, a platform profile and the user's choices
//! become a [`VariantPlan`], and a plan becomes ffmpeg arguments. Nothing here
//! runs a process or touches the disk, so every decision is unit-tested.

mod args;
mod captions;
mod geometry;
pub mod smart;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use captions::{
    CaptionBand, CaptionPicture, CaptionPlan, CaptionSpan, caption_band, caption_spans, concat_list, split_span,
};
pub use geometry::{OverlayBox, ai_label_font_px, overlay_box};

use crate::disclaimer::{Disclaimer, DisclaimerPolicy, MIN_DISPLAY_SECONDS, Window, window_length};
use crate::error::{EngineError, Result};
use crate::message::Notice;
use crate::platform::{EncoderSpec, PlatformProfile, ReframeMode};
use crate::probe::MediaInfo;

/// A part of the master, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
}

impl Segment {
    pub fn duration(&self) -> f64 {
        self.end - self.start
    }
}

/// Where the interesting part of the picture is (0..1 across and down);
/// a crop keeps it in frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FocusPoint {
    pub x: f64,
    pub y: f64,
}

impl Default for FocusPoint {
    fn default() -> Self {
        Self { x: 0.5, y: 0.5 }
    }
}

/// What the user chose for one platform's variant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanRequest {
    /// Explicit parts of the master, joined in order; empty means one clip of
    /// the profile's target length from `start`.
    #[serde(default)]
    pub segments: Vec<Segment>,
    pub start: Option<f64>,
    pub reframe: Option<ReframeMode>,
    #[serde(default)]
    pub focus: FocusPoint,
    pub disclaimer: Option<Disclaimer>,
    /// The master's subtitles (empty: none).
    #[serde(default)]
    pub cues: Vec<crate::subtitles::Cue>,
    /// Burn captions in (`None`: as the profile says).
    #[serde(default)]
    pub burn_captions: Option<bool>,
    /// The master is marked as containing AI-generated content: the variant
    /// carries its label (see [`crate::ai_label`]).
    #[serde(default)]
    pub ai: Option<crate::ai_label::AiMark>,
}

/// A rendered overlay picture on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverlaySource {
    pub path: PathBuf,
    pub width: u32,
    pub height: u32,
    /// The font family that drew it (empty: the system's sans-serif), kept
    /// with the plan so a render says which font it used.
    #[serde(default)]
    pub font: String,
}

/// Overlay pictures for the frame and the cover, rendered by the caller for
/// the boxes [`overlay_box`] gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverlayPair {
    pub frame: OverlaySource,
    pub cover: OverlaySource,
}

/// An overlay with its position and time window in the output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlacedOverlay {
    pub source: OverlaySource,
    pub x: u32,
    pub y: u32,
    /// Seconds into the output.
    pub start: f64,
    /// `None`: until the end.
    pub end: Option<f64>,
    /// With start-end timing, the separate windows it is on screen in
    /// (`start` and `end` then span them); empty: one window, `start`–`end`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<Window>,
}

impl PlacedOverlay {
    /// Every window the overlay is on screen in, within a clip of `duration` seconds.
    pub fn on_screen(&self, duration: f64) -> Vec<Window> {
        if self.windows.is_empty() {
            vec![Window { start: self.start, end: self.end.unwrap_or(duration).min(duration) }]
        } else {
            self.windows.iter().map(|w| Window { start: w.start, end: w.end.min(duration) }).collect()
        }
    }
}

/// The cover image: one frame of the variant at the cover size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverPlan {
    pub width: u32,
    pub height: u32,
    /// Seconds into the master.
    pub at: f64,
    pub overlay: Option<PlacedOverlay>,
    pub output: PathBuf,
}

/// Everything needed to render one variant; stored with its job so a job can
/// run again after a crash without re-planning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantPlan {
    pub platform: String,
    pub master: PathBuf,
    pub segments: Vec<Segment>,
    /// Seconds of output.
    pub duration: f64,
    /// Upright size of the master as the filters see it.
    pub source_width: u32,
    pub source_height: u32,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub reframe: ReframeMode,
    pub focus: FocusPoint,
    pub master_has_audio: bool,
    pub silent_audio: bool,
    pub encoder: EncoderSpec,
    pub keyframe_interval: f64,
    pub disclaimer_text: Option<String>,
    pub overlay: Option<PlacedOverlay>,
    pub cover: CoverPlan,
    pub output: PathBuf,
    /// Captions from the master's subtitles (plans stored before captions have none).
    #[serde(default)]
    pub captions: Option<CaptionPlan>,
    /// The AI-content label, on the frame for the whole clip and on the
    /// cover, and the implicit record written into both files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_label: Option<VideoAiLabel>,
    /// Smart render or a full re-encode, and why (`None`: a full re-encode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<smart::RenderMethod>,
    /// A hardware H.264 encoder for the render (`None`: x264); see [`crate::encoders`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_encoder: Option<String>,
    /// Decisions the user should know about (e.g. "the master is shorter than 15 s").
    pub notes: Vec<Notice>,
}

/// A video's AI-content label as planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoAiLabel {
    #[serde(flatten)]
    pub record: crate::ai_label::AiLabelRecord,
    pub overlay: PlacedOverlay,
    pub cover: PlacedOverlay,
}

/// Builds the plan for one platform.
pub fn plan_variant(
    media: &MediaInfo,
    profile: &PlatformProfile,
    request: &PlanRequest,
    overlays: Option<&OverlayPair>,
    out_dir: &Path,
) -> Result<VariantPlan> {
    let fail = |reason: String| EngineError::Plan { platform: profile.id.clone(), reason };
    let (Some(video), Some(encoder), Some(cover)) = (&profile.video, &profile.encoder, profile.cover) else {
        return Err(fail("this platform takes no video".into()));
    };
    let mut notes = Vec::new();
    let segments =
        resolve_segments(media, video.target_duration, video.max_duration, request, &mut notes).map_err(fail)?;
    let duration: f64 = segments.iter().map(Segment::duration).sum();
    if !(0.0..=1.0).contains(&request.focus.x) || !(0.0..=1.0).contains(&request.focus.y) {
        return Err(fail(format!("focus point ({}, {}) must lie within 0..1", request.focus.x, request.focus.y)));
    }

    let (overlay, cover_overlay, disclaimer_text) = match (&request.disclaimer, overlays) {
        (Some(d), Some(pair)) => {
            let frame_box = overlay_box(profile, false);
            let cover_box = overlay_box(profile, true);
            let policy = d.at.unwrap_or(video.disclaimer_at);
            let placed = match start_end_windows(d, policy, duration, &mut notes).map_err(fail)? {
                Some(windows) => {
                    let mut placed = frame_box.place(&pair.frame, 0.0, None);
                    placed.windows = windows;
                    placed
                }
                None => {
                    let (start, end) = display_window(d, duration).map_err(fail)?;
                    frame_box.place(&pair.frame, start, end)
                }
            };
            (Some(placed), Some(cover_box.place(&pair.cover, 0.0, None)), Some(d.text()))
        }
        (Some(_), None) => return Err(fail("the disclaimer overlay was not rendered".into())),
        (None, _) => {
            notes.push(Notice::new(
                "plan.no_disclaimer",
                "no disclaimer: this variant fails compliance review until one is added",
            ));
            (None, None, None)
        }
    };

    let stem = media.path.file_stem().map_or_else(|| "master".into(), |s| s.to_string_lossy().into_owned());
    let output = out_dir.join(format!("{stem}.{}.mp4", profile.id));
    let cover_output = out_dir.join(format!("{stem}.{}.cover.jpg", profile.id));
    let first = segments[0];
    let master_has_audio = media.audio.is_some();
    if !master_has_audio {
        notes.push(if video.silent_audio_if_missing {
            Notice::new("plan.silent_track", "the master has no audio: the variant gets a silent AAC track")
        } else {
            Notice::new("plan.no_audio", "the master has no audio: the variant has no audio track")
        });
    }
    if media.video.variable_frame_rate {
        notes.push(
            Notice::new("plan.vfr", format!("variable frame rate master: output is a constant {} fps", video.fps))
                .with("fps", video.fps),
        );
    }
    Ok(VariantPlan {
        platform: profile.id.clone(),
        master: media.path.clone(),
        segments: segments.clone(),
        duration,
        source_width: media.video.display_width,
        source_height: media.video.display_height,
        width: video.width,
        height: video.height,
        fps: video.fps,
        reframe: request.reframe.unwrap_or(video.reframe),
        focus: request.focus,
        master_has_audio,
        silent_audio: !master_has_audio && video.silent_audio_if_missing,
        encoder: encoder.clone(),
        keyframe_interval: video.keyframe_interval,
        disclaimer_text,
        overlay,
        cover: CoverPlan {
            width: cover.width,
            height: cover.height,
            at: first.start + (first.duration() / 2.0).min(1.0),
            overlay: cover_overlay,
            output: cover_output,
        },
        output,
        captions: None,
        ai_label: None,
        method: None,
        video_encoder: None,
        notes,
    })
}

fn resolve_segments(
    media: &MediaInfo,
    target: Option<f64>,
    max: f64,
    request: &PlanRequest,
    notes: &mut Vec<Notice>,
) -> std::result::Result<Vec<Segment>, String> {
    let total = media.duration;
    let segments = if !request.segments.is_empty() {
        let mut out = Vec::new();
        for s in &request.segments {
            if !(s.start >= 0.0 && s.end > s.start) {
                return Err(format!("segment {}–{} is empty or reversed", clock(s.start), clock(s.end)));
            }
            if s.start >= total {
                return Err(format!(
                    "segment start {} is past the end of the master ({})",
                    clock(s.start),
                    clock(total)
                ));
            }
            if s.end > total {
                notes.push(
                    Notice::new(
                        "plan.segment_cut",
                        format!(
                            "segment {}–{} ends after the master: cut at {}",
                            clock(s.start),
                            clock(s.end),
                            clock(total)
                        ),
                    )
                    .with("start", clock(s.start))
                    .with("end", clock(s.end))
                    .with("total", clock(total)),
                );
            }
            out.push(Segment { start: s.start, end: s.end.min(total) });
        }
        out
    } else if let Some(target) = target {
        let start = request.start.unwrap_or(0.0);
        if !is_non_negative(start) {
            return Err(format!("start {start} must not be negative"));
        }
        if total <= target {
            notes.push(
                Notice::new(
                    "plan.whole_master",
                    format!(
                        "the master ({}) is not longer than the {} s clip: the clip is the whole master",
                        clock(total),
                        target
                    ),
                )
                .with("total", clock(total))
                .with("target", target),
            );
            vec![Segment { start: 0.0, end: total }]
        } else {
            if start >= total {
                return Err(format!("start {} is past the end of the master ({})", clock(start), clock(total)));
            }
            let end = (start + target).min(total);
            if end < start + target {
                notes.push(
                    Notice::new(
                        "plan.clip_short",
                        format!(
                            "the master ends {} s after the start: the clip is shorter than the {} s target",
                            round3(end - start),
                            target
                        ),
                    )
                    .with("seconds", round3(end - start))
                    .with("target", target),
                );
            }
            vec![Segment { start, end }]
        }
    } else {
        vec![Segment { start: 0.0, end: total }]
    };
    let duration: f64 = segments.iter().map(Segment::duration).sum();
    if duration > max {
        return Err(format!("the variant would be {}, over the platform's {} limit", clock(duration), clock(max)));
    }
    Ok(segments)
}

/// The start-end windows, or `None` for one window (`whole`, or a clip too
/// short for separate windows, which then shows it throughout).
fn start_end_windows(
    d: &Disclaimer,
    policy: DisclaimerPolicy,
    duration: f64,
    notes: &mut Vec<Notice>,
) -> std::result::Result<Option<Vec<Window>>, String> {
    if policy == DisclaimerPolicy::Whole {
        return Ok(None);
    }
    if d.start != 0.0 {
        return Err(format!("a disclaimer start of {} s applies to `whole` timing, not `{policy}`", d.start));
    }
    if let Some(len) = d.duration.filter(|l| *l + 1e-6 < MIN_DISPLAY_SECONDS) {
        return Err(format!("each disclaimer window would be {len} s; at least {MIN_DISPLAY_SECONDS} s is required"));
    }
    let len = window_length(d.duration);
    let windows = policy.windows(len, duration);
    match &windows {
        Some(w) => {
            let shown = w.iter().map(|w| format!("{}–{}", clock(w.start), clock(w.end))).collect::<Vec<_>>().join(", ");
            notes.push(
                Notice::new("plan.disclaimer_windows", format!("disclaimer ({policy}): on screen {shown}"))
                    .with("policy", policy)
                    .with("windows", shown),
            )
        }
        None => notes.push(
            Notice::new(
                "plan.disclaimer_throughout",
                format!(
                    "disclaimer ({policy}): the clip is too short for separate start and end windows, so it stays on screen throughout"
                ),
            )
            .with("policy", policy),
        ),
    }
    Ok(windows)
}

/// When the disclaimer is on screen, refusing anything under the legal minimum.
fn display_window(d: &Disclaimer, duration: f64) -> std::result::Result<(f64, Option<f64>), String> {
    if !is_non_negative(d.start) {
        return Err("the disclaimer cannot start before the clip".into());
    }
    let end = d.duration.map(|len| d.start + len).filter(|e| *e < duration);
    let shown = end.unwrap_or(duration) - d.start;
    if shown + 1e-6 < MIN_DISPLAY_SECONDS {
        return Err(format!(
            "the risk text would be on screen for {} s; at least {MIN_DISPLAY_SECONDS} s is required{}",
            round3(shown.max(0.0)),
            if duration < MIN_DISPLAY_SECONDS { " (the clip itself is shorter than that)" } else { "" }
        ));
    }
    Ok((d.start, end))
}

/// `HH:MM:SS.mmm`, as users type times.
pub fn clock(seconds: f64) -> String {
    let ms = (seconds.max(0.0) * 1000.0).round() as u64;
    let (h, m, s, ms) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if ms == 0 { format!("{h:02}:{m:02}:{s:02}") } else { format!("{h:02}:{m:02}:{s:02}.{ms:03}") }
}

/// Parses `90`, `90.5`, `1:30`, `00:01:30.5`.
pub fn parse_clock(text: &str) -> Result<f64> {
    let bad = || {
        EngineError::Refused(
            Notice::new("clock.not_a_time", format!("`{text}` is not a time; use seconds (90) or HH:MM:SS (00:01:30)"))
                .with("value", text),
        )
    };
    let mut total = 0.0;
    let parts: Vec<&str> = text.trim().split(':').collect();
    if parts.len() > 3 {
        return Err(bad());
    }
    for part in &parts {
        let v: f64 = part.parse().map_err(|_| bad())?;
        if !is_non_negative(v) || !v.is_finite() {
            return Err(bad());
        }
        total = total * 60.0 + v;
    }
    Ok(total)
}

/// False for negatives and NaN.
fn is_non_negative(v: f64) -> bool {
    v >= 0.0
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests;
