//! The engine's front door: one value that knows the data folder, the
//! catalogs, the media tools and the fonts, with the operations the CLI and
//! the desktop shell call.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::ai_label::{AiLabelRecord, AiMark};
use crate::compliance::Lexicon;
use crate::disclaimer::{Disclaimer, DisclaimerCatalog, render_overlay};
use crate::error::{EngineError, Result};
use crate::message::Notice;
use crate::plan::{
    OverlayPair, OverlaySource, PlanRequest, VariantPlan, VideoAiLabel, ai_label_font_px, overlay_box, plan_variant,
};
use crate::platform::PlatformCatalog;
use crate::probe::{MediaInfo, probe};
use crate::store::Store;
use crate::text::{FontConfig, TextEngine};
use crate::tools::MediaTools;

/// Settings a user can change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StudioConfig {
    pub data_dir: PathBuf,
    /// `None`: next to the executable, then PATH.
    pub ffmpeg: Option<PathBuf>,
    pub fonts: FontConfig,
    /// ffmpeg processes at once; each already uses every core, so 1 is usually fastest.
    pub max_parallel_jobs: usize,
    /// IANA zone that times are typed and shown in; stored times are UTC.
    #[serde(default = "default_zone")]
    pub time_zone: String,
    /// Where snapshots go and how many are kept.
    #[serde(default)]
    pub backups: BackupConfig,
    /// The team database's URL; `None` for a solo studio (see [`crate::team`]).
    #[serde(default)]
    pub team_database: Option<String>,
    /// The login's password, held for this run only (never saved); `None`: `PGPASSWORD`.
    #[serde(skip)]
    pub team_password: Option<String>,
    /// Full versions whose master fits the platform are smart-rendered (see
    /// [`crate::plan::smart`]); off: every render is a full re-encode.
    #[serde(default = "yes")]
    pub smart_render: bool,
    /// Which H.264 encoder renders: the first hardware one that works, x264, or a named one.
    #[serde(default)]
    pub video_encoder: crate::encoders::EncoderSetting,
}

fn yes() -> bool {
    true
}

/// Snapshot settings (see [`crate::backups`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupConfig {
    /// `None`: `backups/` in the data folder.
    pub dir: Option<PathBuf>,
    pub keep: usize,
}

impl Default for BackupConfig {
    fn default() -> Self {
        Self { dir: None, keep: crate::store::backup::DEFAULT_KEEP }
    }
}

fn default_zone() -> String {
    crate::schedule::DEFAULT_ZONE.to_owned()
}

impl StudioConfig {
    /// Defaults with the data in `data_dir`.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            ffmpeg: None,
            fonts: FontConfig::default(),
            max_parallel_jobs: 1,
            time_zone: default_zone(),
            backups: BackupConfig::default(),
            team_database: None,
            team_password: None,
            smart_render: true,
            video_encoder: crate::encoders::EncoderSetting::Auto,
        }
    }

    /// The platform's conventional app-data folder (e.g. `~/.local/share/repurpose-studio`).
    pub fn default_data_dir() -> PathBuf {
        crate::folders::data_dir()
    }
}

/// An opened studio.
#[derive(Debug)]
pub struct Studio {
    config: StudioConfig,
    tools: MediaTools,
    platforms: PlatformCatalog,
    disclaimers: DisclaimerCatalog,
    lexicon: Lexicon,
    themes: crate::notes::ThemeCatalog,
    /// Built on first use: loading the system fonts takes a moment.
    text: Mutex<Option<TextEngine>>,
    /// Whether the database passed its check (once per process, see `backups`).
    pub(crate) db_ready: Mutex<bool>,
    /// Why the last automatic snapshot failed, for Settings → 备份.
    pub(crate) backup_problem: Mutex<Option<String>>,
    /// Keyframes of masters already read for smart render, by path, size and
    /// modification time (the editor plans again on every change).
    facts: Mutex<Vec<(FactsKey, crate::plan::smart::StreamFacts)>>,
    /// The hardware encoders that work here, found on first use.
    encoders: Mutex<Option<Vec<String>>>,
}

type FactsKey = (PathBuf, u64, Option<std::time::SystemTime>);

impl Studio {
    /// Loads the shipped and user catalogs; creates the data folder.
    pub fn open(mut config: StudioConfig) -> Result<Self> {
        // Absolute, so no path we hand ffmpeg can start with `name:` (a protocol).
        config.data_dir = std::path::absolute(&config.data_dir)
            .map_err(|e| EngineError::io(format!("resolving {}", config.data_dir.display()), e))?;
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| EngineError::io(format!("creating the data folder {}", config.data_dir.display()), e))?;
        crate::schedule::zone(&config.time_zone)?;
        let platforms = PlatformCatalog::load(Some(&config.data_dir.join("platforms")))?;
        let disclaimers = DisclaimerCatalog::load(Some(&config.data_dir.join("disclaimers")))?;
        let lexicon = Lexicon::load(Some(&config.data_dir.join("compliance")))?;
        let themes = crate::notes::ThemeCatalog::load(Some(&config.data_dir.join("templates")))?;
        let tools = MediaTools::locate(config.ffmpeg.as_deref(), &config.data_dir);
        Ok(Self {
            config,
            tools,
            platforms,
            disclaimers,
            lexicon,
            themes,
            text: Mutex::new(None),
            db_ready: Mutex::new(false),
            backup_problem: Mutex::new(None),
            facts: Mutex::new(Vec::new()),
            encoders: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &StudioConfig {
        &self.config
    }
    pub fn tools(&self) -> &MediaTools {
        &self.tools
    }
    pub fn platforms(&self) -> &PlatformCatalog {
        &self.platforms
    }
    pub fn disclaimers(&self) -> &DisclaimerCatalog {
        &self.disclaimers
    }
    /// The compliance lexicon (shipped rules plus the data folder's `compliance/`).
    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }
    /// Card themes (shipped plus the data folder's `templates/`).
    pub fn themes(&self) -> &crate::notes::ThemeCatalog {
        &self.themes
    }
    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// Opens a connection to the studio's database; the first one in a
    /// process checks the file and takes the snapshots that are due.
    pub fn store(&self) -> Result<Store> {
        let path = self.database_path();
        {
            let mut ready = self.db_ready.lock().unwrap_or_else(|p| p.into_inner());
            if !*ready {
                self.prepare_database(&path)?;
                *ready = true;
            }
        }
        Ok(Store::open(&path)?.with_anchors(self.backup_dir()))
    }

    /// `studio.db` in the data folder.
    pub fn database_path(&self) -> PathBuf {
        self.config.data_dir.join("studio.db")
    }

    pub fn probe(&self, path: &Path) -> Result<MediaInfo> {
        probe(&self.tools, path)
    }

    /// A disclaimer from a preset id, or from the user's own text.
    pub fn disclaimer(
        &self,
        preset: Option<&str>,
        custom_text: Option<&str>,
        institution: Option<&str>,
        licence: Option<&str>,
    ) -> Result<Disclaimer> {
        let preset = match (custom_text, preset) {
            (Some(text), _) => crate::disclaimer::DisclaimerPreset {
                id: "custom".into(),
                lang: if text.is_ascii() { "en".into() } else { "zh-CN".into() },
                text: text.to_owned(),
            },
            (None, Some(id)) => self.disclaimers.get(id)?.clone(),
            (None, None) => {
                return Err(EngineError::Refused(Notice::new(
                    "disclaimer.choose",
                    "choose a disclaimer preset or give its text",
                )));
            }
        };
        if preset.text.trim().is_empty() {
            return Err(EngineError::Refused(Notice::new("disclaimer.empty", "the disclaimer text is empty")));
        }
        Ok(Disclaimer::from_preset(&preset, institution, licence))
    }

    /// Plans one platform's variant, rendering its disclaimer pictures first.
    pub fn plan(
        &self,
        media: &MediaInfo,
        platform: &str,
        request: &PlanRequest,
        out_dir: &Path,
    ) -> Result<VariantPlan> {
        let profile = self.platforms.get(platform)?;
        let overlays = match &request.disclaimer {
            Some(d) if profile.video.is_some() => {
                let text = d.text();
                let frame = self.overlay_file(&text, overlay_box(profile, false))?;
                let cover = self.overlay_file(&text, overlay_box(profile, true))?;
                Some(OverlayPair { frame, cover })
            }
            _ => None,
        };
        let out_dir = std::path::absolute(out_dir).map_err(|e| EngineError::io("resolving the output folder", e))?;
        let mut plan = plan_variant(media, profile, request, overlays.as_ref(), &out_dir)?;
        if let Some(mark) = &request.ai {
            plan.ai_label = Some(self.video_ai_label(profile, &plan, mark)?);
        }
        if !request.cues.is_empty() {
            let burn = request.burn_captions.unwrap_or(profile.captions.burn);
            let (captions, notes) = self.caption_plan(profile, &plan, &request.cues, burn)?;
            plan.captions = Some(captions);
            plan.notes.extend(notes);
        }
        if profile.video.is_some() {
            let choice = self.encoder_choice();
            plan.notes.push(choice.why.clone());
            plan.video_encoder = choice.encoder;
        }
        if let Some(video) = profile.video.as_ref().filter(|v| v.target_duration.is_none()) {
            let method = self.render_method(video, media, &plan);
            plan.notes.push(method.notice());
            plan.method = Some(method);
        }
        Ok(plan)
    }

    /// Smart render or a full re-encode for a full version, and why.
    fn render_method(
        &self,
        video: &crate::platform::VideoSpec,
        media: &MediaInfo,
        plan: &VariantPlan,
    ) -> crate::plan::smart::RenderMethod {
        use crate::plan::smart::{self, RenderMethod};
        if !self.config.smart_render {
            return RenderMethod::Full { why: vec![Notice::new("smart.why.off", "smart render is off")] };
        }
        // The cheap checks first: the keyframes are read only for a master that may fit.
        let why = smart::static_reasons(plan, media, video);
        if !why.is_empty() {
            return RenderMethod::Full { why };
        }
        let facts = match self.stream_facts(&media.path) {
            Ok(f) => f,
            Err(e) => {
                let why = Notice::new("smart.why.keyframes_unread", format!("its keyframes could not be read ({e})"))
                    .with("detail", e);
                return RenderMethod::Full { why: vec![why] };
            }
        };
        match smart::decide(plan, media, &facts, video) {
            Ok(s) => RenderMethod::Smart(s),
            Err(why) => RenderMethod::Full { why },
        }
    }

    /// The encoder renders use, from the setting and what works on this machine.
    pub fn encoder_choice(&self) -> crate::encoders::Choice {
        use crate::encoders::{EncoderSetting, choose, usable};
        if self.config.video_encoder == EncoderSetting::Software {
            return choose(&EncoderSetting::Software, &[]);
        }
        let mut found = self.encoders.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let list = found.get_or_insert_with(|| usable(&self.tools, &self.config.data_dir.join("encoders.json")));
        choose(&self.config.video_encoder, list)
    }

    fn stream_facts(&self, path: &Path) -> Result<crate::plan::smart::StreamFacts> {
        let meta = std::fs::metadata(path).map_err(|e| EngineError::io(format!("reading {}", path.display()), e))?;
        let key = (path.to_owned(), meta.len(), meta.modified().ok());
        let mut cache = self.facts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, f)) = cache.iter().find(|(k, _)| *k == key) {
            return Ok(f.clone());
        }
        let facts = crate::probe::stream_facts(&self.tools, path)?;
        // A few masters are enough: an editor works on one at a time.
        if cache.len() >= 8 {
            cache.remove(0);
        }
        cache.push((key, facts.clone()));
        Ok(facts)
    }

    /// The AI label's pictures for the frame and the cover, and its implicit
    /// record. The record's ProduceID names this cut of this master, the
    /// same each time it is planned.
    fn video_ai_label(
        &self,
        profile: &crate::platform::PlatformProfile,
        plan: &VariantPlan,
        mark: &AiMark,
    ) -> Result<VideoAiLabel> {
        let text = mark.video_text();
        let (frame_box, cover_box) = (overlay_box(profile, false), overlay_box(profile, true));
        let frame = self.overlay_file_sized(&text, ai_label_font_px(&frame_box), frame_box.max_width())?;
        let cover = self.overlay_file_sized(&text, ai_label_font_px(&cover_box), cover_box.max_width())?;
        let cut = serde_json::json!({ "master": plan.master, "platform": plan.platform, "segments": plan.segments });
        let produce_id = crate::digest::sha256_hex(cut.to_string().as_bytes())[..20].to_owned();
        Ok(VideoAiLabel {
            record: AiLabelRecord { mark: mark.clone(), implicit: mark.implicit(&produce_id), text },
            overlay: frame_box.place_top(&frame),
            cover: cover_box.place_top(&cover),
        })
    }

    /// Renders the overlay PNG into the data folder, named by its content so
    /// that identical overlays are shared and a stored plan's file stays valid.
    fn overlay_file(&self, text: &str, area: crate::plan::OverlayBox) -> Result<OverlaySource> {
        self.overlay_file_sized(text, area.font_px, area.max_width())
    }

    fn overlay_file_sized(&self, text: &str, font_px: f32, max_width: u32) -> Result<OverlaySource> {
        let (image, font) = self
            .with_text(|engine| Ok((render_overlay(engine, text, font_px, max_width)?, engine.family().to_owned())))?;
        let path = self.overlay_store(&image.png, "png")?;
        Ok(OverlaySource { path, width: image.width, height: image.height, font })
    }

    /// Keeps a rendered picture (or caption list) in the data folder's
    /// `overlays/`, named by its content so identical ones are shared and a
    /// stored plan's files stay valid. The names are hex digits only, so they
    /// are safe inside an ffconcat list.
    pub(crate) fn overlay_store(&self, bytes: &[u8], ext: &str) -> Result<PathBuf> {
        let digest = &crate::digest::sha256_hex(bytes)[..24];
        let dir = self.config.data_dir.join("overlays");
        let path = dir.join(format!("{digest}.{ext}"));
        if !path.exists() {
            std::fs::create_dir_all(&dir).map_err(|e| EngineError::io(format!("creating {}", dir.display()), e))?;
            crate::render::write_complete(&path, bytes)?;
        }
        Ok(path)
    }

    /// Runs `f` with the shared text engine, loading the fonts on first use.
    pub(crate) fn with_text<T>(&self, f: impl FnOnce(&mut TextEngine) -> Result<T>) -> Result<T> {
        let mut guard = self.text.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(TextEngine::new(&self.config.fonts)?);
        }
        let engine = guard.as_mut().ok_or_else(|| EngineError::internal("font engine unavailable"))?;
        f(engine)
    }

    /// Records the master and queues one render job per plan.
    pub fn enqueue(&self, project: &str, media: &MediaInfo, plans: &[VariantPlan]) -> Result<Vec<(i64, i64)>> {
        let mut store = self.store()?;
        let project_id = store.ensure_project(project)?;
        let master_id = store.upsert_video_master(project_id, media)?;
        plans.iter().map(|plan| store.add_video_variant(master_id, plan)).collect()
    }
}
