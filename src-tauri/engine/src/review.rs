//! Compliance review of a variant: gathers every text it will publish, scans
//! it with the lexicon, adds the checks only a plan can answer (is the risk
//! text on screen long enough?), and hands the result to the store's workflow.

use crate::ai_label::AiMark;
use crate::compliance::{Finding, Lexicon, PublishText, Severity};
use crate::disclaimer::MIN_DISPLAY_SECONDS;
use crate::error::Result;
use crate::notes::NotePlan;
use crate::plan::{VariantPlan, clock};
use crate::store::VariantContent;
use crate::studio::Studio;
use crate::subtitles::{ClipCue, Cue, clock_ms};

/// The texts a variant publishes, by field.
pub fn publish_texts(content: &VariantContent, disclaimer: Option<&str>) -> Vec<PublishText> {
    let mut texts = Vec::new();
    if !content.title.is_empty() {
        texts.push(PublishText::new("title", &content.title));
    }
    if !content.body.is_empty() {
        texts.push(PublishText::new("body", &content.body));
    }
    if !content.tags.is_empty() {
        texts
            .push(PublishText::new("tags", content.tags.iter().map(|t| format!("#{t}")).collect::<Vec<_>>().join(" ")));
    }
    if let Some(text) = disclaimer.filter(|t| !t.is_empty()) {
        texts.push(PublishText::new("disclaimer", text));
    }
    texts
}

/// A variant's captions, one text per cue, named by the cue's number and
/// where it is in the master and in the clip (what a reviewer looks for).
pub fn cue_texts(cues: &[ClipCue]) -> Vec<PublishText> {
    cues.iter()
        .map(|c| {
            PublishText::new(
                format!("cue {} (master {}, clip {})", c.number, clock(c.master_start), clock(c.start)),
                &c.text,
            )
        })
        .collect()
}

/// A subtitle file's cues, named by number, time and file line.
pub fn track_texts(cues: &[Cue]) -> Vec<PublishText> {
    cues.iter()
        .map(|c| PublishText::new(format!("cue {} ({}, line {})", c.number, clock_ms(c.start_ms), c.line), &c.text))
        .collect()
}

/// Most seconds between two cues that are still read as one run of speech.
const SPOKEN_JOIN_SECONDS: f64 = 1.0;

/// Claims a speaker spreads over two cues ("这只股票肯定" / "会涨到50元"):
/// each pair of adjacent cues read as one text, keeping only the findings
/// that reach across the join (the rest were found in the cues alone).
fn across_cues<'a>(lexicon: &Lexicon, pairs: impl Iterator<Item = (String, &'a str, &'a str)>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (field, first, second) in pairs {
        let joined = format!("{first} {second}");
        let join = first.len();
        out.extend(lexicon.scan_text(&field, &joined).into_iter().filter(|f| f.start < join && f.end > join + 1));
    }
    out
}

/// A clip's cues read in pairs: findings that only the two together hold.
fn clip_cue_pairs(lexicon: &Lexicon, cues: &[ClipCue]) -> Vec<Finding> {
    across_cues(
        lexicon,
        cues.windows(2).filter(|w| w[1].start - w[0].end <= SPOKEN_JOIN_SECONDS).map(|w| {
            (
                format!(
                    "cues {}–{} (master {}, clip {})",
                    w[0].number,
                    w[1].number,
                    clock(w[0].master_start),
                    clock(w[0].start)
                ),
                w[0].text.as_str(),
                w[1].text.as_str(),
            )
        }),
    )
}

/// Every finding in a subtitle file: each cue, and each pair of adjacent cues.
pub fn track_findings(lexicon: &Lexicon, cues: &[Cue]) -> Vec<Finding> {
    let mut findings = lexicon.scan(&track_texts(cues));
    findings.extend(across_cues(
        lexicon,
        cues.windows(2)
            .filter(|w| w[1].start_ms.saturating_sub(w[0].end_ms) as f64 <= SPOKEN_JOIN_SECONDS * 1000.0)
            .map(|w| {
                (
                    format!("cues {}–{} ({}, line {})", w[0].number, w[1].number, clock_ms(w[0].start_ms), w[0].line),
                    w[0].text.as_str(),
                    w[1].text.as_str(),
                )
            }),
    ));
    findings
}

/// Findings only a video plan can show: risk text missing from the picture,
/// or on screen for less than the legal minimum.
pub(crate) fn on_screen_findings(plan: &VariantPlan) -> Vec<Finding> {
    // The shortest window the plan puts it on screen in (start-end timing has several).
    let shown = plan.overlay.as_ref().map(|o| {
        let windows = o.on_screen(plan.duration);
        let shortest = windows.iter().map(|w| w.end - w.start).fold(f64::INFINITY, f64::min);
        (shortest, windows.len())
    });
    let problem = match shown {
        None => Some("视频画面上没有风险提示。".to_owned()),
        Some((s, 1)) if s + 1e-6 < MIN_DISPLAY_SECONDS => {
            Some(format!("风险提示在画面上只显示 {s:.1} 秒，不足 {MIN_DISPLAY_SECONDS} 秒。"))
        }
        Some((s, _)) if s + 1e-6 < MIN_DISPLAY_SECONDS => {
            Some(format!("风险提示有一次在画面上只显示 {:.1} 秒，不足 {MIN_DISPLAY_SECONDS} 秒。", s.max(0.0)))
        }
        Some(_) => None,
    };
    problem
        .map(|explanation| Finding {
            severity: Severity::Block,
            rule_id: "required.onscreen-risk".into(),
            family: "required".into(),
            field: "video".into(),
            matched: String::new(),
            start: 0,
            end: 0,
            excerpt: String::new(),
            explanation: format!("{explanation}互联网视频中的风险提示须在画面上显示至少 5 秒（基金宣传推介规定）。"),
            suggestion: "重新渲染并加入免责声明（如 --disclaimer risk-zh），显示整个片段或至少 5 秒。".into(),
        })
        .into_iter()
        .collect()
}

/// Findings only a card set can show: a card without the disclaimer footer.
fn card_findings(plan: &NotePlan) -> Vec<Finding> {
    plan.cards
        .iter()
        .filter(|c| c.footer_text.trim().is_empty())
        .map(|c| Finding {
            severity: Severity::Block,
            rule_id: "required.card-footer".into(),
            family: "required".into(),
            field: format!("card {}", c.index),
            matched: String::new(),
            start: 0,
            end: 0,
            excerpt: String::new(),
            explanation: format!("第 {} 张卡片没有风险提示页脚。", c.index),
            suggestion: "重新生成卡片并选择免责声明（如 --disclaimer risk-zh）。".into(),
        })
        .collect()
}

/// A marked variant whose output lacks its AI label: the label on the frame
/// (and the file's implicit record) for video, the footer line on every card
/// for notes. Both come from the plan, which is what was rendered.
fn ai_label_findings(mark: Option<&AiMark>, video: Option<&VariantPlan>, note: Option<&NotePlan>) -> Vec<Finding> {
    let Some(mark) = mark else { return Vec::new() };
    let kinds = mark.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
    let finding = |field: String, explanation: String| Finding {
        severity: Severity::Block,
        rule_id: "required.ai-label".into(),
        family: "required".into(),
        field,
        matched: String::new(),
        start: 0,
        end: 0,
        excerpt: String::new(),
        explanation: format!(
            "{explanation}该内容已标记含AI生成合成内容（{kinds}），须添加显式标识与文件元数据中的隐式标识（《人工智能生成合成内容标识办法》，自2025年9月1日起施行）。"
        ),
        suggestion: "重新渲染或重新生成：母版或变体已标记，新的输出会自动带上AI标识。".into(),
    };
    match (video, note) {
        (Some(plan), _) if plan.ai_label.is_none() => {
            vec![finding("video".into(), "视频画面和文件里都没有AI标识。".into())]
        }
        (_, Some(plan)) => match &plan.ai_label {
            None => vec![finding("cards".into(), "卡片和文字版都没有AI标识。".into())],
            Some(label) => plan
                .cards
                .iter()
                .filter(|c| !c.footer_text.contains(&label.text))
                .map(|c| finding(format!("card {}", c.index), format!("第 {} 张卡片的页脚没有AI标识。", c.index)))
                .collect(),
        },
        _ => Vec::new(),
    }
}

/// Everything wrong with a variant's content: its texts, and for video the
/// risk text on screen, for notes every card and its footer.
pub fn check(lexicon: &Lexicon, content: &VariantContent) -> Result<Vec<Finding>> {
    match content.kind.as_str() {
        "video" => {
            let plan: VariantPlan = serde_json::from_str(&content.plan_json)?;
            let mut texts = publish_texts(content, plan.disclaimer_text.as_deref());
            if let Some(l) = &plan.ai_label {
                texts.push(PublishText::new("ai-label", &l.record.text));
            }
            if let Some(c) = &plan.captions {
                texts.extend(cue_texts(&c.cues));
            }
            let mut findings = lexicon.scan(&texts);
            if let Some(c) = &plan.captions {
                findings.extend(clip_cue_pairs(lexicon, &c.cues));
            }
            findings.extend(on_screen_findings(&plan));
            findings.extend(ai_label_findings(content.ai.as_ref(), Some(&plan), None));
            Ok(findings)
        }
        _ => {
            let plan: NotePlan = serde_json::from_str(&content.plan_json)?;
            let mut texts = publish_texts(content, Some(&plan.disclaimer_text));
            texts.extend(plan.cards.iter().map(|c| PublishText::new(format!("card {}", c.index), &c.text)));
            let mut findings = lexicon.scan(&texts);
            findings.extend(card_findings(&plan));
            findings.extend(ai_label_findings(content.ai.as_ref(), None, Some(&plan)));
            Ok(findings)
        }
    }
}

/// Where a finding is, so the review screen can take the reviewer to it:
/// the text field to read, the card to look at, or the moment to play.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Place {
    /// A text the reviewer can read and edit: `title`, `body` or `tags`.
    Field { field: String },
    /// A card of a note, numbered from 1 as on the cards.
    Card { card: usize },
    /// Seconds from the start of the rendered video.
    Time { at: f64 },
    /// Nowhere on screen (a record in the file's metadata, say).
    Nowhere,
}

/// The number a finding's field starts with after `prefix` ("card 3", "cues 4–5 (…)").
fn leading_number(field: &str, prefix: &str) -> Option<usize> {
    let rest = field.strip_prefix(prefix)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Places the findings of one variant, its plan read once however many
/// findings there are. Fields are the names [`check`] gives; a video whose
/// plan cannot be read places only the text fields.
#[derive(Debug)]
pub enum Places {
    Video(Option<Box<VariantPlan>>),
    Note,
}

impl Places {
    pub fn of(content: &VariantContent) -> Self {
        if content.kind == "video" { Self::Video(serde_json::from_str(&content.plan_json).ok()) } else { Self::Note }
    }

    /// Where the finding recorded on `field` is.
    pub fn place(&self, field: &str) -> Place {
        if matches!(field, "title" | "body" | "tags") {
            return Place::Field { field: field.to_owned() };
        }
        match self {
            Self::Video(None) => Place::Nowhere,
            Self::Video(Some(plan)) => {
                let first_window =
                    || plan.overlay.as_ref().and_then(|o| o.on_screen(plan.duration).first().map(|w| w.start));
                let cue = leading_number(field, "cue ").or_else(|| leading_number(field, "cues "));
                match (field, cue) {
                    (_, Some(n)) => plan
                        .captions
                        .as_ref()
                        .and_then(|c| c.cues.iter().find(|q| q.number as usize == n))
                        .map_or(Place::Nowhere, |q| Place::Time { at: q.start }),
                    ("disclaimer", _) => first_window().map_or(Place::Nowhere, |at| Place::Time { at }),
                    ("video", _) => Place::Time { at: first_window().unwrap_or(0.0) },
                    _ => Place::Nowhere,
                }
            }
            Self::Note => match (field, leading_number(field, "card ")) {
                (_, Some(card)) => Place::Card { card },
                // The footer and the AI label are on every card: the first shows them.
                ("cards" | "disclaimer", _) => Place::Card { card: 1 },
                _ => Place::Nowhere,
            },
        }
    }
}

impl Studio {
    /// Scans a stored variant as it is now.
    pub fn check_variant(&self, variant_id: i64) -> Result<(VariantContent, Vec<Finding>)> {
        let content = self.store()?.variant_content(variant_id)?;
        let findings = check(self.lexicon(), &content)?;
        Ok((content, findings))
    }

    /// Scans the variant and sends it to review with those findings.
    pub fn submit_for_review(&self, variant_id: i64, actor: &str) -> Result<Vec<Finding>> {
        let mut store = self.store()?;
        let person = store.person(actor)?;
        let content = store.variant_content(variant_id)?;
        let findings = check(self.lexicon(), &content)?;
        store.submit_for_review(variant_id, &person, &content.content_hash(), &findings)?;
        Ok(findings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(number: u32, start_ms: u64, end_ms: u64, text: &str) -> Cue {
        Cue { number, start_ms, end_ms, text: text.into(), line: number as usize * 4 - 2 }
    }

    #[test]
    fn a_claim_spoken_over_two_cues_is_found_once_and_named_by_both() {
        let lexicon = Lexicon::load(None).unwrap();
        let cues = [
            cue(1, 0, 2000, "这只股票肯定"),
            cue(2, 2100, 4000, "会涨到50元"),
            cue(3, 9000, 11000, "投资有风险"),
            cue(4, 11100, 13000, "稳赚不赔"),
        ];
        let findings = track_findings(&lexicon, &cues);
        let split: Vec<_> = findings.iter().filter(|f| f.rule_id == "predict.certain-move").collect();
        assert_eq!(split.len(), 1, "{findings:#?}");
        assert!(split[0].field.starts_with("cues 1–2"), "{}", split[0].field);
        // A claim inside one cue is that cue's finding, not the pair's too.
        let promise: Vec<_> = findings.iter().filter(|f| f.rule_id == "promise.no-risk").collect();
        assert_eq!(promise.len(), 1, "{promise:#?}");
        assert!(promise[0].field.starts_with("cue 4 "), "{}", promise[0].field);
        // Cues far apart in time are not one sentence.
        let apart = [cue(1, 0, 2000, "这只股票肯定"), cue(2, 6000, 8000, "会涨到50元")];
        assert!(track_findings(&lexicon, &apart).iter().all(|f| f.rule_id != "predict.certain-move"));
    }

    fn content(kind: &str, plan_json: &str) -> VariantContent {
        VariantContent {
            id: 1,
            platform: "xiaohongshu".into(),
            kind: kind.into(),
            review_state: crate::store::ReviewState::Draft,
            author_id: None,
            title: String::new(),
            body: String::new(),
            tags: Vec::new(),
            plan_json: plan_json.into(),
            output_sha256: None,
            approved_hash: None,
            ai: None,
        }
    }

    #[test]
    fn findings_are_placed_on_their_field_card_or_nowhere() {
        let note = Places::of(&content("note", "{}"));
        assert_eq!(note.place("title"), Place::Field { field: "title".into() });
        assert_eq!(note.place("tags"), Place::Field { field: "tags".into() });
        assert_eq!(note.place("card 3"), Place::Card { card: 3 });
        assert_eq!(note.place("card 12"), Place::Card { card: 12 });
        assert_eq!(note.place("cards"), Place::Card { card: 1 });
        assert_eq!(note.place("disclaimer"), Place::Card { card: 1 });
        assert_eq!(note.place("something else"), Place::Nowhere);
        // A video whose plan cannot be read still places its texts.
        let video = Places::of(&content("video", "not a plan"));
        assert_eq!(video.place("body"), Place::Field { field: "body".into() });
        assert_eq!(video.place("cue 2 (master 0:01.00, clip 0:01.00)"), Place::Nowhere);
        assert_eq!(leading_number("cues 4–5 (master 0:10.00)", "cues "), Some(4));
        assert_eq!(leading_number("cue x", "cue "), None);
    }
}
