//! Caption pictures: each caption drawn by the engine's text layout (UAX #14
//! line breaking, so CJK breaks between characters but never before `，。`,
//! and Latin words stay whole) into a transparent picture the size of the
//! caption band, outlined or on a plate as the profile's style says.

use tiny_skia::{FillRule, Paint, PathBuilder, Pixmap, Transform};

use super::{ClipCue, Cue, clip_cues};
use crate::error::{EngineError, Result};
use crate::plan::{
    CaptionBand, CaptionPicture, CaptionPlan, VariantPlan, caption_band, caption_spans, concat_list, split_span,
};
use crate::platform::{CaptionPosition, CaptionStyle, PlatformProfile, parse_color};
use crate::studio::Studio;
use crate::text::{Laid, TextBlock, TextEngine};

fn layout(engine: &mut TextEngine, text: &str, band: &CaptionBand, style: &CaptionStyle) -> Result<Laid> {
    engine.layout(&TextBlock {
        text,
        font_px: band.font_px,
        line_height: band.line_height,
        max_width: (band.width as f32 - 2.0 * band.pad as f32).max(band.font_px),
        centered: true,
        bold: style.bold,
        monospace: false,
        bold_ranges: &[],
    })
}

/// The text in parts of at most `max_lines` lines each, as the layout wraps it.
pub fn pages(engine: &mut TextEngine, text: &str, band: &CaptionBand, style: &CaptionStyle) -> Result<Vec<String>> {
    let laid = layout(engine, text, band, style)?;
    let per_page = style.max_lines.max(1) as usize;
    if laid.lines().len() <= per_page {
        return Ok(vec![text.to_owned()]);
    }
    Ok(laid
        .lines()
        .chunks(per_page)
        .filter_map(|chunk| {
            let (start, end) = (chunk.first()?.start, chunk.last()?.end);
            text.get(start..end).map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
        })
        .collect())
}

/// One caption picture (PNG), the band's size.
pub fn draw(engine: &mut TextEngine, text: &str, band: &CaptionBand, style: &CaptionStyle) -> Result<Vec<u8>> {
    let mut laid = layout(engine, text, band, style)?;
    let mut pixmap = band_pixmap(band)?;
    let pad = band.pad as f32;
    let text_h = laid.height();
    let y = match style.position {
        CaptionPosition::Bottom => (band.height as f32 - pad - text_h).max(0.0),
        CaptionPosition::Top => pad,
    };
    if let Some(rgba) = parse_color(&style.plate) {
        for line in laid.lines() {
            let left = pad + line.left - pad * 0.8;
            let top = y + line.top;
            if let Some(rect) = rounded_rect(left, top, line.width + pad * 1.6, line.height, band.font_px * 0.2) {
                let mut paint = Paint::default();
                paint.set_color_rgba8(rgba[0], rgba[1], rgba[2], rgba[3]);
                paint.anti_alias = true;
                pixmap.fill_path(&rect, &paint, FillRule::Winding, Transform::identity(), None);
            }
        }
    }
    if let Some(rgba) = parse_color(&style.outline) {
        let r = (band.font_px * 0.07).max(1.5);
        for k in 0..16 {
            let angle = k as f32 * std::f32::consts::PI / 8.0;
            engine.draw(&mut laid, &mut pixmap, pad + r * angle.cos(), y + r * angle.sin(), rgba);
        }
    }
    engine.draw(&mut laid, &mut pixmap, pad, y, parse_color(&style.color).unwrap_or([255; 4]));
    encode(&pixmap)
}

/// The transparent picture shown between captions.
pub fn blank(band: &CaptionBand) -> Result<Vec<u8>> {
    encode(&band_pixmap(band)?)
}

fn band_pixmap(band: &CaptionBand) -> Result<Pixmap> {
    Pixmap::new(band.width, band.height).ok_or_else(|| {
        EngineError::InvalidArgument(format!("a caption band of {}x{} cannot be drawn", band.width, band.height))
    })
}

fn encode(pixmap: &Pixmap) -> Result<Vec<u8>> {
    pixmap.encode_png().map_err(|e| EngineError::InvalidArgument(format!("encoding a caption picture: {e}")))
}

fn rounded_rect(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<tiny_skia::Path> {
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

impl Studio {
    /// A variant's captions from the master's cues: cut to its segments, and
    /// when burned in, one picture per caption span (in parts when a cue
    /// needs more lines than the style allows) and the list that times them.
    /// Returns notes for the plan.
    pub(crate) fn caption_plan(
        &self,
        profile: &PlatformProfile,
        plan: &VariantPlan,
        cues: &[Cue],
        burn: bool,
    ) -> Result<(CaptionPlan, Vec<String>)> {
        let fail = |reason: String| EngineError::Plan { platform: profile.id.clone(), reason };
        let clipped: Vec<ClipCue> = clip_cues(cues, &plan.segments);
        let band = caption_band(profile, plan.overlay.as_ref()).map_err(fail)?;
        let mut notes = Vec::new();
        let mut pictures = Vec::new();
        let mut list = None;
        let mut font = String::new();
        if clipped.is_empty() {
            notes.push("no subtitle cue falls in this clip: no captions".into());
        } else if burn {
            let (spans, unseen) = caption_spans(&clipped, plan.fps, plan.duration);
            if !unseen.is_empty() {
                notes.push(format!(
                    "cue(s) {} last less than one frame here and are not burned in",
                    unseen.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
                ));
            }
            let style = &profile.captions;
            let mut split = Vec::new();
            for span in &spans {
                let parts = self.with_text(|engine| pages(engine, &span.text, &band, style))?;
                if parts.len() > 1 {
                    split.push(span.cues.iter().map(u32::to_string).collect::<Vec<_>>().join("+"));
                }
                for part in split_span(span, &parts) {
                    let (png, family) = self.with_text(|engine| {
                        Ok((draw(engine, &part.text, &band, style)?, engine.family().to_owned()))
                    })?;
                    font = family;
                    pictures.push(CaptionPicture { image: self.overlay_store(&png, "png")?, span: part });
                }
            }
            if !split.is_empty() {
                notes.push(format!(
                    "cue(s) {} need more than {} line(s) and are shown in parts",
                    split.join(", "),
                    style.max_lines
                ));
            }
            let blank = self.overlay_store(&blank(&band)?, "png")?;
            let name =
                |p: &std::path::Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let entries: Vec<(u64, u64, String)> =
                pictures.iter().map(|p| (p.span.first_frame, p.span.end_frame, name(&p.image))).collect();
            let text = concat_list(&entries, &name(&blank), plan.fps, plan.duration);
            list = Some(self.overlay_store(text.as_bytes(), "ffconcat")?);
        }
        let srt = plan.output.with_extension("srt");
        Ok((CaptionPlan { cues: clipped, burn, band, pictures, list, srt, font }, notes))
    }
}
