//! The compliance lexicon as data: rule files in `assets/compliance/` plus
//! the user's own, compiled into one Aho-Corasick automaton for terms and a
//! regex per pattern.

use std::collections::BTreeMap;
use std::path::Path;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::normalize::compact_term;
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
    pub explanation: String,
    pub suggestion: String,
}

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
}

impl AssetRecord for RuleFile {
    fn id(&self) -> &str {
        &self.id
    }
    fn validate(&self, file: &str) -> Result<()> {
        let bad = |field: String, reason: String| EngineError::ProfileInvalid { file: file.to_owned(), field, reason };
        for (i, r) in self.rule.iter().enumerate() {
            if r.terms.is_empty() && r.patterns.is_empty() {
                return Err(bad(format!("rule[{i}] ({})", r.id), "needs terms or patterns".into()));
            }
            for p in &r.patterns {
                Regex::new(p).map_err(|e| bad(format!("rule[{i}] ({}).patterns", r.id), e.to_string()))?;
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
    pub(super) negators: Vec<String>,
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
        let (mut disclosures, mut negators) = (Vec::new(), Vec::new());
        for file in shipped.chain(user) {
            rules.extend(file.rule.into_iter().map(|r| (r.id.clone(), r)));
            required.extend(file.required.into_iter().map(|r| (r.id.clone(), r)));
            disclosures.extend(file.disclosures);
            negators.extend(file.negators);
        }
        Self::compile(rules.into_values().collect(), required.into_values().collect(), disclosures, negators)
    }

    fn compile(
        rules: Vec<Rule>,
        required: Vec<RequiredRule>,
        disclosures: Vec<String>,
        negators: Vec<String>,
    ) -> Result<Self> {
        let build_err = |e: aho_corasick::BuildError| EngineError::InvalidArgument(format!("compliance lexicon: {e}"));
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
                let regex =
                    Regex::new(p).map_err(|e| EngineError::InvalidArgument(format!("rule {}: {e}", rule.id)))?;
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
                when.map(|w| (r, w, phrases)).map_err(|e| EngineError::InvalidArgument(format!("required rule: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut negators: Vec<String> = negators.iter().map(|n| compact_term(n)).filter(|n| !n.is_empty()).collect();
        negators.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Ok(Self { rules, required, terms, term_rule, term_ascii, patterns, disclosures, negators })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}
