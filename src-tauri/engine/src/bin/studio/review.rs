//! `check`, `people`, `edit`, `review` and `audit`: the compliance workflow
//! from the command line.

use std::process::ExitCode;

use studio_engine::compliance::{Finding, PublishText, Severity, has_block};
use studio_engine::store::{Override, Role, Store, audit_csv};
use studio_engine::{EngineError, Result, Studio};

use crate::cli::{AuditAction, Cli, PeopleAction};
use crate::table::Table;
use crate::{open, print_json};

/// The `--as` person, required for actions that are audited.
pub fn actor(cli: &Cli) -> Result<String> {
    cli.actor.clone().ok_or_else(|| {
        EngineError::Refused(studio_engine::message::Notice::new(
            "person.say_who",
            "say who you are with --as NAME (or STUDIO_USER); see `studio people`",
        ))
    })
}

/// Where review, the queue and the audit trail are (the team's database in
/// team mode), with `--action-id` set for the action about to run.
pub fn team_side(cli: &Cli, studio: &Studio) -> Result<Store> {
    let store = studio.review_store()?;
    if let Some(id) = &cli.action_id {
        store.set_action_id(id);
    }
    Ok(store)
}

/// The name audit rows give the person acting on `store`.
pub fn actor_name(cli: &Cli, studio: &Studio, store: &Store) -> Result<String> {
    Ok(studio.acting_person(store, cli.actor.as_deref())?.name)
}

fn print_findings(findings: &[Finding]) {
    if findings.is_empty() {
        println!("no findings");
        return;
    }
    for f in findings {
        let label = match f.severity {
            Severity::Block => "BLOCK",
            Severity::Warn => "warn ",
            Severity::Info => "info ",
        };
        let at =
            if f.excerpt.is_empty() { f.field.clone() } else { format!("{} @{}: {}", f.field, f.start, f.excerpt) };
        println!("{label} {:<26} {at}", f.rule_id);
        println!("      {}", f.explanation);
        println!("      → {}", f.suggestion);
    }
}

pub fn check(cli: &Cli, input: &str) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let path = std::path::Path::new(input);
    if path.is_file() && crate::subtitles::is_subtitle_file(path) {
        let track = studio_engine::subtitles::read(path)?;
        crate::subtitles::print_warnings(&track.warnings);
        let findings = studio_engine::review::track_findings(studio.lexicon(), &track.cues);
        if cli.json {
            print_json(&findings)?;
        } else {
            print_findings(&findings);
        }
        return Ok(if has_block(&findings) { ExitCode::from(1) } else { ExitCode::SUCCESS });
    }
    let (field, text) = if path.is_file() {
        let text = std::fs::read_to_string(path).map_err(|e| EngineError::io(format!("reading {input}"), e))?;
        (path.file_name().map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned()), text)
    } else {
        ("text".to_owned(), input.to_owned())
    };
    let findings = studio.lexicon().scan(&[PublishText::new(field, text)]);
    if cli.json {
        print_json(&findings)?;
    } else {
        print_findings(&findings);
    }
    Ok(if has_block(&findings) { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

pub fn people(cli: &Cli, action: Option<&PeopleAction>) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let mut store = team_side(cli, &studio)?;
    match action.unwrap_or(&PeopleAction::List) {
        PeopleAction::List => {
            let people = store.people()?;
            if cli.json {
                return print_json(&people).map(|()| ExitCode::SUCCESS);
            }
            let mut t = Table::new(["id", "name", "role"]);
            for p in people {
                t.row([p.id.to_string(), p.name, p.role.as_str().to_owned()]);
            }
            t.print();
        }
        PeopleAction::Add { name, role } => {
            let role: Role = role.parse()?;
            let by = cli.actor.clone().unwrap_or_else(|| "setup".into());
            let person = store.add_person(name, role, &by)?;
            println!("{} added as {}", person.name, person.role.as_str());
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn edit(cli: &Cli, variant: i64, title: &str, body: &str, tags: &[String]) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let mut store = studio.store()?;
    let person = studio.local_person(&store, cli.actor.as_deref())?;
    let tags: Vec<String> =
        tags.iter().map(|t| t.trim().trim_start_matches('#').to_owned()).filter(|t| !t.is_empty()).collect();
    store.edit_variant_text(variant, &person, title, body, &tags)?;
    let state = store.variant_content(variant)?.review_state;
    println!("variant {variant} saved; review state: {}", state.as_str());
    Ok(ExitCode::SUCCESS)
}

pub fn review(
    cli: &Cli,
    variant: i64,
    submit: bool,
    approve: bool,
    request_changes: bool,
    reason: Option<&str>,
    overrides: &[String],
) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    if submit && studio.is_team() {
        let sent = studio.send_to_team(variant)?;
        if cli.json {
            print_json(&sent)?;
        } else {
            println!("variant {variant} is in the team's review as team variant {}", sent.team_variant);
            for f in &sent.files {
                println!("  {:<12} sha256 {}", f.name, f.sha256);
            }
            print_findings(&sent.findings);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if submit {
        let findings = studio.submit_for_review(variant, &actor(cli)?)?;
        if cli.json {
            print_json(&findings)?;
        } else {
            println!("variant {variant} is in review");
            print_findings(&findings);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut store = team_side(cli, &studio)?;
    if approve {
        let person = studio.acting_person(&store, cli.actor.as_deref())?;
        let overrides = overrides
            .iter()
            .map(|o| {
                let (rule, reason) = o.split_once('=').ok_or_else(|| {
                    EngineError::Refused(
                        studio_engine::message::Notice::new(
                            "cli.bad_override",
                            format!("--override `{o}` should be RULE=REASON"),
                        )
                        .with("value", o),
                    )
                })?;
                Ok(Override { rule_id: rule.trim().to_owned(), reason: reason.trim().to_owned() })
            })
            .collect::<Result<Vec<_>>>()?;
        studio.approve(&mut store, variant, &person, &overrides)?;
        println!("variant {variant} approved by {}", person.name);
        return Ok(ExitCode::SUCCESS);
    }
    if request_changes {
        let person = studio.acting_person(&store, cli.actor.as_deref())?;
        store.request_changes(variant, &person, reason.unwrap_or_default())?;
        println!("variant {variant} sent back to the editor");
        return Ok(ExitCode::SUCCESS);
    }
    let content = store.variant_content(variant)?;
    let findings = store.findings(variant)?;
    let history = store.audit_entries(Some(("variant", variant)))?;
    // A reviewer looks at the very bytes that were sent, fetched and checked here.
    let files = if store.is_team() { studio.fetch_team_files(&store, variant)? } else { Vec::new() };
    if cli.json {
        return print_json(&serde_json::json!({
            "variant": content, "findings": findings, "history": history, "files": files,
            "content_hash": content.content_hash(),
        }))
        .map(|()| ExitCode::SUCCESS);
    }
    println!("variant {variant} ({}, {}): {}", content.platform, content.kind, content.review_state.as_str());
    for f in &files {
        println!("  {:<12} {}  (sha256 {})", f.name, f.path.display(), f.sha256);
    }
    let current = studio_engine::review::check(studio.lexicon(), &content)?;
    println!("\nfindings now:");
    print_findings(&current);
    if findings.iter().any(|f| f.override_reason.is_some()) {
        println!("\noverrides:");
        for f in findings.iter().filter(|f| f.override_reason.is_some()) {
            println!(
                "  {} by {}: {}",
                f.finding.rule_id,
                f.overridden_by.as_deref().unwrap_or("?"),
                f.override_reason.as_deref().unwrap_or("")
            );
        }
    }
    println!("\nhistory:");
    for e in history {
        println!("  {} {:<16} {:<10} {}", e.at, e.action, e.actor, e.detail);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn audit(cli: &Cli, action: Option<&AuditAction>) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let store = team_side(cli, &studio)?;
    match action.unwrap_or(&AuditAction::List { variant: None }) {
        AuditAction::List { variant } => {
            let entries = store.audit_entries(variant.map(|v| ("variant", v)))?;
            if cli.json {
                return print_json(&entries).map(|()| ExitCode::SUCCESS);
            }
            let mut t = Table::new(["id", "at", "actor", "action", "entity", "detail"]);
            for e in entries {
                let entity = format!("{} {}", e.entity, e.entity_id.map(|i| i.to_string()).unwrap_or_default());
                t.row([e.id.to_string(), e.at, e.actor, e.action, entity, e.detail]);
            }
            t.print();
        }
        AuditAction::Verify => {
            let verdict = store.verify_audit()?;
            if cli.json {
                print_json(&verdict)?;
            } else if verdict.problems.is_empty() {
                println!(
                    "audit trail intact: {} entries, hash chain verified, {} hashes recorded outside the database match",
                    verdict.rows, verdict.anchors
                );
            } else {
                println!("audit trail TAMPERED ({} entries):", verdict.rows);
                for p in &verdict.problems {
                    println!("  {p}");
                }
            }
            return Ok(if verdict.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) });
        }
        AuditAction::Export { format, out } => {
            let entries = store.audit_entries(None)?;
            let text = match format.as_str() {
                "csv" => audit_csv(&entries),
                "json" => serde_json::to_string_pretty(&entries)?,
                other => {
                    return Err(EngineError::Refused(
                        studio_engine::message::Notice::new(
                            "cli.bad_format",
                            format!("unknown format `{other}`; use csv or json"),
                        )
                        .with("value", other),
                    ));
                }
            };
            match out {
                Some(path) => {
                    std::fs::write(path, text)
                        .map_err(|e| EngineError::io(format!("writing {}", path.display()), e))?;
                    eprintln!("{} entries written to {}", entries.len(), path.display());
                }
                None => print!("{text}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
