//! Compliance review of finance wording: a lexicon of block / warn / required
//! rules (data in `assets/compliance/`), matched after normalisation so that
//! full-width digits, traditional characters and separators slipped inside a
//! term do not hide it, and read in context so disclosures are not flagged.

mod claims;
pub mod eval;
mod lexicon;
mod normalize;
mod scan;
mod scope;

pub use lexicon::{Lexicon, RequiredRule, Rule, RuleFile, ScopeWords, Severity};
pub use scan::{Finding, PublishText};
pub use scope::Reading;

/// True when any finding blocks approval.
pub fn has_block(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Block)
}

#[cfg(test)]
mod tests;
