//! Lays an article out on cards: a cover, then content cards paginated from
//! the layout's own line positions, each with the disclaimer footer and a
//! page number. Every placed line is recorded, so tests (and the preview)
//! can check that no text leaves its box.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tiny_skia::{Paint, Pixmap, PixmapPaint, Rect as SkRect, Transform};

use super::markdown::{Article, Block};
use super::theme::Theme;
use crate::error::{EngineError, Result};
use crate::message::Notice;
use crate::text::{Laid, TextBlock, TextEngine};

/// A rectangle in card pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    pub fn contains(&self, other: &Rect) -> bool {
        const EPS: f32 = 0.5;
        other.x >= self.x - EPS
            && other.y >= self.y - EPS
            && other.x + other.w <= self.x + self.w + EPS
            && other.y + other.h <= self.y + self.h + EPS
    }
}

/// One line as placed on a card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlacedLine {
    pub text: String,
    pub rect: Rect,
}

/// A finished card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteCard {
    /// 1-based.
    pub index: usize,
    pub cover: bool,
    pub path: PathBuf,
    pub text_box: Rect,
    pub footer_box: Rect,
    pub lines: Vec<PlacedLine>,
    /// Everything written on the card, for compliance checks.
    pub text: String,
    pub footer_text: String,
}

/// What goes on the cards besides the article.
#[derive(Debug, Clone)]
pub struct CardInput<'a> {
    pub article: &'a Article,
    pub theme: &'a Theme,
    pub width: u32,
    pub height: u32,
    pub disclaimer: &'a str,
    pub max_cards: usize,
    /// An XMP packet to write into every card (the implicit AI label).
    pub xmp: Option<&'a str>,
}

enum Drawable {
    Text { laid: Laid, x: f32, y: f32, color: [u8; 4] },
    Fill { rect: Rect, color: [u8; 4] },
    Image { pixmap: Pixmap, x: f32, y: f32 },
}

struct Page {
    cover: bool,
    items: Vec<Drawable>,
    lines: Vec<PlacedLine>,
}

impl Page {
    fn new(cover: bool) -> Self {
        Self { cover, items: Vec::new(), lines: Vec::new() }
    }
    fn place(&mut self, laid: Laid, x: f32, y: f32, color: [u8; 4]) {
        for l in laid.lines() {
            self.lines.push(PlacedLine {
                text: l.text.clone(),
                rect: Rect { x: x + l.left, y: y + l.top, w: l.width, h: l.height },
            });
        }
        self.items.push(Drawable::Text { laid, x, y, color });
    }
    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Block styles, scaled to the card.
struct Style {
    px: f32,
    bold: bool,
    monospace: bool,
    color: [u8; 4],
    indent: f32,
    background: Option<[u8; 4]>,
}

struct Layout<'a> {
    engine: &'a mut TextEngine,
    theme: &'a Theme,
    scale: f32,
    content: Rect,
    pages: Vec<Page>,
    y: f32,
}

impl Layout<'_> {
    fn bottom(&self) -> f32 {
        self.content.y + self.content.h
    }

    fn new_page(&mut self) {
        self.pages.push(Page::new(false));
        self.y = self.content.y;
    }

    fn page(&mut self) -> &mut Page {
        if self.pages.last().is_none_or(|p| p.cover) {
            self.new_page();
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn lay(&mut self, text: &str, style: &Style, bold: &[(usize, usize)]) -> Result<Laid> {
        self.engine.layout(&TextBlock {
            text,
            font_px: style.px,
            line_height: self.theme.line_height,
            max_width: self.content.w - 2.0 * style.indent,
            centered: false,
            bold: style.bold,
            monospace: style.monospace,
            bold_ranges: bold,
        })
    }

    /// Places `text`, continuing on new cards as needed; never leaves one
    /// line of a longer block alone at the bottom.
    fn text_block(&mut self, text: &str, style: &Style) -> Result<()> {
        self.rich_block(text, &[], style)
    }

    /// `bold` holds byte ranges of `text`; they follow the text onto the next card.
    fn rich_block(&mut self, text: &str, bold: &[(usize, usize)], style: &Style) -> Result<()> {
        let gap = self.theme.block_gap * self.scale;
        let pad = if style.background.is_some() { style.px * 0.5 } else { 0.0 };
        let lead = text.len() - text.trim_start().len();
        let mut rest = text.trim().to_owned();
        let mut spans: Vec<(usize, usize)> =
            bold.iter().map(|(a, b)| (a.saturating_sub(lead), b.saturating_sub(lead).min(rest.len()))).collect();
        while !rest.is_empty() {
            self.page();
            let laid = self.lay(&rest, style, &spans)?;
            let room = self.bottom() - self.y - 2.0 * pad;
            let lines = laid.lines();
            let fit = lines.iter().take_while(|l| l.top + l.height <= room).count();
            let page_is_fresh = self.page().is_empty();
            if fit == lines.len() {
                self.put(laid, style, pad);
                self.y += gap;
                return Ok(());
            }
            if fit == 0 || (fit < 2 && lines.len() > 2 && !page_is_fresh) {
                if page_is_fresh {
                    return Err(EngineError::Refused(
                        Notice::new(
                            "card.line_too_big",
                            format!(
                                "a line of {} px does not fit on a card; use a smaller font size in the theme",
                                style.px
                            ),
                        )
                        .with("px", style.px),
                    ));
                }
                self.new_page();
                continue;
            }
            let split = lines[fit].start;
            if split == 0 || split >= rest.len() {
                // No progress would loop for ever; say so instead.
                return Err(EngineError::Refused(
                    Notice::new(
                        "card.cannot_split",
                        format!("this text cannot be split across cards (at byte {split} of {})", rest.len()),
                    )
                    .with("at", split),
                ));
            }
            let (head, tail) = rest.split_at(split);
            let head_laid = self.lay(head, style, &spans)?;
            self.put(head_laid, style, pad);
            let cut = split + (tail.len() - tail.trim_start().len());
            spans = spans.iter().filter(|(_, b)| *b > cut).map(|(a, b)| (a.saturating_sub(cut), b - cut)).collect();
            rest = tail.trim_start().to_owned();
            self.new_page();
        }
        Ok(())
    }

    fn put(&mut self, laid: Laid, style: &Style, pad: f32) {
        let (x, y) = (self.content.x + style.indent, self.y + pad);
        let h = laid.height();
        if let Some(bg) = style.background {
            let rect = Rect { x: self.content.x, y: self.y, w: self.content.w, h: h + 2.0 * pad };
            let bar = Rect { x: self.content.x, y: self.y, w: 6.0 * self.scale, h: h + 2.0 * pad };
            let accent = self.theme.color("accent");
            let page = self.page();
            page.items.push(Drawable::Fill { rect, color: bg });
            if !style.monospace {
                page.items.push(Drawable::Fill { rect: bar, color: accent });
            }
        }
        self.page().place(laid, x, y, style.color);
        self.y += h + 2.0 * pad;
    }

    /// A heading moves to the next card unless what follows it — any headings
    /// right after it and two lines of text — fits under it too.
    fn heading(&mut self, text: &str, style: &Style, follow: f32) -> Result<()> {
        self.page();
        let laid = self.lay(text, style, &[])?;
        let need = laid.height() + self.theme.block_gap * self.scale * 0.5 + follow;
        if self.y + need > self.bottom() && !self.page().is_empty() {
            self.new_page();
        }
        self.text_block(text, style)?;
        self.y -= self.theme.block_gap * self.scale * 0.5;
        Ok(())
    }

    fn image(&mut self, path: &Path, alt: &str) -> Result<()> {
        let img = image::open(path).map_err(|e| match e {
            image::ImageError::IoError(io) if io.kind() == std::io::ErrorKind::NotFound => {
                EngineError::InputMissing { path: path.to_owned() }
            }
            other => EngineError::InputNotMedia {
                path: path.to_owned(),
                detail: format!("not an image this app can read: {other}"),
            },
        })?;
        let (iw, ih) = (img.width() as f32, img.height() as f32);
        let max_h = self.content.h * 0.8;
        let content_w = self.content.w;
        let fit = |room: f32| (content_w / iw).min(room / ih);
        self.page();
        let mut scale = fit((self.bottom() - self.y).max(1.0));
        if ih * scale < (ih * fit(max_h)) * 0.6 && !self.page().is_empty() {
            self.new_page();
            scale = fit(max_h);
        }
        scale = scale.min(fit(max_h));
        let (w, h) = ((iw * scale).round().max(1.0) as u32, (ih * scale).round().max(1.0) as u32);
        let resized = image::imageops::resize(&img.to_rgba8(), w, h, image::imageops::FilterType::Triangle);
        let mut pixmap = Pixmap::new(w, h).ok_or_else(|| EngineError::internal("image too small"))?;
        for (dst, src) in pixmap.pixels_mut().iter_mut().zip(resized.pixels()) {
            let [r, g, b, a] = src.0;
            *dst = tiny_skia::ColorU8::from_rgba(r, g, b, a).premultiply();
        }
        let x = self.content.x + (self.content.w - w as f32) / 2.0;
        let y = self.y;
        let page = self.page();
        page.items.push(Drawable::Image { pixmap, x, y });
        page.lines.push(PlacedLine { text: format!("[{alt}]"), rect: Rect { x, y, w: w as f32, h: h as f32 } });
        self.y += h as f32 + self.theme.block_gap * self.scale;
        Ok(())
    }
}

fn fill(pixmap: &mut Pixmap, rect: Rect, color: [u8; 4]) {
    let mut paint = Paint::default();
    paint.set_color_rgba8(color[0], color[1], color[2], color[3]);
    if let Some(r) = SkRect::from_xywh(rect.x, rect.y, rect.w, rect.h) {
        pixmap.fill_rect(r, &paint, Transform::identity(), None);
    }
}

/// Lays out and draws every card, writing PNGs named `<stem>-NN.png` into
/// `out_dir`. Returns the cards and any warnings (e.g. over the card limit).
pub fn render_cards(
    engine: &mut TextEngine,
    input: &CardInput<'_>,
    out_dir: &Path,
    stem: &str,
) -> Result<(Vec<NoteCard>, Vec<Notice>)> {
    let theme = input.theme;
    let scale = input.width as f32 / 1080.0;
    let (w, h) = (input.width as f32, input.height as f32);
    let margin = theme.margin * scale;
    let mut warnings = Vec::new();

    // The footer: the disclaimer, as high as its text needs.
    let footer_px = theme.footer_px * scale;
    let footer_laid_probe = engine.layout(&TextBlock {
        text: input.disclaimer,
        font_px: footer_px,
        line_height: 1.4,
        max_width: w - 2.0 * margin,
        centered: true,
        bold: false,
        monospace: false,
        bold_ranges: &[],
    })?;
    let footer_h = footer_laid_probe.height() + footer_px * 1.6;
    let footer_box = Rect { x: 0.0, y: h - footer_h, w, h: footer_h };
    let page_no_h = theme.meta_px * scale * 1.4;
    let content =
        Rect { x: margin, y: margin, w: w - 2.0 * margin, h: h - footer_h - margin - page_no_h - margin * 0.4 };

    let mut layout = Layout { engine, theme, scale, content, pages: vec![Page::new(true)], y: content.y };
    cover(&mut layout, input)?;
    let body = |px: f32, color: &str| Style {
        px: px * scale,
        bold: false,
        monospace: false,
        color: theme.color(color),
        indent: 0.0,
        background: None,
    };
    let blocks = &input.article.blocks;
    for (i, block) in blocks.iter().enumerate() {
        // Room a heading needs below it: the headings that follow it, then two lines.
        let heading_px = |level: u8| if level <= 2 { theme.h2_px } else { theme.h3_px };
        let follow: f32 = blocks[i + 1..]
            .iter()
            .map_while(|b| match b {
                Block::Heading { level, .. } => {
                    Some(heading_px(*level) * scale * theme.line_height + theme.block_gap * scale * 0.5)
                }
                _ => None,
            })
            .sum::<f32>()
            + 2.0 * theme.body_px * scale * theme.line_height;
        match block {
            Block::Heading { level, text } => {
                layout.heading(text, &Style { bold: true, ..body(heading_px(*level), "text") }, follow)?;
            }
            Block::Paragraph { text, bold } => layout.rich_block(text, bold, &body(theme.body_px, "text"))?,
            Block::ListItem { marker, text } => layout.text_block(
                &format!("{marker} {text}"),
                &Style { indent: theme.body_px * scale * 0.5, ..body(theme.body_px, "text") },
            )?,
            Block::Quote { text } => layout.text_block(
                text,
                &Style {
                    indent: theme.body_px * scale * 0.8,
                    background: Some(theme.color("quote_background")),
                    ..body(theme.body_px, "text")
                },
            )?,
            Block::Code { text } => layout.text_block(
                text,
                &Style {
                    px: theme.body_px * scale * 0.8,
                    monospace: true,
                    indent: theme.body_px * scale * 0.5,
                    background: Some(theme.color("code_background")),
                    ..body(theme.body_px, "text")
                },
            )?,
            Block::Table { rows } => {
                for (r, row) in rows.iter().enumerate() {
                    layout
                        .text_block(&row.join("  |  "), &Style { bold: r == 0, ..body(theme.body_px * 0.9, "text") })?;
                }
            }
            Block::Image { path, alt } => layout.image(path, alt)?,
        }
    }
    let Layout { engine, pages, .. } = layout;
    let mut pages = pages;
    pages.retain(|p| p.cover || !p.is_empty());
    if pages.len() > input.max_cards {
        warnings.push(
            Notice::new(
                "cards.over_limit",
                format!(
                    "the article needs {} cards; the platform takes {}: the last {} were left out",
                    pages.len(),
                    input.max_cards,
                    pages.len() - input.max_cards
                ),
            )
            .with("needed", pages.len())
            .with("max", input.max_cards)
            .with("dropped", pages.len() - input.max_cards),
        );
        pages.truncate(input.max_cards);
    }

    std::fs::create_dir_all(out_dir).map_err(|e| EngineError::io(format!("creating {}", out_dir.display()), e))?;
    let total = pages.len();
    let mut footer_laid = footer_laid_probe;
    let mut cards = Vec::with_capacity(total);
    for (i, page) in pages.into_iter().enumerate() {
        let mut pixmap =
            Pixmap::new(input.width, input.height).ok_or_else(|| EngineError::internal("card size is zero"))?;
        let [r, g, b, a] = theme.color("background");
        pixmap.fill(tiny_skia::Color::from_rgba8(r, g, b, a));
        let mut text = Vec::new();
        for item in page.items {
            match item {
                Drawable::Fill { rect, color } => fill(&mut pixmap, rect, color),
                Drawable::Image { pixmap: img, x, y } => pixmap.draw_pixmap(
                    x as i32,
                    y as i32,
                    img.as_ref(),
                    &PixmapPaint::default(),
                    Transform::identity(),
                    None,
                ),
                Drawable::Text { mut laid, x, y, color } => {
                    text.extend(laid.lines().iter().map(|l| l.text.clone()));
                    engine.draw(&mut laid, &mut pixmap, x, y, color);
                }
            }
        }
        fill(&mut pixmap, footer_box, theme.color("footer_background"));
        engine.draw(&mut footer_laid, &mut pixmap, margin, footer_box.y + footer_px * 0.8, theme.color("footer_text"));
        let number = format!("{}/{total}", i + 1);
        let mut no = engine.layout(&TextBlock {
            text: &number,
            font_px: theme.meta_px * scale * 0.8,
            line_height: 1.2,
            max_width: w,
            centered: false,
            bold: false,
            monospace: false,
            bold_ranges: &[],
        })?;
        let (nx, ny) = (w - margin - no.width(), footer_box.y - page_no_h);
        engine.draw(&mut no, &mut pixmap, nx, ny, theme.color("muted"));

        let path = out_dir.join(format!("{stem}-{:02}.png", i + 1));
        let png = encode_opaque_png(&pixmap, input.xmp)?;
        crate::render::write_complete(&path, &png)?;
        cards.push(NoteCard {
            index: i + 1,
            cover: page.cover,
            path,
            text_box: content,
            footer_box,
            lines: page.lines,
            text: text.join("\n"),
            footer_text: input.disclaimer.to_owned(),
        });
    }
    Ok((cards, warnings))
}

/// Cards are opaque, so the premultiplied pixels are the straight ones: write
/// them as RGB with fast deflate (several times quicker than the default
/// level for a few per cent more bytes).
fn encode_opaque_png(pixmap: &Pixmap, xmp: Option<&str>) -> Result<Vec<u8>> {
    let rgb: Vec<u8> = pixmap.data().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let mut out = Vec::with_capacity(rgb.len() / 4);
    let err = |e: png::EncodingError| EngineError::internal(format!("encoding a card: {e}"));
    let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    if let Some(xmp) = xmp {
        // Where XMP readers look in a PNG: an iTXt chunk under Adobe's keyword.
        encoder.add_itxt_chunk("XML:com.adobe.xmp".to_owned(), xmp.to_owned()).map_err(err)?;
    }
    let mut writer = encoder.write_header().map_err(err)?;
    writer.write_image_data(&rgb).map_err(err)?;
    writer.finish().map_err(err)?;
    Ok(out)
}

/// The cover: an accent band, the title as large as fits in four lines,
/// subtitle, tags, and who wrote it at the bottom.
fn cover(layout: &mut Layout<'_>, input: &CardInput<'_>) -> Result<()> {
    let theme = layout.theme;
    let s = layout.scale;
    let c = layout.content;
    let accent = theme.color("accent");
    layout.pages[0]
        .items
        .push(Drawable::Fill { rect: Rect { x: 0.0, y: 0.0, w: c.w + 2.0 * c.x, h: 18.0 * s }, color: accent });
    let article = input.article;
    fn block(text: &str, px: f32, bold: bool, max_width: f32) -> TextBlock<'_> {
        TextBlock {
            text,
            font_px: px,
            line_height: 1.3,
            max_width,
            centered: false,
            bold,
            monospace: false,
            bold_ranges: &[],
        }
    }
    let mut y = c.y + c.h * 0.16;
    let title = if article.title.is_empty() { "（无标题）" } else { article.title.as_str() };
    let mut px = theme.title_px * s;
    let mut laid = layout.engine.layout(&block(title, px, true, c.w))?;
    while laid.lines().len() > 4 && px > theme.body_px * s {
        px *= 0.9;
        laid = layout.engine.layout(&block(title, px, true, c.w))?;
    }
    let title_h = laid.height();
    layout.pages[0].place(laid, c.x, y, theme.color("text"));
    y += title_h + theme.block_gap * s;
    let accent_bar = Rect { x: c.x, y, w: 96.0 * s, h: 8.0 * s };
    layout.pages[0].items.push(Drawable::Fill { rect: accent_bar, color: accent });
    y += 8.0 * s + theme.block_gap * s;
    if let Some(sub) = article.front.subtitle.as_deref() {
        let laid = layout.engine.layout(&block(sub, theme.subtitle_px * s, false, c.w))?;
        let hgt = laid.height();
        layout.pages[0].place(laid, c.x, y, theme.color("muted"));
        y += hgt + theme.block_gap * s;
    }
    if !article.front.tags.is_empty() {
        let tags = article.front.tags.iter().map(|t| format!("#{t}")).collect::<Vec<_>>().join("  ");
        let laid = layout.engine.layout(&block(&tags, theme.meta_px * s, false, c.w))?;
        layout.pages[0].place(laid, c.x, y, accent);
    }
    let byline: Vec<&str> =
        [article.front.author.as_deref(), article.front.institution.as_deref()].into_iter().flatten().collect();
    if !byline.is_empty() {
        let laid = layout.engine.layout(&block(&byline.join("\n"), theme.meta_px * s, false, c.w))?;
        let by = c.y + c.h - laid.height();
        layout.pages[0].place(laid, c.x, by, theme.color("muted"));
    }
    Ok(())
}
