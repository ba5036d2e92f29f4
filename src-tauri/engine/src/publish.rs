//! Publish planning on the studio: what the store cannot know by itself
//! (which platforms an account posts, the platform's habits, the user's
//! zone, whether a caption line passes compliance).

use std::collections::HashMap;
use std::path::Path;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::compliance::Severity;
use crate::error::{EngineError, Result};
use crate::message::Notice;
use crate::schedule::Cadence;
use crate::store::{Account, NewAccount, Person, PlanRules, Scheduled, Store};
use crate::studio::Studio;
use crate::tabular::{self, LineError};

impl Studio {
    /// The zone times are typed and shown in (Asia/Shanghai unless set).
    pub fn time_zone(&self) -> Result<TimeZone> {
        crate::schedule::zone(&self.config().time_zone)
    }

    /// Adds an account after checking its platform takes accounts and its
    /// cross-platform line passes the compliance lexicon (packages append it
    /// to approved captions, so it must not bring in what review would block).
    pub fn add_account(&self, store: &mut Store, new: &NewAccount, actor: &str) -> Result<Account> {
        let profile = self.platforms().get(&new.platform)?;
        if profile.account_platform() != profile.id {
            let text = format!(
                "{} variants are posted from {} accounts; add the account on `{}`",
                profile.id,
                profile.account_platform(),
                profile.account_platform()
            );
            return Err(EngineError::Refused(
                Notice::new("account.posted_from", text)
                    .with("platform", &profile.id)
                    .with("account_platform", profile.account_platform()),
            ));
        }
        if let Some(line) = new.cross_line.as_deref().filter(|l| !l.trim().is_empty()) {
            let blocking: Vec<String> = self
                .lexicon()
                .scan_text("cross_line", line)
                .into_iter()
                .filter(|f| f.severity == Severity::Block)
                .map(|f| format!("{} ({}): {}", f.matched, f.rule_id, f.explanation))
                .collect();
            if !blocking.is_empty() {
                return Err(EngineError::Forbidden(
                    Notice::new(
                        "account.cross_line_blocked",
                        format!("the cross-platform line would be blocked in review: {}", blocking.join("; ")),
                    )
                    .with("findings", blocking.join("; ")),
                ));
            }
        }
        store.add_account(new, actor)
    }

    /// The rules an account is planned by, at `now`.
    pub fn plan_rules(&self, account: &Account, now: Timestamp) -> Result<PlanRules> {
        let profile = self.platforms().get(&account.platform)?;
        let variant_platforms =
            self.platforms().all().filter(|p| p.account_platform() == account.platform).map(|p| p.id.clone()).collect();
        Ok(PlanRules { publishing: profile.publishing.clone(), variant_platforms, tz: self.time_zone()?, now })
    }

    /// Parses cadence rules as a user types them, one per item.
    pub fn parse_cadence(rules: &[String]) -> Result<Vec<Cadence>> {
        rules.iter().filter(|r| !r.trim().is_empty()).map(|r| r.parse()).collect()
    }
}

/// Columns of a bulk planning sheet.
pub const PLAN_FIELDS: &[(&str, &[&str])] = &[
    ("variant", &["variant_id", "变体", "变体id", "素材", "素材id"]),
    ("account", &["账号", "账户", "handle"]),
    ("time", &["scheduled_at", "when", "发布时间", "时间", "计划时间"]),
    ("note", &["notes", "备注"]),
];

/// What a planning import did; good rows are scheduled even when others fail.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanImport {
    pub scheduled: Vec<ScheduledLine>,
    pub errors: Vec<LineError>,
    pub ignored_columns: Vec<String>,
}

/// A scheduled row and the warnings it raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduledLine {
    pub line: u64,
    #[serde(flatten)]
    pub scheduled: Scheduled,
}

impl Studio {
    /// Schedules the rows of a planning CSV (variant, account, time, note),
    /// each checked as if scheduled by hand.
    pub fn import_plan(&self, store: &mut Store, path: &Path, actor: &Person, now: Timestamp) -> Result<PlanImport> {
        let table = tabular::read_file(path, PLAN_FIELDS)?;
        self.import_plan_table(store, table, actor, now)
    }

    pub fn import_plan_table(
        &self,
        store: &mut Store,
        table: tabular::Table,
        actor: &Person,
        now: Timestamp,
    ) -> Result<PlanImport> {
        let tz = self.time_zone()?;
        let mut out = PlanImport { errors: table.errors, ignored_columns: table.ignored_columns, ..Default::default() };
        let mut seen: HashMap<(i64, i64, Timestamp), u64> = HashMap::new();
        for record in &table.records {
            let line = record.line;
            let row = (|| -> Result<Scheduled> {
                let variant = record
                    .get("variant")
                    .ok_or_else(|| {
                        EngineError::Refused(crate::message::Notice::new("import.no_variant", "no variant"))
                    })?
                    .trim_start_matches('#')
                    .parse::<i64>()
                    .map_err(|_| {
                        EngineError::Refused(crate::message::Notice::new(
                            "import.variant_not_number",
                            "the variant is not a number",
                        ))
                    })?;
                let account = store.find_account(record.get("account").ok_or_else(|| {
                    EngineError::Refused(crate::message::Notice::new("import.no_account", "no account"))
                })?)?;
                let at = crate::schedule::parse_time(
                    record.get("time").ok_or_else(|| {
                        EngineError::Refused(crate::message::Notice::new("import.no_time", "no time"))
                    })?,
                    &tz,
                )?;
                if let Some(first) = seen.insert((variant, account.id, at), line) {
                    return Err(EngineError::Refused(
                        crate::message::Notice::new(
                            "import.repeats_line",
                            format!("repeats line {first} (same variant, account and time); not scheduled twice"),
                        )
                        .with("line", first),
                    ));
                }
                let rules = self.plan_rules(&account, now)?;
                store.schedule_post(variant, account.id, at, record.get("note").unwrap_or(""), actor, &rules)
            })();
            match row {
                Ok(scheduled) => out.scheduled.push(ScheduledLine { line, scheduled }),
                Err(e) => out.errors.push(LineError { line, message: e.to_string() }),
            }
        }
        out.errors.sort_by_key(|e| e.line);
        Ok(out)
    }
}
