//! `studio subtitles`: a master's subtitle file, its cues and their corrections.

use std::path::Path;
use std::process::ExitCode;

use studio_engine::subtitles::clock_ms;
use studio_engine::{EngineError, Result, Studio};

use crate::cli::{Cli, SubtitleAction};
use crate::table::Table;
use crate::{open, print_json};

/// Subtitle files by their extension (`studio check` reads them cue by cue).
pub fn is_subtitle_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["srt", "vtt", "ass", "ssa"].contains(&e.to_ascii_lowercase().as_str()))
}

/// What the reader changed or left out, on stderr so `--json` output stays clean.
pub fn print_warnings(warnings: &[studio_engine::message::Notice]) {
    for w in warnings {
        eprintln!("note: {}", w.render(crate::lang()));
    }
}

/// A master by library id, or by the video's path (imported when new, with `project`).
pub(crate) fn master_id(studio: &Studio, master: &str, project: Option<&str>) -> Result<i64> {
    if let Ok(id) = master.parse::<i64>() {
        return studio.master(id).map(|m| m.id);
    }
    let path = Path::new(master);
    match project {
        Some(project) => Ok(studio.import_master(path, project)?.id),
        None => studio.master_at(path)?.ok_or_else(|| {
                EngineError::Refused(
                    studio_engine::message::Notice::new(
                        "library.not_found",
                        format!(
                            "{master} is not in the library; give the video's path as you gave it to `studio render`, or the id the app's library shows"
                        ),
                    )
                    .with("master", master),
                )
        }),
    }
}

pub fn run(cli: &Cli, action: &SubtitleAction) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let by = cli.actor.as_deref().unwrap_or("");
    match action {
        SubtitleAction::Add { master, file, project } => {
            let id = master_id(&studio, master, Some(project))?;
            let stored = studio.add_subtitles(id, file, by)?;
            if cli.json {
                return print_json(&stored).map(|()| ExitCode::SUCCESS);
            }
            print_warnings(&stored.warnings);
            let span = match (stored.cues.first(), stored.cues.last()) {
                (Some(a), Some(b)) => format!("{}–{}", clock_ms(a.start_ms), clock_ms(b.end_ms)),
                _ => String::new(),
            };
            println!(
                "master {id}: {} cues from {} ({}, {}), {span}",
                stored.cues.len(),
                stored.file_name,
                stored.format,
                stored.encoding
            );
        }
        SubtitleAction::Show { master } => {
            let id = master_id(&studio, master, None)?;
            let Some(stored) = studio.store()?.subtitles(id)? else {
                println!("master {id} has no subtitles (studio subtitles add {id} FILE)");
                return Ok(ExitCode::SUCCESS);
            };
            if cli.json {
                return print_json(&stored).map(|()| ExitCode::SUCCESS);
            }
            println!("{} ({}, {}), added {}", stored.file_name, stored.format, stored.encoding, stored.added_at);
            let mut t = Table::new(["cue", "start", "end", "text"]);
            for c in &stored.cues {
                t.row([c.number.to_string(), clock_ms(c.start_ms), clock_ms(c.end_ms), c.text.replace('\n', " / ")]);
            }
            t.print();
        }
        SubtitleAction::Edit { master, cue, text } => {
            let id = master_id(&studio, master, None)?;
            let edited = studio.store()?.edit_cue(id, *cue, text, by)?;
            if cli.json {
                return print_json(&edited).map(|()| ExitCode::SUCCESS);
            }
            println!("cue {} now reads: {}", edited.number, edited.text.replace('\n', " / "));
            println!("variants rendered before keep the old text until they are rendered again");
        }
        SubtitleAction::History { master } => {
            let id = master_id(&studio, master, None)?;
            let edits = studio.store()?.cue_edits(id)?;
            if cli.json {
                return print_json(&edits).map(|()| ExitCode::SUCCESS);
            }
            let mut t = Table::new(["at", "by", "cue", "was", "now"]);
            for e in edits {
                t.row([e.at, e.edited_by, e.number.to_string(), e.old_text, e.new_text]);
            }
            t.print();
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn suggest(
    cli: &Cli,
    file: &Path,
    duration: Option<f64>,
    platform: Option<&str>,
    count: usize,
) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let duration = match (duration, platform) {
        (Some(d), _) => d,
        (None, Some(p)) => {
            studio.platforms().get(p)?.video.as_ref().and_then(|v| v.target_duration).ok_or_else(|| {
                EngineError::Refused(
                    studio_engine::message::Notice::new(
                        "suggest.no_clip_length",
                        format!("{p} has no clip length (its video is the whole master); give --duration"),
                    )
                    .with("platform", p),
                )
            })?
        }
        (None, None) => 15.0,
    };
    let report = studio.suggest(file, duration, count)?;
    if cli.json {
        return print_json(&report).map(|()| ExitCode::SUCCESS);
    }
    println!(
        "{} keyframes looked at, {} scene cuts{}",
        report.keyframes,
        report.cuts,
        if report.used_subtitles {
            ", with the master's subtitles"
        } else {
            "; no subtitles (add them for better picks)"
        }
    );
    let mut t = Table::new(["#", "from", "to", "score", "why"]);
    for (i, s) in report.suggestions.iter().enumerate() {
        let why: Vec<&str> = s.reasons.iter().map(|r| r.zh.as_str()).collect();
        t.row([
            (i + 1).to_string(),
            studio_engine::plan::clock(s.start),
            studio_engine::plan::clock(s.end),
            format!("{:.0}", s.score),
            why.join("、"),
        ]);
    }
    t.print();
    if let Some(best) = report.suggestions.first() {
        println!(
            "render the best: studio render {} --segments {:.3}-{:.3}",
            shell_words::quote(&file.to_string_lossy()),
            best.start,
            best.end
        );
    }
    Ok(ExitCode::SUCCESS)
}
