//! Renders disclaimer lines into a transparent PNG sized for a frame.

use tiny_skia::{FillRule, Paint, PathBuilder, Pixmap, Transform};

use crate::error::{EngineError, Result};
use crate::text::{TextBlock, TextEngine};

/// A rendered overlay: PNG bytes and their pixel size.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayImage {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Text size for a frame: legible on a phone, about 36 px on a 1080-wide frame.
pub fn overlay_font_px(frame_width: u32, frame_height: u32) -> f32 {
    (frame_width.min(frame_height) as f32 * 0.034).max(12.0)
}

/// Draws `text` as white lines on a translucent dark plate, at most `max_width` wide.
pub fn render_overlay(engine: &mut TextEngine, text: &str, font_px: f32, max_width: u32) -> Result<OverlayImage> {
    let pad = (font_px * 0.6).round();
    let mut laid = engine.layout(&TextBlock {
        text,
        font_px,
        line_height: 1.35,
        max_width: (max_width as f32 - 2.0 * pad).max(font_px),
        centered: true,
        bold: false,
        monospace: false,
        bold_ranges: &[],
    })?;
    let text_w = laid.width().ceil();
    let width = ((text_w + 2.0 * pad) as u32).min(max_width).max(2) & !1;
    let height = ((laid.height().ceil() + 2.0 * pad) as u32).max(2).next_multiple_of(2);
    let mut pixmap = Pixmap::new(width, height)
        .ok_or_else(|| EngineError::internal(format!("disclaimer overlay of {width}x{height} cannot be drawn")))?;

    let radius = (font_px * 0.3).min(height as f32 / 2.0);
    if let Some(path) = rounded_rect(0.0, 0.0, width as f32, height as f32, radius) {
        let mut paint = Paint::default();
        paint.set_color_rgba8(0, 0, 0, 140);
        paint.anti_alias = true;
        pixmap.fill_path(&path, &paint, FillRule::Winding, Transform::identity(), None);
    }
    // The layout centres lines within its own wrap width; shift that box so
    // the widest line sits in the middle of the plate.
    let box_w = (max_width as f32 - 2.0 * pad).max(font_px);
    let x = (width as f32 - box_w) / 2.0;
    engine.draw(&mut laid, &mut pixmap, x, pad, [255, 255, 255, 255]);
    let png =
        pixmap.encode_png().map_err(|e| EngineError::internal(format!("encoding the disclaimer overlay: {e}")))?;
    Ok(OverlayImage { png, width, height })
}

/// A rounded rectangle at (`x`, `y`); the radius is capped at half the shorter side.
pub(crate) fn rounded_rect(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<tiny_skia::Path> {
    let r = r.min(h / 2.0).min(w / 2.0);
    let mut pb = PathBuilder::new();
    pb.move_to(x + r, y);
    pb.line_to(x + w - r, y);
    pb.quad_to(x + w, y, x + w, y + r);
    pb.line_to(x + w, y + h - r);
    pb.quad_to(x + w, y + h, x + w - r, y + h);
    pb.line_to(x + r, y + h);
    pb.quad_to(x, y + h, x, y + h - r);
    pb.line_to(x, y + r);
    pb.quad_to(x, y, x + r, y);
    pb.close();
    pb.finish()
}
