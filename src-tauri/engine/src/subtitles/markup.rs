//! Cue text as a viewer reads it: the styling tags captioning tools put in
//! (`<i>`, `<font color=…>`, `<a href>`, WebVTT's `<c.x>`, `<v Name>` and
//! inline timestamps, ASS-style `{\an8}` overrides) removed, and HTML
//! entities turned back into characters, control characters dropped. A `<` that does not open a tag
//! ("收益<5%") is kept as written.

/// The plain text of one cue line.
pub fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(end) = tag_end(rest)
        {
            rest = &rest[end..];
            continue;
        }
        if c == '{'
            && rest.starts_with("{\\")
            && let Some(end) = rest.find('}')
        {
            rest = &rest[end + 1..];
            continue;
        }
        if c == '&'
            && let Some((ch, len)) = entity(rest)
        {
            out.push(ch);
            rest = &rest[len..];
            continue;
        }
        out.extend(visible(c));
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A character as a viewer should see it: control characters (a NUL left by
/// a mis-saved file, a stray BOM) are never meant to be seen, so they go; a
/// tab is a space; a line break stays.
pub fn visible(c: char) -> Option<char> {
    match c {
        '\t' => Some(' '),
        '\n' => Some('\n'),
        '\u{FEFF}' => None,
        c if c.is_control() => None,
        c => Some(c),
    }
}

/// The byte length of a tag at the start of `s`: `<`, an optional `/`, an
/// ASCII letter and anything but `<` up to `>`; or a WebVTT timestamp
/// (`<00:00:01.500>`).
fn tag_end(s: &str) -> Option<usize> {
    let inner = s.strip_prefix('<')?;
    let close = inner.find('>')?;
    let body = &inner[..close];
    let name = body.strip_prefix('/').unwrap_or(body);
    let is_tag = name.starts_with(|c: char| c.is_ascii_alphabetic()) && !name.contains('<');
    let is_time = !name.is_empty() && name.chars().all(|c| c.is_ascii_digit() || c == ':' || c == '.');
    (is_tag || is_time).then_some(close + 2)
}

/// A named or numeric entity at the start of `s`, and its byte length.
fn entity(s: &str) -> Option<(char, usize)> {
    let end = s.char_indices().take(12).find(|(_, c)| *c == ';').map(|(i, _)| i)?;
    let body = &s[1..end];
    let ch = if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        char::from_u32(code)?
    } else {
        match body {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => ' ',
            "lrm" => '\u{200E}',
            "rlm" => '\u{200F}',
            _ => return None,
        }
    };
    Some((ch, end + 1))
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn tags_go_and_entities_become_characters() {
        assert_eq!(plain("<i>投资</i>有<b>风险</b>"), "投资有风险");
        assert_eq!(plain(r##"<font color="#ffff00">收益</font>"##), "收益");
        assert_eq!(plain(r#"<a href="https://example.com">链接</a>"#), "链接");
        assert_eq!(plain("<v 主持人>大家好<c.yellow>今天</c>"), "大家好今天");
        assert_eq!(plain("<00:00:01.500>逐字<00:00:02.000>显示"), "逐字显示");
        assert_eq!(plain(r"{\an8}顶部字幕"), "顶部字幕");
        assert_eq!(plain("a\u{0}b\tc\u{FEFF}d\u{7}"), "ab cd");
        assert_eq!(plain("A &amp; B &lt;3 &gt; &#20320;&#x597D; &nbsp;x"), "A & B <3 > 你好  x");
    }

    #[test]
    fn text_that_only_looks_like_markup_stays() {
        assert_eq!(plain("收益<5%，风险>0"), "收益<5%，风险>0");
        assert_eq!(plain("a < b"), "a < b");
        assert_eq!(plain("R&D; 研发"), "R&D; 研发");
        assert_eq!(plain("&unknown; &#xZZ; &"), "&unknown; &#xZZ; &");
        assert_eq!(plain("{不是样式}"), "{不是样式}");
    }
}
