//! Two views of a text for matching, each mapped back to the original:
//! `folded` (full-width → half-width, lower case, traditional → simplified;
//! one char per original char) and `compact` (folded, with spaces and
//! punctuation dropped, so `稳 赚`, `稳-赚` and `保/本` read as the term).

/// A text prepared for matching.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// Folded chars, one per original char.
    pub folded: Vec<char>,
    /// The folded chars as a string, for regexes.
    pub folded_text: String,
    /// Byte offset in `folded_text` of each folded char, plus the end.
    pub folded_bytes: Vec<usize>,
    /// Byte offset in the original text of each char, plus the end.
    pub original_bytes: Vec<usize>,
    /// Folded text without separators.
    pub compact: String,
    /// For each compact char: its byte offset in `compact` and its original char index.
    pub compact_chars: Vec<(usize, usize)>,
}

/// Full-width forms to ASCII, then lower case; one char out per char in.
fn fold_char(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Characters someone might slip inside a term to dodge a filter.
pub fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || c.is_ascii_punctuation()
        || ('\u{2000}'..='\u{206F}').contains(&c)
        || ('\u{3000}'..='\u{303F}').contains(&c)
        || ('\u{FE30}'..='\u{FE4F}').contains(&c)
        || matches!(c, '·' | '•' | '・' | '～' | '\u{FEFF}' | '×' | '丶' | '｜' | '¦')
}

/// Folds a term or phrase the way texts are folded, without separators.
pub fn compact_term(term: &str) -> String {
    let folded: String = term.chars().map(fold_char).collect();
    to_simplified(&folded).chars().filter(|c| !is_separator(*c)).collect()
}

/// Traditional → simplified, keeping one char per char (so positions hold).
fn to_simplified(folded: &str) -> String {
    let converted = fast2s::convert(folded);
    if converted.chars().count() == folded.chars().count() { converted } else { folded.to_owned() }
}

impl Normalized {
    pub fn new(text: &str) -> Self {
        let mut original_bytes: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        original_bytes.push(text.len());
        let folded_raw: String = text.chars().map(fold_char).collect();
        let folded_text = to_simplified(&folded_raw);
        let folded: Vec<char> = folded_text.chars().collect();
        let mut folded_bytes: Vec<usize> = folded_text.char_indices().map(|(i, _)| i).collect();
        folded_bytes.push(folded_text.len());
        let mut compact = String::with_capacity(folded_text.len());
        let mut compact_chars = Vec::with_capacity(folded.len());
        for (i, c) in folded.iter().enumerate() {
            if !is_separator(*c) {
                compact_chars.push((compact.len(), i));
                compact.push(*c);
            }
        }
        Self { folded, folded_text, folded_bytes, original_bytes, compact, compact_chars }
    }

    /// Original char index of the compact char starting at `byte`.
    pub fn compact_to_char(&self, byte: usize) -> usize {
        let i = self.compact_chars.partition_point(|(b, _)| *b < byte);
        self.compact_chars.get(i).map_or(self.folded.len(), |(_, c)| *c)
    }

    /// Char index of a byte offset in `folded_text`.
    pub fn folded_to_char(&self, byte: usize) -> usize {
        self.folded_bytes.partition_point(|b| *b < byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_case_and_script_keeping_positions() {
        let n = Normalized::new("穩賺ＡＢ６００５１９ Risk");
        assert_eq!(n.folded_text, "稳赚ab600519 risk");
        assert_eq!(n.folded.len(), "穩賺ＡＢ６００５１９ Risk".chars().count());
        assert_eq!(n.compact, "稳赚ab600519risk");
    }

    #[test]
    fn compact_drops_inserted_separators() {
        assert_eq!(Normalized::new("稳 赚，保/本、稳-赚").compact, "稳赚保本稳赚");
        assert_eq!(compact_term("Risk-Free"), "riskfree");
    }
}
