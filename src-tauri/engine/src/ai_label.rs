//! AI-content labels. Since 2025-09-01 content that AI generated or
//! synthesised (a virtual presenter, a cloned voice, AI-written text) must
//! carry a label people see and one machines read (the labelling measures and
//! GB 45438-2025). A master or a variant is *marked*; every output made from a
//! marked one then carries the visible words (burned into the frame, or a
//! card's footer line) and the implicit label: the standard's `AIGC` record,
//! as an MP4 metadata tag and as XMP (`TC260:AIGC`) in covers and cards.
//! Review blocks a marked variant whose output lacks its label.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::message::Notice;

/// What AI made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AiKind {
    /// A digital human or avatar presents.
    VirtualPresenter,
    /// A synthesised or cloned voice speaks.
    SyntheticVoice,
    /// AI wrote the text (script, article, captions).
    AiText,
    /// AI made pictures (illustrations, backgrounds).
    AiImage,
}

impl AiKind {
    pub const ALL: [AiKind; 4] = [Self::VirtualPresenter, Self::SyntheticVoice, Self::AiText, Self::AiImage];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::VirtualPresenter => "virtual-presenter",
            Self::SyntheticVoice => "synthetic-voice",
            Self::AiText => "ai-text",
            Self::AiImage => "ai-image",
        }
    }
}

impl fmt::Display for AiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AiKind {
    type Err = EngineError;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            let kinds = Self::ALL.map(AiKind::as_str).join(", ");
            EngineError::Refused(
                Notice::new("ai.unknown_kind", format!("`{s}` is not a kind of AI content; use {kinds}"))
                    .with("kind", s)
                    .with("kinds", kinds),
            )
        })
    }
}

/// The visible label's words when the user gives none.
pub const DEFAULT_VIDEO_LABEL: &str = "本视频含AI生成内容";
pub const DEFAULT_NOTE_LABEL: &str = "本内容含AI生成内容";

/// Longest visible label: it is one line in a corner of the frame.
const MAX_LABEL_CHARS: usize = 40;

/// A mark on a master or a variant: its content was made, in part, by AI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AiMark {
    pub kinds: Vec<AiKind>,
    /// The user's words for the visible label (`None`: the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Who generated it (the AI service's name or filing number), for the
    /// implicit label's `ContentProducer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<String>,
}

impl AiMark {
    /// A checked mark: at least one kind, and label words that fit on one line.
    pub fn new(kinds: Vec<AiKind>, label: Option<&str>, producer: Option<&str>) -> Result<Self> {
        let mut unique = Vec::new();
        for k in kinds {
            if !unique.contains(&k) {
                unique.push(k);
            }
        }
        if unique.is_empty() {
            let kinds = AiKind::ALL.map(AiKind::as_str).join(", ");
            return Err(EngineError::Refused(
                Notice::new("ai.kind_needed", format!("say what AI made: one or more of {kinds}")).with("kinds", kinds),
            ));
        }
        let label = label.map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned);
        if let Some(l) = &label {
            if l.chars().any(char::is_control) {
                return Err(EngineError::Refused(Notice::new("ai.label_one_line", "the AI label must be one line")));
            }
            let n = l.chars().count();
            if n > MAX_LABEL_CHARS {
                return Err(EngineError::Refused(
                    Notice::new(
                        "ai.label_too_long",
                        format!("the AI label has {n} characters; at most {MAX_LABEL_CHARS} fit on one line"),
                    )
                    .with("count", n)
                    .with("limit", MAX_LABEL_CHARS),
                ));
            }
        }
        let producer = producer.map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
        Ok(Self { kinds: unique, label, producer })
    }

    /// Parses `virtual-presenter,synthetic-voice`.
    pub fn parse_kinds(text: &str) -> Result<Vec<AiKind>> {
        text.split([',', '，']).filter(|s| !s.trim().is_empty()).map(str::parse).collect()
    }

    /// The words people see on a video.
    pub fn video_text(&self) -> String {
        self.label.clone().unwrap_or_else(|| DEFAULT_VIDEO_LABEL.to_owned())
    }

    /// The words people see on cards and in a text version.
    pub fn note_text(&self) -> String {
        self.label.clone().unwrap_or_else(|| DEFAULT_NOTE_LABEL.to_owned())
    }

    /// The implicit label: GB 45438-2025's `AIGC` record as JSON. `Label` 1
    /// says the content is AI-generated; the propagator's fields are left for
    /// the platform that publishes it.
    pub fn implicit(&self, produce_id: &str) -> String {
        serde_json::json!({
            "Label": "1",
            "ContentProducer": self.producer.as_deref().unwrap_or(""),
            "ProduceID": produce_id,
            "ReservedCode1": "",
            "ContentPropagator": "",
            "PropagateID": "",
            "ReservedCode2": "",
        })
        .to_string()
    }
}

/// What a plan records about its label: the mark, the words shown, and the
/// implicit record written into the files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiLabelRecord {
    pub mark: AiMark,
    pub text: String,
    pub implicit: String,
}

/// The XMP packet that carries an implicit label in a picture.
pub fn xmp_packet(implicit: &str) -> String {
    let escaped = implicit.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
         <rdf:Description rdf:about=\"\" xmlns:TC260=\"http://www.tc260.org.cn/ns/AIGC/1.0/\">\
         <TC260:AIGC>{escaped}</TC260:AIGC></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>"
    )
}

const JPEG_XMP_ID: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

/// A JPEG with an XMP segment right after its start marker (where readers
/// look for it). Refuses what is not a JPEG, or a packet over one segment.
pub fn jpeg_with_xmp(jpeg: &[u8], xmp: &str) -> Result<Vec<u8>> {
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return Err(EngineError::internal("the cover is not a JPEG; its AI label cannot be written"));
    }
    let len = 2 + JPEG_XMP_ID.len() + xmp.len();
    let len =
        u16::try_from(len).map_err(|_| EngineError::internal("the AI label's XMP does not fit in one JPEG segment"))?;
    let mut out = Vec::with_capacity(jpeg.len() + usize::from(len) + 2);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(JPEG_XMP_ID);
    out.extend_from_slice(xmp.as_bytes());
    out.extend_from_slice(&jpeg[2..]);
    Ok(out)
}

/// The implicit label read back from a file's bytes (a JPEG's or PNG's XMP),
/// for checks: the JSON inside `TC260:AIGC`, unescaped.
pub fn find_implicit(bytes: &[u8]) -> Option<String> {
    let open = b"<TC260:AIGC>";
    let start = bytes.windows(open.len()).position(|w| w == open)? + open.len();
    let end = start + bytes[start..].windows(b"</TC260:AIGC>".len()).position(|w| w == b"</TC260:AIGC>")?;
    let text = std::str::from_utf8(&bytes[start..end]).ok()?;
    Some(text.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_from_a_list_and_unknown_ones_are_named() {
        assert_eq!(
            AiMark::parse_kinds("virtual-presenter, synthetic-voice，ai-text").unwrap(),
            [AiKind::VirtualPresenter, AiKind::SyntheticVoice, AiKind::AiText]
        );
        let err = AiMark::parse_kinds("robot").unwrap_err().to_string();
        assert!(err.contains("`robot`") && err.contains("virtual-presenter"), "{err}");
    }

    #[test]
    fn a_mark_needs_a_kind_and_one_short_line() {
        assert!(AiMark::new(vec![], None, None).is_err());
        assert!(AiMark::new(vec![AiKind::AiText], Some("两行\n标签"), None).is_err());
        assert!(AiMark::new(vec![AiKind::AiText], Some(&"长".repeat(41)), None).is_err());
        let m = AiMark::new(vec![AiKind::AiText, AiKind::AiText], Some("  "), Some(" 某AI平台 ")).unwrap();
        assert_eq!((m.kinds.len(), m.video_text().as_str()), (1, DEFAULT_VIDEO_LABEL));
        assert_eq!(m.producer.as_deref(), Some("某AI平台"));
        let own = AiMark::new(vec![AiKind::VirtualPresenter], Some("数字人出镜"), None).unwrap();
        assert_eq!((own.video_text(), own.note_text()), ("数字人出镜".to_owned(), "数字人出镜".to_owned()));
    }

    #[test]
    fn the_implicit_label_is_the_standards_record_and_survives_xmp() {
        let m = AiMark::new(vec![AiKind::SyntheticVoice], None, Some("声音\"工厂\" & <合成>")).unwrap();
        let json = m.implicit("v-42");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!((v["Label"].as_str(), v["ProduceID"].as_str()), (Some("1"), Some("v-42")));
        assert_eq!(v["ContentProducer"].as_str(), Some("声音\"工厂\" & <合成>"));
        let jpeg = [0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x02, 0xFF, 0xD9];
        let marked = jpeg_with_xmp(&jpeg, &xmp_packet(&json)).unwrap();
        assert_eq!(&marked[..4], &[0xFF, 0xD8, 0xFF, 0xE1]);
        assert!(marked.ends_with(&jpeg[2..]));
        assert_eq!(find_implicit(&marked).as_deref(), Some(json.as_str()));
        assert!(jpeg_with_xmp(b"PNG", "x").is_err());
    }
}
