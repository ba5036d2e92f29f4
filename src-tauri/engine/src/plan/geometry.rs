//! Pixel geometry: where the disclaimer goes inside the safe zone, and how a
//! master of one aspect ratio is scaled, cropped or padded into another.
//! The desktop preview draws from these same numbers.

use serde::{Deserialize, Serialize};

use super::{FocusPoint, OverlaySource, PlacedOverlay};
use crate::disclaimer::overlay_font_px;
use crate::platform::{PlatformProfile, ReframeMode};

/// The safe area of a frame (or cover) and the disclaimer's text size there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OverlayBox {
    pub frame_width: u32,
    pub frame_height: u32,
    pub left: u32,
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
    pub font_px: f32,
}

impl OverlayBox {
    /// Widest overlay that fits between the side margins.
    pub fn max_width(&self) -> u32 {
        self.frame_width.saturating_sub(self.left + self.right)
    }

    /// Centred in the safe area, resting on its bottom edge (just above the
    /// platform's caption band), but never above the top margin.
    pub fn place(&self, source: &OverlaySource, start: f64, end: Option<f64>) -> PlacedOverlay {
        let x = self.left + self.max_width().saturating_sub(source.width) / 2;
        let y = self.frame_height.saturating_sub(self.bottom + source.height).max(self.top);
        PlacedOverlay { source: source.clone(), x, y, start, end, windows: Vec::new() }
    }

    /// In the safe area's top-left corner, for the whole clip: the AI-content
    /// label stays clear of the disclaimer and captions at the bottom (a
    /// caption band at the top starts below it, see `caption_band`).
    pub fn place_top(&self, source: &OverlaySource) -> PlacedOverlay {
        PlacedOverlay { source: source.clone(), x: self.left, y: self.top, start: 0.0, end: None, windows: Vec::new() }
    }
}

/// The AI label's text size: a little smaller than the disclaimer's, as a
/// corner label is, and still legible on a phone.
pub fn ai_label_font_px(area: &OverlayBox) -> f32 {
    (area.font_px * 0.8).max(12.0)
}

/// The safe area for the profile's frame or, scaled to it, its cover.
pub fn overlay_box(profile: &PlatformProfile, for_cover: bool) -> OverlayBox {
    let (fw, fh) = profile.video.as_ref().map_or((1080, 1920), |v| (v.width, v.height));
    let (w, h) = match (for_cover, profile.cover) {
        (true, Some(c)) => (c.width, c.height),
        _ => (fw, fh),
    };
    let sx = |v: u32| (f64::from(v) * f64::from(w) / f64::from(fw)).round() as u32;
    let sy = |v: u32| (f64::from(v) * f64::from(h) / f64::from(fh)).round() as u32;
    let z = profile.safe_zone;
    OverlayBox {
        frame_width: w,
        frame_height: h,
        left: sx(z.left),
        right: sx(z.right),
        top: sy(z.top),
        bottom: sy(z.bottom),
        font_px: overlay_font_px(w, h),
    }
}

fn even_ceil(v: f64) -> u32 {
    ((v / 2.0).ceil() as u32).max(1) * 2
}

fn even_round(v: f64) -> u32 {
    ((v / 2.0).round() as u32).max(1) * 2
}

/// Scaled size of a `sw`x`sh` picture that covers a `w`x`h` frame.
fn cover_size(sw: u32, sh: u32, w: u32, h: u32) -> (u32, u32) {
    let s = (f64::from(w) / f64::from(sw)).max(f64::from(h) / f64::from(sh));
    (even_ceil(f64::from(sw) * s).max(w), even_ceil(f64::from(sh) * s).max(h))
}

/// Scaled size of a `sw`x`sh` picture that fits inside a `w`x`h` frame.
fn fit_size(sw: u32, sh: u32, w: u32, h: u32) -> (u32, u32) {
    let s = (f64::from(w) / f64::from(sw)).min(f64::from(h) / f64::from(sh));
    (even_round(f64::from(sw) * s).min(w), even_round(f64::from(sh) * s).min(h))
}

/// The filter chain that turns an upright `sw`x`sh` stream into `w`x`h`,
/// from `input` to the label `output` (labels without brackets).
pub(super) fn reframe_chain(
    mode: ReframeMode,
    focus: FocusPoint,
    (sw, sh): (u32, u32),
    (w, h): (u32, u32),
    input: &str,
    output: &str,
) -> String {
    // A picture that already has the frame's shape needs no crop, bars or
    // blurred fill: any mode is a plain scale (none at all at equal sizes).
    if fit_size(sw, sh, w, h) == (w, h) {
        return format!("[{input}]scale={w}:{h}:flags=bicubic,setsar=1[{output}]");
    }
    match mode {
        ReframeMode::Crop => {
            let (cw, ch) = cover_size(sw, sh, w, h);
            let x = (focus.x * f64::from(cw) - f64::from(w) / 2.0).clamp(0.0, f64::from(cw - w)).round() as u32;
            let y = (focus.y * f64::from(ch) - f64::from(h) / 2.0).clamp(0.0, f64::from(ch - h)).round() as u32;
            format!("[{input}]scale={cw}:{ch}:flags=bicubic,crop={w}:{h}:{x}:{y},setsar=1[{output}]")
        }
        ReframeMode::Fit => {
            let (fw, fh) = fit_size(sw, sh, w, h);
            let (x, y) = ((w - fw) / 2, (h - fh) / 2);
            format!("[{input}]scale={fw}:{fh}:flags=bicubic,pad={w}:{h}:{x}:{y}:black,setsar=1[{output}]")
        }
        ReframeMode::BlurredFill => {
            let (fw, fh) = fit_size(sw, sh, w, h);
            let (x, y) = ((w - fw) / 2, (h - fh) / 2);
            // Blur a quarter-size copy, then upscale: the same look at a
            // fraction of the cost of blurring the full frame.
            let (bw, bh) = (even_round(f64::from(w) / 4.0), even_round(f64::from(h) / 4.0));
            let (cw, ch) = cover_size(sw, sh, bw, bh);
            format!(
                "[{input}]split=2[{output}_fg][{output}_bg];\
                 [{output}_bg]scale={cw}:{ch},crop={bw}:{bh},boxblur=10:2,scale={w}:{h},setsar=1[{output}_blur];\
                 [{output}_fg]scale={fw}:{fh}:flags=bicubic,setsar=1[{output}_fit];\
                 [{output}_blur][{output}_fit]overlay={x}:{y}[{output}]"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_even_and_cover_or_fit() {
        assert_eq!(cover_size(1920, 1080, 1080, 1920), (3414, 1920));
        assert_eq!(cover_size(1279, 719, 1080, 1920), (3416, 1920));
        assert_eq!(fit_size(1279, 719, 1920, 1080), (1920, 1080));
        assert_eq!(fit_size(1920, 1080, 1080, 1920), (1080, 608));
        for (sw, sh) in [(1279, 719), (641, 361), (720, 1280), (4000, 3), (3, 4000)] {
            for (w, h) in [(1080, 1920), (1920, 1080), (1080, 1440)] {
                let (cw, ch) = cover_size(sw, sh, w, h);
                assert!(cw >= w && ch >= h && cw % 2 == 0 && ch % 2 == 0);
                let (fw, fh) = fit_size(sw, sh, w, h);
                assert!(fw <= w && fh <= h && fw % 2 == 0 && fh % 2 == 0 && fw > 0 && fh > 0);
            }
        }
    }

    #[test]
    fn a_picture_of_the_frames_shape_is_only_scaled() {
        for mode in [ReframeMode::Crop, ReframeMode::Fit, ReframeMode::BlurredFill] {
            let chain = reframe_chain(mode, FocusPoint::default(), (720, 1280), (1080, 1920), "in", "out");
            assert_eq!(chain, "[in]scale=1080:1920:flags=bicubic,setsar=1[out]");
            let other = reframe_chain(mode, FocusPoint::default(), (1920, 1080), (1080, 1920), "in", "out");
            assert_ne!(other, chain);
        }
    }

    #[test]
    fn crop_follows_the_focus_point_but_stays_in_the_picture() {
        let chain =
            |x| reframe_chain(ReframeMode::Crop, FocusPoint { x, y: 0.5 }, (1920, 1080), (1080, 1920), "in", "out");
        assert!(chain(0.5).contains("crop=1080:1920:1167:0"), "{}", chain(0.5));
        assert!(chain(0.0).contains("crop=1080:1920:0:0"));
        assert!(chain(1.0).contains("crop=1080:1920:2334:0"));
    }
}
