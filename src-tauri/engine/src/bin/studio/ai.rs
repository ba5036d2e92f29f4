//! `studio ai` and the `--ai` flags: AI-content marks on masters and variants.

use std::path::Path;
use std::process::ExitCode;

use studio_engine::ai_label::AiMark;
use studio_engine::{EngineError, Result, Studio};

use crate::cli::{AiAction, AiArgs, Cli};
use crate::subtitles::master_id;
use crate::{open, print_json};

/// The mark a render or a note run applies: the flags' (stored on the master
/// when `keep`), else the master's stored one.
pub fn mark_for(
    studio: &Studio,
    args: &AiArgs,
    file: &Path,
    project: &str,
    keep: bool,
    actor: &str,
) -> Result<Option<AiMark>> {
    let Some(kinds) = &args.kinds else { return studio.ai_mark_for(file) };
    let mark = AiMark::new(AiMark::parse_kinds(kinds)?, args.label.as_deref(), args.producer.as_deref())?;
    if keep {
        let master = studio.import_master(file, project)?;
        studio.store()?.set_master_ai(master.id, Some(&mark), actor)?;
    }
    Ok(Some(mark))
}

fn describe(mark: Option<&AiMark>) -> String {
    match mark {
        None => "not marked".into(),
        Some(m) => format!(
            "AI content ({}); label: {}{}",
            m.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
            m.label.as_deref().unwrap_or("(default)"),
            m.producer.as_deref().map(|p| format!("; producer: {p}")).unwrap_or_default()
        ),
    }
}

pub fn run(cli: &Cli, action: &AiAction) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let store = studio.store()?;
    let by = cli.actor.as_deref().unwrap_or("");
    let master = |m: &Option<String>| -> Result<i64> {
        let m = m.as_deref().ok_or_else(|| {
            EngineError::Refused(studio_engine::message::Notice::new("ai.name_master", "name a master or --variant"))
        })?;
        master_id(&studio, m, None)
    };
    let (target, mark) = match action {
        AiAction::Mark { master: m, variant, kinds, label, producer } => {
            let mark = AiMark::new(AiMark::parse_kinds(kinds)?, label.as_deref(), producer.as_deref())?;
            match variant {
                Some(v) => {
                    store.set_variant_ai(*v, Some(&mark), by)?;
                    (format!("variant {v}"), Some(mark))
                }
                None => {
                    let id = master(m)?;
                    store.set_master_ai(id, Some(&mark), by)?;
                    (format!("master {id}"), Some(mark))
                }
            }
        }
        AiAction::Clear { master: m, variant } => match variant {
            Some(v) => {
                store.set_variant_ai(*v, None, by)?;
                (format!("variant {v}"), store.variant_content(*v)?.ai)
            }
            None => {
                let id = master(m)?;
                store.set_master_ai(id, None, by)?;
                (format!("master {id}"), None)
            }
        },
        AiAction::Show { master: m, variant } => match variant {
            Some(v) => (format!("variant {v}"), store.variant_content(*v)?.ai),
            None => {
                let id = master(m)?;
                (format!("master {id}"), store.master_ai(id)?)
            }
        },
    };
    if cli.json {
        print_json(&serde_json::json!({ "target": target, "ai": mark }))?;
    } else {
        println!("{target}: {}", describe(mark.as_ref()));
        if matches!(action, AiAction::Mark { .. } | AiAction::Clear { .. }) {
            println!(
                "   variants rendered before this change need a new render (review blocks a marked one without its label)"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
