//! Measuring the scanner on a labelled set of sentences: how many of those
//! that must be blocked or warned about it catches, and how many of the
//! sentences it flags deserved it. The set lives in
//! `tests/compliance/labelled.tsv`; `studio bench --compliance` and a unit
//! test print the figures.

use std::collections::BTreeMap;

use super::lexicon::{Lexicon, Severity};
use crate::error::{EngineError, Result};

/// One labelled sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    pub line: usize,
    /// `None`: clean (nothing above `info`).
    pub expected: Option<Severity>,
    pub family: String,
    pub text: String,
}

/// Reads `expected<TAB>family<TAB>text` lines; `#` starts a comment.
pub fn read_labelled(file: &str, text: &str) -> Result<Vec<Labelled>> {
    let bad = |line: usize, reason: String| EngineError::ProfileInvalid {
        file: file.to_owned(),
        field: format!("line {line}"),
        reason,
    };
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let mut cols = raw.splitn(3, '\t');
        let (Some(expected), Some(family), Some(sentence)) = (cols.next(), cols.next(), cols.next()) else {
            return Err(bad(line, "needs three tab-separated columns: expected, family, text".into()));
        };
        let expected = match expected {
            "block" => Some(Severity::Block),
            "warn" => Some(Severity::Warn),
            "clean" => None,
            other => return Err(bad(line, format!("expected is block, warn or clean, not `{other}`"))),
        };
        if sentence.trim().is_empty() {
            return Err(bad(line, "the sentence is empty".into()));
        }
        out.push(Labelled { line, expected, family: family.to_owned(), text: sentence.to_owned() });
    }
    Ok(out)
}

/// What the scanner made of one sentence, when it was not what the label says.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub sentence: Labelled,
    /// The strictest finding above `info`, if any.
    pub got: Option<Severity>,
    /// Rule ids of the findings above `info`.
    pub rules: Vec<String>,
}

/// Counts for one family.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FamilyCount {
    pub block: usize,
    pub block_caught: usize,
    pub warn: usize,
    pub warn_caught: usize,
    /// Sentences a rule of this family flagged (warn or block)…
    pub flagged: usize,
    /// …and of those, labelled with this family.
    pub flagged_right: usize,
}

/// The figures over a whole set.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub sentences: usize,
    pub clean: usize,
    pub families: BTreeMap<String, FamilyCount>,
    /// Labelled block or warn, not caught at that severity.
    pub misses: Vec<Outcome>,
    /// Labelled clean, flagged.
    pub false_alarms: Vec<Outcome>,
    /// Labelled warn, blocked.
    pub over_blocked: Vec<Outcome>,
    /// Flagged sentences (warn or block), and of those labelled block or warn.
    pub flagged: usize,
    pub flagged_right: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

impl Evaluation {
    pub fn block_recall(&self) -> f64 {
        let (c, t) = self.families.values().fold((0, 0), |(c, t), f| (c + f.block_caught, t + f.block));
        ratio(c, t)
    }
    pub fn warn_recall(&self) -> f64 {
        let (c, t) = self.families.values().fold((0, 0), |(c, t), f| (c + f.warn_caught, t + f.warn));
        ratio(c, t)
    }
    /// Of the sentences flagged, the share that deserved a flag.
    pub fn precision(&self) -> f64 {
        ratio(self.flagged_right, self.flagged)
    }
}

impl FamilyCount {
    pub fn block_recall(&self) -> f64 {
        ratio(self.block_caught, self.block)
    }
    pub fn warn_recall(&self) -> f64 {
        ratio(self.warn_caught, self.warn)
    }
    pub fn precision(&self) -> f64 {
        ratio(self.flagged_right, self.flagged)
    }
}

/// Scans every sentence on its own (wording rules only: the disclosures a
/// whole variant must carry are not a sentence's business).
pub fn evaluate(lexicon: &Lexicon, set: &[Labelled]) -> Evaluation {
    let mut e = Evaluation { sentences: set.len(), ..Evaluation::default() };
    for s in set {
        let findings: Vec<_> =
            lexicon.scan_text("text", &s.text).into_iter().filter(|f| f.severity >= Severity::Warn).collect();
        let got = findings.iter().map(|f| f.severity).max();
        let outcome =
            || Outcome { sentence: s.clone(), got, rules: findings.iter().map(|f| f.rule_id.clone()).collect() };
        let mut flagged_families: Vec<&str> = findings.iter().map(|f| f.family.as_str()).collect();
        flagged_families.sort_unstable();
        flagged_families.dedup();
        for f in &flagged_families {
            let count = e.families.entry((*f).to_owned()).or_default();
            count.flagged += 1;
            if s.expected.is_some() && *f == s.family {
                count.flagged_right += 1;
            }
        }
        if got.is_some() {
            e.flagged += 1;
            if s.expected.is_some() {
                e.flagged_right += 1;
            }
        }
        match s.expected {
            None => {
                e.clean += 1;
                if got.is_some() {
                    e.false_alarms.push(outcome());
                }
            }
            Some(expected) => {
                let count = e.families.entry(s.family.clone()).or_default();
                let caught = got.is_some_and(|g| g >= expected);
                if expected == Severity::Block {
                    count.block += 1;
                    count.block_caught += usize::from(caught);
                } else {
                    count.warn += 1;
                    count.warn_caught += usize::from(caught);
                    if got == Some(Severity::Block) {
                        e.over_blocked.push(outcome());
                    }
                }
                if !caught {
                    e.misses.push(outcome());
                }
            }
        }
    }
    e
}

impl Evaluation {
    /// The figures as a table, then every miss, false alarm and over-block.
    pub fn report(&self) -> String {
        let pct = |r: f64| format!("{:5.1} %", r * 100.0);
        let mut out = format!(
            "{} sentences ({} clean)\n{:<12} {:>16} {:>16} {:>18}\n",
            self.sentences, self.clean, "family", "block recall", "warn recall", "precision"
        );
        for (name, f) in &self.families {
            let cell = |c: usize, t: usize, r: f64| if t == 0 { "-".to_owned() } else { format!("{c}/{t} {}", pct(r)) };
            out.push_str(&format!(
                "{name:<12} {:>16} {:>16} {:>18}\n",
                cell(f.block_caught, f.block, f.block_recall()),
                cell(f.warn_caught, f.warn, f.warn_recall()),
                cell(f.flagged_right, f.flagged, f.precision()),
            ));
        }
        out.push_str(&format!(
            "{:<12} {:>16} {:>16} {:>18}\n",
            "all",
            pct(self.block_recall()),
            pct(self.warn_recall()),
            format!("{}/{} {}", self.flagged_right, self.flagged, pct(self.precision()))
        ));
        let list = |title: &str, items: &[Outcome], out: &mut String| {
            out.push_str(&format!("{title}: {}\n", items.len()));
            for o in items {
                let got = o.got.map_or("clean".to_owned(), |g| format!("{g:?}").to_lowercase());
                out.push_str(&format!(
                    "  line {:>3} [{}] got {got} {:?}: {}\n",
                    o.sentence.line, o.sentence.family, o.rules, o.sentence.text
                ));
            }
        };
        list("misses", &self.misses, &mut out);
        list("false alarms", &self.false_alarms, &mut out);
        list("warned sentences blocked", &self.over_blocked, &mut out);
        out
    }
}
