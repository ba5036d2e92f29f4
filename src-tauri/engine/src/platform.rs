//! Platform profiles: everything we know about a platform's frame, duration,
//! encoder settings, safe zones and text limits, loaded from data files so a
//! new platform (or a corrected figure) needs no new build.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::assets::{AssetRecord, load_records, unknown};
use crate::error::{EngineError, Result};
use crate::message::Notice;

/// One platform, as described by `assets/platforms/<id>.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformProfile {
    pub id: String,
    /// Display name in Chinese (the UI's default language).
    pub name: String,
    pub name_en: String,
    /// Present when the platform takes video variants.
    pub video: Option<VideoSpec>,
    pub encoder: Option<EncoderSpec>,
    pub cover: Option<CoverSpec>,
    /// Present when the platform takes image-and-text notes.
    pub notes: Option<NotesSpec>,
    pub safe_zone: SafeZone,
    pub text: TextLimits,
    #[serde(default)]
    pub publishing: PublishingSpec,
    /// How burned-in captions look (video platforms).
    #[serde(default)]
    pub captions: CaptionStyle,
}

/// Burned-in captions: whether, how large, which colours, where. Every field
/// has a default, so a profile states only what differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaptionStyle {
    /// Burn captions into the picture when the master has subtitles.
    pub burn: bool,
    /// Text size as a share of the frame's shorter side.
    pub font_scale: f32,
    /// Lines on screen at once; a longer cue is shown in parts.
    pub max_lines: u32,
    pub bold: bool,
    /// `#RRGGBB` or `#RRGGBBAA`.
    pub color: String,
    /// Outline colour; empty for none.
    pub outline: String,
    /// A plate behind the text (`#00000099`); empty for none.
    pub plate: String,
    pub position: CaptionPosition,
}

impl Default for CaptionStyle {
    fn default() -> Self {
        Self {
            burn: true,
            font_scale: 0.048,
            max_lines: 2,
            bold: true,
            color: "#FFFFFF".into(),
            outline: "#000000".into(),
            plate: String::new(),
            position: CaptionPosition::Bottom,
        }
    }
}

/// Where captions sit in the safe zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CaptionPosition {
    /// Just above the disclaimer (or the safe zone's bottom edge).
    #[default]
    Bottom,
    /// At the safe zone's top edge.
    Top,
}

/// `#RRGGBB` or `#RRGGBBAA` as RGBA; `None` when it is neither.
pub fn parse_color(text: &str) -> Option<[u8; 4]> {
    let hex = text.strip_prefix('#')?;
    if !(hex.len() == 6 || hex.len() == 8) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?, if hex.len() == 8 { byte(6)? } else { 255 }])
}

/// How a team posts to the platform. No platform publishes hard posting
/// limits; these are the cautious habits teams follow so the platform does
/// not throttle an account, and belong in the profile so they can be changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishingSpec {
    /// The platform whose accounts post this kind of variant, when it is not
    /// this profile's own id (抖音图文 is posted from a 抖音 account).
    pub account_platform: Option<String>,
    /// Posts per account per local day before the schedule warns.
    pub daily_cap: Option<u32>,
    /// Two posts of one account closer than this share a slot (a clash).
    #[serde(default = "default_min_gap")]
    pub min_gap_minutes: u32,
}

impl Default for PublishingSpec {
    fn default() -> Self {
        Self { account_platform: None, daily_cap: None, min_gap_minutes: default_min_gap() }
    }
}

impl PlatformProfile {
    /// The platform an account must be on to post this profile's variants.
    pub fn account_platform(&self) -> &str {
        self.publishing.account_platform.as_deref().unwrap_or(&self.id)
    }
}

/// Image-and-text notes: card size and how many cards a post takes.
/// `max_cards = 0` means a text-only article (e.g. a Bilibili column).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotesSpec {
    pub card_width: u32,
    pub card_height: u32,
    pub max_cards: u32,
}

/// The frame and timing of a video variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoSpec {
    pub width: u32,
    pub height: u32,
    /// Seconds; absent means "the whole master" (e.g. Bilibili's full version).
    pub target_duration: Option<f64>,
    /// The platform's upload limit in seconds.
    pub max_duration: f64,
    pub fps: u32,
    #[serde(default)]
    pub reframe: ReframeMode,
    /// A keyframe at least this often, in seconds.
    #[serde(default = "default_keyframe_interval")]
    pub keyframe_interval: f64,
    /// Give masters without sound a silent AAC track (most apps expect one).
    #[serde(default = "yes")]
    pub silent_audio_if_missing: bool,
    /// When the disclaimer is on screen: `whole` (the default) or
    /// `start-end[,every=10m]`; a render may choose otherwise.
    #[serde(default)]
    pub disclaimer_at: crate::disclaimer::DisclaimerPolicy,
    /// The longest keyframe interval the platform accepts in an upload,
    /// seconds (a smart render keeps the master's); default twice `keyframe_interval`.
    #[serde(default)]
    pub max_keyframe_gap: Option<f64>,
    /// Other frame rates the platform takes as they are: a smart render keeps
    /// a master's rate when it is one of these (a full render converts to `fps`).
    #[serde(default)]
    pub accepted_fps: Vec<f64>,
    /// Part of the standard set: the editor ticks it for a new master.
    #[serde(default)]
    pub standard_set: bool,
}

impl VideoSpec {
    pub fn max_keyframe_gap(&self) -> f64 {
        self.max_keyframe_gap.unwrap_or(2.0 * self.keyframe_interval)
    }

    /// The profile's own rate or one it accepts (29.97 for `29.97`, 30000/1001).
    pub fn takes_fps(&self, rate: f64) -> bool {
        (rate - f64::from(self.fps)).abs() < 0.01 || self.accepted_fps.iter().any(|a| (rate - a).abs() < 0.01)
    }
}

/// x264/AAC settings for a platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncoderSpec {
    pub x264_preset: String,
    pub crf: u32,
    pub max_bitrate_kbps: u32,
    pub audio_bitrate_kbps: u32,
    #[serde(default = "default_sample_rate")]
    pub audio_sample_rate: u32,
}

/// The cover image size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverSpec {
    pub width: u32,
    pub height: u32,
}

/// Margins, in pixels of the profile's frame, that the platform's own buttons
/// and captions cover; disclaimers and burned text stay inside them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafeZone {
    pub top: u32,
    pub bottom: u32,
    pub left: u32,
    pub right: u32,
}

/// How a platform counts the length of titles and bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CountingRule {
    /// One per Unicode scalar value.
    #[default]
    Chars,
    /// Xiaohongshu's web counter: non-ASCII counts 2, ASCII 1, length = ceil(total / 2).
    HalfWidthUnits,
}

/// Text limits for titles, bodies and tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextLimits {
    #[serde(default)]
    pub counting: CountingRule,
    pub title_max: u32,
    pub body_max: Option<u32>,
    pub tags_max: u32,
}

/// How a master with another aspect ratio fills the platform's frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ReframeMode {
    /// Scale to cover the frame and crop around the focus point.
    #[default]
    Crop,
    /// The whole picture, over a blurred, zoomed copy of itself.
    BlurredFill,
    /// The whole picture with black bars.
    Fit,
}

impl std::str::FromStr for ReframeMode {
    type Err = EngineError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "crop" => Ok(Self::Crop),
            "blurred-fill" | "blur" => Ok(Self::BlurredFill),
            "fit" => Ok(Self::Fit),
            other => Err(EngineError::Refused(
                Notice::new(
                    "reframe.unknown",
                    format!("unknown reframe mode `{other}`; use crop, blurred-fill or fit"),
                )
                .with("value", other),
            )),
        }
    }
}

/// False for zero, negatives, NaN and infinity.
fn is_positive(v: f64) -> bool {
    v > 0.0 && v.is_finite()
}

fn default_min_gap() -> u32 {
    60
}
fn default_keyframe_interval() -> f64 {
    2.0
}
fn default_sample_rate() -> u32 {
    48_000
}
fn yes() -> bool {
    true
}

/// `ultrafast` is left out: it turns off CABAC and 8x8 transforms, so the
/// stream is Constrained Baseline, not the High profile platforms expect.
const X264_PRESETS: &[&str] = &["superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"];

impl AssetRecord for PlatformProfile {
    fn id(&self) -> &str {
        &self.id
    }

    fn validate(&self, file: &str) -> Result<()> {
        let bad = |field: &str, reason: String| EngineError::ProfileInvalid {
            file: file.to_owned(),
            field: field.to_owned(),
            reason,
        };
        if self.id.is_empty() || !self.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(bad("id", "use lowercase letters, digits and '-'".into()));
        }
        if self.publishing.min_gap_minutes > 24 * 60 {
            return Err(bad("publishing.min_gap_minutes", "must be at most a day (1440)".into()));
        }
        if let Some(n) = &self.notes
            && n.max_cards > 0
        {
            for (field, value) in [("notes.card_width", n.card_width), ("notes.card_height", n.card_height)] {
                if !(320..=4096).contains(&value) {
                    return Err(bad(field, format!("{value} must be between 320 and 4096")));
                }
            }
        }
        let c = &self.captions;
        if !(0.02..=0.12).contains(&c.font_scale) {
            return Err(bad("captions.font_scale", format!("{} must be between 0.02 and 0.12", c.font_scale)));
        }
        if !(1..=3).contains(&c.max_lines) {
            return Err(bad("captions.max_lines", format!("{} must be 1, 2 or 3", c.max_lines)));
        }
        for (field, value, may_be_empty) in [
            ("captions.color", &c.color, false),
            ("captions.outline", &c.outline, true),
            ("captions.plate", &c.plate, true),
        ] {
            if !(may_be_empty && value.is_empty()) && parse_color(value).is_none() {
                return Err(bad(field, format!("`{value}` is not a colour like #FFFFFF or #00000099")));
            }
        }
        if let Some(v) = &self.video {
            for (field, value) in [("video.width", v.width), ("video.height", v.height)] {
                if !(16..=7680).contains(&value) || value % 2 != 0 {
                    return Err(bad(field, format!("{value} must be an even number between 16 and 7680")));
                }
            }
            if !(1..=120).contains(&v.fps) {
                return Err(bad("video.fps", format!("{} must be between 1 and 120", v.fps)));
            }
            if !is_positive(v.max_duration) {
                return Err(bad("video.max_duration", "must be positive".into()));
            }
            if let Some(t) = v.target_duration
                && !(t > 0.0 && t <= v.max_duration)
            {
                return Err(bad("video.target_duration", format!("{t} must be positive and at most max_duration")));
            }
            if !is_positive(v.keyframe_interval) {
                return Err(bad("video.keyframe_interval", "must be positive".into()));
            }
            if let Some(g) = v.max_keyframe_gap
                && (g.is_nan() || g < v.keyframe_interval)
            {
                return Err(bad("video.max_keyframe_gap", format!("{g} must be at least keyframe_interval")));
            }
            if self.safe_zone.left + self.safe_zone.right >= v.width / 2
                || self.safe_zone.top + self.safe_zone.bottom >= v.height / 2
            {
                return Err(bad("safe_zone", "margins leave less than half the frame".into()));
            }
            let enc = self.encoder.as_ref().ok_or_else(|| bad("encoder", "required with [video]".into()))?;
            if !X264_PRESETS.contains(&enc.x264_preset.as_str()) {
                return Err(bad(
                    "encoder.x264_preset",
                    format!("`{}` is not one of {}", enc.x264_preset, X264_PRESETS.join(", ")),
                ));
            }
            if enc.crf > 51 {
                return Err(bad("encoder.crf", format!("{} must be 0..=51", enc.crf)));
            }
            if !(32..=320).contains(&enc.audio_bitrate_kbps) {
                return Err(bad("encoder.audio_bitrate_kbps", format!("{} must be 32..=320", enc.audio_bitrate_kbps)));
            }
            if ![44_100, 48_000].contains(&enc.audio_sample_rate) {
                return Err(bad("encoder.audio_sample_rate", "use 44100 or 48000".into()));
            }
            if enc.max_bitrate_kbps < 100 {
                return Err(bad("encoder.max_bitrate_kbps", "must be at least 100".into()));
            }
            let cover = self.cover.ok_or_else(|| bad("cover", "required with [video]".into()))?;
            for (field, value) in [("cover.width", cover.width), ("cover.height", cover.height)] {
                if !(16..=7680).contains(&value) || value % 2 != 0 {
                    return Err(bad(field, format!("{value} must be an even number between 16 and 7680")));
                }
            }
        }
        Ok(())
    }
}

/// All known platforms, shipped and user-defined.
#[derive(Debug, Clone)]
pub struct PlatformCatalog {
    profiles: BTreeMap<String, PlatformProfile>,
}

impl PlatformCatalog {
    /// Shipped profiles plus `*.toml` files in `user_dir` (which override by id).
    pub fn load(user_dir: Option<&Path>) -> Result<Self> {
        let profiles: BTreeMap<String, PlatformProfile> = load_records("platforms", user_dir)?;
        for p in profiles.values() {
            let target = p.account_platform();
            if target != p.id && profiles.get(target).is_none_or(|t| t.account_platform() != t.id) {
                return Err(EngineError::ProfileInvalid {
                    file: format!("{}.toml", p.id),
                    field: "publishing.account_platform".into(),
                    reason: format!("`{target}` must be a platform that takes accounts itself"),
                });
            }
        }
        Ok(Self { profiles })
    }

    pub fn get(&self, id: &str) -> Result<&PlatformProfile> {
        self.profiles.get(id).ok_or_else(|| unknown("platform", id, &self.profiles))
    }

    pub fn all(&self) -> impl Iterator<Item = &PlatformProfile> {
        self.profiles.values()
    }

    /// Profiles with a `[video]` section, i.e. those a video master can target.
    pub fn video_platforms(&self) -> impl Iterator<Item = &PlatformProfile> {
        self.all().filter(|p| p.video.is_some())
    }
}

impl TextLimits {
    /// Length of `text` under this platform's counting rule.
    pub fn count(&self, text: &str) -> usize {
        match self.counting {
            CountingRule::Chars => text.chars().count(),
            CountingRule::HalfWidthUnits => {
                let units: usize = text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
                units.div_ceil(2)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_profiles_load_and_include_the_standard_set() {
        let catalog = PlatformCatalog::load(None).unwrap();
        for id in ["douyin", "xiaohongshu", "bilibili", "weixin-channels", "kuaishou"] {
            let p = catalog.get(id).unwrap();
            assert!(p.video.is_some(), "{id} has video");
        }
        let douyin = catalog.get("douyin").unwrap().video.clone().unwrap();
        assert_eq!((douyin.width, douyin.height, douyin.target_duration), (1080, 1920, Some(15.0)));
        assert_eq!(catalog.get("bilibili").unwrap().video.as_ref().unwrap().target_duration, None);
    }

    #[test]
    fn user_profile_overrides_and_bad_field_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = PlatformCatalog::load(None).unwrap();
        let shipped = toml::to_string(catalog.get("douyin").unwrap()).unwrap();
        let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
        let load_err = || PlatformCatalog::load(Some(dir.path())).unwrap_err().to_string();

        write("douyin.toml", shipped.replace("veryfast", "superfast"));
        let catalog = PlatformCatalog::load(Some(dir.path())).unwrap();
        let encoder = catalog.get("douyin").unwrap().encoder.clone().unwrap();
        assert_eq!(encoder.x264_preset, "superfast");

        write("douyin.toml", shipped.replace("veryfast", "ultrafast"));
        let err = load_err();
        assert!(err.contains("douyin.toml") && err.contains("x264_preset"), "{err}");
        write("douyin.toml", shipped.clone());

        let bad = shipped.replace("id = \"douyin\"", "id = \"bad\"");
        write("bad.toml", bad.replace("crf = 23", "crf = 99"));
        let err = load_err();
        assert!(err.contains("bad.toml") && err.contains("encoder.crf"), "{err}");

        write("bad.toml", bad.replace("width = 1080", "width = \"wide\""));
        let err = load_err();
        assert!(err.contains("bad.toml") && err.contains("width"), "{err}");

        write("bad.toml", bad.replace("fps = 30", "fps = 30\nspeed = 2"));
        let err = load_err();
        assert!(err.contains("bad.toml") && err.contains("speed"), "{err}");
    }

    #[test]
    fn xiaohongshu_counting_rule() {
        let limits =
            TextLimits { counting: CountingRule::HalfWidthUnits, title_max: 20, body_max: Some(1000), tags_max: 10 };
        assert_eq!(limits.count("Claude 4.6发布，AI助手又进化了"), 15);
        assert_eq!(limits.count("a"), 1);
        assert_eq!(limits.count("中"), 1);
        assert_eq!(limits.count("中a"), 2);
    }
}
