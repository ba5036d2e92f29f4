use std::path::Path;

use super::*;

/// Every code the engine and the app's shell can give a person, read off
/// their source: the error codes in `error.rs` and each `Notice::new("…"`.
fn emitted_codes() -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let shell = Path::new(env!("CARGO_MANIFEST_DIR")).join("../src");
    let mut codes = Vec::new();
    let error = std::fs::read_to_string(src.join("error.rs")).unwrap();
    let body = &error[error.find("pub fn code(&self)").unwrap()..];
    let body = &body[..body.find("\n    }\n").unwrap()];
    for part in body.split("=> \"").skip(1) {
        codes.push(part[..part.find('"').unwrap()].to_owned());
    }
    for db in ["database_damaged", "database_newer"] {
        codes.push(format!("{db}.no_snapshot"));
    }
    // Built from the action's name in the shell's `refuse_while_rendering`.
    codes.extend(["busy_rendering.settings", "busy_rendering.restore"].map(str::to_owned));
    let mut stack = vec![src, shell];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("message/tests.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for part in text.split("Notice::new(").skip(1) {
                    // A literal code, on the same line or the next (as rustfmt breaks long calls).
                    if let Some(literal) = part.trim_start().strip_prefix('"') {
                        codes.push(literal[..literal.find('"').unwrap()].to_owned());
                    }
                }
            }
        }
    }
    codes.sort();
    codes.dedup();
    codes
}

#[test]
fn every_code_the_engine_emits_has_a_chinese_and_an_english_sentence() {
    let codes = emitted_codes();
    assert!(codes.len() > 70, "the scan found too few codes: {codes:?}");
    for lang in [Lang::ZhCn, Lang::En] {
        let missing: Vec<&String> = codes.iter().filter(|c| !catalog(lang).contains_key(*c)).collect();
        assert!(missing.is_empty(), "{} catalog lacks {missing:?}", lang.tag());
    }
}

#[test]
fn both_catalogs_word_the_same_codes_with_the_same_slots() {
    let (zh, en) = (catalog(Lang::ZhCn), catalog(Lang::En));
    assert_eq!(zh.keys().collect::<Vec<_>>(), en.keys().collect::<Vec<_>>());
    for (code, text) in zh {
        let mut a = slots(text);
        let mut b = slots(&en[code]);
        a.sort();
        a.dedup();
        b.sort();
        b.dedup();
        assert_eq!(a, b, "{code}");
    }
}

#[test]
fn chinese_sentences_are_chinese() {
    // Codes whose whole sentence is a parameter (detail already worded where it arose).
    let passthrough = ["text", "invalid_argument", "not_allowed", "duplicate", "job.encoder"];
    for (code, text) in catalog(Lang::ZhCn) {
        if !passthrough.contains(&code.as_str()) {
            assert!(text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{code}: {text}");
        }
    }
}

#[test]
fn an_error_renders_in_either_language_with_its_path_once() {
    let e = crate::EngineError::InputEmpty { path: "/素材/空文件.mp4".into() };
    let zh = e.render(Lang::ZhCn);
    assert!(zh.contains("空文件（0 字节）"), "{zh}");
    assert_eq!(zh.matches("/素材/空文件.mp4").count(), 1, "{zh}");
    let en = e.render(Lang::En);
    assert!(en.contains("is empty (0 bytes)") && en.matches("/素材/空文件.mp4").count() == 1, "{en}");
    let n = e.notice();
    assert_eq!((n.code.as_str(), n.params["path"].as_str()), ("input_empty", "/素材/空文件.mp4"));
}

#[test]
fn a_missing_code_or_parameter_falls_back_to_the_sentence() {
    let n = Notice::new("no_such_code", "the fallback");
    assert_eq!(n.render(Lang::ZhCn), "the fallback");
    let n = Notice::new("input_empty", "the fallback");
    assert_eq!(n.render(Lang::ZhCn), "the fallback", "no path given");
}

#[test]
fn slots_fill_and_languages_parse() {
    let params = BTreeMap::from([("a".to_owned(), "1".to_owned()), ("b".to_owned(), "{x}".to_owned())]);
    assert_eq!(fill("{a} and {b}.", &params).as_deref(), Some("1 and {x}."));
    assert_eq!(fill("{c}", &params), None);
    assert_eq!(slots("{a} {b} {a}"), ["a", "b", "a"]);
    assert_eq!(Lang::parse("zh_CN.UTF-8"), Some(Lang::ZhCn));
    assert_eq!(Lang::parse("zh-CN"), Some(Lang::ZhCn));
    assert_eq!(Lang::parse("en_US.UTF-8"), Some(Lang::En));
    assert_eq!(Lang::parse("C.UTF-8"), Some(Lang::En));
    assert_eq!(Lang::parse("fr_FR"), None);
}

#[test]
fn a_sentence_stored_before_codes_reads_back() {
    let n: Notice = serde_json::from_str("\"an old note\"").unwrap();
    assert_eq!(n.render(Lang::ZhCn), "an old note");
    let coded = Notice::new("input_empty", "x").with("path", "/a");
    let back: Notice = serde_json::from_str(&serde_json::to_string(&coded).unwrap()).unwrap();
    assert_eq!(back, coded);
}
