//! `team`: membership and status of the team database, and moving a solo
//! studio into it.

use std::io::BufRead;
use std::process::ExitCode;

use studio_engine::store::Role;
use studio_engine::{EngineError, Result};

use crate::cli::{Cli, TeamAction};
use crate::{open, print_json};

pub fn team(cli: &Cli, action: &TeamAction) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let mut store = studio.team()?.ok_or_else(|| {
        EngineError::Refused(studio_engine::message::Notice::new(
            "team.not_set_cli",
            "no team database is set: give --database postgresql://LOGIN@HOST/DB (or STUDIO_DATABASE), or set it in Settings → 团队",
        ))
    })?;
    if let Some(id) = &cli.action_id {
        store.set_action_id(id);
    }
    match action {
        TeamAction::Status => {
            let me = store.me()?;
            let status = serde_json::json!({
                "server": store.path(),
                "schema": store.schema_version()?,
                "login": me.as_ref().map(|p| &p.name),
                "role": me.as_ref().map(|p| p.role.as_str()),
                "members": store.people()?,
            });
            if cli.json {
                print_json(&status)?;
            } else {
                println!("team database {}", store.path().display());
                println!("schema       {}", status["schema"]);
                if let Some(me) = &me {
                    println!("you          {} ({})", me.name, me.role.as_str());
                }
                for p in store.people()? {
                    println!("  member {:<20} {}", p.name, p.role.as_str());
                }
            }
        }
        TeamAction::AddMember { name, role } => {
            let role: Role = role.parse()?;
            let password = match std::env::var("STUDIO_MEMBER_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!("password for {name} (one line):");
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .map_err(|e| EngineError::io("reading the password", e))?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let person = store.add_member(name, role, &password)?;
            println!("{} can now log in to {} as {}", person.name, store.path().display(), person.role.as_str());
        }
        TeamAction::Push => {
            let report = studio.push_to_team(&mut store)?;
            if cli.json {
                print_json(&report)?;
            } else {
                println!(
                    "{} variant(s) copied into the team database ({} file(s), {} review step(s), {} post(s)); the team's trail records your chain's last hash {}",
                    report.variants, report.files, report.history, report.posts, report.anchored_hash
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
