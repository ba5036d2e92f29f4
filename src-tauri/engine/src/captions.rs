//! Titles, bodies and tags cut to a platform's limits under its counting
//! rule. A cut happens at a sentence boundary where one exists and always
//! produces a warning: nothing is shortened silently.

use crate::message::Notice;
use serde::{Deserialize, Serialize};

use crate::platform::TextLimits;

/// Texts ready for one platform, with what had to change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformText {
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub warnings: Vec<Notice>,
}

const SENTENCE_ENDS: &[char] = &['。', '！', '？', '!', '?', '；', ';', '\n', '…'];
const CLAUSE_ENDS: &[char] = &['，', ',', '、', '：', ':', ' ', '）', ')', '」', '』', '》'];

/// The longest prefix of `text` whose length under `limits` is at most `max`,
/// ending at a sentence end if there is one in the second half, else at a
/// clause end, else anywhere.
pub fn cut(limits: &TextLimits, text: &str, max: usize) -> String {
    if limits.count(text) <= max {
        return text.to_owned();
    }
    let mut end = 0;
    for (i, c) in text.char_indices() {
        let next = i + c.len_utf8();
        if limits.count(&text[..next]) > max {
            break;
        }
        end = next;
    }
    let fits = &text[..end];
    let half = fits.len() / 2;
    let boundary = |ends: &[char]| {
        fits.char_indices().filter(|(i, c)| ends.contains(c) && *i >= half).map(|(i, c)| i + c.len_utf8()).next_back()
    };
    let at = boundary(SENTENCE_ENDS).or_else(|| boundary(CLAUSE_ENDS)).unwrap_or(end);
    fits[..at].trim_end().to_owned()
}

/// Fits title, body and tags to `limits`; `extra_line` (e.g. a
/// cross-platform pointer) is added to the body only if it still fits.
pub fn fit(limits: &TextLimits, title: &str, body: &str, tags: &[String], extra_line: Option<&str>) -> PlatformText {
    let mut warnings = Vec::new();
    let title_max = limits.title_max as usize;
    let fitted_title = cut(limits, title.trim(), title_max);
    if fitted_title != title.trim() {
        let length = limits.count(title.trim());
        warnings.push(
            Notice::new(
                "text.title_cut",
                format!("title is {length} long, over the limit of {title_max}: cut to 「{fitted_title}」"),
            )
            .with("length", length)
            .with("max", title_max)
            .with("title", &fitted_title),
        );
    }
    let mut fitted_body = body.trim().to_owned();
    if let Some(body_max) = limits.body_max.map(|m| m as usize) {
        let cut_body = cut(limits, &fitted_body, body_max);
        if cut_body != fitted_body {
            let length = limits.count(&fitted_body);
            let tail = cut_body.chars().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect::<String>();
            warnings.push(
                Notice::new(
                    "text.body_cut",
                    format!("body is {length} long, over the limit of {body_max}: cut after 「{tail}」"),
                )
                .with("length", length)
                .with("max", body_max)
                .with("tail", tail),
            );
            fitted_body = cut_body;
        }
        if let Some(line) = extra_line.filter(|l| !l.trim().is_empty()) {
            let with_line = format!("{fitted_body}\n\n{}", line.trim());
            if limits.count(&with_line) <= body_max {
                fitted_body = with_line;
            } else {
                warnings.push(
                    Notice::new("text.no_room", format!("no room for the line 「{}」 within {body_max}", line.trim()))
                        .with("line", line.trim())
                        .with("max", body_max),
                );
            }
        }
    } else if let Some(line) = extra_line.filter(|l| !l.trim().is_empty()) {
        fitted_body = format!("{fitted_body}\n\n{}", line.trim());
    }
    let clean: Vec<String> =
        tags.iter().map(|t| t.trim().trim_start_matches('#').to_owned()).filter(|t| !t.is_empty()).collect();
    let tags_max = limits.tags_max as usize;
    if clean.len() > tags_max {
        let dropped = clean[tags_max..].join(", ");
        warnings.push(
            Notice::new(
                "text.tags_dropped",
                format!("{} tags, over the limit of {tags_max}: dropped {dropped}", clean.len()),
            )
            .with("count", clean.len())
            .with("max", tags_max)
            .with("dropped", dropped),
        );
    }
    PlatformText { title: fitted_title, body: fitted_body, tags: clean.into_iter().take(tags_max).collect(), warnings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::CountingRule;

    fn xhs() -> TextLimits {
        TextLimits { counting: CountingRule::HalfWidthUnits, title_max: 20, body_max: Some(1000), tags_max: 10 }
    }

    #[test]
    fn within_limits_nothing_changes() {
        let t = fit(&xhs(), "Claude 4.6发布，AI助手又进化了", "正文。", &["AI".into()], None);
        assert_eq!((t.title.as_str(), t.warnings.len()), ("Claude 4.6发布，AI助手又进化了", 0));
    }

    #[test]
    fn long_title_is_cut_at_a_boundary_and_reported() {
        let title = "基金定投到底能不能赚钱？三个误区一次讲清楚，看完再决定";
        let t = fit(&xhs(), title, "", &[], None);
        assert!(xhs().count(&t.title) <= 20, "{}", t.title);
        assert_eq!(t.title, "基金定投到底能不能赚钱？");
        assert_eq!(t.warnings.len(), 1);
        assert!(t.warnings[0].text.contains("over the limit of 20"));
    }

    #[test]
    fn body_is_cut_at_a_sentence_and_tags_are_capped() {
        let body = "第一句话。".repeat(300);
        let tags: Vec<String> = (0..12).map(|i| format!("#标签{i}")).collect();
        let t = fit(&xhs(), "标题", &body, &tags, Some("更多干货去小红书搜 理财小王"));
        assert!(xhs().count(&t.body) <= 1000);
        assert!(t.body.ends_with('。'));
        assert_eq!(t.tags.len(), 10);
        assert_eq!(t.tags[0], "标签0");
        assert_eq!(t.warnings.len(), 3, "{:?}", t.warnings);
    }

    #[test]
    fn cross_platform_line_is_added_when_it_fits() {
        let t = fit(&xhs(), "标题", "短正文。", &[], Some("更多干货去小红书搜 理财小王"));
        assert!(t.body.ends_with("更多干货去小红书搜 理财小王"));
        assert!(t.warnings.is_empty());
    }
}
