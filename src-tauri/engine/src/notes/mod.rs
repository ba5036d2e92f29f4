//! Markdown articles → image-and-text notes: card images with the disclaimer
//! footer, and titles, bodies and tags cut to each platform's limits.

pub mod cards;
pub mod markdown;
pub mod theme;

use crate::message::Notice;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use cards::{NoteCard, Rect};
pub use markdown::{Article, Block, FrontMatter};
pub use theme::{Theme, ThemeCatalog};

use crate::captions::{PlatformText, fit};
use crate::disclaimer::Disclaimer;
use crate::error::{EngineError, Result};

/// What the user chose for one platform's note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteRequest {
    pub platform: String,
    pub theme: String,
    pub disclaimer: Disclaimer,
    /// A closing line such as `更多干货去小红书搜 {account}`.
    pub cross_line: Option<String>,
    /// The article is marked as containing AI-generated content: every card's
    /// footer and the text version carry the label, the cards its XMP record.
    pub ai: Option<crate::ai_label::AiMark>,
}

/// A card as stored with its variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardRecord {
    pub index: usize,
    pub path: PathBuf,
    pub sha256: String,
    pub text: String,
    pub footer_text: String,
}

/// A finished note variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotePlan {
    pub platform: String,
    pub theme: String,
    pub source: PathBuf,
    pub text: PlatformText,
    pub cards: Vec<CardRecord>,
    /// The text version (e.g. a Bilibili column), when the platform takes no cards.
    pub article_file: Option<PathBuf>,
    pub disclaimer_text: String,
    /// Everything the user should know: cuts, dropped HTML, card limits.
    pub warnings: Vec<Notice>,
    /// The font family that drew the cards (empty: the system's sans-serif).
    #[serde(default)]
    pub font: String,
    /// The AI-content label the cards carry (unmarked articles have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_label: Option<crate::ai_label::AiLabelRecord>,
}

/// Reads and parses an article file.
pub fn read_article(path: &Path) -> Result<Article> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => EngineError::InputMissing { path: path.to_owned() },
        _ => EngineError::io(format!("reading {}", path.display()), e),
    })?;
    if bytes.is_empty() {
        return Err(EngineError::InputEmpty { path: path.to_owned() });
    }
    let text = String::from_utf8(bytes).map_err(|_| EngineError::InputNotMedia {
        path: path.to_owned(),
        detail: "not UTF-8 text; save the article as UTF-8 Markdown".into(),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(markdown::parse(&text.replace("\r\n", "\n"), base))
}

/// The article as HTML for a preview, sanitised: no scripts, no event
/// handlers, no `javascript:` links, no remote images (the app is offline and
/// must not call out); relative images are left for the caller to resolve.
pub fn preview_html(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| EngineError::io(format!("reading {}", path.display()), e))?;
    let text = String::from_utf8_lossy(&bytes);
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let mut in_front_matter = false;
    let events = Parser::new_ext(&text, options).filter(|e| match e {
        Event::Start(Tag::MetadataBlock(_)) => {
            in_front_matter = true;
            false
        }
        Event::End(TagEnd::MetadataBlock(_)) => {
            in_front_matter = false;
            false
        }
        _ => !in_front_matter,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    Ok(ammonia::Builder::default()
        .url_schemes(["https", "http", "mailto"].into_iter().collect())
        .rm_tags(["img"])
        .link_rel(Some("noopener noreferrer"))
        .clean(&html)
        .to_string())
}

/// A card run that was killed leaves its `.part` files; no job row points
/// at them (cards are made at once, not queued), so the next run in the
/// same folder clears them.
fn remove_partials_in(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.flatten().map(|e| e.path()) {
        if path.extension().is_some_and(|e| e == "part") {
            match std::fs::remove_file(&path) {
                Ok(()) => tracing::info!(path = %path.display(), "removed partial card from an interrupted run"),
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "could not remove partial card"),
            }
        }
    }
}

/// The platform texts for an article: title, body and tags within limits.
pub fn platform_text(
    article: &Article,
    limits: &crate::platform::TextLimits,
    cross_line: Option<&str>,
) -> PlatformText {
    let line = cross_line.map(|l| l.replace("{account}", article.front.account.as_deref().unwrap_or("")));
    fit(limits, &article.title, &article.plain_text(), &article.front.tags, line.as_deref())
}

impl crate::studio::Studio {
    /// Makes one platform's note from an article: cards (unless the platform
    /// takes text only), texts within limits, and every warning on the way.
    pub fn make_note(&self, article_path: &Path, request: &NoteRequest, out_dir: &Path) -> Result<NotePlan> {
        let profile = self.platforms().get(&request.platform)?;
        let Some(spec) = profile.notes else {
            return Err(EngineError::Plan {
                platform: profile.id.clone(),
                reason: "this platform takes no notes".into(),
            });
        };
        let theme = self.themes().get(&request.theme)?;
        let article = read_article(article_path)?;
        let text = platform_text(&article, &profile.text, request.cross_line.as_deref());
        // The article's own institution goes under the risk text (亮牌) unless already there.
        let mut disclaimer = request.disclaimer.clone();
        if let Some(inst) =
            article.front.institution.as_deref().filter(|i| !disclaimer.lines.iter().any(|l| l.contains(*i)))
        {
            disclaimer.lines.insert(1.min(disclaimer.lines.len()), inst.to_owned());
        }
        let disclaimer_text = disclaimer.text();
        let stem = article_path.file_stem().map_or_else(|| "article".into(), |s| s.to_string_lossy().into_owned());
        // The label is the footer's last line: on every card, in the same
        // layout as the risk text. The record's ProduceID names this note.
        let ai_label = request.ai.as_ref().map(|mark| {
            let note = serde_json::json!({ "article": article_path, "platform": profile.id });
            let produce_id = crate::digest::sha256_hex(note.to_string().as_bytes())[..20].to_owned();
            crate::ai_label::AiLabelRecord {
                mark: mark.clone(),
                text: mark.note_text(),
                implicit: mark.implicit(&produce_id),
            }
        });
        let footer_text = match &ai_label {
            Some(l) => format!("{disclaimer_text}\n{}", l.text),
            None => disclaimer_text.clone(),
        };
        let xmp = ai_label.as_ref().map(|l| crate::ai_label::xmp_packet(&l.implicit));
        let mut warnings = article.warnings.clone();
        warnings.extend(text.warnings.iter().cloned());
        let out_dir = std::path::absolute(out_dir).map_err(|e| EngineError::io("resolving the output folder", e))?;
        let mut cards = Vec::new();
        let mut article_file = None;
        if spec.max_cards == 0 {
            let path = out_dir.join(format!("{stem}.{}.md", profile.id));
            let body = format!("# {}\n\n{}\n\n---\n{}\n", text.title, article.plain_text(), footer_text);
            std::fs::create_dir_all(&out_dir)
                .map_err(|e| EngineError::io(format!("creating {}", out_dir.display()), e))?;
            crate::render::write_complete(&path, body.as_bytes())?;
            article_file = Some(path);
        } else {
            let input = cards::CardInput {
                article: &article,
                theme,
                width: spec.card_width,
                height: spec.card_height,
                disclaimer: &footer_text,
                max_cards: spec.max_cards as usize,
                xmp: xmp.as_deref(),
            };
            let dir = out_dir.join(format!("{stem}.{}", profile.id));
            remove_partials_in(&dir);
            let (made, card_warnings) = self.with_text(|engine| cards::render_cards(engine, &input, &dir, "card"))?;
            warnings.extend(card_warnings);
            for card in made {
                let (_, sha256) = crate::render::hash_file(&card.path)
                    .map_err(|e| EngineError::io(format!("reading {}", card.path.display()), e))?;
                cards.push(CardRecord {
                    index: card.index,
                    path: card.path,
                    sha256,
                    text: card.text,
                    footer_text: card.footer_text,
                });
            }
        }
        let font = self.with_text(|engine| Ok(engine.family().to_owned()))?;
        Ok(NotePlan {
            font,
            platform: profile.id.clone(),
            theme: theme.id.clone(),
            source: std::path::absolute(article_path).unwrap_or_else(|_| article_path.to_owned()),
            text,
            cards,
            article_file,
            disclaimer_text,
            warnings,
            ai_label,
        })
    }

    /// Records the article and its note variant (kind `note`), with the
    /// platform texts in the variant's title, body and tags.
    pub fn enqueue_note(&self, project: &str, plan: &NotePlan) -> Result<i64> {
        let mut store = self.store()?;
        let project_id = store.ensure_project(project)?;
        let master_id = store.upsert_article_master(project_id, &plan.source)?;
        store.add_note_variant(master_id, plan)
    }
}

#[cfg(test)]
mod preview_tests {
    #[test]
    fn previews_drop_scripts_handlers_javascript_links_and_front_matter() {
        let dir = tempfile::tempdir().unwrap();
        let md = dir.path().join("a.md");
        std::fs::write(
            &md,
            "---\ntitle: 秘密\n---\n\n# 标题\n\n<script>alert(1)</script>\n\n[点我](javascript:alert(1)) \
             <a href=\"https://example.com\" onclick=\"x()\">ok</a> <img src=x onerror=alert(1)>\n\n**重点**\n",
        )
        .unwrap();
        let html = super::preview_html(&md).unwrap();
        assert!(html.contains("<h1>标题</h1>") && html.contains("<strong>重点</strong>"), "{html}");
        for bad in ["<script", "javascript:", "onclick", "onerror", "<img", "秘密"] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        assert!(html.contains("href=\"https://example.com\""), "{html}");
    }
}
