//! `accounts`, `posts`, `due`, `package`, `metrics` and `report`: publish
//! planning and results from the command line. Times are read and printed in
//! `--tz` (Asia/Shanghai by default).

use std::process::ExitCode;

use jiff::{SignedDuration, Timestamp, ToSpan};
use studio_engine::metrics::{GroupBy, ImportSummary, compare, parse_when};
use studio_engine::schedule::{Clash, from_utc_text, local_text, parse_time};
use studio_engine::store::{Account, CalendarFilter, Counts, NewAccount, Post, Scheduled};
use studio_engine::tabular::{LineError, parse_count};
use studio_engine::{EngineError, Result, Studio};

use crate::cli::{AccountAction, Cli, MetricsAction, PostAction};
use crate::table::Table;
use crate::{open, print_json};

fn local(studio: &Studio, utc: Option<&str>) -> String {
    let (Some(text), Ok(tz)) = (utc, studio.time_zone()) else { return String::new() };
    from_utc_text(text).map(|t| local_text(t, &tz)).unwrap_or_else(|_| text.to_owned())
}

fn when(studio: &Studio, text: Option<&str>) -> Result<Timestamp> {
    match text {
        Some(t) => parse_time(t, &studio.time_zone()?),
        None => Ok(Timestamp::now()),
    }
}

fn print_clashes(clashes: &[Clash]) {
    for c in clashes {
        println!("  warning: {}", c.notice.render(crate::lang()));
    }
}

fn print_scheduled(studio: &Studio, s: &Scheduled) {
    println!(
        "post {} planned: variant {} on {} at {} ({})",
        s.post.id,
        s.post.variant_id,
        s.post.account_handle.as_deref().unwrap_or("-"),
        local(studio, s.post.scheduled_at.as_deref()),
        studio.config().time_zone
    );
    print_clashes(&s.clashes);
}

fn print_posts(studio: &Studio, posts: &[Post]) {
    let mut t = Table::new(["post", "when", "account", "platform", "variant", "title", "status", "review"]);
    for p in posts {
        t.row([
            p.id.to_string(),
            local(studio, p.scheduled_at.as_deref()),
            p.account_handle.clone().unwrap_or_default(),
            p.platform.clone(),
            p.variant_id.to_string(),
            p.title.chars().take(20).collect(),
            p.status.clone(),
            p.review_state.clone(),
        ]);
    }
    t.print();
}

fn print_line_errors(label: &str, errors: &[LineError]) {
    for e in errors {
        eprintln!("{label} line {}: {}", e.line, e.message);
    }
}

pub fn accounts(cli: &Cli, action: &AccountAction) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let mut store = crate::review::team_side(cli, &studio)?;
    let show = |accounts: &[Account]| {
        if cli.json {
            return print_json(&accounts);
        }
        let mut t = Table::new(["id", "platform", "handle", "name", "owner", "cadence"]);
        for a in accounts {
            t.row([
                a.id.to_string(),
                a.platform.clone(),
                a.handle.clone(),
                a.name.clone(),
                a.owner.clone().unwrap_or_default(),
                a.cadence.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
            ]);
        }
        t.print();
        Ok(())
    };
    match action {
        AccountAction::List => show(&store.accounts()?)?,
        AccountAction::Add { platform, name, handle, owner, cross_line, cadence } => {
            let who = crate::review::actor_name(cli, &studio, &store)?;
            let rules = Studio::parse_cadence(cadence)?;
            let new = NewAccount {
                platform: platform.clone(),
                name: name.clone(),
                handle: handle.clone(),
                owner: owner.clone(),
                cross_line: cross_line.clone(),
            };
            let mut account = studio.add_account(&mut store, &new, &who)?;
            if !rules.is_empty() {
                account = store.set_cadence(account.id, &rules, &who)?;
            }
            show(&[account])?;
        }
        AccountAction::Cadence { account, rules } => {
            let who = crate::review::actor_name(cli, &studio, &store)?;
            let account = store.find_account(account)?;
            let rules = Studio::parse_cadence(rules)?;
            show(&[store.set_cadence(account.id, &rules, &who)?])?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn posts(cli: &Cli, action: &PostAction) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let mut store = crate::review::team_side(cli, &studio)?;
    let tz = studio.time_zone()?;
    let person = || store_person(&studio, cli);
    match action {
        PostAction::List { from, to, account, platform } => {
            let from = match from {
                Some(f) => parse_when(f, &tz).map_err(EngineError::InvalidArgument)?,
                None => Timestamp::now().to_zoned(tz.clone()).start_of_day()?.timestamp(),
            };
            let to = match to {
                Some(t) => parse_when(t, &tz).map_err(EngineError::InvalidArgument)?,
                None => from.to_zoned(tz.clone()).checked_add(28.days())?.timestamp(),
            };
            let account_id = account.as_deref().map(|a| store.find_account(a)).transpose()?.map(|a| a.id);
            let posts = store.calendar(from, to, &CalendarFilter { account_id, platform: platform.clone() })?;
            if cli.json {
                print_json(&posts)?;
            } else {
                print_posts(&studio, &posts);
            }
        }
        PostAction::Add { variant, account, at, next, note } => {
            let account = store.find_account(account)?;
            let rules = studio.plan_rules(&account, Timestamp::now())?;
            let at = if *next {
                *store.free_slots(account.id, Timestamp::now(), 1, &rules)?.first().ok_or_else(|| {
                    EngineError::Refused(
                        studio_engine::message::Notice::new(
                            "post.no_free_slot",
                            format!(
                                "{} has no free cadence slot in the next eight weeks; set its cadence or give --at",
                                account.handle
                            ),
                        )
                        .with("account", &account.handle),
                    )
                })?
            } else {
                when(&studio, at.as_deref())?
            };
            let s = store.schedule_post(*variant, account.id, at, note, &person()?, &rules)?;
            if cli.json {
                print_json(&s)?;
            } else {
                print_scheduled(&studio, &s);
            }
        }
        PostAction::Move { post, at } => {
            let p = store.post(*post)?;
            let account = store.account(p.account_id.ok_or(EngineError::NotFound { what: "account", id: 0 })?)?;
            let rules = studio.plan_rules(&account, Timestamp::now())?;
            let s = store.reschedule_post(*post, parse_time(at, &tz)?, &person()?, &rules)?;
            if cli.json {
                print_json(&s)?;
            } else {
                print_scheduled(&studio, &s);
            }
        }
        PostAction::Slots { account, count } => {
            let account = store.find_account(account)?;
            let rules = studio.plan_rules(&account, Timestamp::now())?;
            let slots = store.free_slots(account.id, Timestamp::now(), *count, &rules)?;
            let texts: Vec<String> = slots.iter().map(|s| local_text(*s, &tz)).collect();
            if cli.json {
                print_json(&texts)?;
            } else if texts.is_empty() {
                println!("no free slots: set the account's cadence with `studio accounts cadence`");
            } else {
                texts.iter().for_each(|t| println!("{t}"));
            }
        }
        PostAction::Fill { account, week } => {
            let account = store.find_account(account)?;
            let now = Timestamp::now();
            let rules = studio.plan_rules(&account, now)?;
            let day = match week {
                Some(w) => parse_when(w, &tz).map_err(EngineError::InvalidArgument)?.to_zoned(tz.clone()),
                None => now.to_zoned(tz.clone()).checked_add(7.days())?,
            };
            let monday = day.start_of_day()?.checked_sub(i64::from(day.weekday().to_monday_zero_offset()).days())?;
            let next_monday = monday.checked_add(7.days())?;
            let made = store.fill_slots(account.id, monday.timestamp(), next_monday.timestamp(), &person()?, &rules)?;
            if cli.json {
                print_json(&made)?;
            } else if made.is_empty() {
                println!(
                    "nothing planned for the week of {}: no free cadence slots or no approved variants left",
                    monday.strftime("%Y-%m-%d")
                );
            } else {
                made.iter().for_each(|s| print_scheduled(&studio, s));
            }
        }
        PostAction::Import { file } => {
            let result = studio.import_plan(&mut store, file, &person()?, Timestamp::now())?;
            if cli.json {
                print_json(&result)?;
            } else {
                for s in &result.scheduled {
                    print!("line {}: ", s.line);
                    print_scheduled(&studio, &s.scheduled);
                }
                if !result.ignored_columns.is_empty() {
                    println!("ignored columns: {}", result.ignored_columns.join(", "));
                }
                print_line_errors("error:", &result.errors);
                println!("{} scheduled, {} rows with errors", result.scheduled.len(), result.errors.len());
            }
            return Ok(if result.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) });
        }
        PostAction::Published { post, url, at } => {
            let p = store.mark_published(*post, url.as_deref(), when(&studio, at.as_deref())?, &person()?)?;
            println!("post {} published{}", p.id, p.url.map(|u| format!(" at {u}")).unwrap_or_default());
        }
        PostAction::Failed { post, reason } => {
            let p = store.mark_failed(*post, reason, &person()?)?;
            println!("post {} marked failed; move it with `studio posts move {} --at …` to try again", p.id, p.id);
        }
        PostAction::Cancel { post } => {
            let p = store.cancel_post(*post, &person()?)?;
            println!("post {} cancelled", p.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn store_person(studio: &Studio, cli: &Cli) -> Result<studio_engine::store::Person> {
    let store = studio.review_store()?;
    studio.acting_person(&store, cli.actor.as_deref())
}

pub fn due(cli: &Cli, at: Option<&str>) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let store = crate::review::team_side(cli, &studio)?;
    let due = store.due_posts(when(&studio, at)?)?;
    if cli.json {
        print_json(&due)?;
        return Ok(ExitCode::SUCCESS);
    }
    if due.is_empty() {
        println!("nothing due");
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = Table::new(["post", "due", "account", "platform", "title", "ready"]);
    for d in &due {
        let p = &d.post;
        t.row([
            p.id.to_string(),
            local(&studio, p.scheduled_at.as_deref()),
            p.account_handle.clone().unwrap_or_default(),
            p.platform.clone(),
            p.title.chars().take(20).collect(),
            d.problem.as_ref().map_or_else(|| "ready".into(), |n| n.render(crate::lang())),
        ]);
    }
    t.print();
    println!("\nexport with `studio package POST…`, then record `studio posts published POST --url …`");
    Ok(ExitCode::SUCCESS)
}

#[allow(clippy::too_many_arguments)]
pub fn package(
    cli: &Cli,
    posts: &[i64],
    accounts: &[String],
    from: Option<&str>,
    to: Option<&str>,
    out: &std::path::Path,
    name: Option<&str>,
    zip: bool,
) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let mut store = crate::review::team_side(cli, &studio)?;
    let tz = studio.time_zone()?;
    let who = crate::review::actor_name(cli, &studio, &store)?;
    let mut ids = posts.to_vec();
    if !accounts.is_empty() || from.is_some() || to.is_some() {
        let from = from.map(|f| parse_when(f, &tz)).transpose().map_err(EngineError::InvalidArgument)?;
        let from = from.unwrap_or_else(Timestamp::now);
        let to = to.map(|t| parse_when(t, &tz)).transpose().map_err(EngineError::InvalidArgument)?;
        let to = to.unwrap_or(from.checked_add(SignedDuration::from_hours(24 * 7))?);
        let filters: Vec<Option<i64>> = if accounts.is_empty() {
            vec![None]
        } else {
            accounts.iter().map(|a| store.find_account(a).map(|a| Some(a.id))).collect::<Result<_>>()?
        };
        for account_id in filters {
            for p in store.calendar(from, to, &CalendarFilter { account_id, platform: None })? {
                if p.status == "planned" && !ids.contains(&p.id) {
                    ids.push(p.id);
                }
            }
        }
    }
    let name = name
        .map(str::to_owned)
        .unwrap_or_else(|| format!("package-{}", Timestamp::now().to_zoned(tz.clone()).strftime("%Y%m%d-%H%M%S")));
    let report = studio.export_package(&mut store, &ids, out, &name, zip, &who)?;
    if cli.json {
        return print_json(&report).map(|()| ExitCode::SUCCESS);
    }
    println!("{} post(s) → {}", report.posts.len(), report.folder.display());
    for p in &report.posts {
        println!("  post {:>4}  {}", p.post_id, p.folder);
    }
    if let Some(zip) = &report.zip {
        println!("zip: {}", zip.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn count(field: &str, cell: Option<&String>) -> Result<Option<i64>> {
    cell.map(|c| {
        parse_count(c).map_err(|e| {
            EngineError::Refused(
                studio_engine::message::Notice::new("metrics.bad_figure", format!("--{field}: {e}"))
                    .with("field", field)
                    .with("value", c),
            )
        })
    })
    .transpose()
    .map(Option::flatten)
}

/// A figure for a table; `-` when it was not reported.
fn n(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

fn print_import(summary: &ImportSummary) {
    if !summary.ignored_columns.is_empty() {
        println!("ignored columns: {}", summary.ignored_columns.join(", "));
    }
    print_line_errors("note:", &summary.notes);
    print_line_errors("error:", &summary.errors);
    println!(
        "{} snapshots imported, {} updated, {} rows with errors",
        summary.imported,
        summary.updated,
        summary.errors.len()
    );
}

pub fn metrics(cli: &Cli, action: &MetricsAction) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let store = crate::review::team_side(cli, &studio)?;
    match action {
        MetricsAction::Add { post, at, views, likes, comments, shares, favorites, followers, conversions } => {
            let counts = Counts {
                views: count("views", views.as_ref())?,
                likes: count("likes", likes.as_ref())?,
                comments: count("comments", comments.as_ref())?,
                shares: count("shares", shares.as_ref())?,
                favorites: count("favorites", favorites.as_ref())?,
                followers: count("followers", followers.as_ref())?,
                conversions: count("conversions", conversions.as_ref())?,
            };
            let at = when(&studio, at.as_deref())?;
            store.record_metrics(*post, &studio_engine::schedule::to_utc_text(at), &counts, "manual")?;
            println!("figures for post {post} saved");
        }
        MetricsAction::Import { file } => {
            let summary = studio.import_metrics(&store, file)?;
            if cli.json {
                print_json(&summary)?;
            } else {
                print_import(&summary);
            }
            return Ok(if summary.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) });
        }
        MetricsAction::List { post } => {
            let snaps = store.snapshots(*post)?;
            if cli.json {
                return print_json(&snaps).map(|()| ExitCode::SUCCESS);
            }
            let mut t = Table::new([
                "when",
                "views",
                "likes",
                "comments",
                "shares",
                "favorites",
                "followers",
                "conv.",
                "source",
            ]);
            for s in snaps {
                let c = s.counts;
                t.row([
                    local(&studio, Some(&s.captured_at)),
                    n(c.views),
                    n(c.likes),
                    n(c.comments),
                    n(c.shares),
                    n(c.favorites),
                    n(c.followers),
                    n(c.conversions),
                    s.source,
                ]);
            }
            t.print();
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn report(cli: &Cli, by: &str, master: Option<i64>) -> Result<ExitCode> {
    let studio = open(cli, 1)?;
    let store = crate::review::team_side(cli, &studio)?;
    let by: GroupBy = by.parse()?;
    let rows = compare(&store.latest_metrics()?, by, master);
    if cli.json {
        return print_json(&rows).map(|()| ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no figures yet: record them with `studio metrics add` or `studio metrics import`");
        return Ok(ExitCode::SUCCESS);
    }
    let pct = |v: Option<f64>| v.map(|v| format!("{:.2}%", v * 100.0)).unwrap_or_else(|| "-".into());
    let mut t = Table::new([
        "group",
        "posts",
        "views",
        "views/post",
        "likes",
        "comments",
        "shares",
        "favorites",
        "followers",
        "conv.",
        "engagement",
        "conv. rate",
    ]);
    for r in &rows {
        let c = r.totals;
        t.row([
            r.key.clone(),
            r.posts.to_string(),
            n(c.views),
            r.views_per_post.map(|v| format!("{v:.0}")).unwrap_or_else(|| "-".into()),
            n(c.likes),
            n(c.comments),
            n(c.shares),
            n(c.favorites),
            n(c.followers),
            n(c.conversions),
            pct(r.engagement_rate),
            pct(r.conversion_rate),
        ]);
    }
    t.print();
    Ok(ExitCode::SUCCESS)
}
