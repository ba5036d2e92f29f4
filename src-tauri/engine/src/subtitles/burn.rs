//! Caption pictures: each caption drawn by the engine's text layout (UAX #14
//! line breaking, so CJK breaks between characters but never before `，。`,
//! and Latin words stay whole) into a transparent picture the size of the
//! caption band, outlined or on a plate as the profile's style says.

use crate::message::Notice;
use tiny_skia::{FillRule, Paint, Pixmap, Transform};

use super::{ClipCue, Cue, clip_cues};
use crate::disclaimer::rounded_rect;
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

/// Where a caption may be split into parts: after a clause's punctuation or a space.
const CLAUSE_ENDS: &[char] = &['，', '。', '！', '？', '；', '：', '、', ',', '.', '!', '?', ';', ':', ' ', '\n'];

fn fits(engine: &mut TextEngine, text: &str, band: &CaptionBand, style: &CaptionStyle) -> Result<bool> {
    Ok(layout(engine, text, band, style)?.lines().len() <= style.max_lines.max(1) as usize)
}

/// The text in parts of at most `max_lines` lines each: whole clauses where
/// they fit (a viewer reads a part as a unit), else as the layout wraps.
pub fn pages(engine: &mut TextEngine, text: &str, band: &CaptionBand, style: &CaptionStyle) -> Result<Vec<String>> {
    if fits(engine, text, band, style)? {
        return Ok(vec![text.to_owned()]);
    }
    let mut clauses: Vec<&str> = Vec::new();
    let mut from = 0;
    for (i, c) in text.char_indices() {
        if CLAUSE_ENDS.contains(&c) {
            let end = i + c.len_utf8();
            clauses.push(&text[from..end]);
            from = end;
        }
    }
    if from < text.len() {
        clauses.push(&text[from..]);
    }
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for clause in clauses {
        let joined = format!("{current}{clause}");
        if current.is_empty() || fits(engine, joined.trim(), band, style)? {
            current = joined;
            continue;
        }
        out.extend(by_lines(engine, current.trim(), band, style)?);
        current = clause.to_owned();
    }
    if !current.trim().is_empty() {
        out.extend(by_lines(engine, current.trim(), band, style)?);
    }
    // A part ends where the viewer pauses: its trailing comma goes, as subtitlers do.
    Ok(out
        .into_iter()
        .map(|p| p.trim_end_matches(['，', '、', ',', ' ']).to_owned())
        .filter(|p| !p.is_empty())
        .collect())
}

/// A text in parts of `max_lines` wrapped lines (for a clause too long for one part).
fn by_lines(engine: &mut TextEngine, text: &str, band: &CaptionBand, style: &CaptionStyle) -> Result<Vec<String>> {
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

/// The narrowest wrap width that keeps the text to as few lines as the full
/// width gives, so two lines come out about even (no lone last character).
fn balanced_width(engine: &mut TextEngine, text: &str, band: &CaptionBand, style: &CaptionStyle) -> Result<f32> {
    let full = (band.width as f32 - 2.0 * band.pad as f32).max(band.font_px);
    let lines = layout(engine, text, band, style)?.lines().len();
    if lines <= 1 {
        return Ok(full);
    }
    let (mut lo, mut hi) = (full / lines as f32, full);
    for _ in 0..7 {
        let mid = (lo + hi) / 2.0;
        let narrow = CaptionBand { width: (mid + 2.0 * band.pad as f32).ceil() as u32, ..*band };
        if layout(engine, text, &narrow, style)?.lines().len() <= lines {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// One caption picture (PNG), the band's size.
pub fn draw(engine: &mut TextEngine, text: &str, band: &CaptionBand, style: &CaptionStyle) -> Result<Vec<u8>> {
    let wrap = balanced_width(engine, text, band, style)?;
    let mut laid =
        layout(engine, text, &CaptionBand { width: (wrap + 2.0 * band.pad as f32).ceil() as u32, ..*band }, style)?;
    let mut pixmap = band_pixmap(band)?;
    // The narrower box, centred in the band.
    let pad = band.pad as f32;
    let x0 = pad + ((band.width as f32 - 2.0 * pad) - wrap).max(0.0) / 2.0;
    let text_h = laid.height();
    let y = match style.position {
        CaptionPosition::Bottom => (band.height as f32 - pad - text_h).max(0.0),
        CaptionPosition::Top => pad,
    };
    if let Some(rgba) = parse_color(&style.plate) {
        for line in laid.lines() {
            let left = x0 + line.left - pad * 0.8;
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
            engine.draw(&mut laid, &mut pixmap, x0 + r * angle.cos(), y + r * angle.sin(), rgba);
        }
    }
    engine.draw(&mut laid, &mut pixmap, x0, y, parse_color(&style.color).unwrap_or([255; 4]));
    encode(&pixmap)
}

/// The transparent picture shown between captions.
pub fn blank(band: &CaptionBand) -> Result<Vec<u8>> {
    encode(&band_pixmap(band)?)
}

fn band_pixmap(band: &CaptionBand) -> Result<Pixmap> {
    Pixmap::new(band.width, band.height).ok_or_else(|| {
        EngineError::internal(format!("a caption band of {}x{} cannot be drawn", band.width, band.height))
    })
}

fn encode(pixmap: &Pixmap) -> Result<Vec<u8>> {
    pixmap.encode_png().map_err(|e| EngineError::internal(format!("encoding a caption picture: {e}")))
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
    ) -> Result<(CaptionPlan, Vec<Notice>)> {
        let fail = |reason: String| EngineError::Plan { platform: profile.id.clone(), reason };
        let clipped: Vec<ClipCue> = clip_cues(cues, &plan.segments);
        let band =
            caption_band(profile, plan.overlay.as_ref(), plan.ai_label.as_ref().map(|l| &l.overlay)).map_err(fail)?;
        let mut notes = Vec::new();
        let mut pictures = Vec::new();
        let mut list = None;
        let mut font = String::new();
        if clipped.is_empty() {
            notes.push(Notice::new("captions.none_in_clip", "no subtitle cue falls in this clip: no captions"));
        } else if burn {
            let (spans, unseen) = caption_spans(&clipped, plan.fps, plan.duration);
            if !unseen.is_empty() {
                let cues = unseen.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
                notes.push(
                    Notice::new(
                        "captions.too_short",
                        format!("cue(s) {cues} last less than one frame here and are not burned in"),
                    )
                    .with("cues", cues),
                );
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
                notes.push(
                    Notice::new(
                        "captions.in_parts",
                        format!(
                            "cue(s) {} need more than {} line(s) and are shown in parts",
                            split.join(", "),
                            style.max_lines
                        ),
                    )
                    .with("cues", split.join(", "))
                    .with("lines", style.max_lines),
                );
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
