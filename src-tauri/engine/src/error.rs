//! The engine's one error type. Every variant carries a stable `code()` so a
//! front end (CLI, desktop app) can react to the kind of failure without
//! parsing the message, and every message says what the user can do next.

use std::path::PathBuf;

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{tool} was not found. {}", crate::tools::install_hint())]
    ToolMissing { tool: &'static str },

    #[error("{path}: file not found")]
    InputMissing { path: PathBuf },

    #[error("{path}: the file is empty (0 bytes); was it saved or copied completely? Choose the original again")]
    InputEmpty { path: PathBuf },

    #[error("{path}: not a video or audio file ffmpeg can read ({detail})")]
    InputNotMedia { path: PathBuf, detail: String },

    #[error("{path}: the file has no playable video stream")]
    InputNoVideo { path: PathBuf },

    #[error("{path}: the video has zero duration (is the recording truncated?)")]
    InputZeroDuration { path: PathBuf },

    #[error("{file}: invalid field `{field}`: {reason}")]
    ProfileInvalid { file: String, field: String, reason: String },

    #[error("unknown {what} `{id}`; available: {available}")]
    UnknownId { what: &'static str, id: String, available: String },

    #[error("cannot plan the {platform} variant: {reason}")]
    Plan { platform: String, reason: String },

    #[error("{0}")]
    InvalidArgument(String),

    /// A refused value worded by its own catalog entry (code `invalid_argument` all the same).
    #[error("{0}")]
    Refused(crate::message::Notice),

    /// Not allowed, worded by its own catalog entry (code `not_allowed` all the same).
    #[error("{0}")]
    Forbidden(crate::message::Notice),

    #[error(
        "no installed font can draw 「{chars}」 ({}); install fonts-noto-cjk (or fonts-noto-color-emoji for emoji) or choose a font file in settings (--font)",
        code_points(.chars)
    )]
    FontMissing { chars: String },

    #[error("ffmpeg failed ({status}) while rendering {output}:\n{stderr_tail}")]
    RenderFailed { output: PathBuf, status: String, stderr_tail: String },

    #[error(
        "ffmpeg failed ({status}) while analysing {master} for highlights; check the file plays to the end:\n{stderr_tail}"
    )]
    AnalysisFailed { master: PathBuf, status: String, stderr_tail: String },

    #[error(
        "the rendered {output} is {actual:.2} s long, not the planned {expected:.2} s; the master is probably damaged or cut off — check it plays to the end"
    )]
    IncompleteOutput { output: PathBuf, actual: f64, expected: f64 },

    #[error(
        "variant {variant} changed after the review screen showed it (new text, settings or rendered file); look at it again before approving"
    )]
    StaleView { variant: i64 },

    /// A rendered file no longer has the bytes the review screen showed and
    /// the approval would record (edited, re-encoded or replaced on disk).
    #[error(
        "{path} changed after it was rendered (its SHA-256 is now {actual}, not {expected}); render the variant again and look at it before approving"
    )]
    OutputChanged { path: PathBuf, expected: String, actual: String },

    #[error("{path} was rendered but is no longer there; render the variant again and look at it before approving")]
    OutputGone { path: PathBuf },

    /// A smart render step failed; the job renders in full instead (see `render::smart`).
    #[error("smart render failed at the {step} step: {detail}")]
    SmartRender { step: String, detail: String },

    #[error(
        "{path} is open in another program (a player or a preview?), so the new render could not replace it; close it and retry the job (the old file is unchanged)"
    )]
    OutputInUse { path: PathBuf },

    #[error("the disk is full while writing {path}; free some space and retry the job")]
    DiskFull { path: PathBuf },

    #[error("the render was cancelled")]
    Cancelled,

    #[error("another studio process is already running jobs in {data_dir}; wait for it or stop it")]
    Busy { data_dir: PathBuf },

    #[error("{0}")]
    NotAllowed(String),

    #[error("the studio's database {path} is damaged ({detail}); it was left as it is. {}", restore_offer(.snapshot.as_deref()))]
    DatabaseDamaged { path: PathBuf, detail: String, snapshot: Option<Box<crate::store::backup::Snapshot>> },

    #[error(
        "the studio's database {path} was written by a newer Repurpose Studio (schema {found}; this build knows {known}); update the app. {}",
        restore_offer(.snapshot.as_deref())
    )]
    DatabaseNewer { path: PathBuf, found: u32, known: u32, snapshot: Option<Box<crate::store::backup::Snapshot>> },

    #[error("{file}, line {line}: {reason}")]
    SubtitleInvalid { file: String, line: usize, reason: String },

    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: i64 },

    #[error("could not encode or decode stored data: {0}")]
    Json(#[from] serde_json::Error),

    #[error("database error: {0}")]
    Store(#[from] rusqlite::Error),

    #[error("the database holds something this build cannot read: {0}")]
    StoreData(String),

    #[error("{0}")]
    Duplicate(String),

    #[error(
        "cannot reach the team database at {server} ({detail}). Your own drafts and renders still work; team actions (review, schedule, publish) wait until it is back, and nothing you did was lost"
    )]
    TeamUnreachable { server: String, detail: String },

    #[error(
        "the team database at {server} refused the login ({detail}); check the user name and password your admin gave you"
    )]
    TeamLogin { server: String, detail: String },

    #[error("someone else changed the same thing at the same moment and it could not be sorted out ({0}); try again")]
    TeamRace(String),

    #[error("team database error: {0}")]
    Team(String),

    #[error(
        "the team's copy of {what} was altered in team storage: its SHA-256 is {actual} ({size} bytes), not the {expected} that was submitted; it was refused. Ask its editor to submit it again"
    )]
    MediaAltered { what: String, expected: String, actual: String, size: u64 },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl EngineError {
    /// A stable, machine-readable code: the UI maps these to localised text.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ToolMissing { .. } => "tool_missing",
            Self::InputMissing { .. } => "input_missing",
            Self::InputEmpty { .. } => "input_empty",
            Self::InputNotMedia { .. } => "input_not_media",
            Self::InputNoVideo { .. } => "input_no_video",
            Self::InputZeroDuration { .. } => "input_zero_duration",
            Self::ProfileInvalid { .. } => "profile_invalid",
            Self::UnknownId { .. } => "unknown_id",
            Self::Plan { .. } => "plan_invalid",
            Self::InvalidArgument(_) | Self::Refused(_) => "invalid_argument",
            Self::FontMissing { .. } => "font_missing",
            Self::RenderFailed { .. } => "render_failed",
            Self::AnalysisFailed { .. } => "analysis_failed",
            Self::IncompleteOutput { .. } => "render_incomplete",
            Self::SmartRender { .. } => "smart_render_failed",
            Self::StaleView { .. } => "stale_view",
            Self::OutputChanged { .. } => "output_changed",
            Self::OutputGone { .. } => "output_gone",
            Self::DiskFull { .. } => "disk_full",
            Self::OutputInUse { .. } => "output_in_use",
            Self::Cancelled => "cancelled",
            Self::Busy { .. } => "busy",
            Self::NotAllowed(_) | Self::Forbidden(_) => "not_allowed",
            Self::DatabaseDamaged { .. } => "database_damaged",
            Self::DatabaseNewer { .. } => "database_newer",
            Self::SubtitleInvalid { .. } => "subtitle_invalid",
            Self::NotFound { .. } => "not_found",
            Self::Json(_) => "json",
            Self::Store(_) | Self::StoreData(_) => "store",
            Self::Duplicate(_) => "duplicate",
            Self::TeamUnreachable { .. } => "team_unreachable",
            Self::TeamLogin { .. } => "team_login",
            Self::TeamRace(_) => "team_conflict",
            Self::Team(_) => "team_database",
            Self::MediaAltered { .. } => "media_altered",
            Self::Io { .. } => "io",
        }
    }

    /// The values the catalogs' sentences for [`Self::code`] take, by name
    /// (see `assets/messages/`).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let path = |p: &std::path::Path| p.display().to_string();
        match self {
            Self::ToolMissing { tool } => vec![("tool", (*tool).to_owned())],
            Self::InputMissing { path: p }
            | Self::InputEmpty { path: p }
            | Self::InputNoVideo { path: p }
            | Self::InputZeroDuration { path: p }
            | Self::OutputInUse { path: p }
            | Self::DiskFull { path: p } => vec![("path", path(p))],
            Self::InputNotMedia { path: p, detail } => vec![("path", path(p)), ("detail", detail.clone())],
            Self::ProfileInvalid { file, field, reason } => {
                vec![("file", file.clone()), ("field", field.clone()), ("reason", reason.clone())]
            }
            Self::UnknownId { what, id, available } => {
                vec![("what", (*what).to_owned()), ("id", id.clone()), ("available", available.clone())]
            }
            Self::Plan { platform, reason } => vec![("platform", platform.clone()), ("reason", reason.clone())],
            Self::InvalidArgument(detail)
            | Self::NotAllowed(detail)
            | Self::StoreData(detail)
            | Self::Duplicate(detail)
            | Self::TeamRace(detail)
            | Self::Team(detail) => vec![("detail", detail.clone())],
            // Its notice holds its parameters (see `notice`).
            Self::Refused(_) | Self::Forbidden(_) => Vec::new(),
            Self::FontMissing { chars } => vec![("chars", chars.clone()), ("code_points", code_points(chars))],
            Self::RenderFailed { output, status, stderr_tail } => {
                vec![("path", path(output)), ("status", status.clone()), ("log", stderr_tail.clone())]
            }
            Self::AnalysisFailed { master, status, stderr_tail } => {
                vec![("path", path(master)), ("status", status.clone()), ("log", stderr_tail.clone())]
            }
            Self::IncompleteOutput { output, actual, expected } => {
                vec![("path", path(output)), ("actual", format!("{actual:.2}")), ("expected", format!("{expected:.2}"))]
            }
            Self::StaleView { variant } => vec![("variant", variant.to_string())],
            Self::OutputChanged { path: p, expected, actual } => {
                vec![("path", path(p)), ("expected", expected.clone()), ("actual", actual.clone())]
            }
            Self::OutputGone { path: p } => vec![("path", path(p))],
            Self::SmartRender { step, detail } => vec![("step", step.clone()), ("detail", detail.clone())],
            Self::Cancelled => Vec::new(),
            Self::Busy { data_dir } => vec![("path", path(data_dir))],
            Self::DatabaseDamaged { path: p, detail, snapshot } => {
                let mut v = vec![("path", path(p)), ("detail", detail.clone())];
                v.extend(snapshot_params(snapshot.as_deref()));
                v
            }
            Self::DatabaseNewer { path: p, found, known, snapshot } => {
                let mut v = vec![("path", path(p)), ("found", found.to_string()), ("known", known.to_string())];
                v.extend(snapshot_params(snapshot.as_deref()));
                v
            }
            Self::SubtitleInvalid { file, line, reason } => {
                vec![("file", file.clone()), ("line", line.to_string()), ("reason", reason.clone())]
            }
            Self::NotFound { what, id } => vec![("what", (*what).to_owned()), ("id", id.to_string())],
            Self::Json(e) => vec![("detail", e.to_string())],
            Self::Store(e) => vec![("detail", e.to_string())],
            Self::TeamUnreachable { server, detail } | Self::TeamLogin { server, detail } => {
                vec![("server", server.clone()), ("detail", detail.clone())]
            }
            Self::MediaAltered { what, expected, actual, size } => vec![
                ("what", what.clone()),
                ("expected", expected.clone()),
                ("actual", actual.clone()),
                ("size", size.to_string()),
            ],
            Self::Io { context, source } => vec![("context", context.clone()), ("detail", source.to_string())],
        }
    }

    /// Something that should not happen (a picture that cannot be drawn, a
    /// worker that panicked): still worded for a person, who is asked for the logs.
    pub fn internal(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self::Refused(crate::message::Notice::new("internal", detail.clone()).with("detail", detail))
    }

    /// The error as a person reads it: its code, parameters and English sentence.
    pub fn notice(&self) -> crate::message::Notice {
        if let Self::Refused(n) | Self::Forbidden(n) = self {
            return n.clone();
        }
        let mut n = crate::message::Notice::new(self.code(), self.to_string());
        for (name, value) in self.params() {
            n = n.with(name, value);
        }
        // The database errors' second sentence names a snapshot or says there is none.
        if matches!(self, Self::DatabaseDamaged { snapshot: None, .. } | Self::DatabaseNewer { snapshot: None, .. }) {
            n.code.push_str(".no_snapshot");
        }
        n
    }

    /// The error in `lang`, from the catalogs (the English sentence if a catalog lacks it).
    pub fn render(&self, lang: crate::message::Lang) -> String {
        self.notice().render(lang)
    }

    /// Lost a race with another writer: running the transaction again may succeed.
    pub fn is_race(&self) -> bool {
        matches!(self, Self::TeamRace(_))
    }

    /// A unique key already held the value (a name taken, an action already applied).
    pub fn is_duplicate(&self) -> bool {
        match self {
            Self::Duplicate(_) => true,
            Self::Store(rusqlite::Error::SqliteFailure(f, _)) => {
                f.code == rusqlite::ErrorCode::ConstraintViolation
                    && matches!(
                        f.extended_code,
                        rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                    )
            }
            _ => false,
        }
    }

    /// Wraps an I/O error with what we were doing, so the message names the file.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io { context: context.into(), source }
    }
}

/// The second step of recovering: which snapshot, and the two ways to put it back.
fn restore_offer(snapshot: Option<&crate::store::backup::Snapshot>) -> String {
    match snapshot {
        Some(s) => format!(
            "The newest good snapshot was taken {}: restore it with `studio restore \"{}\"` or in the app under Settings → 备份.",
            s.taken_at,
            s.path.display()
        ),
        None => "No good snapshot was found in the backup folder; if you keep copies elsewhere, restore one with `studio restore FILE`.".into(),
    }
}

fn snapshot_params(snapshot: Option<&crate::store::backup::Snapshot>) -> Vec<(&'static str, String)> {
    snapshot
        .map_or_else(Vec::new, |s| vec![("taken_at", s.taken_at.clone()), ("snapshot", s.path.display().to_string())])
}

/// `U+E000 U+1F600`, so a user can tell which character it is even when it shows as nothing.
fn code_points(chars: &str) -> String {
    chars.chars().map(|c| format!("U+{:04X}", c as u32)).collect::<Vec<_>>().join(" ")
}

/// The engine's result type.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
