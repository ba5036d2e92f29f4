//! Markdown → cards and platform texts, checked from the layout's own line
//! positions and from the PNGs' pixels.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use studio_e2e::*;
use studio_engine::Studio;
use studio_engine::notes::{NotePlan, NoteRequest};

fn note(studio: &Studio, md: &Path, platform: &str) -> studio_engine::Result<NotePlan> {
    let request = NoteRequest {
        platform: platform.into(),
        theme: "light".into(),
        disclaimer: studio.disclaimer(Some("risk-zh"), None, Some("示例投顾"), None).unwrap(),
        cross_line: Some("更多干货去小红书搜 {account}".into()),
        ai: None,
    };
    studio.make_note(md, &request, &md.parent().unwrap().join("out"))
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const PARAGRAPH: &str = "定投的核心在于纪律，而不是择时。很多人在市场下跌时停止扣款（这恰恰是积累份额的时候），\
在上涨时又加大投入。Vanguard 的研究显示，长期来看 dollar-cost averaging 能平滑成本，但并不能保证收益；\
2015 年到 2024 年间，沪深300 指数经历了 3 次超过 30% 的回撤。“坚持”二字说来容易，做到很难！";

/// Every line of every card inside its box, no CJK closing punctuation at a
/// line start, no opening bracket at a line end, no Latin word split.
fn assert_well_laid(plan: &NotePlan, cards: &[studio_engine::notes::NoteCard]) {
    assert_eq!(plan.cards.len(), cards.len());
    for card in cards {
        for (i, line) in card.lines.iter().enumerate() {
            assert!(
                card.text_box.contains(&line.rect),
                "card {} line {i} {:?} outside {:?}",
                card.index,
                line,
                card.text_box
            );
            let first = line.text.chars().next();
            assert!(
                !first.is_some_and(|c| "，。！？、；：」』）》,.!?;:)".contains(c)),
                "card {} line starts with {:?}: {}",
                card.index,
                first,
                line.text
            );
            let last = line.text.trim_end().chars().last();
            assert!(
                !last.is_some_and(|c| "「『（《(“".contains(c)),
                "card {} line ends with {:?}: {}",
                card.index,
                last,
                line.text
            );
        }
    }
}

#[test]
fn short_long_and_heading_heavy_articles_paginate_inside_their_boxes() {
    let dir = tempfile::tempdir().unwrap();
    let studio = fast_studio(&dir.path().join("data"));

    let short = write(
        dir.path(),
        "short.md",
        &format!("---\ntitle: 定投入门\ntags: [基金, 定投]\nauthor: 小王\naccount: 理财小王\n---\n\n{PARAGRAPH}\n"),
    );
    let plan = note(&studio, &short, "xiaohongshu").unwrap();
    assert_eq!(plan.cards.len(), 2, "a cover and one content card");
    assert!(plan.text.body.ends_with("更多干货去小红书搜 理财小王"));
    assert_eq!(plan.text.tags, ["基金", "定投"]);
    for c in &plan.cards {
        let (w, h) = image_size(&c.path);
        assert_eq!((w, h), (1080, 1440));
    }

    let mut long = String::from("# 长文\n\n");
    while long.chars().count() < 10_000 {
        long.push_str(PARAGRAPH);
        long.push_str("\n\n");
    }
    let long = write(dir.path(), "long.md", &long);
    let plan = note(&studio, &long, "douyin-notes").unwrap();
    assert!(plan.cards.len() > 10, "{} cards", plan.cards.len());
    assert!(
        plan.warnings.iter().any(|w| w.text.contains("body is")),
        "the body is cut and the variant says so: {:?}",
        plan.warnings
    );
    let plan_x = note(&studio, &long, "xiaohongshu").unwrap();
    assert_eq!(plan_x.cards.len(), 18, "Xiaohongshu takes 18 cards");
    assert!(plan_x.warnings.iter().any(|w| w.text.contains("cards")), "{:?}", plan_x.warnings);

    let mut headings = String::from("# 标题党\n\n");
    for i in 0..30 {
        headings.push_str(&format!("## 第{i}节 小标题\n\n### 子标题 {i}\n\n短句。\n\n"));
    }
    let headings = write(dir.path(), "headings.md", &headings);
    let plan = note(&studio, &headings, "xiaohongshu").unwrap();
    assert!(plan.cards.len() > 3);
    // No content card ends with a heading: each is followed on its own card by what it introduces.
    for card in &plan.cards[1..plan.cards.len() - 1] {
        let last = card.text.lines().last().unwrap_or_default();
        assert!(
            !last.contains("小标题") && !last.starts_with("子标题"),
            "card {} ends with heading {last:?}",
            card.index
        );
    }
}

#[test]
fn laid_out_lines_obey_the_box_and_chinese_line_breaking() {
    let dir = tempfile::tempdir().unwrap();
    let studio = fast_studio(&dir.path().join("data"));
    let mut md = String::from("# 排版\n\n");
    for _ in 0..6 {
        md.push_str(PARAGRAPH);
        md.push_str("\n\n> 引用：过往业绩不代表未来表现。\n\n- 列表项，包含 English words 和数字 12345。\n\n```\nlet x = 1;\n```\n\n| 指标 | 数值 |\n|---|---|\n| 回撤 | 30% |\n\n");
    }
    let md = write(dir.path(), "layout.md", &md);
    let article = studio_engine::notes::markdown::parse(&std::fs::read_to_string(&md).unwrap(), dir.path());
    let theme = studio.themes().get("light").unwrap().clone();
    let input = studio_engine::notes::cards::CardInput {
        article: &article,
        theme: &theme,
        width: 1080,
        height: 1440,
        disclaimer: "投资有风险，入市需谨慎",
        max_cards: 50,
        xmp: None,
    };
    let mut engine = studio_engine::text::TextEngine::new(&Default::default()).unwrap();
    let (cards, _) =
        studio_engine::notes::cards::render_cards(&mut engine, &input, &dir.path().join("cards"), "c").unwrap();
    assert!(cards.len() > 3);
    let lines: usize = cards.iter().map(|c| c.lines.len()).sum();
    assert!(lines > 60, "{lines} lines checked");
    let plan = NotePlan {
        platform: "t".into(),
        theme: "light".into(),
        source: md.clone(),
        text: studio_engine::captions::fit(&studio.platforms().get("xiaohongshu").unwrap().text, "", "", &[], None),
        cards: cards
            .iter()
            .map(|c| studio_engine::notes::CardRecord {
                index: c.index,
                path: c.path.clone(),
                sha256: String::new(),
                text: c.text.clone(),
                footer_text: c.footer_text.clone(),
            })
            .collect(),
        ai_label: None,
        article_file: None,
        font: String::new(),
        disclaimer_text: String::new(),
        warnings: vec![],
    };
    assert_well_laid(&plan, &cards);
    // Latin words and numbers are never split across lines.
    let all_lines: String = cards.iter().flat_map(|c| c.lines.iter().map(|l| format!("{}\n", l.text))).collect();
    for word in ["Vanguard", "averaging", "English", "12345", "2015", "30%"] {
        let expected = article.plain_text().matches(word).count();
        assert!(expected >= 6);
        assert_eq!(all_lines.matches(word).count(), expected, "{word} whole on a line every time it appears");
    }
    // Page numbers and headings: the last card says N/N.
    assert_eq!(cards.last().unwrap().index, cards.len());
}

#[test]
fn every_card_carries_the_footer() {
    let dir = tempfile::tempdir().unwrap();
    let studio = fast_studio(&dir.path().join("data"));
    let md = write(dir.path(), "a.md", &format!("# 标题\n\n{PARAGRAPH}\n\n{PARAGRAPH}\n"));
    let plan = note(&studio, &md, "xiaohongshu").unwrap();
    for card in &plan.cards {
        let img = image_rgb(&card.path);
        let (w, h) = (img.1, img.2);
        // The footer band is the bottom of the card; its text makes pixels
        // that differ from the band's own colour.
        let band_y = h - 60;
        let bg = pixel(&img, 4, band_y);
        let differing = (0..w).filter(|x| pixel(&img, *x, band_y - 10) != bg || pixel(&img, *x, band_y) != bg).count();
        assert!(differing > 30, "card {}: footer text pixels {differing}", card.index);
        assert!(card.footer_text.contains("投资有风险"));
    }
}

fn image_rgb(path: &Path) -> (Vec<u8>, u32, u32) {
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    let (w, h) = image_size(path);
    (out.stdout, w as u32, h as u32)
}

fn pixel(img: &(Vec<u8>, u32, u32), x: u32, y: u32) -> [u8; 3] {
    let i = ((y * img.1 + x) * 3) as usize;
    [img.0[i], img.0[i + 1], img.0[i + 2]]
}

#[test]
fn images_html_and_emoji() {
    let dir = tempfile::tempdir().unwrap();
    let studio = fast_studio(&dir.path().join("data"));
    let chart = dir.path().join("img/chart one.png");
    std::fs::create_dir_all(chart.parent().unwrap()).unwrap();
    let s = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=800x500", "-frames:v", "1"])
        .arg(&chart)
        .status()
        .unwrap();
    assert!(s.success());
    let md = write(
        dir.path(),
        "img.md",
        "# 图文\n\n走势如下 📈：\n\n![近十年走势](img/chart%20one.png)\n\n<script>alert('x')</script>\n\n结语。\n",
    );
    let plan = note(&studio, &md, "xiaohongshu").unwrap();
    assert!(plan.warnings.iter().any(|w| w.text.contains("<script>")), "{:?}", plan.warnings);
    assert!(plan.cards.iter().all(|c| !c.text.contains("script")));
    assert!(plan.cards.iter().any(|c| c.text.contains("📈")), "emoji drawn from the fallback font");

    let missing = write(dir.path(), "missing.md", "# 缺图\n\n![图](nope.png)\n");
    let err = note(&studio, &missing, "xiaohongshu").unwrap_err();
    assert_eq!(err.code(), "input_missing");
    assert!(err.to_string().contains("nope.png"), "{err}");

    std::fs::write(dir.path().join("broken.png"), b"not a png at all").unwrap();
    let broken = write(dir.path(), "broken.md", "# 坏图\n\n![图](broken.png)\n");
    let err = note(&studio, &broken, "xiaohongshu").unwrap_err();
    assert_eq!(err.code(), "input_not_media");
    assert!(err.to_string().contains("broken.png"), "{err}");
}

#[test]
fn notes_are_variants_that_go_through_review() {
    let dir = tempfile::tempdir().unwrap();
    let studio = fast_studio(&dir.path().join("data"));
    let md = write(
        dir.path(),
        "a.md",
        "---\ntitle: 这只基金稳赚不赔，三年翻倍的秘密都在这里了\ntags: [a, b, c, d, e, f, g]\n---\n\n正文第一段。\n",
    );
    let plan = note(&studio, &md, "douyin-notes").unwrap();
    assert!(plan.text.title.chars().count() <= 20);
    assert_eq!(plan.text.tags.len(), 5, "Douyin takes 5 tags");
    assert!(
        plan.warnings.iter().any(|w| w.text.contains("title")) && plan.warnings.iter().any(|w| w.text.contains("tags"))
    );
    let variant = studio.enqueue_note("t", &plan).unwrap();
    let (content, findings) = studio.check_variant(variant).unwrap();
    assert_eq!(content.kind, "note");
    assert!(findings.iter().any(|f| f.rule_id == "promise.no-risk" && f.field == "title"), "{findings:#?}");
    assert!(
        findings.iter().any(|f| f.rule_id == "promise.no-risk" && f.field.starts_with("card")),
        "card text is scanned"
    );

    // A card set with a card lacking the footer is a blocking finding.
    let raw = rusqlite::Connection::open(studio.data_dir().join("studio.db")).unwrap();
    let mut broken = plan.clone();
    broken.cards[1].footer_text.clear();
    raw.execute(
        "UPDATE variants SET plan_json = ?2 WHERE id = ?1",
        rusqlite::params![variant, serde_json::to_string(&broken).unwrap()],
    )
    .unwrap();
    let (_, findings) = studio.check_variant(variant).unwrap();
    assert!(findings.iter().any(|f| f.rule_id == "required.card-footer" && f.field == "card 2"));
}

#[test]
fn the_bilibili_column_is_a_text_file() {
    let dir = tempfile::tempdir().unwrap();
    let studio = fast_studio(&dir.path().join("data"));
    let md = write(dir.path(), "a.md", &format!("# 专栏标题\n\n{PARAGRAPH}\n"));
    let plan = note(&studio, &md, "bilibili-article").unwrap();
    assert!(plan.cards.is_empty());
    let text = std::fs::read_to_string(plan.article_file.unwrap()).unwrap();
    assert!(text.starts_with("# 专栏标题") && text.contains("投资有风险，入市需谨慎"));
}

#[test]
fn ai_marked_notes_carry_the_label_on_every_card_and_in_their_files() {
    use studio_engine::ai_label::{AiKind, AiMark, find_implicit};
    let dir = tempfile::tempdir().unwrap();
    let studio = fast_studio(&dir.path().join("data"));
    let md = write(dir.path(), "ai.md", &format!("# AI写的定投笔记\n\n{PARAGRAPH}\n\n{PARAGRAPH}\n"));
    let mark = AiMark::new(vec![AiKind::AiText], Some("本文由AI辅助生成"), None).unwrap();
    let request = |platform: &str, ai: Option<AiMark>| NoteRequest {
        platform: platform.into(),
        theme: "light".into(),
        disclaimer: studio.disclaimer(Some("risk-zh"), None, None, None).unwrap(),
        cross_line: None,
        ai,
    };
    let out = dir.path().join("out");
    let plan = studio.make_note(&md, &request("xiaohongshu", Some(mark.clone())), &out).unwrap();
    assert!(!plan.cards.is_empty());
    let implicit = &plan.ai_label.as_ref().unwrap().implicit;
    for card in &plan.cards {
        assert!(card.footer_text.ends_with("本文由AI辅助生成"), "card {}: {}", card.index, card.footer_text);
        let png = std::fs::read(&card.path).unwrap();
        assert_eq!(find_implicit(&png).as_deref(), Some(implicit.as_str()), "card {}'s XMP", card.index);
    }
    let text = studio.make_note(&md, &request("bilibili-article", Some(mark.clone())), &out).unwrap();
    let article = std::fs::read_to_string(text.article_file.unwrap()).unwrap();
    assert!(article.trim_end().ends_with("本文由AI辅助生成"), "{article}");

    // A note made before its article was marked is blocked in review, naming where the label is missing.
    let plain = studio.make_note(&md, &request("douyin-notes", None), &out).unwrap();
    let v = studio.enqueue_note("tests", &plain).unwrap();
    let master = studio.store().unwrap().variants().unwrap().into_iter().find(|r| r.id == v).unwrap().master_id;
    studio.store().unwrap().set_master_ai(master, Some(&mark), "").unwrap();
    let (_, findings) = studio.check_variant(v).unwrap();
    let missing: Vec<_> = findings.iter().filter(|f| f.rule_id == "required.ai-label").collect();
    assert_eq!(missing.len(), 1, "{findings:#?}");
    assert_eq!(missing[0].field, "cards");
    let labelled = studio.make_note(&md, &request("douyin-notes", Some(mark)), &out).unwrap();
    let v2 = studio.enqueue_note("tests", &labelled).unwrap();
    let (_, findings) = studio.check_variant(v2).unwrap();
    assert!(findings.iter().all(|f| f.rule_id != "required.ai-label"), "{findings:#?}");
}
