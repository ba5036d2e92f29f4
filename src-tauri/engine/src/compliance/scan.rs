//! Finding rule matches in a text and reading them in context.

use serde::{Deserialize, Serialize};

use super::lexicon::{Lexicon, Rule, Severity};
use super::normalize::Normalized;

/// One text a variant will publish, named for where it appears.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishText {
    /// `title`, `caption`, `tags`, `disclaimer`, `card 3`, `article`, …
    pub field: String,
    pub text: String,
}

impl PublishText {
    pub fn new(field: impl Into<String>, text: impl Into<String>) -> Self {
        Self { field: field.into(), text: text.into() }
    }
}

/// Where a finding is and what the user should do about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    pub rule_id: String,
    pub field: String,
    /// The matched words as written, empty for a missing disclosure.
    pub matched: String,
    /// Byte range in the field's text.
    pub start: usize,
    pub end: usize,
    /// Up to a dozen chars on either side, the match in 【】.
    pub excerpt: String,
    pub explanation: String,
    pub suggestion: String,
}

/// Largest run of separators allowed inside one matched term.
const MAX_GAP: usize = 3;
const EXCERPT_CHARS: usize = 12;

impl Lexicon {
    /// All findings in one text (wording rules only; see `scan` for required
    /// disclosures), in text order.
    pub fn scan_text(&self, field: &str, text: &str) -> Vec<Finding> {
        self.scan_normalized(field, text, &Normalized::new(text))
    }

    fn scan_normalized(&self, field: &str, text: &str, n: &Normalized) -> Vec<Finding> {
        let disclosed: Vec<(usize, usize)> = self
            .disclosures
            .find_overlapping_iter(&n.compact)
            .map(|m| (n.compact_to_char(m.start()), n.compact_to_char(m.end() - 1) + 1))
            .collect();
        let inside_disclosure = |a: usize, b: usize| disclosed.iter().any(|(s, e)| *s <= a && b <= *e);
        let mut findings = Vec::new();

        for m in self.terms.find_iter(&n.compact) {
            let rule = &self.rules[self.term_rule[m.pattern().as_usize()]];
            // compact_chars is sorted by byte offset: slice out the match.
            let from = n.compact_chars.partition_point(|(b, _)| *b < m.start());
            let to = n.compact_chars.partition_point(|(b, _)| *b < m.end());
            let chars: Vec<usize> = n.compact_chars[from..to].iter().map(|(_, c)| *c).collect();
            let (Some(&first), Some(&last)) = (chars.first(), chars.last()) else { continue };
            let spread_out =
                chars.windows(2).any(|w| w[1] - w[0] > MAX_GAP + 1 || n.folded[w[0]..w[1]].contains(&'\n'));
            if spread_out {
                continue;
            }
            if self.term_ascii[m.pattern().as_usize()] && !word_bounded(n, first, last + 1) {
                continue;
            }
            if excluded(rule, n, first, last + 1) || inside_disclosure(first, last + 1) {
                continue;
            }
            let negated = self.negated(n, first, m.start());
            findings.push(finding(rule, field, text, n, first, last + 1, negated));
        }

        for p in &self.patterns {
            let rule = &self.rules[p.rule];
            for m in p.regex.find_iter(&n.folded_text) {
                let (a, b) = (n.folded_to_char(m.start()), n.folded_to_char(m.end()));
                if a == b || excluded(rule, n, a, b) || inside_disclosure(a, b) {
                    continue;
                }
                if rule.digit_boundary
                    && (a > 0 && n.folded[a - 1].is_ascii_digit() || n.folded.get(b).is_some_and(char::is_ascii_digit))
                {
                    continue;
                }
                let at = n.compact_chars.partition_point(|(_, c)| *c < a);
                let compact_start = n.compact_chars.get(at).map_or(n.compact.len(), |(b, _)| *b);
                let negated = self.negated(n, a, compact_start);
                findings.push(finding(rule, field, text, n, a, b, negated));
            }
        }
        findings.sort_by_key(|f| (f.start, std::cmp::Reverse(f.severity)));
        // A term and a pattern of the same rule can find the same words.
        findings.dedup_by(|b, a| a.rule_id == b.rule_id && a.start == b.start);
        findings
    }

    /// True when a negator sits right before the match (不保本, 并非稳赚, not risk-free).
    fn negated(&self, n: &Normalized, first_char: usize, compact_start: usize) -> bool {
        let before = &n.compact[..compact_start];
        if self.negators.iter().any(|neg| !neg.is_ascii() && before.ends_with(neg.as_str())) {
            return true;
        }
        // English: a negating word among the three words before.
        let prefix: String = n.folded[first_char.saturating_sub(40)..first_char].iter().collect();
        prefix
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .rev()
            .take(3)
            .any(|w| w.ends_with("n't") || self.negators.iter().any(|neg| neg.is_ascii() && neg == w))
    }
}

/// An ASCII term must not be part of a longer word.
fn word_bounded(n: &Normalized, a: usize, b: usize) -> bool {
    let before = a.checked_sub(1).and_then(|i| n.folded.get(i));
    let after = n.folded.get(b);
    !before.is_some_and(|c| c.is_ascii_alphanumeric()) && !after.is_some_and(|c| c.is_ascii_alphanumeric())
}

fn excluded(rule: &Rule, n: &Normalized, a: usize, b: usize) -> bool {
    let next = n.folded[b.min(n.folded.len())..].iter().find(|c| !c.is_whitespace());
    let prev = n.folded[..a].iter().rev().find(|c| !c.is_whitespace());
    next.is_some_and(|c| rule.exclude_next.contains(*c)) || prev.is_some_and(|c| rule.exclude_prev.contains(*c))
}

fn finding(rule: &Rule, field: &str, text: &str, n: &Normalized, a: usize, b: usize, negated: bool) -> Finding {
    let (start, end) = (n.original_bytes[a], n.original_bytes[b]);
    let from = n.original_bytes[a.saturating_sub(EXCERPT_CHARS)];
    let to = n.original_bytes[(b + EXCERPT_CHARS).min(n.original_bytes.len() - 1)];
    let excerpt = format!(
        "{}{}【{}】{}{}",
        if from > 0 { "…" } else { "" },
        &text[from..start],
        &text[start..end],
        &text[end..to],
        if to < text.len() { "…" } else { "" }
    );
    let (severity, explanation) = if negated {
        (Severity::Info, format!("否定或披露用法，可能无需修改（请复核）。{}", rule.explanation))
    } else {
        (rule.severity, rule.explanation.clone())
    };
    Finding {
        severity,
        rule_id: rule.id.clone(),
        field: field.to_owned(),
        matched: text[start..end].to_owned(),
        start,
        end,
        excerpt,
        explanation,
        suggestion: rule.suggestion.clone(),
    }
}

impl Lexicon {
    /// Every finding in everything a variant publishes: each text's wording,
    /// then the disclosures the whole set must carry.
    pub fn scan(&self, texts: &[PublishText]) -> Vec<Finding> {
        let mut findings = Vec::new();
        // Each text is normalised once; the required checks read all of them.
        let (mut folded, mut compact) = (String::new(), String::new());
        for t in texts {
            let n = Normalized::new(&t.text);
            findings.extend(self.scan_normalized(&t.field, &t.text, &n));
            folded.push_str(&n.folded_text);
            folded.push('\n');
            compact.push_str(&n.compact);
            compact.push('\n');
        }
        for (rule, when, phrases) in &self.required {
            let applies = when.is_empty() || when.iter().any(|w| w.is_match(&folded));
            if applies && !phrases.iter().any(|p| compact.contains(p.as_str())) {
                findings.push(Finding {
                    severity: rule.severity,
                    rule_id: rule.id.clone(),
                    field: "(all)".into(),
                    matched: String::new(),
                    start: 0,
                    end: 0,
                    excerpt: String::new(),
                    explanation: rule.explanation.clone(),
                    suggestion: rule.suggestion.clone(),
                });
            }
        }
        findings
    }
}
