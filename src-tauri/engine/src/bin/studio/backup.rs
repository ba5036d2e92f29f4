//! `studio backup`, `studio restore` and `studio logs`: keeping the data and
//! getting help.

use std::path::Path;
use std::process::ExitCode;

use studio_engine::store::backup;
use studio_engine::{EngineError, Result};

use crate::cli::{BackupAction, Cli};
use crate::table::Table;
use crate::{human_size, open, print_json};

pub fn backup(cli: &Cli, to: Option<&Path>, action: Option<&BackupAction>) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    match action {
        Some(BackupAction::List) => {
            let status = studio.backup_status()?;
            if cli.json {
                return print_json(&status.snapshots).map(|()| ExitCode::SUCCESS);
            }
            println!("backup folder {} (keeps {})", status.dir.display(), status.keep);
            if let Some(problem) = &status.problem {
                println!("last automatic snapshot failed: {problem}");
            }
            let mut t = Table::new(["taken (UTC)", "reason", "size", "file"]);
            for s in &status.snapshots {
                t.row([s.taken_at.clone(), s.reason.clone(), human_size(s.size_bytes), s.path.display().to_string()]);
            }
            t.print();
        }
        None => {
            let snapshot = studio.backup(to)?;
            if cli.json {
                return print_json(&snapshot).map(|()| ExitCode::SUCCESS);
            }
            println!(
                "snapshot written and verified: {} ({})",
                snapshot.path.display(),
                human_size(snapshot.size_bytes)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn restore(cli: &Cli, snapshot: Option<&Path>, latest: bool) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let chosen = match (snapshot, latest) {
        (Some(path), _) => path.to_owned(),
        (None, _) => {
            let dir = studio.backup_dir();
            backup::newest_good(&dir)
                .ok_or_else(|| {
                    EngineError::Refused(
                        studio_engine::message::Notice::new(
                            "backup.none_good",
                            format!("{}: no snapshot there passes its check", dir.display()),
                        )
                        .with("path", dir.display()),
                    )
                })?
                .path
        }
    };
    let restored = studio.restore(&chosen)?;
    if cli.json {
        return print_json(&restored).map(|()| ExitCode::SUCCESS);
    }
    println!("restored {}", restored.snapshot.display());
    if let Some(aside) = &restored.kept_aside {
        println!("the replaced database was kept as {}", aside.display());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn logs(cli: &Cli, zip: Option<&Path>) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    match zip {
        Some(out) => {
            let bundle = studio.write_log_bundle(out)?;
            if cli.json {
                return print_json(&bundle).map(|()| ExitCode::SUCCESS);
            }
            println!("{} written: {} log files and machine.json", bundle.path.display(), bundle.log_files.len());
        }
        None => match studio_engine::logs::dir() {
            Some(dir) => println!("{}", dir.display()),
            None => {
                return Err(EngineError::Refused(studio_engine::message::Notice::new(
                    "logs.no_folder",
                    "this system has no log folder",
                )));
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}
