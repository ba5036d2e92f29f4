//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Repurpose Studio, headless: one master in, platform-ready variants out.
#[derive(Debug, Parser)]
#[command(name = "studio", version, about, long_about = None)]
pub struct Cli {
    /// Data folder (database, user profiles, overlays). Default: the one chosen in the app's settings, else the platform's app-data folder.
    #[arg(long, global = true, env = "STUDIO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// ffmpeg binary to use (ffprobe is looked up beside it). Default: the app's setting, else next to studio, then PATH.
    #[arg(long, global = true, env = "STUDIO_FFMPEG")]
    pub ffmpeg: Option<PathBuf>,
    /// Extra font file for overlays (the first one given is the primary font).
    #[arg(long = "font", global = true)]
    pub fonts: Vec<PathBuf>,
    /// Who is acting (a name from `studio people`), for review and queue actions.
    #[arg(long = "as", global = true, env = "STUDIO_USER")]
    pub actor: Option<String>,
    /// Time zone that times are typed and shown in (IANA name).
    #[arg(long, global = true, env = "STUDIO_TZ", default_value = "Asia/Shanghai")]
    pub tz: String,
    /// Folder for database snapshots (a USB disk, a NAS). Default: the app's setting, else `backups/` in the data folder.
    #[arg(long, global = true, env = "STUDIO_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// How many snapshots to keep (default: the app's setting, else 14).
    #[arg(long, global = true, env = "STUDIO_BACKUPS_KEPT")]
    pub backups_kept: Option<usize>,
    /// The team's database (postgresql://LOGIN@HOST:PORT/DB; the password from PGPASSWORD).
    /// Review, queue, packages and the audit trail are then the team's. Default: the app's setting, else solo.
    #[arg(long = "database", global = true, env = "STUDIO_DATABASE")]
    pub team_database: Option<String>,
    /// An id for this action (approve, schedule …): running the command again with the
    /// same id after a crash or a lost connection does not do it twice.
    #[arg(long, global = true, env = "STUDIO_ACTION_ID")]
    pub action_id: Option<String>,
    /// Print JSON instead of tables (errors too, on stderr: code, parameters, message).
    #[arg(long, global = true)]
    pub json: bool,
    /// Language of messages: zh-CN or en. Default: from LC_ALL / LC_MESSAGES / LANG (zh… → zh-CN), else en.
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,
    /// Re-encode full versions whole instead of smart-rendering them (copying
    /// every GOP no overlay touches); also `"smart_render": false` in machine.json.
    #[arg(long, global = true)]
    pub no_smart: bool,
    /// H.264 encoder: auto (the first hardware encoder that works here: h264_videotoolbox,
    /// h264_nvenc, h264_qsv, h264_amf), software (x264), or one of those names; a hardware
    /// encoder that fails falls back to x264. Also `"video_encoder"` in machine.json.
    #[arg(long, global = true, value_name = "ENCODER")]
    pub encoder: Option<studio_engine::encoders::EncoderSetting>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Where the logs are; with --zip, a zip of them and this machine's facts (no media, no post text) to send for help.
    Logs {
        #[arg(long)]
        zip: Option<PathBuf>,
    },
    /// Take a verified snapshot of the database now (or `backup list`).
    Backup {
        /// Write it here instead of the backup folder.
        #[arg(long)]
        to: Option<PathBuf>,
        #[command(subcommand)]
        action: Option<BackupAction>,
    },
    /// Put a snapshot in place of the database; the current file is moved aside, not deleted.
    Restore {
        /// The snapshot file (see `studio backup list`).
        #[arg(required_unless_present = "latest")]
        snapshot: Option<PathBuf>,
        /// The newest snapshot that passes its check.
        #[arg(long, conflicts_with = "snapshot")]
        latest: bool,
    },
    /// Show what ffprobe finds in a master: duration, streams, frame rate, rotation.
    Probe { file: PathBuf },
    /// Print each variant's plan and the exact ffmpeg commands, without rendering.
    Plan(VariantArgs),
    /// Queue render jobs for a master and run them with progress.
    Render {
        #[command(flatten)]
        variant: VariantArgs,
        /// Only queue the jobs; run them later with `studio run`.
        #[arg(long)]
        no_run: bool,
        /// ffmpeg processes at once.
        #[arg(long, default_value_t = 1)]
        parallel: usize,
    },
    /// Run queued jobs (including any a crash interrupted).
    Run {
        #[arg(long, default_value_t = 1)]
        parallel: usize,
    },
    /// Render jobs and their state.
    Jobs {
        #[command(subcommand)]
        action: Option<JobAction>,
    },
    /// Rendered variants waiting to be scheduled, and the scheduled posts.
    Queue,
    /// Accounts the team posts from, and their cadence rules.
    Accounts {
        #[command(subcommand)]
        action: Option<AccountAction>,
    },
    /// The publish calendar: plan, move, fill, import, and record outcomes.
    Posts {
        #[command(subcommand)]
        action: Option<PostAction>,
    },
    /// Posts whose time has come, ready to post by hand.
    Due {
        /// As of this time (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Export posts as ready-to-upload folders (and a zip) with caption.txt and manifest.json.
    Package {
        /// Post ids (or use --account / --from / --to for a batch).
        posts: Vec<i64>,
        /// Every planned post of these accounts (comma-separated) in the range.
        #[arg(long, value_delimiter = ',')]
        account: Vec<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long, default_value = "out/packages")]
        out: PathBuf,
        /// Folder name (default: package-<local time>).
        #[arg(long)]
        name: Option<String>,
        /// Also write <name>.zip.
        #[arg(long)]
        zip: bool,
    },
    /// Record and import results (views, likes …) of published posts.
    Metrics {
        #[command(subcommand)]
        action: MetricsAction,
    },
    /// Compare results per platform, per account, or per variant of one master.
    Report {
        /// platform | account | variant
        #[arg(long, default_value = "platform")]
        by: String,
        /// Only this master's posts (with --by variant: which cut worked).
        #[arg(long)]
        master: Option<i64>,
    },
    /// Turn a Markdown article into image-and-text notes: cards, titles, bodies and tags per platform.
    Notes {
        /// The article (Markdown, optionally with YAML front matter: title, tags, author, institution, account).
        file: PathBuf,
        #[arg(long, default_value = "xiaohongshu,douyin-notes,bilibili-article", value_delimiter = ',')]
        platforms: Vec<String>,
        /// Card theme (light, dark, or one of yours).
        #[arg(long, default_value = "light")]
        theme: String,
        /// Disclaimer preset for the card footer.
        #[arg(long, default_value = "risk-zh")]
        disclaimer: String,
        #[arg(long)]
        disclaimer_text: Option<String>,
        #[arg(long)]
        institution: Option<String>,
        #[arg(long)]
        licence: Option<String>,
        /// A closing line added to bodies, e.g. "更多干货去小红书搜 {account}".
        #[arg(long)]
        cross_line: Option<String>,
        #[command(flatten)]
        ai: AiArgs,
        #[arg(long, default_value = "out")]
        out: PathBuf,
        #[arg(long, default_value = "default")]
        project: String,
    },
    /// Suggest the moments of a long master most worth a short clip (speech, pace, scene cuts,
    /// and with subtitles their density and hook words), best first, each with its reasons.
    Suggest {
        /// The master video.
        file: PathBuf,
        /// Seconds per clip (default: the platform's clip length, else 15).
        #[arg(long)]
        duration: Option<f64>,
        /// A platform whose clip length to use (e.g. xiaohongshu for one minute).
        #[arg(long)]
        platform: Option<String>,
        #[arg(long, default_value_t = 5)]
        count: usize,
    },
    /// AI-content marks: a master (and every variant made from it) or one variant
    /// contains AI-generated content and carries a visible and an implicit label.
    Ai {
        #[command(subcommand)]
        action: AiAction,
    },
    /// A master's subtitles: add a file, show the cues, correct a cue, list the corrections.
    Subtitles {
        #[command(subcommand)]
        action: SubtitleAction,
    },
    /// Check wording for compliance: a file (Markdown, text, or subtitles: SRT, WebVTT, ASS) or the text itself.
    /// Exit code 1 on a blocking finding.
    Check {
        /// A file path, or the text to check.
        input: String,
    },
    /// Local profiles: who edits, who reviews.
    People {
        #[command(subcommand)]
        action: Option<PeopleAction>,
    },
    /// Set a variant's title, body and tags (an approved variant goes back to draft).
    Edit {
        variant: i64,
        #[arg(long, default_value = "")]
        title: String,
        #[arg(long, default_value = "")]
        body: String,
        /// Comma-separated, without `#`.
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
    },
    /// Show a variant's review, or act on it: --submit, --approve, --request-changes.
    Review {
        variant: i64,
        /// Send it to review (runs the compliance check).
        #[arg(long, conflicts_with_all = ["approve", "request_changes"])]
        submit: bool,
        /// Approve it (reviewers and admins).
        #[arg(long, conflicts_with = "request_changes")]
        approve: bool,
        /// Send it back to the editor with --reason.
        #[arg(long)]
        request_changes: bool,
        #[arg(long)]
        reason: Option<String>,
        /// Accept a blocking finding: RULE=REASON (repeat for each rule).
        #[arg(long = "override")]
        overrides: Vec<String>,
    },
    /// Team mode: one review, queue and audit trail on the team's PostgreSQL server (see --database).
    Team {
        #[command(subcommand)]
        action: TeamAction,
    },
    /// The audit trail: list, verify the hash chain, export for the archive.
    Audit {
        #[command(subcommand)]
        action: Option<AuditAction>,
    },
    /// Platform profiles (shipped and from the data folder).
    Platforms,
    /// Disclaimer presets.
    Disclaimers,
    /// Generate a sample master with ffmpeg's test sources and render the standard set.
    Demo {
        /// Where the sample and the variants go.
        #[arg(long, default_value = "out/demo")]
        out: PathBuf,
        /// Length of the sample master in seconds.
        #[arg(long, default_value_t = 70.0)]
        seconds: f64,
    },
    /// Time studio against plain ffmpeg commands doing the same work (or, with --scan, the compliance scanner).
    Bench {
        /// Measure the compliance scan of a 10,000-character article instead.
        #[arg(long)]
        scan: bool,
        /// Measure the compliance scanner on a labelled set instead: recall and precision per
        /// family, every miss listed (the set: --set, tests/compliance/labelled.tsv by default).
        #[arg(long)]
        compliance: bool,
        /// The labelled set for --compliance.
        #[arg(long, default_value = "tests/compliance/labelled.tsv")]
        set: PathBuf,
        /// Measure card rendering (layout + PNG) of a 10,000-character article instead.
        #[arg(long)]
        cards: bool,
        /// Measure the publish calendar with 100,000 posts (month query, week fill) instead.
        #[arg(long)]
        calendar: bool,
        /// Measure what subtitles cost instead: highlight analysis of a --minutes master against
        /// decoding its audio and keyframes, and the standard set with and without burned-in captions.
        #[arg(long)]
        captions: bool,
        /// Measure smart render instead: a recorded-style --minutes 1080p master's Bilibili full
        /// version, smart against a full re-encode, and the copied frames compared with the master's.
        #[arg(long)]
        smart: bool,
        /// Measure a team database (--database, as its owner) under ten laptops' mix instead.
        #[arg(long)]
        team: bool,
        /// Laptops for --team.
        #[arg(long, default_value_t = 10)]
        laptops: usize,
        /// Seconds of the --team mix.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Mean pause of each --team laptop between operations, in milliseconds (0: none, a stress run).
        #[arg(long, default_value_t = 1000)]
        think_ms: u64,
        /// Length of the long master in minutes.
        #[arg(long, default_value_t = 10.0)]
        minutes: f64,
        /// Rounds of the standard set against the hand-written commands, alternating (the median is shown).
        #[arg(long, default_value_t = 1)]
        rounds: usize,
        #[arg(long, default_value = "out/bench")]
        out: PathBuf,
        /// Skip the full-length (Bilibili) variant, whose cost is one full re-encode.
        #[arg(long)]
        clips_only: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobAction {
    /// List jobs (the default).
    List,
    /// Cancel a queued or running job.
    Cancel { id: i64 },
    /// Queue a failed or cancelled job again.
    Retry { id: i64 },
    /// Check that every finished job's file is there, whole, with its recorded hash.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum TeamAction {
    /// Who you are on the team database, its address and schema version.
    Status,
    /// Add a member (admins only): a login with a password and a role. The password is read from
    /// STUDIO_MEMBER_PASSWORD, else from the first line of standard input.
    AddMember {
        name: String,
        /// editor, reviewer or admin
        #[arg(long)]
        role: String,
    },
    /// Copy this laptop's studio into the team database: masters, variants and their files,
    /// review history and posts. The team's audit trail records the old chain's last hash.
    Push,
}

#[derive(Debug, Subcommand)]
pub enum PeopleAction {
    /// List (the default).
    List,
    /// Add a person.
    Add {
        name: String,
        /// editor | reviewer | admin
        #[arg(long)]
        role: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// List entries (the default).
    List {
        /// Only entries about this variant.
        #[arg(long)]
        variant: Option<i64>,
    },
    /// Check that no entry was edited or deleted.
    Verify,
    /// Write every entry as CSV or JSON.
    Export {
        /// csv | json
        #[arg(long, default_value = "csv")]
        format: String,
        /// File to write (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountAction {
    /// List (the default).
    List,
    /// Add an account.
    Add {
        /// A platform id from `studio platforms` (douyin, xiaohongshu, bilibili …).
        #[arg(long)]
        platform: String,
        /// The name the platform shows.
        #[arg(long)]
        name: String,
        /// The account's unique handle.
        #[arg(long)]
        handle: String,
        #[arg(long)]
        owner: Option<String>,
        /// Closing line for captions, e.g. "更多干货去小红书搜 理财小王".
        #[arg(long)]
        cross_line: Option<String>,
        /// Cadence rules, e.g. "daily 18:00" or "周一,周三,周五 12:00" (repeat for several).
        #[arg(long)]
        cadence: Vec<String>,
    },
    /// Replace an account's cadence rules.
    Cadence { account: String, rules: Vec<String> },
}

#[derive(Debug, Subcommand)]
pub enum PostAction {
    /// The calendar (the default): posts from --from (default today) to --to (default four weeks on).
    List {
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        platform: Option<String>,
    },
    /// Schedule an approved variant on an account.
    Add {
        variant: i64,
        #[arg(long)]
        account: String,
        /// Your local time, e.g. "2026-12-01 18:00" (or UTC with Z).
        #[arg(long, required_unless_present = "next")]
        at: Option<String>,
        /// Take the account's next free cadence slot.
        #[arg(long, conflicts_with = "at")]
        next: bool,
        /// A note for whoever posts it (not published).
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Move a planned post.
    Move {
        post: i64,
        #[arg(long)]
        at: String,
    },
    /// The account's next free cadence slots.
    Slots {
        #[arg(long)]
        account: String,
        #[arg(long, default_value_t = 5)]
        count: usize,
    },
    /// Fill an account's free cadence slots in a week with approved variants.
    Fill {
        #[arg(long)]
        account: String,
        /// Any day of the week to fill (default: next week).
        #[arg(long)]
        week: Option<String>,
    },
    /// Schedule the rows of a CSV: variant, account, time, note (Chinese or English headers).
    Import { file: PathBuf },
    /// Record that a post went out.
    Published {
        post: i64,
        #[arg(long)]
        url: Option<String>,
        /// When it went out (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Record that posting failed.
    Failed {
        post: i64,
        #[arg(long)]
        reason: String,
    },
    /// Take a post off the schedule.
    Cancel { post: i64 },
}

#[derive(Debug, Subcommand)]
pub enum MetricsAction {
    /// Enter a post's figures by hand.
    Add {
        post: i64,
        /// When the figures were read (default: now).
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        views: Option<String>,
        #[arg(long)]
        likes: Option<String>,
        #[arg(long)]
        comments: Option<String>,
        #[arg(long)]
        shares: Option<String>,
        #[arg(long)]
        favorites: Option<String>,
        #[arg(long)]
        followers: Option<String>,
        #[arg(long)]
        conversions: Option<String>,
    },
    /// Import a CSV with a post id or link column and figure columns (播放量/views, 点赞/likes …).
    Import { file: PathBuf },
    /// A post's snapshots.
    List { post: i64 },
}

#[derive(Debug, Args)]
pub struct VariantArgs {
    /// The master video.
    pub file: PathBuf,
    /// Comma-separated platform ids (see `studio platforms`).
    #[arg(long, default_value = "douyin,xiaohongshu,bilibili", value_delimiter = ',')]
    pub platforms: Vec<String>,
    /// Where short clips start (seconds or HH:MM:SS); full versions ignore it.
    #[arg(long)]
    pub start: Option<String>,
    /// Explicit parts to join, e.g. `00:01:30-00:01:40,120-125` (instead of --start).
    #[arg(long, value_delimiter = ',')]
    pub segments: Vec<String>,
    /// crop | blurred-fill | fit (default: each profile's own).
    #[arg(long)]
    pub reframe: Option<String>,
    /// Focus point for crops, `x,y` in 0..1 (default 0.5,0.5).
    #[arg(long)]
    pub focus: Option<String>,
    /// Disclaimer preset id (see `studio disclaimers`), or `none`.
    #[arg(long, default_value = "risk-zh")]
    pub disclaimer: String,
    /// Your own disclaimer text instead of a preset.
    #[arg(long)]
    pub disclaimer_text: Option<String>,
    /// Institution name shown under the disclaimer.
    #[arg(long)]
    pub institution: Option<String>,
    /// Licence number shown under the disclaimer.
    #[arg(long)]
    pub licence: Option<String>,
    /// Seconds into the variant the disclaimer appears.
    #[arg(long, default_value_t = 0.0)]
    pub disclaimer_start: f64,
    /// Seconds the disclaimer stays (default: to the end; at least 5). With
    /// start-end timing, the length of each window.
    #[arg(long)]
    pub disclaimer_duration: Option<f64>,
    /// When the disclaimer is on screen: whole, start-end, or start-end,every=10m
    /// (a reminder every 10 minutes). Default: each platform's profile (Bilibili's
    /// full version: start-end,every=10m; short clips: whole).
    #[arg(long, value_name = "TIMING")]
    pub disclaimer_at: Option<studio_engine::disclaimer::DisclaimerPolicy>,
    /// A subtitle file (SRT, WebVTT, ASS/SSA) for the master: stored with it (see `studio subtitles`)
    /// and cut into each variant's captions. Default: the subtitles the master already has.
    #[arg(long)]
    pub subtitles: Option<PathBuf>,
    /// Burn captions in: `on`, `off`, or per platform (`douyin=on,bilibili=off`). Default: each profile's own.
    #[arg(long, value_delimiter = ',')]
    pub captions: Vec<String>,
    #[command(flatten)]
    pub ai: AiArgs,
    /// Output folder.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Project the master belongs to.
    #[arg(long, default_value = "default")]
    pub project: String,
}

/// Marking a master as containing AI-generated content while making its variants.
#[derive(Debug, Clone, Args)]
pub struct AiArgs {
    /// What AI made: virtual-presenter, synthetic-voice, ai-text, ai-image (comma-separated).
    /// The master is marked (rendering stores it; see `studio ai`) and every variant carries
    /// the label. Default: the master's stored mark, if any.
    #[arg(long = "ai", value_name = "KINDS")]
    pub kinds: Option<String>,
    /// The visible label's words (default: 本视频含AI生成内容, on cards 本内容含AI生成内容).
    #[arg(long = "ai-label", value_name = "TEXT", requires = "kinds")]
    pub label: Option<String>,
    /// Who generated it (the AI service's name or filing number), for the implicit label.
    #[arg(long = "ai-producer", value_name = "NAME", requires = "kinds")]
    pub producer: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AiAction {
    /// Mark a master (MASTER: an id from the library, or its file's path) or, with --variant, one variant.
    Mark {
        #[arg(required_unless_present = "variant")]
        master: Option<String>,
        #[arg(long, conflicts_with = "master")]
        variant: Option<i64>,
        /// What AI made: virtual-presenter, synthetic-voice, ai-text, ai-image (comma-separated).
        #[arg(long)]
        kinds: String,
        /// The visible label's words (default: 本视频含AI生成内容, on cards 本内容含AI生成内容).
        #[arg(long)]
        label: Option<String>,
        /// Who generated it (the AI service's name or filing number).
        #[arg(long)]
        producer: Option<String>,
    },
    /// Remove the mark of a master, or with --variant the variant's own (its master's still applies).
    Clear {
        #[arg(required_unless_present = "variant")]
        master: Option<String>,
        #[arg(long, conflicts_with = "master")]
        variant: Option<i64>,
    },
    /// The mark of a master, or with --variant the one that applies to a variant.
    Show {
        #[arg(required_unless_present = "variant")]
        master: Option<String>,
        #[arg(long, conflicts_with = "master")]
        variant: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SubtitleAction {
    /// Read a subtitle file and make it the master's subtitles (MASTER: an id from the library, or the video's path).
    Add {
        master: String,
        file: PathBuf,
        /// Project for a video not in the library yet.
        #[arg(long, default_value = "default")]
        project: String,
    },
    /// The master's cues.
    Show { master: String },
    /// Correct the text of cue N (the old text is kept; see `history`).
    Edit { master: String, cue: u32, text: String },
    /// Every correction of the master's subtitles.
    History { master: String },
}

#[derive(Debug, Subcommand)]
pub enum BackupAction {
    /// The snapshots in the backup folder, newest first.
    List,
}
