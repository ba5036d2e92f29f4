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
    /// For each char (and the end): how many compact chars come before it.
    pub compact_before: Vec<usize>,
    /// The sentence number of each char.
    sentence: Vec<usize>,
    /// Byte ranges of `folded_text`'s sentences.
    sentence_bytes: Vec<(usize, usize)>,
}

/// Largest run of separators allowed inside one matched word.
pub const MAX_GAP: usize = 3;

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
        || is_decoration(c)
}

/// Emoji, symbols and their modifiers, as slipped between the characters
/// of 微❤信 or 加🐧: never part of a word the rules look for.
fn is_decoration(c: char) -> bool {
    matches!(c as u32,
        0x2190..=0x21FF // arrows
        | 0x2460..=0x27BF // enclosed digits, shapes, dingbats (❤ ✨ ★)
        | 0x2B00..=0x2BFF
        | 0xFE00..=0xFE0F // variation selectors
        | 0x1F000..=0x1FAFF // emoji
        | 0xE0020..=0xE007F)
}

/// Ends a sentence: claims and their context never reach past one.
fn ends_sentence(prev: Option<char>, c: char, next: Option<char>) -> bool {
    match c {
        '。' | '！' | '？' | '!' | '?' | '；' | ';' | '\n' | '…' => true,
        // A full stop, not a decimal point or an abbreviation's dot.
        '.' => !prev.is_some_and(|p| p.is_ascii_digit()) && next.is_none_or(char::is_whitespace),
        _ => false,
    }
}

/// Numbers each char by the run it is in, a run ending where `ends` says.
fn numbered(f: &[char], ends: fn(Option<char>, char, Option<char>) -> bool) -> Vec<usize> {
    let mut at = 0;
    (0..f.len())
        .map(|i| {
            let here = at;
            if ends(i.checked_sub(1).map(|p| f[p]), f[i], f.get(i + 1).copied()) {
                at += 1;
            }
            here
        })
        .collect()
}

/// Ends a clause inside a sentence.
fn ends_clause(prev: Option<char>, c: char, next: Option<char>) -> bool {
    match c {
        '，' | '、' | '：' | '—' => true,
        ',' | ':' => !(prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit())),
        _ => ends_sentence(prev, c, next),
    }
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
        let mut compact_before = Vec::with_capacity(folded.len() + 1);
        for (i, c) in folded.iter().enumerate() {
            compact_before.push(compact_chars.len());
            if !is_separator(*c) {
                compact_chars.push((compact.len(), i));
                compact.push(*c);
            }
        }
        compact_before.push(compact_chars.len());
        let sentence = numbered(&folded, ends_sentence);
        let starts: Vec<usize> =
            (0..folded.len()).filter(|&i| i == 0 || sentence[i] != sentence[i - 1]).map(|i| folded_bytes[i]).collect();
        let ends = starts.iter().skip(1).copied().chain(std::iter::once(folded_text.len()));
        let sentence_bytes = starts.iter().copied().zip(ends).collect();
        Self {
            folded,
            folded_text,
            folded_bytes,
            original_bytes,
            compact,
            compact_chars,
            compact_before,
            sentence,
            sentence_bytes,
        }
    }

    /// Matches of `re` in `folded_text`, as byte ranges, searched sentence by
    /// sentence: no rule pattern reaches past a sentence, and a search over
    /// a short haystack stays cheap (the regex engines' per-search setup
    /// grows with the haystack, which over a whole article made each of
    /// hundreds of matches cost a pass over the rest of it).
    pub fn find_by_sentence<'a>(&'a self, re: &'a regex::Regex) -> impl Iterator<Item = (usize, usize)> + 'a {
        self.sentence_bytes.iter().flat_map(move |&(from, to)| {
            re.find_iter(&self.folded_text[from..to]).map(move |m| (from + m.start(), from + m.end()))
        })
    }

    /// The sentence number of each char.
    pub fn sentences(&self) -> &[usize] {
        &self.sentence
    }

    /// The clause number of each char (clauses split sentences further).
    pub fn clauses(&self) -> Vec<usize> {
        numbered(&self.folded, ends_clause)
    }

    /// The compact text of chars `from..to` (separators left out), borrowed.
    pub fn compact_between(&self, from: usize, to: usize) -> &str {
        let byte = |k: usize| self.compact_chars.get(k).map_or(self.compact.len(), |(b, _)| *b);
        &self.compact[byte(self.compact_before[from])..byte(self.compact_before[to])]
    }

    /// The original chars a match of a word in `compact` (bytes `start..end`)
    /// covers, as `first..last + 1`: `None` when separators spread it out
    /// (more than `MAX_GAP` in a row, or a line break) or when an ASCII word
    /// is part of a longer one.
    pub fn word_span(&self, start: usize, end: usize, ascii: bool) -> Option<(usize, usize)> {
        let from = self.compact_chars.partition_point(|(b, _)| *b < start);
        let to = self.compact_chars.partition_point(|(b, _)| *b < end);
        let chars = &self.compact_chars[from..to];
        let (&(_, first), &(_, last)) = (chars.first()?, chars.last()?);
        let spread_out =
            chars.windows(2).any(|w| w[1].1 - w[0].1 > MAX_GAP + 1 || self.folded[w[0].1..w[1].1].contains(&'\n'));
        (!spread_out && (!ascii || self.word_bounded(first, last + 1))).then_some((first, last + 1))
    }

    /// An ASCII word at chars `a..b` is not part of a longer word.
    pub fn word_bounded(&self, a: usize, b: usize) -> bool {
        let before = a.checked_sub(1).and_then(|i| self.folded.get(i));
        let after = self.folded.get(b);
        !before.is_some_and(|c| c.is_ascii_alphanumeric()) && !after.is_some_and(|c| c.is_ascii_alphanumeric())
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
