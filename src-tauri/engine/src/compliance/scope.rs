//! How a matched claim is meant: made, or negated, reported, quoted or
//! criticised. A finding read as anything but made is `info` for the
//! reviewer, never a block: "不要相信所谓保本" warns against the claim it
//! holds.
//!
//! The reading is decided from words around the match, in this order:
//! 1. a negator right before it (不保本, not risk-free), or a near negator a
//!    few characters before it in its clause (没有人能保证明天一定涨),
//!    unless the negator is part of a phrase that does not negate (不要错过,
//!    不管, 非常);
//! 2. a reporting or warning word before it in its clause (宣称, 所谓, 打着,
//!    警惕, beware, so-called);
//! 3. a verdict anywhere in its sentence (骗局, 违规, 被罚, misleading);
//! 4. the match inside quotation marks followed by a word that talks about
//!    the quote (“保本”这类说法, “零风险”的旗号);
//! 5. a sentence that ends with a question mark and holds a question word
//!    (沪指会不会突破3500点？): asked, not claimed. "你还不上车？" has no
//!    question word and stays a call.
//!
//! Where it still errs: an advertisement that quotes a rival to outdo it
//! ("别人宣称稳赚，我们才是真的稳赚") reads the first claim as reported, and
//! the second is caught only because it stands in its own clause; a
//! negation farther back than the window (八个字以外) is not seen.

use aho_corasick::AhoCorasick;

use super::lexicon::ScopeWords;
use super::normalize::{Normalized, compact_term};
use crate::error::Result;

/// Characters before a claim in which a near negator counts.
const NEAR_WINDOW: usize = 8;
/// Words before an English claim in which a negator counts.
const NEAR_WORDS: usize = 6;

/// How a match reads in its context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Made,
    Negated,
    Reported,
    Quoted,
    Asked,
}

/// The compiled scope words.
#[derive(Debug)]
pub(super) struct Scope {
    negators: Vec<String>,
    near: Vec<String>,
    not_negating: AhoCorasick,
    reporting: AhoCorasick,
    verdicts: AhoCorasick,
    quote_nouns: Vec<String>,
    questions: AhoCorasick,
}

fn automaton(words: &[String]) -> Result<AhoCorasick> {
    let keys: Vec<String> = words.iter().map(|w| compact_term(w)).filter(|w| !w.is_empty()).collect();
    AhoCorasick::new(&keys).map_err(|e| super::lexicon::lexicon_error(format!("compliance scope words: {e}")))
}

fn compacted(words: &[String]) -> Vec<String> {
    let mut out: Vec<String> = words.iter().map(|w| compact_term(w)).filter(|w| !w.is_empty()).collect();
    out.sort_by_key(|w| std::cmp::Reverse(w.len()));
    out
}

// ASCII `'` is left out: it is far more often an apostrophe (can't).
const OPENING: &[char] = &['“', '「', '『', '"', '‘', '《'];
const CLOSING: &[char] = &['”', '」', '』', '"', '’', '》'];

impl Scope {
    pub fn compile(negators: &[String], words: &ScopeWords) -> Result<Self> {
        Ok(Self {
            negators: compacted(negators),
            near: compacted(&words.negators_near),
            not_negating: AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(compacted(&words.not_negating))
                .map_err(|e| super::lexicon::lexicon_error(format!("compliance scope words: {e}")))?,
            reporting: automaton(&words.reporting)?,
            verdicts: automaton(&words.verdicts)?,
            quote_nouns: compacted(&words.quote_nouns),
            questions: automaton(&words.questions)?,
        })
    }

    /// How chars `a..b` of `n` read; `clause` and `sentence` number each char.
    pub fn reading(&self, n: &Normalized, a: usize, b: usize, clause: &[usize], sentence: &[usize]) -> Reading {
        if a >= n.folded.len() {
            return Reading::Made;
        }
        let clause_start = clause.partition_point(|c| *c < clause[a]);
        let sentence_start = sentence.partition_point(|s| *s < sentence[a]);
        let sentence_end = sentence.partition_point(|s| *s <= sentence[a]);
        let before = n.compact_between(clause_start, a);
        if self.negated(n, before, clause_start, a) {
            return Reading::Negated;
        }
        if self.reporting.is_match(before) {
            return Reading::Reported;
        }
        let whole = n.compact_between(sentence_start, sentence_end);
        if self.verdicts.is_match(whole) {
            return Reading::Reported;
        }
        if self.quoted(n, a, b, sentence_start, sentence_end) {
            return Reading::Quoted;
        }
        let asks = n.folded[sentence_start..sentence_end].iter().rev().find(|c| !c.is_whitespace());
        if asks.is_some_and(|c| matches!(c, '?' | '？')) && self.questions.is_match(whole) {
            return Reading::Asked;
        }
        Reading::Made
    }

    fn negated(&self, n: &Normalized, before: &str, clause_start: usize, a: usize) -> bool {
        // Phrases that hold a negator but do not negate are blanked first.
        let mut plain = String::with_capacity(before.len());
        self.not_negating.replace_all_with(before, &mut plain, |_, found, out| {
            out.extend(found.chars().map(|_| '□'));
            true
        });
        if self.negators.iter().any(|neg| !neg.is_ascii() && plain.ends_with(neg.as_str())) {
            return true;
        }
        let window: String = {
            let chars: Vec<char> = plain.chars().collect();
            chars[chars.len().saturating_sub(NEAR_WINDOW)..].iter().collect()
        };
        if self.near.iter().any(|neg| !neg.is_ascii() && window.contains(neg.as_str())) {
            return true;
        }
        // English: a negating word among the words before, in the clause.
        let prefix: String = n.folded[clause_start..a].iter().collect();
        prefix
            .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
            .filter(|w| !w.is_empty())
            .rev()
            .take(NEAR_WORDS)
            .any(|w| {
                w.ends_with("n't")
                    || w.ends_with("n’t")
                    || self.negators.iter().chain(&self.near).any(|neg| neg.is_ascii() && neg == w)
            })
    }

    /// Inside quotation marks that close before the sentence ends, with a
    /// word after them that talks about the quote.
    fn quoted(&self, n: &Normalized, a: usize, b: usize, from: usize, to: usize) -> bool {
        let f = &n.folded;
        let Some(open) = (from..a).rev().find(|i| OPENING.contains(&f[*i]) || CLOSING.contains(&f[*i])) else {
            return false;
        };
        if !OPENING.contains(&f[open]) {
            return false;
        }
        let Some(close) = (b..to).find(|i| CLOSING.contains(&f[*i])) else { return false };
        // After the closing mark, and any further quoted terms (“最佳”“第一”等).
        let mut at = close + 1;
        while at < to && OPENING.contains(&f[at]) {
            match (at + 1..to).find(|i| CLOSING.contains(&f[*i])) {
                Some(c) => at = c + 1,
                None => break,
            }
        }
        self.word_after(f, at, to)
    }

    fn word_after(&self, f: &[char], at: usize, to: usize) -> bool {
        let after: String = f[at.min(to)..to].iter().filter(|c| !c.is_whitespace()).take(8).collect();
        self.quote_nouns.iter().any(|q| after.starts_with(q.as_str()))
    }
}
