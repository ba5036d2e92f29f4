// The bodies of the fuzz targets: each takes any bytes, runs the real
// engine path a user's file takes, and panics only when the engine panics or
// loses something without saying so. Shared by the libFuzzer targets and by
// `tests/fuzz_corpora.rs` (which `include!`s this file), so no `//!` here.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, OnceLock};

use studio_engine::disclaimer::Disclaimer;
use studio_engine::jiff::Timestamp;
use studio_engine::notes::NoteRequest;
use studio_engine::notes::markdown::{Article, Block};
use studio_engine::schedule::cadence::Cadence;
use studio_engine::store::{NewAccount, Person, Role, Store};
use studio_engine::{Studio, StudioConfig, tabular};

/// Small cards so a run draws quickly; otherwise a profile like any user's.
const FUZZ_PROFILE: &str = r#"
id = "fuzz-notes"
name = "fuzz"
name_en = "fuzz"

[notes]
card_width = 324
card_height = 432
max_cards = 60

[safe_zone]
top = 20
bottom = 30
left = 8
right = 10

[text]
counting = "chars"
title_max = 40
body_max = 100000
tags_max = 10

[publishing]
account_platform = "xiaohongshu"
"#;

const ARTICLE: &str = "---\ntitle: 定投入门\ntags: [基金]\n---\n\n定投是每月固定投入一笔钱。\n\n投资有风险，入市需谨慎。\n";

/// One studio for the whole run: a data folder with the small-card profile,
/// two people, an approved note variant on an account with a post, so the
/// importers can succeed as well as fail.
struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
    studio: Studio,
    disclaimer: Disclaimer,
    editor: Person,
    runs: u64,
}

fn env() -> MutexGuard<'static, Env> {
    static ENV: OnceLock<Mutex<Env>> = OnceLock::new();
    let env = ENV.get_or_init(|| Mutex::new(setup()));
    env.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn setup() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let data = root.join("data");
    std::fs::create_dir_all(data.join("platforms")).unwrap();
    std::fs::write(data.join("platforms/fuzz-notes.toml"), FUZZ_PROFILE).unwrap();
    let studio = Studio::open(StudioConfig::new(data)).unwrap();
    let disclaimer = studio.disclaimer(Some("risk-zh"), None, None, None).unwrap();
    let mut store = studio.store().unwrap();
    let editor = store.add_person("编辑小李", Role::Editor, "setup").unwrap();
    let reviewer = store.add_person("审核老王", Role::Reviewer, "setup").unwrap();
    let article = root.join("seed.md");
    std::fs::write(&article, ARTICLE).unwrap();
    let request = NoteRequest {
        platform: "xiaohongshu".into(),
        theme: "light".into(),
        disclaimer: disclaimer.clone(),
        cross_line: None,
        ai: None,
    };
    let plan = studio.make_note(&article, &request, &root.join("seed-out")).unwrap();
    let variant = studio.enqueue_note("fuzz", &plan).unwrap();
    store.set_author(variant, &editor).unwrap();
    studio.submit_for_review(variant, "编辑小李").unwrap();
    store.approve(variant, &reviewer, &[]).unwrap();
    let new = NewAccount {
        platform: "xiaohongshu".into(),
        name: "理财小王".into(),
        handle: "licai".into(),
        owner: None,
        cross_line: None,
    };
    let account = studio.add_account(&mut store, &new, "setup").unwrap();
    let rules = studio.plan_rules(&account, Timestamp::now()).unwrap();
    let at = studio_engine::schedule::parse_time("2030-01-07 12:00", &studio.time_zone().unwrap()).unwrap();
    store.schedule_post(variant, account.id, at, "", &editor, &rules).unwrap();
    Env { _dir: dir, root, studio, disclaimer, editor, runs: 0 }
}

impl Env {
    /// A fresh folder for this run's files.
    fn scratch(&mut self) -> PathBuf {
        self.runs += 1;
        let dir = self.root.join("runs").join((self.runs % 8).to_string());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn store(&self) -> Store {
        self.studio.store().unwrap()
    }
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Text of a block that must reach a card.
fn block_text(block: &Block) -> Vec<String> {
    match block {
        Block::Heading { text, .. }
        | Block::Paragraph { text, .. }
        | Block::ListItem { text, .. }
        | Block::Quote { text }
        | Block::Code { text } => vec![text.clone()],
        Block::Table { rows } => rows.iter().flatten().cloned().collect(),
        Block::Image { .. } => Vec::new(),
    }
}

/// Markdown article → note cards through `Studio::make_note`, as `studio notes` runs it.
pub fn markdown_cards(data: &[u8]) {
    let mut env = env();
    let dir = env.scratch();
    let path = dir.join("article.md");
    std::fs::write(&path, data).unwrap();
    let Ok(text) = std::str::from_utf8(data) else {
        let err = studio_engine::notes::read_article(&path).expect_err("not UTF-8 must be refused");
        assert!(err.to_string().contains("UTF-8"), "{err}");
        return;
    };
    let article: Article = studio_engine::notes::markdown::parse(text, &dir);
    if data.len() > 4096 {
        return; // parsed above; drawing cards for huge inputs only slows the search
    }
    let request = NoteRequest {
        platform: "fuzz-notes".into(),
        theme: "light".into(),
        disclaimer: env.disclaimer.clone(),
        cross_line: None,
        ai: None,
    };
    let plan = match env.studio.make_note(&path, &request, &dir.join("out")) {
        Ok(plan) => plan,
        // A character no installed font draws is refused by name, never drawn as boxes.
        Err(e) if e.code() == "font_missing" => return,
        Err(e) if e.code() == "input_empty" && data.is_empty() => return,
        // An image the article names that is not there or not an image: refused by name.
        Err(e) if matches!(e.code(), "input_missing" | "input_not_media") => return,
        Err(e) => panic!("make_note failed on a UTF-8 article: [{}] {e}", e.code()),
    };
    for card in &plan.cards {
        assert!(card.path.is_file(), "card {} was not written", card.index);
    }
    if plan.warnings.iter().any(|w| w.code == "cards.over_limit") {
        return; // cut at the card limit, and said so
    }
    let drawn = squeeze(&plan.cards.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join(""));
    for block in &article.blocks {
        for text in block_text(block) {
            let want = squeeze(&text);
            assert!(drawn.contains(&want), "{want:?} is on no card (cards: {drawn:?}; warnings: {:?})", plan.warnings);
        }
    }
}

/// A user's platform profile (`platforms/*.toml` in the data folder).
pub fn profile_toml(data: &[u8]) {
    let mut env = env();
    let dir = env.scratch();
    std::fs::write(dir.join("mine.toml"), data).unwrap();
    match studio_engine::platform::PlatformCatalog::load(Some(&dir)) {
        Ok(catalog) => {
            for p in catalog.all() {
                assert!(!p.id.is_empty());
                assert!(p.text.count("投资有风险 ok #tag") > 0);
                plan_an_hour_long_master(p);
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// A video profile that loads plans an hour-long master of its own frame:
/// the disclaimer's windows (whatever timing the profile names) are each at
/// least the minimum, inside the clip and in order, and the smart-render
/// check says why not in words or not at all.
fn plan_an_hour_long_master(profile: &studio_engine::platform::PlatformProfile) {
    use studio_engine::plan::{OverlayPair, OverlaySource, PlanRequest, plan_variant, smart};
    use studio_engine::probe::{AudioInfo, MediaInfo, VideoInfo};
    let Some(video) = &profile.video else { return };
    let media = MediaInfo {
        path: PathBuf::from("/masters/talk.mp4"),
        container: "mov,mp4".into(),
        duration: 3600.0,
        size_bytes: 1,
        video: VideoInfo {
            codec: "h264".into(),
            width: video.width,
            height: video.height,
            rotation: 0,
            display_width: video.width,
            display_height: video.height,
            frame_rate: f64::from(video.fps),
            frame_rate_text: format!("{}/1", video.fps),
            variable_frame_rate: false,
            pix_fmt: Some("yuv420p".into()),
        },
        audio: Some(AudioInfo { codec: "aac".into(), channels: 2, sample_rate: 48000 }),
    };
    let picture = |name: &str| OverlaySource { path: PathBuf::from(name), width: 100, height: 20, font: String::new() };
    let overlays = OverlayPair { frame: picture("frame.png"), cover: picture("cover.png") };
    let request = PlanRequest {
        disclaimer: Some(Disclaimer { lines: vec!["投资有风险".into()], start: 0.0, duration: None, at: None }),
        ..PlanRequest::default()
    };
    let Ok(plan) = plan_variant(&media, profile, &request, Some(&overlays), std::path::Path::new("/out")) else { return };
    if let Some(o) = &plan.overlay {
        let windows = o.on_screen(plan.duration);
        assert!(!windows.is_empty());
        let mut last_end = 0.0;
        for w in &windows {
            assert!(w.end - w.start >= 5.0 - 1e-6, "{}: a window of {} s", profile.id, w.end - w.start);
            assert!(w.start >= last_end - 1e-6 && w.end <= plan.duration + 1e-6, "{}: {windows:?}", profile.id);
            last_end = w.end;
        }
    }
    for why in smart::static_reasons(&plan, &media, video) {
        assert!(!why.text.is_empty() && !why.code.is_empty());
    }
}

/// A user's card theme (`templates/*.toml`); one that loads must draw a card.
pub fn theme_toml(data: &[u8]) {
    let mut env = env();
    let dir = env.scratch();
    std::fs::write(dir.join("mine.toml"), data).unwrap();
    let Ok(catalog) = studio_engine::notes::theme::ThemeCatalog::load(Some(&dir)) else { return };
    let Some(theme) = catalog.all().find(|t| t.id != "light" && t.id != "dark").cloned() else { return };
    let data_dir = env.studio.data_dir().to_owned();
    let templates = data_dir.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(templates.join("fuzzed.toml"), data).unwrap();
    let studio = Studio::open(StudioConfig::new(data_dir)).unwrap();
    std::fs::remove_file(templates.join("fuzzed.toml")).unwrap();
    let article = dir.join("a.md");
    std::fs::write(&article, ARTICLE).unwrap();
    let request = NoteRequest {
        platform: "fuzz-notes".into(),
        theme: theme.id.clone(),
        disclaimer: env.disclaimer.clone(),
        cross_line: None,
        ai: None,
    };
    match studio.make_note(&article, &request, &dir.join("out")) {
        Ok(plan) => assert!(!plan.cards.is_empty()),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// Line numbers point into the file and rise with the rows.
fn check_lines(table: &tabular::Table, data: &[u8]) {
    // `\n`, `\r\n` and a lone `\r` each end a line, as in the CSV reader.
    let lone_cr = data.windows(2).filter(|w| w[0] == b'\r' && w[1] != b'\n').count();
    let breaks = data.iter().filter(|b| **b == b'\n').count() + lone_cr + usize::from(data.last() == Some(&b'\r'));
    let lines = breaks as u64 + 1;
    let mut last = 1;
    for r in &table.records {
        assert!(r.line > last && r.line <= lines, "record line {} after {last}, file has {lines}", r.line);
        last = r.line;
    }
}

/// Figures exported from a dashboard (`studio metrics import`).
pub fn metrics_csv(data: &[u8]) {
    let env = env();
    let Ok(table) = tabular::read(data, studio_engine::metrics::METRIC_FIELDS) else { return };
    check_lines(&table, data);
    let (records, unread) = (table.records.len(), table.errors.len());
    let store = env.store();
    let Ok(summary) = env.studio.import_metric_table(&store, table, "fuzz", Timestamp::now()) else { return };
    // Each row ends one way: stored, refused with its line, or replaced by a
    // later row for the same post and time (that row's note names it).
    let ended = summary.imported + summary.updated + (summary.errors.len() - unread) + summary.notes.len();
    assert_eq!(ended, records, "a row was neither stored nor reported: {summary:?}");
}

/// A publishing plan from a spreadsheet (`studio posts import`).
pub fn plan_csv(data: &[u8]) {
    let env = env();
    let Ok(table) = tabular::read(data, studio_engine::publish::PLAN_FIELDS) else { return };
    check_lines(&table, data);
    let (records, unread) = (table.records.len(), table.errors.len());
    let mut store = env.store();
    let editor = env.editor.clone();
    let plan = env.studio.import_plan_table(&mut store, table, &editor, Timestamp::now()).unwrap();
    assert_eq!(plan.scheduled.len() + plan.errors.len(), records + unread, "a row was neither scheduled nor reported");
    // Keep the calendar small so later runs still find free slots.
    for s in &plan.scheduled {
        let _ = store.cancel_post(s.scheduled.post.id, &editor);
    }
}

/// An account's cadence rule (`daily 18:00`, `周一,周三 12:00`).
pub fn cadence(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(rule) = Cadence::from_str(text) else { return };
    let again = Cadence::from_str(&rule.to_string()).expect("a rule's own text parses");
    assert_eq!(again, rule, "{text:?} → {rule}");
    let tz = studio_engine::schedule::zone("Asia/Shanghai").unwrap();
    let from: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
    let to: Timestamp = "2026-03-08T00:00:00Z".parse().unwrap();
    let slots = rule.slots(from, to, &tz).unwrap();
    assert!(slots.len() <= 7 && slots.iter().all(|s| *s >= from && *s < to) && slots.is_sorted());
}

/// A subtitle file: read, or refused naming a line of the file; what is read
/// is numbered 1…n in time order with text on every cue, and writing the
/// cues as our own SRT and reading that back gives the same cues.
pub fn subtitles(data: &[u8]) {
    use studio_engine::subtitles::{ClipCue, parse, to_srt};
    let lines = data.iter().filter(|b| **b == b'\n' || **b == b'\r').count() + 1;
    let track = match parse(data, "fuzz.srt") {
        Ok(track) => track,
        Err(studio_engine::EngineError::SubtitleInvalid { line, .. }) => {
            // UTF-16 files have one line end per two bytes at most: the byte count bounds both.
            assert!(line >= 1 && line <= lines.max(data.len() / 2 + 1), "line {line} of a {lines}-line file");
            return;
        }
        Err(e) => panic!("a subtitle error of the wrong kind: {e}"),
    };
    assert!(!track.cues.is_empty());
    for (i, c) in track.cues.iter().enumerate() {
        assert_eq!(c.number as usize, i + 1);
        assert!(c.end_ms > c.start_ms && !c.text.trim().is_empty(), "{c:?}");
    }
    assert!(track.cues.windows(2).all(|w| w[0].start_ms <= w[1].start_ms));
    // Markup the SRT reader would strip again (and lines an ASS cue may hold)
    // cannot round-trip by design; everything else must.
    if track.cues.iter().any(|c| c.text.contains(['<', '&', '{', '[']) || c.text.contains("-->")) {
        return;
    }
    let clip: Vec<ClipCue> = track
        .cues
        .iter()
        .map(|c| ClipCue {
            number: c.number,
            master_start: c.start(),
            master_end: c.end(),
            start: c.start(),
            end: c.end(),
            text: c.text.clone(),
        })
        .collect();
    let again = parse(to_srt(&clip).as_bytes(), "again.srt").expect("our own SRT reads back");
    let key = |t: &studio_engine::subtitles::SubtitleTrack| {
        t.cues.iter().map(|c| (c.start_ms, c.end_ms, c.text.clone())).collect::<Vec<_>>()
    };
    assert_eq!(key(&again), key(&track));
}

/// Any text through the compliance normaliser and matcher (terms, patterns,
/// claims, context): every finding's byte range lies on char boundaries of
/// the text, holds what `matched` says, and its excerpt shows it in 【】.
pub fn compliance(data: &[u8]) {
    use studio_engine::compliance::{Lexicon, PublishText};
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    let lexicon = LEXICON.get_or_init(|| Lexicon::load(None).unwrap());
    let text = String::from_utf8_lossy(data);
    let texts = [PublishText::new("body", text.as_ref())];
    for f in lexicon.scan(&texts) {
        if f.matched.is_empty() {
            assert_eq!((f.start, f.end), (0, 0), "{f:?}");
            continue;
        }
        assert!(f.start < f.end && f.end <= text.len(), "{f:?}");
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end), "{f:?}");
        assert_eq!(&text[f.start..f.end], f.matched);
        assert!(f.excerpt.contains(&format!("【{}】", f.matched)), "{f:?}");
        assert!(!f.family.is_empty(), "{f:?}");
    }
}

/// An MP4's index as the smart-render planner reads it: any bytes give an
/// index or none, never a panic; an index has its keyframes in order, within
/// its frames' times.
pub fn mp4_index(data: &[u8]) {
    let Some(index) = studio_engine::mp4_index::read(&mut std::io::Cursor::new(data)) else { return };
    assert!(index.frames > 0 && !index.keyframes.is_empty());
    assert!(index.keyframes.len() as u64 <= index.frames, "{index:?}");
    assert!(index.keyframes.windows(2).all(|w| w[0] <= w[1]), "{index:?}");
    let (first, last) = (index.keyframes[0], index.keyframes[index.keyframes.len() - 1]);
    assert!(index.first_pts <= first && last <= index.last_pts, "{index:?}");
}
