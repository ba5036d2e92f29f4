//! Markdown articles as a list of blocks to lay out on cards. Front matter
//! (a YAML block) gives the title, tags and who wrote it. Raw HTML is never
//! rendered: it is dropped, and a warning says so.

use crate::message::Notice;
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

/// What the YAML front matter says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub subtitle: Option<String>,
    pub author: Option<String>,
    pub institution: Option<String>,
    pub account: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// One block of an article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Block {
    Heading {
        level: u8,
        text: String,
    },
    /// `bold` holds byte ranges of `text` in bold.
    Paragraph {
        text: String,
        bold: Vec<(usize, usize)>,
    },
    ListItem {
        marker: String,
        text: String,
    },
    Quote {
        text: String,
    },
    Code {
        text: String,
    },
    Image {
        path: PathBuf,
        alt: String,
    },
    Table {
        rows: Vec<Vec<String>>,
    },
}

/// A parsed article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub front: FrontMatter,
    /// Front matter's title, else the first level-1 heading (removed from the blocks).
    pub title: String,
    pub blocks: Vec<Block>,
    pub warnings: Vec<Notice>,
}

impl Article {
    /// All the text, for compliance checks and platform bodies.
    pub fn plain_text(&self) -> String {
        let mut out = Vec::new();
        for b in &self.blocks {
            match b {
                Block::Heading { text, .. }
                | Block::Paragraph { text, .. }
                | Block::Quote { text }
                | Block::Code { text } => out.push(text.clone()),
                Block::ListItem { marker, text } => out.push(format!("{marker} {text}")),
                Block::Table { rows } => out.extend(rows.iter().map(|r| r.join(" | "))),
                Block::Image { alt, .. } if !alt.is_empty() => out.push(alt.clone()),
                Block::Image { .. } => {}
            }
        }
        out.join("\n")
    }
}

/// Joins two pieces of text the way a soft line break reads: a space
/// between Latin words, nothing between Chinese characters.
fn soft_break(text: &mut String, next_starts_ascii: bool) {
    if text.chars().last().is_some_and(|c| c.is_ascii_alphanumeric() || c == ',' || c == '.') && next_starts_ascii {
        text.push(' ');
    }
}

fn parse_front_matter(yaml: &str, warnings: &mut Vec<Notice>) -> FrontMatter {
    use yaml_rust2::{Yaml, YamlLoader};
    let docs = match YamlLoader::load_from_str(yaml) {
        Ok(docs) => docs,
        Err(e) => {
            warnings.push(
                Notice::new("article.front_matter", format!("front matter is not valid YAML and was ignored: {e}"))
                    .with("detail", e),
            );
            return FrontMatter::default();
        }
    };
    let Some(doc) = docs.first() else { return FrontMatter::default() };
    let text = |key: &str| match &doc[key] {
        Yaml::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Real(r) => Some(r.clone()),
        _ => None,
    };
    let tags = match &doc["tags"] {
        Yaml::Array(items) => items.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect(),
        Yaml::String(s) => {
            s.split([',', '，', ' ']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
        }
        _ => Vec::new(),
    };
    FrontMatter {
        title: text("title"),
        subtitle: text("subtitle"),
        author: text("author"),
        institution: text("institution"),
        account: text("account"),
        tags: tags.into_iter().map(|t: String| t.trim_start_matches('#').to_owned()).collect(),
    }
}

/// Parses `markdown`; image paths are resolved against `base_dir`.
pub fn parse(markdown: &str, base_dir: &Path) -> Article {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let mut warnings = Vec::new();
    let mut front = FrontMatter::default();
    let mut blocks = Vec::new();
    let mut text = String::new();
    let mut bold: Vec<(usize, usize)> = Vec::new();
    let mut bold_start: Vec<usize> = Vec::new();
    let mut in_metadata = false;
    let mut metadata = String::new();
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut quote_depth = 0usize;
    let mut table: Option<Vec<Vec<String>>> = None;
    let mut image: Option<(PathBuf, String)> = None;
    let mut first_h1: Option<String> = None;

    let flush_paragraph = |text: &mut String, bold: &mut Vec<(usize, usize)>, blocks: &mut Vec<Block>, quote: bool| {
        let trimmed = text.trim();
        if !trimmed.is_empty() {
            let lead = text.len() - text.trim_start().len();
            let spans =
                bold.iter().map(|(a, b)| (a.saturating_sub(lead), b.saturating_sub(lead).min(trimmed.len()))).collect();
            blocks.push(if quote {
                Block::Quote { text: trimmed.to_owned() }
            } else {
                Block::Paragraph { text: trimmed.to_owned(), bold: spans }
            });
        }
        text.clear();
        bold.clear();
    };

    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::MetadataBlock(_)) => in_metadata = true,
            Event::End(TagEnd::MetadataBlock(_)) => {
                in_metadata = false;
                front = parse_front_matter(&metadata, &mut warnings);
            }
            Event::Text(t) if in_metadata => metadata.push_str(&t),
            Event::Start(Tag::Heading { .. }) | Event::Start(Tag::Paragraph) | Event::Start(Tag::Item) => {
                text.clear();
                bold.clear();
            }
            Event::End(TagEnd::Heading(level)) => {
                let level = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    _ => 4,
                };
                let heading = text.trim().to_owned();
                text.clear();
                bold.clear();
                if level == 1 && first_h1.is_none() && blocks.is_empty() {
                    first_h1 = Some(heading);
                } else if !heading.is_empty() {
                    blocks.push(Block::Heading { level, text: heading });
                }
            }
            Event::End(TagEnd::Paragraph) if table.is_none() && lists.is_empty() => {
                flush_paragraph(&mut text, &mut bold, &mut blocks, quote_depth > 0);
            }
            Event::Start(Tag::List(start)) => lists.push(start),
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            Event::End(TagEnd::Item) => {
                let marker = match lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}.");
                        *n += 1;
                        m
                    }
                    _ => "•".to_owned(),
                };
                let item = text.trim().to_owned();
                text.clear();
                bold.clear();
                if !item.is_empty() {
                    blocks.push(Block::ListItem { marker, text: item });
                }
            }
            Event::Start(Tag::BlockQuote(_)) => quote_depth += 1,
            Event::End(TagEnd::BlockQuote(_)) => quote_depth = quote_depth.saturating_sub(1),
            Event::Start(Tag::CodeBlock(_)) => text.clear(),
            Event::End(TagEnd::CodeBlock) => {
                blocks.push(Block::Code { text: text.trim_end().to_owned() });
                text.clear();
            }
            Event::Start(Tag::Strong) => bold_start.push(text.len()),
            Event::End(TagEnd::Strong) => {
                if let Some(a) = bold_start.pop() {
                    bold.push((a, text.len()));
                }
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                let dest = dest_url.to_string();
                let path = if dest.starts_with("http://") || dest.starts_with("https://") {
                    warnings.push(
                        Notice::new(
                            "article.web_image",
                            format!("image {dest} is on the web; only local images are placed on cards"),
                        )
                        .with("image", &dest),
                    );
                    None
                } else {
                    // Markdown link targets are URL-encoded (`chart%20one.png`).
                    Some(base_dir.join(percent_encoding::percent_decode_str(&dest).decode_utf8_lossy().as_ref()))
                };
                image = path.map(|p| (p, String::new()));
            }
            Event::End(TagEnd::Image) => {
                if let Some((path, alt)) = image.take() {
                    // An image ends the paragraph around it.
                    flush_paragraph(&mut text, &mut bold, &mut blocks, quote_depth > 0);
                    blocks.push(Block::Image { path, alt });
                }
            }
            Event::Start(Tag::Table(_)) => table = Some(Vec::new()),
            Event::End(TagEnd::Table) => {
                if let Some(rows) = table.take().filter(|r| !r.is_empty()) {
                    blocks.push(Block::Table { rows });
                }
            }
            Event::Start(Tag::TableRow) | Event::Start(Tag::TableHead) => {
                if let Some(rows) = table.as_mut() {
                    rows.push(Vec::new());
                }
            }
            Event::End(TagEnd::TableCell) => {
                if let Some(row) = table.as_mut().and_then(|r| r.last_mut()) {
                    row.push(text.trim().to_owned());
                }
                text.clear();
            }
            Event::Text(t) | Event::Code(t) => match image.as_mut() {
                Some((_, alt)) => alt.push_str(&t),
                None => {
                    soft_break_join(&mut text, &t);
                }
            },
            Event::SoftBreak => soft_break(&mut text, true),
            Event::HardBreak => text.push('\n'),
            Event::Html(html) | Event::InlineHtml(html) => {
                let shown: String = html.trim().chars().take(40).collect();
                if !shown.is_empty() {
                    warnings.push(
                        Notice::new("article.raw_html", format!("raw HTML is not rendered and was dropped: {shown}"))
                            .with("html", &shown),
                    );
                }
            }
            _ => {}
        }
    }
    let title = front.title.clone().or(first_h1).unwrap_or_default();
    Article { front, title, blocks, warnings }
}

/// Appends `piece`, keeping a single space where a soft break joined Latin words.
fn soft_break_join(text: &mut String, piece: &str) {
    if text.ends_with(' ') && !piece.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        text.pop();
    }
    text.push_str(piece);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_headings_lists_quotes_tables_and_images() {
        let md = "---\ntitle: 定投入门\ntags: [基金, '#定投']\nauthor: 小王\n---\n\n# 开头的一级标题即文章标题，不在卡片上重复\n\n\
                  开头**重点**内容\n第二行\n\n## 小节\n\n- 甲\n- 乙\n\n1. 一\n2. 二\n\n> 引用\n\n\
                  | a | b |\n|---|---|\n| 1 | 2 |\n\n![图](img/a.png)\n\n```\ncode\n```\n";
        let a = parse(md, Path::new("/base"));
        assert_eq!(a.title, "定投入门");
        assert_eq!(a.front.tags, ["基金", "定投"]);
        assert_eq!(a.front.author.as_deref(), Some("小王"));
        let Block::Paragraph { text, bold } = &a.blocks[0] else { panic!("{:?}", a.blocks[0]) };
        assert_eq!(text, "开头重点内容第二行");
        assert_eq!(&text[bold[0].0..bold[0].1], "重点");
        assert!(a.blocks.contains(&Block::ListItem { marker: "•".into(), text: "乙".into() }));
        assert!(a.blocks.contains(&Block::ListItem { marker: "2.".into(), text: "二".into() }));
        assert!(a.blocks.contains(&Block::Quote { text: "引用".into() }));
        assert!(
            a.blocks.contains(&Block::Table { rows: vec![vec!["a".into(), "b".into()], vec!["1".into(), "2".into()]] })
        );
        assert!(a.blocks.contains(&Block::Image { path: PathBuf::from("/base/img/a.png"), alt: "图".into() }));
        assert!(a.blocks.contains(&Block::Code { text: "code".into() }));
    }

    #[test]
    fn first_heading_is_the_title_without_front_matter_and_html_is_dropped() {
        let a = parse("# 标题\n\n<script>alert(1)</script>\n\n正文 <b>粗</b> text\nmore words\n", Path::new("."));
        assert_eq!(a.title, "标题");
        assert!(a.warnings.iter().any(|w| w.text.contains("<script>")), "{:?}", a.warnings);
        assert!(!a.plain_text().contains("script") && !a.plain_text().contains("<b>"));
        assert!(a.plain_text().contains("text more words"), "{}", a.plain_text());
    }
}
