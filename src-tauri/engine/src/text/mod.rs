//! CJK-capable text layout over the system's fonts (cosmic-text shapes and
//! wraps, tiny-skia draws), shared by video overlays and note cards so both
//! break lines and pick fonts the same way.

pub mod fonts;

use std::path::PathBuf;

use cosmic_text::{Align, Attrs, Buffer, Color, Family, FontSystem, Metrics, Shaping, SwashCache, Wrap};
use serde::{Deserialize, Serialize};
use tiny_skia::Pixmap;

use crate::error::{EngineError, Result};
use crate::message::Notice;

/// Which fonts to lay text out with.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FontConfig {
    /// Extra font files; the first one's family becomes the primary font.
    #[serde(default)]
    pub font_files: Vec<PathBuf>,
}

impl FontConfig {
    /// The first family of each file, read without loading the system fonts,
    /// so a chosen file can be checked before it is saved.
    pub fn families(&self) -> Result<Vec<String>> {
        let mut db = cosmic_text::fontdb::Database::new();
        self.font_files
            .iter()
            .map(|file| {
                let ids = db.load_font_source(cosmic_text::fontdb::Source::File(file.clone()));
                primary_family(&db, &ids).ok_or_else(|| not_a_font(file))
            })
            .collect()
    }
}

/// The family a file's faces contribute: in a collection (.ttc) the face named
/// for Simplified Chinese, since the Noto CJK collections put Japanese first
/// and our users write Chinese; otherwise the first face.
fn primary_family(db: &cosmic_text::fontdb::Database, ids: &[cosmic_text::fontdb::ID]) -> Option<String> {
    use cosmic_text::fontdb::Language;
    let faces: Vec<_> = ids.iter().filter_map(|id| db.face(*id)).collect();
    let simplified =
        faces.iter().find(|f| f.families.iter().any(|(_, lang)| *lang == Language::Chinese_PeoplesRepublicOfChina));
    simplified.or(faces.first()).and_then(|face| face.families.first().map(|(name, _)| name.clone()))
}

fn not_a_font(file: &std::path::Path) -> EngineError {
    EngineError::Refused(
        Notice::new(
            "font.unreadable",
            format!("{}: not a font file this app can read (choose a .ttf, .otf or .ttc file)", file.display()),
        )
        .with("path", file.display()),
    )
}

/// Loaded fonts plus glyph cache; loading system fonts takes a while, so one
/// of these is built once and reused.
pub struct TextEngine {
    fonts: FontSystem,
    cache: SwashCache,
    family: String,
}

impl std::fmt::Debug for TextEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextEngine").field("family", &self.family).finish_non_exhaustive()
    }
}

/// One laid-out line, in pixels relative to the text box's top-left corner.
#[derive(Debug, Clone, PartialEq)]
pub struct LineBox {
    pub text: String,
    /// Byte range of the line in the laid-out text.
    pub start: usize,
    pub end: usize,
    pub top: f32,
    pub height: f32,
    pub left: f32,
    pub width: f32,
}

/// A block of text to lay out.
#[derive(Debug, Clone)]
pub struct TextBlock<'a> {
    pub text: &'a str,
    pub font_px: f32,
    pub line_height: f32,
    pub max_width: f32,
    pub centered: bool,
    pub bold: bool,
    pub monospace: bool,
    /// Byte ranges of `text` drawn bold (Markdown `**strong**`).
    pub bold_ranges: &'a [(usize, usize)],
}

/// Text that has been shaped and wrapped, ready to measure or draw.
pub struct Laid {
    buffer: Buffer,
    lines: Vec<LineBox>,
}

impl std::fmt::Debug for Laid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Laid").field("lines", &self.lines).finish_non_exhaustive()
    }
}

impl Laid {
    pub fn lines(&self) -> &[LineBox] {
        &self.lines
    }
    pub fn height(&self) -> f32 {
        self.lines.last().map_or(0.0, |l| l.top + l.height)
    }
    pub fn width(&self) -> f32 {
        self.lines.iter().map(|l| l.width).fold(0.0, f32::max)
    }
}

impl TextEngine {
    /// Loads the system fonts, the app's own and `config`'s files, and picks
    /// the primary family as [`fonts`] describes.
    pub fn new(config: &FontConfig) -> Result<Self> {
        let mut fonts = FontSystem::new();
        let mut family = None;
        // The user's files must be fonts; a damaged shipped one is only logged.
        let shipped = fonts::bundled_files();
        let files = config.font_files.iter().map(|f| (f, true)).chain(shipped.iter().map(|f| (f, false)));
        for (file, chosen_by_user) in files {
            let ids = fonts.db_mut().load_font_source(cosmic_text::fontdb::Source::File(file.clone()));
            match (ids.is_empty(), chosen_by_user) {
                (true, true) => return Err(not_a_font(file)),
                (true, false) => {
                    tracing::warn!(file = %file.display(), "a font shipped with the app could not be read")
                }
                _ => {}
            }
            if family.is_none() {
                family = primary_family(fonts.db(), &ids);
            }
        }
        let family = family
            .or_else(|| {
                let db = fonts.db();
                fonts::pick(fonts::system_families(), |name| {
                    db.faces().any(|f| f.families.iter().any(|(n, _)| n == name))
                })
                .map(str::to_owned)
            })
            .unwrap_or_default();
        tracing::info!(family = %family, "text font chosen");
        Ok(Self { fonts, cache: SwashCache::new(), family })
    }

    /// The primary family, empty when falling back to the system sans-serif.
    pub fn family(&self) -> &str {
        &self.family
    }

    /// Shapes and wraps `block`; fails naming any character no font can draw.
    pub fn layout(&mut self, block: &TextBlock<'_>) -> Result<Laid> {
        let metrics = Metrics::new(block.font_px, block.font_px * block.line_height);
        let mut buffer = Buffer::new(&mut self.fonts, metrics);
        let family = match (block.monospace, self.family.is_empty()) {
            (true, _) => Family::Monospace,
            (false, true) => Family::SansSerif,
            (false, false) => Family::Name(&self.family),
        };
        let mut attrs = Attrs::new().family(family);
        if block.bold {
            attrs = attrs.weight(cosmic_text::Weight::BOLD);
        }
        buffer.set_wrap(Wrap::WordOrGlyph);
        buffer.set_size(Some(block.max_width), None);
        let align = if block.centered { Some(Align::Center) } else { Some(Align::Left) };
        if block.bold_ranges.is_empty() {
            buffer.set_text(block.text, &attrs, Shaping::Advanced, align);
        } else {
            let strong = attrs.clone().weight(cosmic_text::Weight::BOLD);
            let spans = styled_spans(block.text, block.bold_ranges)
                .into_iter()
                .map(|(range, is_bold)| (&block.text[range], if is_bold { strong.clone() } else { attrs.clone() }));
            buffer.set_rich_text(spans, &attrs, Shaping::Advanced, align);
        }
        buffer.shape_until_scroll(&mut self.fonts, false);

        // Byte offset of each source line, split as cosmic-text splits them:
        // at `\n`, `\r\n`, `\n\r` and a lone `\r`. (Counting `\n` only put
        // the lines after a lone `\r` at offset 0, and a block split across
        // cards there never got shorter: found by fuzzing.)
        let line_offsets: Vec<usize> = cosmic_text::LineIter::new(block.text).map(|(range, _)| range.start).collect();
        let mut missing = String::new();
        let mut lines = Vec::new();
        for run in buffer.layout_runs() {
            let base = line_offsets.get(run.line_i).copied().unwrap_or(0);
            let left = run.glyphs.iter().map(|g| g.x).fold(f32::INFINITY, f32::min);
            let right = run.glyphs.iter().map(|g| g.x + g.w).fold(f32::NEG_INFINITY, f32::max);
            // Glyphs are in visual order: with right-to-left text in the line
            // (Arabic, Hebrew) the first and last glyph are not its ends.
            let start = run.glyphs.iter().map(|g| g.start).min().unwrap_or(0);
            let end = run.glyphs.iter().map(|g| g.end).max().unwrap_or(0);
            for g in run.glyphs {
                if g.glyph_id == 0 {
                    let ch = &run.text[g.start..g.end];
                    if !ch.trim().is_empty() && !missing.contains(ch) {
                        missing.push_str(ch);
                    }
                }
            }
            lines.push(LineBox {
                text: run.text.get(start..end).unwrap_or_default().to_owned(),
                start: base + start,
                end: base + end,
                top: run.line_top,
                height: run.line_height,
                left: if left.is_finite() { left } else { 0.0 },
                width: if right.is_finite() && left.is_finite() { right - left } else { 0.0 },
            });
        }
        if !missing.is_empty() {
            return Err(EngineError::FontMissing { chars: missing });
        }
        Ok(Laid { buffer, lines })
    }

    /// Draws laid-out text onto `pixmap` with its box's top-left at (x, y).
    pub fn draw(&mut self, laid: &mut Laid, pixmap: &mut Pixmap, x: f32, y: f32, rgba: [u8; 4]) {
        let (w, h) = (pixmap.width() as i32, pixmap.height() as i32);
        let (ox, oy) = (x.round() as i32, y.round() as i32);
        let stride = pixmap.width() as usize;
        let data = pixmap.data_mut();
        let color = Color::rgba(rgba[0], rgba[1], rgba[2], rgba[3]);
        laid.buffer.draw(&mut self.fonts, &mut self.cache, color, |gx, gy, gw, gh, c| {
            for py in gy..gy + gh as i32 {
                for px in gx..gx + gw as i32 {
                    let (tx, ty) = (px + ox, py + oy);
                    if tx < 0 || ty < 0 || tx >= w || ty >= h {
                        continue;
                    }
                    let i = (ty as usize * stride + tx as usize) * 4;
                    blend_over(&mut data[i..i + 4], [c.r(), c.g(), c.b(), c.a()]);
                }
            }
        });
    }
}

/// Splits `text` into runs that are bold or not, from byte ranges that may
/// overlap, be unsorted or fall off char boundaries (they are clamped).
fn styled_spans(text: &str, bold: &[(usize, usize)]) -> Vec<(std::ops::Range<usize>, bool)> {
    let is_bold = |i: usize| bold.iter().any(|(a, b)| *a <= i && i < *b);
    let mut spans: Vec<(std::ops::Range<usize>, bool)> = Vec::new();
    for (i, c) in text.char_indices() {
        let b = is_bold(i);
        match spans.last_mut() {
            Some((range, style)) if *style == b => range.end = i + c.len_utf8(),
            _ => spans.push((i..i + c.len_utf8(), b)),
        }
    }
    spans
}

/// Source-over of a straight-alpha colour onto a premultiplied pixel.
fn blend_over(dst: &mut [u8], src: [u8; 4]) {
    let a = u32::from(src[3]);
    let inv = 255 - a;
    for c in 0..3 {
        let s = u32::from(src[c]) * a / 255;
        dst[c] = (s + u32::from(dst[c]) * inv / 255).min(255) as u8;
    }
    dst[3] = (a + u32::from(dst[3]) * inv / 255).min(255) as u8;
}

#[cfg(test)]
mod tests {
    use super::{FontConfig, TextEngine};

    /// Installed by `scripts/setup` (fonts-noto-cjk); face 0 of the file is Japanese.
    const NOTO_CJK: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

    #[test]
    fn a_cjk_collection_gives_its_simplified_chinese_face() {
        let config = FontConfig { font_files: vec![NOTO_CJK.into()] };
        assert_eq!(config.families().unwrap(), ["Noto Sans CJK SC"]);
        assert_eq!(TextEngine::new(&config).unwrap().family(), "Noto Sans CJK SC");

        let dir = tempfile::tempdir().unwrap();
        let not_font = dir.path().join("readme.ttf");
        std::fs::write(&not_font, "plain text").unwrap();
        let bad = FontConfig { font_files: vec![not_font] };
        assert!(bad.families().unwrap_err().to_string().contains("not a font file"));
    }

    /// Found by fuzzing the Markdown-to-cards path: a line mixing Arabic and
    /// Latin came back without its end, so the card's recorded text (what
    /// compliance reads) lost words that were drawn.
    #[test]
    fn a_line_with_right_to_left_text_keeps_all_its_text() {
        let mut engine = TextEngine::new(&FontConfig::default()).unwrap();
        let laid = engine
            .layout(&super::TextBlock {
                text: "1.ېne 2. two 稳赚",
                font_px: 40.0,
                line_height: 1.4,
                max_width: 2000.0,
                centered: false,
                bold: false,
                monospace: false,
                bold_ranges: &[],
            })
            .unwrap();
        let text: String = laid.lines().iter().map(|l| l.text.as_str()).collect();
        assert_eq!(text, "1.ېne 2. two 稳赚");
    }

    #[test]
    fn line_offsets_follow_every_line_ending_cosmic_text_splits_at() {
        let mut engine = TextEngine::new(&FontConfig::default()).unwrap();
        let text = "ab\rcd\r\nef\ngh";
        let laid = engine
            .layout(&super::TextBlock {
                text,
                font_px: 40.0,
                line_height: 1.4,
                max_width: 2000.0,
                centered: false,
                bold: false,
                monospace: false,
                bold_ranges: &[],
            })
            .unwrap();
        let starts: Vec<usize> = laid.lines().iter().map(|l| l.start).collect();
        assert_eq!(starts, [0, 3, 7, 10]);
        assert!(laid.lines().iter().all(|l| text[l.start..l.end] == l.text));
    }
}
