//! The fuzz corpora (`fuzz/corpus/<target>/`) replayed through the same
//! checks the libFuzzer targets run, on stable Rust: every input the fuzzer
//! kept (and every crash it once found, fixed) stays a regression test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod checks {
    #![allow(dead_code, clippy::panic)]
    include!("../fuzz/src/checks.rs");
}

fn replay(target: &str, check: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 5, "{}: the corpus is missing", dir.display());
    for file in files {
        let data = std::fs::read(&file).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} failed its check", file.display());
    }
}

#[test]
fn markdown_cards() {
    replay("markdown_cards", checks::markdown_cards);
}

#[test]
fn profile_toml() {
    replay("profile_toml", checks::profile_toml);
}

#[test]
fn theme_toml() {
    replay("theme_toml", checks::theme_toml);
}

#[test]
fn metrics_csv() {
    replay("metrics_csv", checks::metrics_csv);
}

#[test]
fn plan_csv() {
    replay("plan_csv", checks::plan_csv);
}

#[test]
fn cadence() {
    replay("cadence", checks::cadence);
}

#[test]
fn subtitles() {
    replay("subtitles", checks::subtitles);
}

#[test]
fn compliance() {
    replay("compliance", checks::compliance);
}

#[test]
fn mp4_index() {
    replay("mp4_index", checks::mp4_index);
}
