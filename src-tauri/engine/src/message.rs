//! Words for people: every error and notice the engine gives a person is a
//! stable code with named parameters, worded by the catalogs in
//! `assets/messages/` (zh-CN and English) for the CLI and the app alike. The
//! English sentence built where the notice arises stays with it as the
//! fallback, for a code a catalog does not know yet and for logs.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// A notice for a person (a warning, a plan note, a clash): code, parameters, fallback sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub code: String,
    pub params: BTreeMap<String, String>,
    /// English, for logs and a catalog without the code.
    pub text: String,
    /// Notices of their own that fill the `{parts}` slot, joined as the
    /// language lists things ("full re-encode: {parts}" with each reason).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Notice>,
}

impl Notice {
    pub fn new(code: &str, text: impl Into<String>) -> Self {
        Self { code: code.to_owned(), params: BTreeMap::new(), text: text.into(), parts: Vec::new() }
    }

    /// A sentence kept before notices had codes: its catalog entry is `{text}`.
    pub fn uncoded(text: impl Into<String>) -> Self {
        let text = text.into();
        Self::new(UNCODED, text.clone()).with("text", text)
    }

    /// Sets the notices the `{parts}` slot lists.
    pub fn with_parts(mut self, parts: Vec<Notice>) -> Self {
        self.parts = parts;
        self
    }

    /// Adds a parameter the catalogs' `{name}` slots take.
    pub fn with(mut self, name: &str, value: impl ToString) -> Self {
        self.params.insert(name.to_owned(), value.to_string());
        self
    }

    /// The notice in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        if self.parts.is_empty() {
            return render(lang, &self.code, &self.params, &self.text);
        }
        let mut params = self.params.clone();
        let parts: Vec<String> = self.parts.iter().map(|p| p.render(lang)).collect();
        params.insert("parts".into(), parts.join(lang.list_separator()));
        render(lang, &self.code, &params, &self.text)
    }
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Plans, notes and jobs stored before notices had codes hold plain
/// sentences; they read back as a notice whose catalog entry is the sentence.
impl<'de> Deserialize<'de> for Notice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Coded {
                code: String,
                #[serde(default)]
                params: BTreeMap<String, String>,
                text: String,
                #[serde(default)]
                parts: Vec<Notice>,
            },
            Plain(String),
        }
        Ok(match Stored::deserialize(d)? {
            Stored::Coded { code, params, text, parts } => Notice { code, params, text, parts },
            Stored::Plain(text) => Notice::uncoded(text),
        })
    }
}

/// The code of a sentence stored before codes: its catalog entry is `{text}`.
pub const UNCODED: &str = "text";

/// The languages the catalogs speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    /// `zh-CN`, `zh_CN.UTF-8`, `zh` → Chinese; `en…` → English.
    pub fn parse(tag: &str) -> Option<Self> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag.starts_with("zh") {
            Some(Self::ZhCn)
        } else if tag.starts_with("en") || tag == "c" || tag.starts_with("c.") || tag == "posix" {
            Some(Self::En)
        } else {
            None
        }
    }

    /// The CLI's language from the environment (`LC_ALL`, `LC_MESSAGES`,
    /// `LANG`, as POSIX orders them): Chinese when it says so, else English.
    pub fn from_env() -> Self {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
            .find_map(|v| Self::parse(&v))
            .unwrap_or(Self::En)
    }

    /// Between the items of a list in a sentence.
    pub fn list_separator(self) -> &'static str {
        match self {
            Self::ZhCn => "；",
            Self::En => " / ",
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }
}

/// A catalog: code → sentence with `{name}` slots.
pub type Catalog = BTreeMap<String, String>;

/// The shipped catalog of `lang` (`assets/messages/<tag>.json`).
pub fn catalog(lang: Lang) -> &'static Catalog {
    static ZH: OnceLock<Catalog> = OnceLock::new();
    static EN: OnceLock<Catalog> = OnceLock::new();
    let cell = match lang {
        Lang::ZhCn => &ZH,
        Lang::En => &EN,
    };
    cell.get_or_init(|| {
        let text = crate::assets::shipped_text(&format!("messages/{}.json", lang.tag())).unwrap_or_default();
        // A broken catalog is caught by the catalog tests; at run time the fallback sentences stand.
        serde_json::from_str(&text).unwrap_or_default()
    })
}

/// `code` in `lang` with its parameters filled in, or `fallback` when the
/// catalog lacks the code or a slot has no parameter.
pub fn render(lang: Lang, code: &str, params: &BTreeMap<String, String>, fallback: &str) -> String {
    let Some(template) = catalog(lang).get(code) else { return fallback.to_owned() };
    fill(template, params).unwrap_or_else(|| fallback.to_owned())
}

/// Fills `{name}` slots; `None` when a slot has no value.
pub fn fill(template: &str, params: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        let name = &after[..close];
        out.push_str(params.get(name)?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The slots a template names.
pub fn slots(template: &str) -> Vec<&str> {
    template.split('{').skip(1).filter_map(|s| s.split_once('}').map(|(name, _)| name)).collect()
}

#[cfg(test)]
mod tests;
