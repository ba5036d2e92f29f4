//! The compliance lexicon as data: rule files in `assets/compliance/` plus
//! the user's own, compiled into one Aho-Corasick automaton for terms and a
//! regex per pattern.

use std::collections::BTreeMap;
use std::path::Path;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::claims::{ClaimRule, Slots};
use super::normalize::compact_term;
use super::scope::Scope;
use crate::assets::{AssetRecord, load_dir, load_shipped};
use crate::error::{EngineError, Result};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A probable disclosure (negated use): shown, never blocks.
    Info,
    /// A reviewer should look; does not block approval.
    Warn,
    /// Blocks approval unless a reviewer overrides it with a reason.
    Block,
}

/// One wording rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub severity: Severity,
    #[serde(default)]
    pub terms: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Not a match when the next char is one of these (e.g. 第一 in 第一季度).
    #[serde(default)]
    pub exclude_next: String,
    #[serde(default)]
    pub exclude_prev: String,
    /// The match may not touch other digits (stock codes inside longer numbers).
    #[serde(default)]
    pub digit_boundary: bool,
    /// A claim: words of these slots (see `[slots]`), in this order, each
    /// within `gap` characters of the one before, in one sentence.
    #[serde(default)]
    pub slots: Vec<String>,
    /// The two slots may come in either order (至少赚两成, 收益不少于).
    #[serde(default)]
    pub any_order: bool,
    /// Most characters (spaces and punctuation not counted) between slots.
    #[serde(default)]
    pub gap: Option<usize>,
    /// The sentence must also hold a word of one of these slots (an
    /// instrument, a target, a time), so 必将突破自我 is not a prediction.
    #[serde(default)]
    pub near: Vec<String>,
    /// What the rule is about, for reports (`promise`, `prediction`, …);
    /// the id up to its first `.` when not given.
    #[serde(default)]
    pub family: String,
    pub explanation: String,
    pub suggestion: String,
}

impl Rule {
    pub fn family(&self) -> &str {
        if self.family.is_empty() { self.id.split('.').next().unwrap_or(&self.id) } else { &self.family }
    }
}

/// Characters a claim's slots may be apart when a rule does not say.
pub const DEFAULT_GAP: usize = 4;

/// Something every output must say.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredRule {
    pub id: String,
    pub severity: Severity,
    /// Only required when one of these patterns matches (e.g. performance figures).
    #[serde(default)]
    pub when: Vec<String>,
    pub any_of: Vec<String>,
    pub explanation: String,
    pub suggestion: String,
}

/// One file of the lexicon.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub id: String,
    pub lang: String,
    #[serde(default)]
    pub rule: Vec<Rule>,
    #[serde(default)]
    pub required: Vec<RequiredRule>,
    #[serde(default)]
    pub disclosures: Vec<String>,
    #[serde(default)]
    pub negators: Vec<String>,
    /// Named word lists that claims are built from; a word starting `re:`
    /// is a regular expression over the folded text (for numbers, prices).
    #[serde(default)]
    pub slots: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub scope: ScopeWords,
}

/// Words that change how a claim is read (see `scope`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeWords {
    /// Negators that count anywhere in the few characters before a claim
    /// in its clause (没有人能保证…一定涨), not only right before it.
    #[serde(default)]
    pub negators_near: Vec<String>,
    /// Phrases holding a negator that do not negate (不要错过, 不管, 非常).
    #[serde(default)]
    pub not_negating: Vec<String>,
    /// Reporting or warning words before a claim in its clause (宣称, 所谓, 警惕).
    #[serde(default)]
    pub reporting: Vec<String>,
    /// Verdicts anywhere in the sentence (骗局, 违规, 被罚, misleading).
    #[serde(default)]
    pub verdicts: Vec<String>,
    /// Words right after a closing quote that say the quote is talked
    /// about, not said (这类, 之类的, 的说法, 的旗号).
    #[serde(default)]
    pub quote_nouns: Vec<String>,
    /// In a sentence ending with a question mark: the claim is asked, not
    /// made (沪指会不会突破3500点？).
    #[serde(default)]
    pub questions: Vec<String>,
}

impl AssetRecord for RuleFile {
    fn id(&self) -> &str {
        &self.id
    }
    fn validate(&self, file: &str) -> Result<()> {
        let bad = |field: String, reason: String| EngineError::ProfileInvalid { file: file.to_owned(), field, reason };
        for (i, r) in self.rule.iter().enumerate() {
            if r.terms.is_empty() && r.patterns.is_empty() && r.slots.is_empty() {
                return Err(bad(format!("rule[{i}] ({})", r.id), "needs terms, patterns or slots".into()));
            }
            if r.any_order && r.slots.len() != 2 {
                return Err(bad(format!("rule[{i}] ({}).any_order", r.id), "needs exactly two slots".into()));
            }
            for p in &r.patterns {
                Regex::new(p).map_err(|e| bad(format!("rule[{i}] ({}).patterns", r.id), e.to_string()))?;
            }
        }
        for (name, words) in &self.slots {
            for w in words.iter().filter_map(|w| w.strip_prefix("re:")) {
                Regex::new(w).map_err(|e| bad(format!("slots.{name}"), e.to_string()))?;
            }
        }
        for (i, r) in self.required.iter().enumerate() {
            for p in &r.when {
                Regex::new(p).map_err(|e| bad(format!("required[{i}] ({}).when", r.id), e.to_string()))?;
            }
            if r.any_of.is_empty() {
                return Err(bad(format!("required[{i}] ({}).any_of", r.id), "must list at least one phrase".into()));
            }
        }
        Ok(())
    }
}

/// What the rule files say about reading rules in context, merged.
#[derive(Default)]
struct Context {
    disclosures: Vec<String>,
    negators: Vec<String>,
    slots: BTreeMap<String, Vec<String>>,
    scope: ScopeWords,
}

/// A compiled pattern and the rule it belongs to.
#[derive(Debug)]
pub(super) struct Pattern {
    pub rule: usize,
    pub regex: Regex,
}

/// The compiled lexicon.
#[derive(Debug)]
pub struct Lexicon {
    pub(super) rules: Vec<Rule>,
    pub(super) required: Vec<(RequiredRule, Vec<Regex>, Vec<String>)>,
    /// Terms automaton over compact text; pattern i belongs to `term_rule[i]`.
    pub(super) terms: AhoCorasick,
    pub(super) term_rule: Vec<usize>,
    pub(super) term_ascii: Vec<bool>,
    pub(super) patterns: Vec<Pattern>,
    pub(super) disclosures: AhoCorasick,
    pub(super) slots: Slots,
    pub(super) claims: Vec<ClaimRule>,
    pub(super) scope: Scope,
}

impl Lexicon {
    /// Shipped rule files plus `*.toml` in `user_dir`; a user file with a
    /// shipped file's id replaces it, a user rule with a shipped rule's id
    /// replaces that rule.
    pub fn load(user_dir: Option<&Path>) -> Result<Self> {
        // Shipped files first, then the user's, so a user rule always wins.
        let user: Vec<RuleFile> = load_dir(user_dir)?;
        let user_ids: Vec<String> = user.iter().map(|u| u.id.clone()).collect();
        let shipped = load_shipped::<RuleFile>("compliance")?.into_iter().filter(|f| !user_ids.contains(&f.id));
        let mut rules: BTreeMap<String, Rule> = BTreeMap::new();
        let mut required: BTreeMap<String, RequiredRule> = BTreeMap::new();
        let mut context = Context::default();
        for file in shipped.chain(user) {
            rules.extend(file.rule.into_iter().map(|r| (r.id.clone(), r)));
            required.extend(file.required.into_iter().map(|r| (r.id.clone(), r)));
            context.disclosures.extend(file.disclosures);
            context.negators.extend(file.negators);
            // A slot named again adds words (a house file extends 渠道 without copying it).
            for (name, words) in file.slots {
                context.slots.entry(name).or_default().extend(words);
            }
            let (s, w) = (&mut context.scope, file.scope);
            s.negators_near.extend(w.negators_near);
            s.not_negating.extend(w.not_negating);
            s.reporting.extend(w.reporting);
            s.verdicts.extend(w.verdicts);
            s.quote_nouns.extend(w.quote_nouns);
            s.questions.extend(w.questions);
        }
        Self::compile(rules.into_values().collect(), required.into_values().collect(), context)
    }

    fn compile(rules: Vec<Rule>, required: Vec<RequiredRule>, context: Context) -> Result<Self> {
        let Context { disclosures, negators, slots, scope } = context;
        let build_err = |e: aho_corasick::BuildError| lexicon_error(format!("compliance lexicon: {e}"));
        let mut term_keys = Vec::new();
        let (mut term_rule, mut term_ascii) = (Vec::new(), Vec::new());
        let mut patterns = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            for term in &rule.terms {
                let key = compact_term(term);
                if key.is_empty() {
                    continue;
                }
                term_ascii.push(key.is_ascii());
                term_keys.push(key);
                term_rule.push(i);
            }
            for p in &rule.patterns {
                // Texts are folded to lower case before matching, so no (?i).
                let regex = Regex::new(p).map_err(|e| lexicon_error(format!("rule {}: {e}", rule.id)))?;
                patterns.push(Pattern { rule: i, regex });
            }
        }
        let terms =
            AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&term_keys).map_err(build_err)?;
        let disclosure_keys: Vec<String> =
            disclosures.iter().map(|d| compact_term(d)).filter(|d| !d.is_empty()).collect();
        let disclosures = AhoCorasick::builder().build(&disclosure_keys).map_err(build_err)?;
        let required = required
            .into_iter()
            .map(|r| {
                let when = r.when.iter().map(|p| Regex::new(p)).collect::<std::result::Result<Vec<_>, _>>();
                let phrases = r.any_of.iter().map(|p| compact_term(p)).collect();
                when.map(|w| (r, w, phrases)).map_err(|e| lexicon_error(format!("required rule: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let scope = Scope::compile(&negators, &scope)?;
        let slots = Slots::compile(&slots)?;
        let claims = slots.claims(&rules)?;
        Ok(Self { rules, required, terms, term_rule, term_ascii, patterns, disclosures, slots, claims, scope })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

/// A lexicon, claim or scope file that does not compile; `detail` says where.
pub(crate) fn lexicon_error(detail: String) -> EngineError {
    EngineError::Refused(crate::message::Notice::new("lexicon.invalid", detail.clone()).with("detail", detail))
}
