//! Finding rule matches in a text and reading them in context.

use serde::{Deserialize, Serialize};

use super::lexicon::{Lexicon, Rule, Severity};
use super::normalize::Normalized;
use super::scope::Reading;

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
    /// The rule's family (`promise`, `prediction`, `trade`, …), for reports.
    #[serde(default)]
    pub family: String,
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
        let (clause, sentence) = (n.clauses(), n.sentences());
        let read = |a: usize, b: usize| self.scope.reading(n, a, b, &clause, sentence);
        let mut findings = Vec::new();

        for m in self.terms.find_iter(&n.compact) {
            let rule = &self.rules[self.term_rule[m.pattern().as_usize()]];
            let Some((a, b)) = n.word_span(m.start(), m.end(), self.term_ascii[m.pattern().as_usize()]) else {
                continue;
            };
            if excluded(rule, n, a, b) || inside_disclosure(a, b) {
                continue;
            }
            findings.push(finding(rule, field, text, n, a, b, read(a, b)));
        }

        for p in &self.patterns {
            let rule = &self.rules[p.rule];
            for (start, end) in n.find_by_sentence(&p.regex) {
                let (a, b) = (n.folded_to_char(start), n.folded_to_char(end));
                if a == b || excluded(rule, n, a, b) || inside_disclosure(a, b) {
                    continue;
                }
                if rule.digit_boundary
                    && (a > 0 && n.folded[a - 1].is_ascii_digit() || n.folded.get(b).is_some_and(char::is_ascii_digit))
                {
                    continue;
                }
                findings.push(finding(rule, field, text, n, a, b, read(a, b)));
            }
        }

        for (c, a, b) in self.slots.find(&self.claims, n, sentence) {
            let rule = &self.rules[self.claims[c].rule];
            if excluded(rule, n, a, b) || inside_disclosure(a, b) {
                continue;
            }
            findings.push(finding(rule, field, text, n, a, b, read(a, b)));
        }
        // Stable: for the same words, terms and patterns stay ahead of claims.
        findings.sort_by_key(|f| (f.start, std::cmp::Reverse(f.severity), f.end));
        // A term and a pattern of the same rule can find the same words, and
        // a claim the words a term of its family found.
        findings
            .dedup_by(|b, a| a.start == b.start && (a.rule_id == b.rule_id || a.family == b.family && a.end == b.end));
        // One claim, one finding: words that a term of the family and a claim
        // both found are reported once, by the wider or stricter of the two.
        let covered = |f: &Finding, all: &[Finding]| {
            all.iter().any(|g| {
                !std::ptr::eq(f, g)
                    && g.family == f.family
                    && g.start <= f.start
                    && f.end <= g.end
                    && (g.severity, g.end - g.start) > (f.severity, f.end - f.start)
            })
        };
        let keep: Vec<bool> = findings.iter().map(|f| !covered(f, &findings)).collect();
        findings.into_iter().zip(keep).filter_map(|(f, k)| k.then_some(f)).collect()
    }
}

fn excluded(rule: &Rule, n: &Normalized, a: usize, b: usize) -> bool {
    let next = n.folded[b.min(n.folded.len())..].iter().find(|c| !c.is_whitespace());
    let prev = n.folded[..a].iter().rev().find(|c| !c.is_whitespace());
    next.is_some_and(|c| rule.exclude_next.contains(*c)) || prev.is_some_and(|c| rule.exclude_prev.contains(*c))
}

fn finding(rule: &Rule, field: &str, text: &str, n: &Normalized, a: usize, b: usize, reading: Reading) -> Finding {
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
    let note = match reading {
        Reading::Made => None,
        Reading::Negated => Some("否定或披露用法"),
        Reading::Reported => Some("转述、批评或警示该说法"),
        Reading::Quoted => Some("作为引语讨论该说法"),
        Reading::Asked => Some("以提问方式提及"),
    };
    let (severity, explanation) = match note {
        Some(note) => (Severity::Info, format!("{note}，可能无需修改（请复核）。{}", rule.explanation)),
        None => (rule.severity, rule.explanation.clone()),
    };
    Finding {
        severity,
        rule_id: rule.id.clone(),
        family: rule.family().to_owned(),
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
                    family: "required".into(),
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
