//! Bytes to text, in whatever encoding the captioning tool wrote. A BOM
//! decides when there is one; UTF-16 without a BOM shows itself by its zero
//! bytes (timestamps and line ends are ASCII); valid UTF-8 is UTF-8; anything
//! else is guessed (Chinese tools write GBK, read here as its superset GB18030).
//! A file that still does not decode cleanly is refused with the line where
//! it goes wrong, never read with replacement characters.

use encoding_rs::{Encoding, GB18030, GBK, UTF_8, UTF_16BE, UTF_16LE};

/// Decoded text and the name of the encoding it was read as.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// Why bytes could not be read as text: the encoding tried and the
/// 1-based line of the first bad byte.
#[derive(Debug, Clone, PartialEq)]
pub struct Undecodable {
    pub encoding: &'static str,
    pub line: usize,
}

pub fn decode(bytes: &[u8]) -> Result<Decoded, Undecodable> {
    let (encoding, body) = match Encoding::for_bom(bytes) {
        Some((enc, bom_len)) => (enc, &bytes[bom_len..]),
        None => (sniff(bytes), bytes),
    };
    match encoding.decode_without_bom_handling_and_without_replacement(body) {
        Some(text) => Ok(Decoded { text: text.into_owned(), encoding: encoding.name() }),
        None => {
            let (lossy, _) = encoding.decode_without_bom_handling(body);
            let bad = lossy.find('\u{FFFD}').unwrap_or(lossy.len());
            let line = 1 + lossy[..bad].matches('\n').count();
            Err(Undecodable { encoding: encoding.name(), line })
        }
    }
}

fn sniff(bytes: &[u8]) -> &'static Encoding {
    if let Some(enc) = utf16_without_bom(bytes) {
        return enc;
    }
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    // Our users are in mainland China: between equally likely guesses, GBK.
    let guess = detector.guess(Some(b"cn"), true);
    if guess == GBK { GB18030 } else { guess }
}

/// UTF-16 text of a subtitle file has a zero byte in most ASCII positions,
/// all on one side of each pair.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let pairs = bytes.len() / 2;
    if pairs < 4 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in bytes.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let enough = pairs / 5;
    if odd > enough && even * 10 < odd {
        Some(UTF_16LE)
    } else if even > enough && odd * 10 < even {
        Some(UTF_16BE)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "1\r\n00:00:01,000 --> 00:00:02,500\r\n投资有风险，入市需谨慎\r\n";

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let units = std::iter::once(0xFEFF).filter(|_| bom).chain(text.encode_utf16());
        for u in units {
            out.extend(if big_endian { u.to_be_bytes() } else { u.to_le_bytes() });
        }
        out
    }

    #[test]
    fn every_encoding_a_captioning_tool_writes_reads_back_the_same_text() {
        let gbk = GB18030.encode(SAMPLE).0.into_owned();
        let mut utf8_bom = vec![0xEF, 0xBB, 0xBF];
        utf8_bom.extend(SAMPLE.as_bytes());
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("utf-8", SAMPLE.as_bytes().to_vec(), "UTF-8"),
            ("utf-8 bom", utf8_bom, "UTF-8"),
            ("gbk", gbk, "gb18030"),
            ("utf-16le bom", utf16(SAMPLE, false, true), "UTF-16LE"),
            ("utf-16be bom", utf16(SAMPLE, true, true), "UTF-16BE"),
            ("utf-16le", utf16(SAMPLE, false, false), "UTF-16LE"),
            ("utf-16be", utf16(SAMPLE, true, false), "UTF-16BE"),
        ];
        for (what, bytes, encoding) in cases {
            let d = decode(&bytes).unwrap_or_else(|e| panic!("{what}: {e:?}"));
            assert_eq!(d.text, SAMPLE, "{what}");
            assert_eq!(d.encoding, encoding, "{what}");
        }
    }

    #[test]
    fn bytes_that_are_not_text_name_their_line() {
        let mut bytes = b"1\n00:00:01,000 --> 00:00:02,000\n".to_vec();
        bytes.extend([0xEF, 0xBB, 0xBF]);
        bytes.extend(b"ok\n");
        bytes.extend([0xE6, 0x8A]); // a UTF-8 character cut in half
        let d = decode(&[0xEF, 0xBB, 0xBF].iter().copied().chain(bytes).collect::<Vec<_>>());
        assert_eq!(d, Err(Undecodable { encoding: "UTF-8", line: 4 }));
    }
}
