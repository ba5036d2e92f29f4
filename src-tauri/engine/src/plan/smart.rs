//! Smart render: a full version whose master already has the platform's
//! size and codec is not re-encoded whole. Only the pictures under an overlay
//! window change, so only the GOPs that hold them are re-encoded (from the
//! keyframe at or before the window to the keyframe after it); every other
//! GOP is copied bit for bit, and the pieces are joined into one MP4.
//!
//! How the pieces share one track: every piece is MPEG-TS, which carries the
//! SPS and PPS in band before each IDR frame, and TS pieces cut at keyframes
//! join by plain concatenation with their timestamps untouched. The MP4 then
//! holds the first piece's parameter sets in its sample entry and the others
//! in band where they change, at an IDR frame, which H.264 allows and which
//! decoders (ffmpeg's, browsers') follow. Matching the master's SPS and PPS
//! instead would tie the re-encode to whatever encoder and settings made the
//! master; in-band parameter sets work for any H.264 master.
//!
//! This module decides, from the plan, the master's probe and its keyframes;
//! `render::smart` runs it and falls back to a full render if any step fails.

use serde::{Deserialize, Serialize};

use super::VariantPlan;
use crate::disclaimer::Window;
use crate::message::Notice;
use crate::platform::VideoSpec;
use crate::probe::MediaInfo;

/// More than this share re-encoded: a full render costs about the same and
/// joins nothing.
const MAX_REENCODED_SHARE: f64 = 0.5;

/// What ffprobe says about a master beyond [`MediaInfo`]: its keyframes and bitrates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamFacts {
    /// Presentation times of the video's keyframes, in seconds, in order.
    pub keyframes: Vec<f64>,
    /// Video packets (frames) in the file.
    pub frames: u64,
    /// The first video frame's presentation time.
    pub first_pts: f64,
    /// Average video bitrate, from the packets' sizes.
    pub video_kbps: f64,
    /// `LC`, `HE-AAC`, … for AAC audio.
    pub audio_profile: Option<String>,
}

/// The decision: which parts are re-encoded and what happens to the audio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmartPlan {
    /// Master seconds re-encoded, each from a keyframe to the next piece's keyframe.
    pub reencoded: Vec<Window>,
    /// Where the master is cut into pieces (keyframe times, in order).
    pub cuts: Vec<f64>,
    /// The master's first frame time, which the pieces' timestamps keep.
    pub first_pts: f64,
    /// The master's frames per second, which the output keeps (the profile's
    /// own rate or one it accepts).
    pub frame_rate: f64,
    /// Video frames the output has (the master's).
    pub frames: u64,
    /// Share of the video copied, 0..=1.
    pub copied: f64,
    /// The master's audio is copied as it is; otherwise it is encoded as the profile says.
    pub copy_audio: bool,
    /// Why the audio is re-encoded, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_note: Option<Notice>,
}

/// How a video variant is made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "method")]
pub enum RenderMethod {
    Smart(SmartPlan),
    /// A full re-encode, and why not smart (empty: the variant is a clip, not a full version).
    Full {
        why: Vec<Notice>,
    },
}

impl RenderMethod {
    /// One line for the plan and the render table.
    pub fn summary(&self) -> String {
        match self {
            Self::Smart(s) => {
                let windows: Vec<String> =
                    s.reencoded.iter().map(|w| format!("{}–{}", short_clock(w.start), short_clock(w.end))).collect();
                format!(
                    "smart: {} window{} re-encoded ({}), {:.1} % copied; audio {}",
                    windows.len(),
                    if windows.len() == 1 { "" } else { "s" },
                    windows.join(", "),
                    s.copied * 100.0,
                    match &s.audio_note {
                        None if s.copy_audio => "copied".to_owned(),
                        None => "encoded".to_owned(),
                        Some(why) => format!("re-encoded ({})", why.text),
                    }
                )
            }
            Self::Full { why } if why.is_empty() => "full re-encode".into(),
            Self::Full { why } => {
                format!("full re-encode: {}", why.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" / "))
            }
        }
    }
}

impl RenderMethod {
    /// The summary as a notice for the plan's notes.
    pub fn notice(&self) -> Notice {
        let text = self.summary();
        match self {
            Self::Smart(s) => {
                let n = match &s.audio_note {
                    Some(why) => Notice::new("plan.smart.audio_reencoded_for", text).with_parts(vec![why.clone()]),
                    None if s.copy_audio => Notice::new("plan.smart", text),
                    None => Notice::new("plan.smart.audio_encoded", text),
                };
                let windows: Vec<String> =
                    s.reencoded.iter().map(|w| format!("{}–{}", short_clock(w.start), short_clock(w.end))).collect();
                n.with("count", windows.len())
                    .with("windows", windows.join(", "))
                    .with("copied", format!("{:.1}", s.copied * 100.0))
            }
            Self::Full { why } if why.is_empty() => Notice::new("plan.full", text),
            Self::Full { why } => Notice::new("plan.full_for", text).with_parts(why.clone()),
        }
    }
}

/// `0:08`, `39:52`, `1:02:03`: how editors read times on a timeline.
fn short_clock(seconds: f64) -> String {
    let t = seconds.max(0.0).round() as u64;
    let (h, m, s) = (t / 3600, t / 60 % 60, t % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

/// Why the plan cannot be smart-rendered from what the probe already says
/// (empty: it may be, once the keyframes are read). Cheap: no file is read.
pub fn static_reasons(plan: &VariantPlan, media: &MediaInfo, video: &VideoSpec) -> Vec<Notice> {
    let mut why = Vec::new();
    let v = &media.video;
    let frame = 1.0 / f64::from(plan.fps.max(1));
    match plan.segments.as_slice() {
        [s] if s.start <= frame / 2.0 && s.end + frame >= media.duration => {}
        _ => why.push(Notice::new("smart.why.cut", "the variant is a cut of the master, not all of it")),
    }
    if v.codec != "h264" {
        let codec = v.codec.to_uppercase();
        why.push(Notice::new("smart.why.codec", format!("the master is {codec}")).with("codec", codec));
    }
    match v.pix_fmt.as_deref() {
        Some("yuv420p") => {}
        Some(other) => why.push(
            Notice::new("smart.why.pixels", format!("its pictures are {other}, not 8-bit 4:2:0")).with("format", other),
        ),
        None => why.push(Notice::new("smart.why.pixels_unknown", "its pixel format is unknown")),
    }
    if (v.display_width, v.display_height) != (plan.width, plan.height) {
        let (size, want) =
            (format!("{}x{}", v.display_width, v.display_height), format!("{}x{}", plan.width, plan.height));
        why.push(Notice::new("smart.why.size", format!("{size}, not {want}")).with("size", size).with("want", want));
    } else if (v.width, v.height) != (v.display_width, v.display_height) {
        why.push(Notice::new("smart.why.sar", "non-square pixels"));
    }
    if v.rotation != 0 {
        why.push(
            Notice::new("smart.why.rotated", format!("it is rotated {}°", v.rotation)).with("degrees", v.rotation),
        );
    }
    if v.variable_frame_rate {
        why.push(Notice::new("smart.why.vfr", "variable frame rate"));
    } else if !video.takes_fps(v.frame_rate) {
        let fps = round2(v.frame_rate);
        why.push(
            Notice::new("smart.why.fps", format!("{fps} fps, not {}", plan.fps))
                .with("fps", fps)
                .with("want", plan.fps),
        );
    }
    if plan.captions.as_ref().is_some_and(|c| c.burn && !c.pictures.is_empty()) {
        why.push(Notice::new("smart.why.captions", "captions are burned in"));
    }
    if plan.ai_label.is_some() {
        why.push(Notice::new("smart.why.ai_label", "the AI label is on screen throughout"));
    }
    if let Some(o) = &plan.overlay {
        let shown: f64 = o.on_screen(plan.duration).iter().map(|w| w.end - w.start).sum();
        if shown > plan.duration * MAX_REENCODED_SHARE {
            why.push(Notice::new("smart.why.whole", "the disclaimer is on screen throughout (timing `whole`)"));
        }
    }
    why
}

/// The smart plan, or why not, now that the keyframes are known; `video` is
/// the profile's (its accepted rates and longest keyframe interval).
pub fn decide(
    plan: &VariantPlan,
    media: &MediaInfo,
    facts: &StreamFacts,
    video: &VideoSpec,
) -> std::result::Result<SmartPlan, Vec<Notice>> {
    let mut why = static_reasons(plan, media, video);
    let max_gap = video.max_keyframe_gap();
    let k = &facts.keyframes;
    let frame = 1.0 / media.video.frame_rate.max(1.0);
    if k.first().is_none_or(|first| (first - facts.first_pts).abs() > frame / 2.0) {
        why.push(Notice::new("smart.why.no_first_keyframe", "it does not start on a keyframe"));
    }
    let mut ends = k.clone();
    ends.push(facts.first_pts + media.duration);
    let longest = ends.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max);
    if longest > max_gap + frame / 2.0 {
        let apart = round2(longest);
        why.push(
            Notice::new(
                "smart.why.keyframes_apart",
                format!("keyframes up to {apart} s apart, over the {max_gap} s the platform allows"),
            )
            .with("apart", apart)
            .with("max", max_gap),
        );
    }
    let cap = f64::from(plan.encoder.max_bitrate_kbps);
    if facts.video_kbps > cap {
        let (rate, limit) = (format!("{:.1}", facts.video_kbps / 1000.0), format!("{:.1}", cap / 1000.0));
        why.push(
            Notice::new("smart.why.bitrate", format!("its video is {rate} Mbps, over the profile's {limit} Mbps cap"))
                .with("rate", rate)
                .with("cap", limit),
        );
    }
    if !why.is_empty() {
        return Err(why);
    }

    // Output time t is master time first_pts + t (one segment, from the start).
    let windows = plan.overlay.as_ref().map(|o| o.on_screen(plan.duration)).unwrap_or_default();
    let end = facts.first_pts + media.duration;
    let mut ranges: Vec<Window> = Vec::new();
    for w in windows {
        let (a, b) = (facts.first_pts + w.start, facts.first_pts + w.end);
        // The GOP that holds the window's first frame, to the keyframe after its last.
        let start = k.iter().rev().find(|t| **t <= a + frame / 2.0).copied().unwrap_or(facts.first_pts);
        let stop = k.iter().find(|t| **t > b + frame / 2.0).copied().unwrap_or(end);
        match ranges.last_mut() {
            Some(last) if start <= last.end + frame / 2.0 => last.end = last.end.max(stop),
            _ => ranges.push(Window { start, end: stop }),
        }
    }
    let reencoded: f64 = ranges.iter().map(|r| r.end - r.start).sum();
    if reencoded > media.duration * MAX_REENCODED_SHARE {
        let share = format!("{:.0}", reencoded / media.duration * 100.0);
        return Err(vec![
            Notice::new(
                "smart.why.too_much",
                format!("{share} % would be re-encoded (keyframes too far apart for the disclaimer's windows)"),
            )
            .with("share", share),
        ]);
    }
    let mut cuts: Vec<f64> = ranges.iter().flat_map(|r| [r.start, r.end]).collect();
    cuts.retain(|t| *t > facts.first_pts + frame / 2.0 && *t < end - frame / 2.0);
    cuts.dedup_by(|a, b| (*a - *b).abs() < frame / 2.0);

    let (copy_audio, audio_note) = match &media.audio {
        None => (false, None),
        Some(a) => {
            let rate_ok = a.sample_rate == plan.encoder.audio_sample_rate || a.sample_rate == 44100;
            if a.codec != "aac" {
                let codec = a.codec.to_uppercase();
                (false, Some(Notice::new("smart.audio.codec", format!("the master's is {codec}")).with("codec", codec)))
            } else if facts.audio_profile.as_deref() != Some("LC") {
                let profile = facts.audio_profile.as_deref().unwrap_or("of an unknown profile");
                (
                    false,
                    Some(
                        Notice::new("smart.audio.profile", format!("the master's is AAC {profile}"))
                            .with("profile", facts.audio_profile.as_deref().unwrap_or("?")),
                    ),
                )
            } else if a.channels != 2 {
                (
                    false,
                    Some(
                        Notice::new("smart.audio.channels", format!("the master's has {} channels", a.channels))
                            .with("channels", a.channels),
                    ),
                )
            } else if !rate_ok {
                (
                    false,
                    Some(
                        Notice::new("smart.audio.rate", format!("the master's is {} Hz", a.sample_rate))
                            .with("rate", a.sample_rate),
                    ),
                )
            } else {
                (true, None)
            }
        }
    };
    Ok(SmartPlan {
        reencoded: ranges,
        cuts,
        first_pts: facts.first_pts,
        frame_rate: media.video.frame_rate,
        frames: facts.frames,
        copied: (1.0 - reencoded / media.duration).clamp(0.0, 1.0),
        copy_audio,
        audio_note,
    })
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The pieces the master is cut into, as (start, end, re-encoded) in master seconds.
pub fn pieces(smart: &SmartPlan, end: f64) -> Vec<(f64, f64, bool)> {
    let mut bounds = vec![smart.first_pts];
    bounds.extend(&smart.cuts);
    bounds.push(end);
    bounds
        .windows(2)
        .map(|w| {
            let mid = (w[0] + w[1]) / 2.0;
            (w[0], w[1], smart.reencoded.iter().any(|r| r.start <= mid && mid < r.end))
        })
        .collect()
}
