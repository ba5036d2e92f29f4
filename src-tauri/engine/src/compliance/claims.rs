//! Claims: a rule made of slots (a certainty marker, then a market move; a
//! promise noun and a floor; an urgent word, then a trade verb) instead of
//! fixed words, so "肯定会涨到", "必将突破" and "下个月稳稳站上" are one
//! rule, not three terms. Every slot word is found in one Aho-Corasick pass
//! over the compact text (evasions already folded away); a claim is a chain
//! of slot hits in one sentence, each within the rule's gap of the last.

use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;

use super::lexicon::{DEFAULT_GAP, Rule};
use super::normalize::{Normalized, compact_term, is_separator};
use crate::error::Result;

/// One slot word found in a text.
#[derive(Debug, Clone, Copy)]
struct Hit {
    /// Original char range.
    a: usize,
    b: usize,
    /// Compact char range (separators not counted), for gaps.
    ca: usize,
    cb: usize,
}

/// The slot vocabularies, compiled.
#[derive(Debug)]
pub(super) struct Slots {
    names: Vec<String>,
    words: AhoCorasick,
    /// For each word: the slots it belongs to (an empty list shadows a
    /// shorter word: 一定程度 is not 一定), and whether it is ASCII.
    word_slots: Vec<(Vec<usize>, bool)>,
    regexes: Vec<(usize, Regex)>,
}

/// A rule's slots as indexes.
#[derive(Debug)]
pub(super) struct ClaimRule {
    pub rule: usize,
    chain: Vec<usize>,
    near: Vec<usize>,
    gap: usize,
    any_order: bool,
}

impl Slots {
    /// `slots` by name; the name `shadow` holds words that only hide shorter ones.
    pub fn compile(slots: &BTreeMap<String, Vec<String>>) -> Result<Self> {
        let mut names = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        let mut word_slots: Vec<(Vec<usize>, bool)> = Vec::new();
        let mut regexes = Vec::new();
        for (name, words) in slots {
            let id = names.len();
            names.push(name.clone());
            for w in words {
                if let Some(re) = w.strip_prefix("re:") {
                    let re = Regex::new(re).map_err(|e| super::lexicon::lexicon_error(format!("slot {name}: {e}")))?;
                    regexes.push((id, re));
                    continue;
                }
                let key = compact_term(w);
                if key.is_empty() {
                    continue;
                }
                let at = keys.iter().position(|k| *k == key).unwrap_or_else(|| {
                    keys.push(key.clone());
                    word_slots.push((Vec::new(), key.is_ascii()));
                    keys.len() - 1
                });
                if name.as_str() != "shadow" && !word_slots[at].0.contains(&id) {
                    word_slots[at].0.push(id);
                }
            }
        }
        // Overlapping matches: a word of one slot may sit inside a word of
        // another (guaranteed in "is guaranteed"); shadows are applied after.
        let words = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&keys)
            .map_err(|e| super::lexicon::lexicon_error(format!("compliance slots: {e}")))?;
        Ok(Self { names, words, word_slots, regexes })
    }

    fn id(&self, rule: &Rule, name: &str) -> Result<usize> {
        self.names.iter().position(|n| n == name).ok_or_else(|| {
            super::lexicon::lexicon_error(format!(
                "compliance rule {}: no slot named `{name}` (slots: {})",
                rule.id,
                self.names.join(", ")
            ))
        })
    }

    /// The claim rules among `rules`, their slot names resolved.
    pub fn claims(&self, rules: &[Rule]) -> Result<Vec<ClaimRule>> {
        rules
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.slots.is_empty())
            .map(|(i, r)| {
                Ok(ClaimRule {
                    rule: i,
                    chain: r.slots.iter().map(|s| self.id(r, s)).collect::<Result<_>>()?,
                    near: r.near.iter().map(|s| self.id(r, s)).collect::<Result<_>>()?,
                    gap: r.gap.unwrap_or(DEFAULT_GAP),
                    any_order: r.any_order,
                })
            })
            .collect()
    }

    /// Every slot's hits in `n`, in text order.
    fn hits(&self, n: &Normalized) -> Vec<Vec<Hit>> {
        let mut by_slot: Vec<Vec<Hit>> = vec![Vec::new(); self.names.len()];
        let matches: Vec<_> = self.words.find_overlapping_iter(&n.compact).collect();
        // Shadows in start order; one is at most a few words long, so only
        // those starting shortly before a match can hold it.
        let mut shadows: Vec<(usize, usize)> = matches
            .iter()
            .filter(|m| self.word_slots[m.pattern().as_usize()].0.is_empty())
            .map(|m| (m.start(), m.end()))
            .collect();
        shadows.sort_unstable();
        let longest = shadows.iter().map(|(a, b)| b - a).max().unwrap_or(0);
        for m in &matches {
            let (slots, ascii) = &self.word_slots[m.pattern().as_usize()];
            let from = shadows.partition_point(|(a, _)| *a + longest < m.start());
            let shadowed = shadows[from..]
                .iter()
                .take_while(|(a, _)| *a <= m.start())
                .any(|(a, b)| m.end() <= *b && b - a > m.end() - m.start());
            if slots.is_empty() || shadowed {
                continue;
            }
            let Some((a, b)) = n.word_span(m.start(), m.end(), *ascii) else { continue };
            for s in slots {
                by_slot[*s].push(Hit { a, b, ca: n.compact_before[a], cb: n.compact_before[b] });
            }
        }
        for (s, re) in &self.regexes {
            for (start, end) in n.find_by_sentence(re) {
                let (mut a, b) = (n.folded_to_char(start), n.folded_to_char(end));
                // A pattern anchored on what comes before (a sentence's start) keeps only its words.
                while a < b && is_separator(n.folded[a]) {
                    a += 1;
                }
                if a < b {
                    by_slot[*s].push(Hit { a, b, ca: n.compact_before[a], cb: n.compact_before[b] });
                }
            }
        }
        // In text order, the longest first where several start together (亏损 before 亏).
        for hits in &mut by_slot {
            hits.sort_by_key(|h| (h.a, std::cmp::Reverse(h.b)));
            hits.dedup_by_key(|h| (h.a, h.b));
        }
        by_slot
    }

    /// Char ranges where `claims` hold in `n`, with the claim's index;
    /// `sentence` numbers each char (`Normalized::sentences`).
    pub fn find(&self, claims: &[ClaimRule], n: &Normalized, sentence: &[usize]) -> Vec<(usize, usize, usize)> {
        if claims.is_empty() {
            return Vec::new();
        }
        let hits = self.hits(n);
        let mut out = Vec::new();
        for (c, claim) in claims.iter().enumerate() {
            let orders: &[bool] = if claim.any_order { &[false, true] } else { &[false] };
            for &reversed in orders {
                let chain: Vec<usize> =
                    if reversed { claim.chain.iter().rev().copied().collect() } else { claim.chain.clone() };
                let mut last_end = 0;
                for first in &hits[chain[0]] {
                    if first.a < last_end {
                        continue;
                    }
                    let Some(end) = chain_end(&hits, &chain[1..], *first, claim.gap, sentence) else { continue };
                    let s = sentence[first.a];
                    // Hits are in text order, so sentence numbers rise along them.
                    let near = claim.near.is_empty()
                        || claim.near.iter().any(|slot| {
                            let list = &hits[*slot];
                            list.get(list.partition_point(|h| sentence[h.a] < s)).is_some_and(|h| sentence[h.a] == s)
                        });
                    if near {
                        out.push((c, first.a, end));
                        last_end = end;
                    }
                }
            }
        }
        out
    }
}

/// Follows `rest` from `from`: each next slot's nearest hit after the last,
/// within `gap` compact chars and in the same sentence; the chain's end.
fn chain_end(hits: &[Vec<Hit>], rest: &[usize], from: Hit, gap: usize, sentence: &[usize]) -> Option<usize> {
    let mut at = from;
    for slot in rest {
        let list = &hits[*slot];
        let i = list.partition_point(|h| h.ca < at.cb);
        let next = list[i..].iter().take_while(|h| h.ca <= at.cb + gap).find(|h| sentence[h.a] == sentence[from.a])?;
        at = *next;
    }
    Some(at.b)
}
