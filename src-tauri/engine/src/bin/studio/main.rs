//! `studio`: the engine's headless command line, for batch use and machines
//! without a display.

mod ai;
mod backup;
mod bench;
mod bench_calendar;
mod bench_captions;
mod bench_smart;
mod bench_team;
mod cli;
mod progress;
mod publish;
mod review;
mod subtitles;
mod table;
mod team;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use serde::Serialize;
use studio_engine::machine::MachineSettings;
use studio_engine::message::Lang;
use studio_engine::plan::{FocusPoint, PlanRequest, Segment, VariantPlan, clock, parse_clock};
use studio_engine::queue::run_queue;
use studio_engine::render::{CancelToken, ffmpeg};
use studio_engine::sample::{SampleSpec, generate};
use studio_engine::store::RenderJob;
use studio_engine::{EngineError, Result, Studio, StudioConfig};

use cli::{AccountAction, Cli, Command, JobAction, PostAction, VariantArgs};
use table::Table;

/// The language messages are printed in, chosen once at start.
static LANG: std::sync::OnceLock<Lang> = std::sync::OnceLock::new();

/// The language of this run's messages.
pub fn lang() -> Lang {
    LANG.get().copied().unwrap_or(Lang::En)
}

fn main() -> ExitCode {
    studio_engine::logs::init("studio", true);
    let cli = Cli::parse();
    let chosen = match cli.lang.as_deref() {
        Some(tag) => match Lang::parse(tag) {
            Some(l) => l,
            None => {
                eprintln!("error[invalid_argument]: --lang {tag}: choose zh-CN or en");
                return ExitCode::from(2);
            }
        },
        None => Lang::from_env(),
    };
    let _ = LANG.set(chosen);
    let json = cli.json;
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            tracing::info!(code = e.code(), error = %e, "command failed");
            let n = e.notice();
            if json {
                let out = serde_json::json!({ "error": { "code": e.code(), "key": n.code, "params": n.params, "message": n.render(lang()) } });
                eprintln!("{out}");
            } else {
                eprintln!("error[{}]: {}", e.code(), n.render(lang()));
            }
            ExitCode::from(2)
        }
    }
}

fn open(cli: &Cli, parallel: usize) -> Result<Studio> {
    // The app's choices first (so the CLI works on the folder the app uses),
    // then flags and environment variables.
    let mut config = StudioConfig::new(StudioConfig::default_data_dir());
    if let Some(path) = MachineSettings::default_path() {
        MachineSettings::load(&path)?.apply(&mut config);
    }
    let flags = MachineSettings {
        data_dir: cli.data_dir.clone(),
        ffmpeg: cli.ffmpeg.clone(),
        font_files: cli.fonts.clone(),
        backup_dir: cli.backup_dir.clone(),
        backups_kept: cli.backups_kept,
        team_database: cli.team_database.clone(),
        smart_render: cli.no_smart.then_some(false),
        video_encoder: cli.encoder.clone(),
    };
    flags.apply(&mut config);
    config.max_parallel_jobs = parallel;
    config.time_zone = cli.tz.clone();
    Studio::open(config)
}

fn print_json(value: &impl Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Probe { file } => {
            let studio = open(&cli, 1)?;
            let info = studio.probe(file)?;
            if cli.json {
                return print_json(&info).map(|()| ExitCode::SUCCESS);
            }
            let v = &info.video;
            println!("file       {}", info.path.display());
            println!("container  {}", info.container);
            println!("duration   {} ({:.3} s)", clock(info.duration), info.duration);
            println!(
                "video      {} {}x{} → shown {}x{}, rotation {}°, {:.3} fps ({}){}",
                v.codec,
                v.width,
                v.height,
                v.display_width,
                v.display_height,
                v.rotation,
                v.frame_rate,
                v.frame_rate_text,
                if v.variable_frame_rate { ", variable" } else { "" }
            );
            match &info.audio {
                Some(a) => println!("audio      {} {} Hz, {} channels", a.codec, a.sample_rate, a.channels),
                None => println!("audio      none (variants get a silent track)"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan(args) => {
            let studio = open(&cli, 1)?;
            let (_, plans) = plan_all(&studio, args, false, cli.actor.as_deref())?;
            if cli.json {
                return print_json(&plans).map(|()| ExitCode::SUCCESS);
            }
            for plan in &plans {
                print_plan(&studio, plan);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Render { variant, no_run, parallel } => {
            let studio = open(&cli, *parallel)?;
            let (media, plans) = plan_all(&studio, variant, true, cli.actor.as_deref())?;
            let ids = studio.enqueue(&variant.project, &media, &plans)?;
            if let Some(name) = cli.actor.as_ref().filter(|_| !studio.is_team()) {
                let store = studio.store()?;
                let person = store.person(name)?;
                for (variant_id, _) in &ids {
                    store.set_author(*variant_id, &person)?;
                }
            }
            if *no_run {
                if cli.json {
                    return print_json(&ids).map(|()| ExitCode::SUCCESS);
                }
                for ((variant_id, job_id), plan) in ids.iter().zip(&plans) {
                    println!("queued job {job_id} (variant {variant_id}, {})", plan.platform);
                }
                return Ok(ExitCode::SUCCESS);
            }
            run_jobs(&studio, cli.json)
        }
        Command::Run { parallel } => {
            let studio = open(&cli, *parallel)?;
            run_jobs(&studio, cli.json)
        }
        Command::Jobs { action } => jobs(&cli, action.as_ref().unwrap_or(&JobAction::List)),
        Command::Queue => queue(&cli),
        Command::Accounts { action } => publish::accounts(&cli, action.as_ref().unwrap_or(&AccountAction::List)),
        Command::Posts { action } => publish::posts(
            &cli,
            action.as_ref().unwrap_or(&PostAction::List { from: None, to: None, account: None, platform: None }),
        ),
        Command::Due { at } => publish::due(&cli, at.as_deref()),
        Command::Package { posts, account, from, to, out, name, zip } => {
            publish::package(&cli, posts, account, from.as_deref(), to.as_deref(), out, name.as_deref(), *zip)
        }
        Command::Metrics { action } => publish::metrics(&cli, action),
        Command::Report { by, master } => publish::report(&cli, by, *master),
        Command::Notes {
            file,
            platforms,
            theme,
            disclaimer,
            disclaimer_text,
            institution,
            licence,
            cross_line,
            out,
            project,
            ai: ai_args,
        } => {
            let studio = open(&cli, 1)?;
            let ai = ai::mark_for(&studio, ai_args, file, project, true, cli.actor.as_deref().unwrap_or(""))?;
            let disclaimer = match disclaimer_text {
                Some(text) => studio.disclaimer(None, Some(text), institution.as_deref(), licence.as_deref())?,
                None => studio.disclaimer(Some(disclaimer), None, institution.as_deref(), licence.as_deref())?,
            };
            let mut made = Vec::new();
            for platform in platforms {
                let request = studio_engine::notes::NoteRequest {
                    platform: platform.trim().to_owned(),
                    theme: theme.clone(),
                    disclaimer: disclaimer.clone(),
                    cross_line: cross_line.clone(),
                    ai: ai.clone(),
                };
                let plan = studio.make_note(file, &request, out)?;
                let variant = studio.enqueue_note(project, &plan)?;
                if let Some(name) = cli.actor.as_ref().filter(|_| !studio.is_team()) {
                    let store = studio.store()?;
                    store.set_author(variant, &store.person(name)?)?;
                }
                made.push(serde_json::json!({ "variant": variant, "plan": plan }));
                if !cli.json {
                    println!("== {} (variant {variant})", plan.platform);
                    println!("   title: {}", plan.text.title);
                    println!(
                        "   tags:  {}",
                        plan.text.tags.iter().map(|t| format!("#{t}")).collect::<Vec<_>>().join(" ")
                    );
                    match (&plan.article_file, plan.cards.first()) {
                        (Some(path), _) => println!("   text:  {}", path.display()),
                        (None, Some(first)) => println!(
                            "   cards: {} in {}",
                            plan.cards.len(),
                            first.path.parent().map(|p| p.display().to_string()).unwrap_or_default()
                        ),
                        _ => {}
                    }
                    for w in &plan.warnings {
                        println!("   warning: {}", w.render(lang()));
                    }
                }
            }
            if cli.json {
                print_json(&made)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { input } => review::check(&cli, input),
        Command::Subtitles { action } => subtitles::run(&cli, action),
        Command::Ai { action } => ai::run(&cli, action),
        Command::Suggest { file, duration, platform, count } => {
            subtitles::suggest(&cli, file, *duration, platform.as_deref(), *count)
        }
        Command::People { action } => review::people(&cli, action.as_ref()),
        Command::Edit { variant, title, body, tags } => review::edit(&cli, *variant, title, body, tags),
        Command::Review { variant, submit, approve, request_changes, reason, overrides } => {
            review::review(&cli, *variant, *submit, *approve, *request_changes, reason.as_deref(), overrides)
        }
        Command::Audit { action } => review::audit(&cli, action.as_ref()),
        Command::Team { action } => team::team(&cli, action),
        Command::Logs { zip } => backup::logs(&cli, zip.as_deref()),
        Command::Backup { to, action } => backup::backup(&cli, to.as_deref(), action.as_ref()),
        Command::Restore { snapshot, latest } => backup::restore(&cli, snapshot.as_deref(), *latest),
        Command::Platforms => {
            let studio = open(&cli, 1)?;
            let profiles: Vec<_> = studio.platforms().all().collect();
            if cli.json {
                return print_json(&profiles).map(|()| ExitCode::SUCCESS);
            }
            let mut t = Table::new(["id", "name", "frame", "duration", "fps", "reframe"]);
            for p in profiles {
                let (frame, duration, fps, reframe) = match &p.video {
                    Some(v) => (
                        format!("{}x{}", v.width, v.height),
                        v.target_duration.map_or_else(|| "whole master".into(), |d| format!("{d} s")),
                        v.fps.to_string(),
                        format!("{:?}", v.reframe),
                    ),
                    None => ("-".into(), "-".into(), "-".into(), "-".into()),
                };
                t.row([p.id.clone(), format!("{} ({})", p.name, p.name_en), frame, duration, fps, reframe]);
            }
            t.print();
            Ok(ExitCode::SUCCESS)
        }
        Command::Disclaimers => {
            let studio = open(&cli, 1)?;
            let presets: Vec<_> = studio.disclaimers().all().collect();
            if cli.json {
                return print_json(&presets).map(|()| ExitCode::SUCCESS);
            }
            let mut t = Table::new(["id", "lang", "text"]);
            for p in presets {
                t.row([p.id.clone(), p.lang.clone(), p.text.clone()]);
            }
            t.print();
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { out, seconds } => {
            let studio = open(&cli, 1)?;
            studio.tools().check()?;
            let master = out.join("sample-master.mp4");
            eprintln!("generating a {seconds} s sample master: {}", master.display());
            generate(studio.tools(), &SampleSpec { seconds: *seconds, ..SampleSpec::default() }, &master)?;
            let args = VariantArgs {
                file: master,
                platforms: vec!["douyin".into(), "xiaohongshu".into(), "bilibili".into()],
                start: Some("5".into()),
                segments: Vec::new(),
                reframe: None,
                focus: None,
                disclaimer: "risk-zh".into(),
                disclaimer_text: None,
                institution: Some("示例证券投资顾问有限公司".into()),
                licence: Some("A0000000000000".into()),
                disclaimer_start: 0.0,
                disclaimer_duration: None,
                disclaimer_at: None,
                subtitles: None,
                captions: Vec::new(),
                ai: cli::AiArgs { kinds: None, label: None, producer: None },
                out: out.clone(),
                project: "demo".into(),
            };
            let (media, plans) = plan_all(&studio, &args, true, None)?;
            studio.enqueue(&args.project, &media, &plans)?;
            run_jobs(&studio, cli.json)
        }
        Command::Bench { cards: true, out, .. } => {
            let studio = open(&cli, 1)?;
            bench::cards(&studio, out).map(|()| ExitCode::SUCCESS)
        }
        Command::Bench { captions: true, minutes, out, .. } => {
            let studio = open(&cli, 1)?;
            bench_captions::captions(&studio, *minutes, out).map(|()| ExitCode::SUCCESS)
        }
        Command::Bench { smart: true, minutes, out, .. } => {
            let studio = open(&cli, 1)?;
            bench_smart::smart(&studio, *minutes, out).map(|()| ExitCode::SUCCESS)
        }
        Command::Bench { calendar: true, out, .. } => bench_calendar::calendar(out).map(|()| ExitCode::SUCCESS),
        Command::Bench { team: true, laptops, seconds, think_ms, out, .. } => {
            let url = cli.team_database.as_deref().ok_or_else(|| {
                EngineError::Refused(studio_engine::message::Notice::new(
                    "bench.team_needs_database",
                    "--team needs --database postgresql://OWNER@HOST/DB (a database made for it)",
                ))
            })?;
            bench_team::team(url, *laptops, *seconds, *think_ms, out).map(|()| ExitCode::SUCCESS)
        }
        Command::Bench { compliance: true, set, .. } => {
            let studio = open(&cli, 1)?;
            bench::compliance(&studio, set)
        }
        Command::Bench { scan: true, .. } => {
            let studio = open(&cli, 1)?;
            bench::scan(&studio);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { minutes, rounds, out, clips_only, .. } => {
            let studio = open(&cli, 1)?;
            bench::run(&studio, *minutes, *rounds, out, *clips_only).map(|()| ExitCode::SUCCESS)
        }
    }
}

/// Probes the master and plans every requested platform.
/// With `keep`, a `--subtitles` file is stored with the master (render);
/// without, it is only read (plan).
fn plan_all(
    studio: &Studio,
    args: &VariantArgs,
    keep: bool,
    actor: Option<&str>,
) -> Result<(studio_engine::probe::MediaInfo, Vec<VariantPlan>)> {
    studio.tools().check()?;
    let media = studio.probe(&args.file)?;
    let mut disclaimer = match (args.disclaimer.as_str(), &args.disclaimer_text) {
        (_, Some(text)) => {
            Some(studio.disclaimer(None, Some(text), args.institution.as_deref(), args.licence.as_deref())?)
        }
        ("none", None) => None,
        (id, None) => Some(studio.disclaimer(Some(id), None, args.institution.as_deref(), args.licence.as_deref())?),
    };
    if let Some(d) = disclaimer.as_mut() {
        d.start = args.disclaimer_start;
        d.duration = args.disclaimer_duration;
        d.at = args.disclaimer_at;
    }
    let segments = args.segments.iter().map(|s| parse_segment(s)).collect::<Result<Vec<_>>>()?;
    let cues = match &args.subtitles {
        Some(file) if keep => {
            let master = studio.import_master(&args.file, &args.project)?;
            let stored = studio.add_subtitles(master.id, file, actor.unwrap_or(""))?;
            subtitles::print_warnings(&stored.warnings);
            stored.cues
        }
        Some(file) => {
            let track = studio_engine::subtitles::read(file)?;
            subtitles::print_warnings(&track.warnings);
            track.cues
        }
        None => studio.cues_for(&args.file)?,
    };
    let ai = ai::mark_for(studio, &args.ai, &args.file, &args.project, keep, actor.unwrap_or(""))?;
    let request = PlanRequest {
        segments,
        start: args.start.as_deref().map(parse_clock).transpose()?,
        reframe: args.reframe.as_deref().map(str::parse).transpose()?,
        focus: args.focus.as_deref().map(parse_focus).transpose()?.unwrap_or_default(),
        disclaimer,
        cues,
        burn_captions: None,
        ai,
    };
    let plans = args
        .platforms
        .iter()
        .map(|p| {
            let request = PlanRequest { burn_captions: burn_choice(&args.captions, p.trim())?, ..request.clone() };
            studio.plan(&media, p.trim(), &request, &args.out)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((media, plans))
}

/// `--captions on|off` for every platform, or `douyin=off` for one.
fn burn_choice(choices: &[String], platform: &str) -> Result<Option<bool>> {
    let mut choice = None;
    for c in choices {
        let (target, value) = match c.split_once('=') {
            Some((p, v)) => (Some(p.trim()), v.trim()),
            None => (None, c.trim()),
        };
        let on = match value {
            "on" | "yes" | "true" => true,
            "off" | "no" | "false" => false,
            other => {
                return Err(EngineError::Refused(
                    studio_engine::message::Notice::new(
                        "cli.bad_captions",
                        format!("--captions `{other}`: use on or off, for all platforms or as PLATFORM=on|off"),
                    )
                    .with("value", other),
                ));
            }
        };
        if target.is_none_or(|t| t == platform) {
            choice = Some(on);
        }
    }
    Ok(choice)
}

fn parse_segment(text: &str) -> Result<Segment> {
    let (a, b) = text.split_once('-').ok_or_else(|| {
        EngineError::Refused(
            studio_engine::message::Notice::new(
                "cli.bad_segment",
                format!("segment `{text}` should look like START-END, e.g. 00:01:30-00:01:40"),
            )
            .with("value", text),
        )
    })?;
    Ok(Segment { start: parse_clock(a)?, end: parse_clock(b)? })
}

fn parse_focus(text: &str) -> Result<FocusPoint> {
    let bad = || {
        EngineError::Refused(
            studio_engine::message::Notice::new(
                "cli.bad_focus",
                format!("focus `{text}` should be x,y between 0 and 1, e.g. 0.5,0.4"),
            )
            .with("value", text),
        )
    };
    let (x, y) = text.split_once(',').ok_or_else(bad)?;
    Ok(FocusPoint { x: x.trim().parse().map_err(|_| bad())?, y: y.trim().parse().map_err(|_| bad())? })
}

fn print_plan(studio: &Studio, plan: &VariantPlan) {
    println!("== {} → {}", plan.platform, plan.output.display());
    println!(
        "   {}x{} @ {} fps, {:.3} s from {}, {:?}",
        plan.width,
        plan.height,
        plan.fps,
        plan.duration,
        plan.segments.iter().map(|s| format!("{}–{}", clock(s.start), clock(s.end))).collect::<Vec<_>>().join(" + "),
        plan.reframe
    );
    if let Some(text) = &plan.disclaimer_text {
        println!("   disclaimer: {}", text.replace('\n', " / "));
    }
    if let Some(o) = &plan.overlay {
        println!("   font: {}", if o.source.font.is_empty() { "the system's sans-serif" } else { &o.source.font });
        println!(
            "   disclaimer box: x {} y {}, {}x{}, {}",
            o.x,
            o.y,
            o.source.width,
            o.source.height,
            match (o.windows.as_slice(), o.end) {
                ([], Some(end)) => format!("{}–{}", clock(o.start), clock(end)),
                ([], None) => format!("from {} to the end", clock(o.start)),
                (windows, _) => format!(
                    "{} windows: {}",
                    windows.len(),
                    windows
                        .iter()
                        .map(|w| format!("{}–{}", clock(w.start), clock(w.end)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        );
    }
    if let Some(l) = &plan.ai_label {
        let o = &l.overlay;
        println!(
            "   AI label: {} ({}), box x {} y {}, {}x{}, the whole clip; metadata AIGC {}",
            l.record.text,
            l.record.mark.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
            o.x,
            o.y,
            o.source.width,
            o.source.height,
            l.record.implicit
        );
    }
    if let Some(c) = &plan.captions {
        let b = &c.band;
        if c.burn && !c.pictures.is_empty() {
            println!(
                "   captions: {} cue(s) in {} picture(s), band x {} y {}, {}x{}, {} px text",
                c.cues.len(),
                c.pictures.len(),
                b.x,
                b.y,
                b.width,
                b.height,
                b.font_px
            );
        } else {
            println!("   captions: {} cue(s), not burned in", c.cues.len());
        }
        if !c.cues.is_empty() {
            println!("   subtitles file: {}", c.srt.display());
        }
    }
    for note in &plan.notes {
        println!("   note: {}", note.render(lang()));
    }
    let show = |args: Vec<std::ffi::OsString>| {
        let mut cmd = ffmpeg::command(studio.tools(), &args);
        let inner = cmd.as_inner();
        let mut words = vec![inner.get_program().to_string_lossy().into_owned()];
        words.extend(inner.get_args().map(|a| a.to_string_lossy().into_owned()));
        shell_words::join(words)
    };
    let video = studio_engine::render::partial_path(&plan.output);
    let cover = studio_engine::render::partial_path(&plan.cover.output);
    if let Some(studio_engine::plan::smart::RenderMethod::Smart(s)) = &plan.method {
        // The pieces' shift and the master's B-frame delay come from its first packet.
        let frame = 1.0 / s.frame_rate.max(1.0);
        let (pts, dts) = studio_engine::probe::first_video_packet(studio.tools(), &plan.master)
            .unwrap_or((s.first_pts, s.first_pts - 2.0 * frame));
        let (shift, reorder) = (-dts, ((pts - dts) / frame).round() as u32);
        let dir = studio_engine::render::smart::work_dir(plan);
        println!("   smart steps (in {}):", dir.display());
        let layout = studio_engine::plan::smart::pieces(s, s.first_pts + plan.duration);
        let frames_to = |t: f64| ((t - s.first_pts) / frame).round() as u64;
        let mut join = Vec::new();
        for (i, (start, stop, reencode)) in layout.iter().enumerate() {
            let frames = (i + 1 < layout.len()).then(|| frames_to(*stop) - frames_to(*start));
            if !reencode {
                join.push(show(plan.smart_copy_args(s, *start, frames, shift, "pipe:1".into())));
                continue;
            }
            let cut = dir.join(format!("p{i:03}.ts"));
            let out = dir.join(format!("r{i:03}.ts"));
            let file = studio_engine::tools::file_url(&cut);
            println!("   $ {}", show(plan.smart_copy_args(s, *start, frames, shift, file)));
            let args = plan.smart_reencode_args(&cut, &out, s.first_pts + shift, start - s.first_pts, frame, reorder);
            println!("   $ {}", show(args));
            join.push(format!("cat {}", shell_words::quote(&out.display().to_string())));
        }
        println!("   $ ( {} ) | {}", join.join("; "), show(plan.smart_join_args(s, &video)));
        println!("   $ {}", show(plan.cover_args(&cover)));
        println!("   if a step fails, the full render (the cover from its decode):");
    }
    println!("   $ {}", show(plan.ffmpeg_args(&video, Some(&cover))));
}

fn run_jobs(studio: &Studio, json: bool) -> Result<ExitCode> {
    let cancel = CancelToken::default();
    {
        let cancel = cancel.clone();
        let _ = ctrlc::set_handler(move || {
            eprintln!("\ncancelling: waiting for ffmpeg to stop…");
            cancel.cancel();
        });
    }
    let bars = progress::Bars::new(json);
    let ran = run_queue(studio, &bars, &cancel)?;
    bars.finish();
    if json {
        print_json(&ran)?;
    } else {
        print_jobs(&ran);
    }
    let all_done = ran.iter().all(|j| j.state == studio_engine::store::JobState::Done);
    Ok(if all_done { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn print_jobs(jobs: &[RenderJob]) {
    let mut t = Table::new(["job", "variant", "platform", "state", "progress", "size", "output / error"]);
    for j in jobs {
        let detail = match (&j.error, j.state) {
            (Some(e), _) => e.render(lang()).lines().next().unwrap_or_default().to_owned(),
            (None, _) => j.output_path.display().to_string(),
        };
        t.row([
            j.id.to_string(),
            j.variant_id.to_string(),
            j.platform.clone(),
            j.state.as_str().to_owned(),
            format!("{:.0}%", j.progress),
            j.size_bytes.map_or_else(|| "-".into(), human_size),
            detail,
        ]);
    }
    t.print();
    // How each video was made: the encoder, and for a full version smart
    // render or why a full re-encode.
    for j in jobs {
        let (method, encoder) =
            (j.method.as_ref().map(|m| m.render(lang())), j.encoder.as_ref().map(|e| e.render(lang())));
        let how = match (method, encoder) {
            (Some(m), Some(e)) => format!("{m}; encoder {e}"),
            (Some(m), None) => m,
            (None, Some(e)) => format!("encoder {e}"),
            (None, None) => continue,
        };
        println!("job {} ({}): {how}", j.id, j.platform);
    }
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
        b => format!("{:.0} KiB", b as f64 / 1024.0),
    }
}

fn jobs(cli: &Cli, action: &JobAction) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let store = studio.store()?;
    match action {
        JobAction::List => {
            let jobs = store.jobs()?;
            if cli.json {
                print_json(&jobs)?;
            } else {
                print_jobs(&jobs);
            }
        }
        JobAction::Cancel { id } => {
            let state = store.request_cancel(*id)?;
            println!("job {id}: {}", if state.as_str() == "running" { "cancel requested" } else { state.as_str() });
        }
        JobAction::Retry { id } => {
            store.retry_job(*id)?;
            println!("job {id} queued again; run it with `studio run`");
        }
        JobAction::Verify => {
            let mut bad = 0;
            for job in store.jobs()?.into_iter().filter(|j| j.state == studio_engine::store::JobState::Done) {
                let verdict = verify(&job.output_path, job.size_bytes, job.sha256.as_deref());
                if verdict != "ok" {
                    bad += 1;
                }
                println!("job {:>4} {:<12} {verdict}", job.id, job.platform);
            }
            return Ok(if bad == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) });
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(path: &Path, size: Option<u64>, sha: Option<&str>) -> String {
    match studio_engine::render::hash_file(path) {
        Ok((s, h)) if Some(s) == size && Some(h.as_str()) == sha => "ok".into(),
        Ok(_) => format!("CHANGED since rendering: {}", path.display()),
        Err(e) => format!("MISSING {}: {e}", path.display()),
    }
}

fn queue(cli: &Cli) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let store = studio.store()?;
    let ready = store.ready_variants()?;
    let posts = store.posts()?;
    if cli.json {
        print_json(&serde_json::json!({ "ready": ready, "posts": posts }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("Rendered, waiting to be scheduled:");
    let mut t = Table::new(["variant", "platform", "review", "file"]);
    for v in ready {
        t.row([v.variant_id.to_string(), v.platform, v.review_state, v.output_path]);
    }
    t.print();
    println!("\nPosts (see also `studio posts`):");
    let mut t = Table::new(["post", "variant", "platform", "account", "when (UTC)", "status"]);
    for p in posts {
        t.row([
            p.id.to_string(),
            p.variant_id.to_string(),
            p.platform,
            p.account_handle.unwrap_or_default(),
            p.scheduled_at.unwrap_or_default(),
            p.status,
        ]);
    }
    t.print();
    Ok(ExitCode::SUCCESS)
}
