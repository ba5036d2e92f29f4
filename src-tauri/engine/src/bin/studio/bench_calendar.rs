//! `studio bench --calendar`: the publish calendar with 100,000 posts. The
//! posts are written straight into a fresh database (as years of use would
//! leave them); the queries and the week fill go through the engine's API.

use std::path::Path;
use std::time::Instant;

use studio_engine::jiff::{Timestamp, ToSpan};
use studio_engine::schedule::{parse_time, to_utc_text};
use studio_engine::store::{CalendarFilter, NewAccount, Role};
use studio_engine::{EngineError, Result, Studio, StudioConfig};

const POSTS: usize = 100_000;
const ACCOUNTS: [(&str, usize); 3] = [("douyin", 20), ("xiaohongshu", 20), ("bilibili", 10)];
const VARIANTS_PER_PLATFORM: usize = 1_000;
/// Approved variants never posted, for the fills.
const FILL_POOL: usize = 400;
const FILLS: usize = 20;

fn millis(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn summary(mut times: Vec<f64>) -> String {
    times.sort_by(f64::total_cmp);
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    format!("median {:.2} ms   p99 {:.2} ms   max {:.2} ms", p(0.5), p(0.99), p(1.0))
}

pub fn calendar(out: &Path) -> Result<()> {
    let data = out.join("calendar-data");
    let _ = std::fs::remove_dir_all(&data);
    let studio = Studio::open(StudioConfig::new(data.clone()))?;
    let mut store = studio.store()?;
    let editor = store.add_person("bench-editor", Role::Admin, "bench")?;
    let tz = studio.time_zone()?;
    let sql = |e: rusqlite::Error| EngineError::InvalidArgument(format!("bench data: {e}"));

    let started = Instant::now();
    let mut accounts = Vec::new();
    for (platform, n) in ACCOUNTS {
        for i in 0..n {
            let new = NewAccount {
                platform: platform.into(),
                name: format!("{platform} {i}"),
                handle: format!("{platform}-{i}"),
                owner: None,
                cross_line: None,
            };
            let a = studio.add_account(&mut store, &new, "bench")?;
            let a = store.set_cadence(a.id, &["daily 12:00".parse()?, "daily 18:00".parse()?], "bench")?;
            accounts.push(a);
        }
    }
    let mut raw = rusqlite::Connection::open(data.join("studio.db")).map_err(sql)?;
    let tx = raw.transaction().map_err(sql)?;
    tx.execute("INSERT INTO projects (name) VALUES ('bench')", []).map_err(sql)?;
    tx.execute("INSERT INTO masters (project_id, path, kind) VALUES (1, 'bench.md', 'article')", []).map_err(sql)?;
    let mut variants: Vec<(String, Vec<i64>)> = Vec::new();
    for (platform, _) in ACCOUNTS {
        let mut ids = Vec::new();
        for i in 0..VARIANTS_PER_PLATFORM + if platform == "douyin" { FILL_POOL } else { 0 } {
            tx.execute(
                "INSERT INTO variants (master_id, platform, kind, plan_json, title, review_state)
                 VALUES (1, ?1, 'note', '{}', ?2, 'approved')",
                rusqlite::params![platform, format!("{platform} 第{i}篇")],
            )
            .map_err(sql)?;
            ids.push(tx.last_insert_rowid());
        }
        variants.push((platform.to_owned(), ids));
    }
    tx.commit().map_err(sql)?;
    // Approved hashes as the review workflow would have stored them.
    for (_, ids) in &variants {
        for id in ids {
            let hash = store.variant_content(*id)?.content_hash();
            raw.execute("UPDATE variants SET approved_hash = ?2 WHERE id = ?1", rusqlite::params![id, hash])
                .map_err(sql)?;
        }
    }
    // Two posts a day per account from 2025-01-01, 12:00 and 18:00 local.
    let first_day = parse_time("2025-01-01 00:00", &tz)?.to_zoned(tz.clone());
    let now = Timestamp::now();
    let tx = raw.transaction().map_err(sql)?;
    {
        let mut insert = tx
            .prepare("INSERT INTO posts (variant_id, platform, account_id, scheduled_at, status) VALUES (?1, ?2, ?3, ?4, ?5)")
            .map_err(sql)?;
        let per_account = POSTS / accounts.len();
        for (a, account) in accounts.iter().enumerate() {
            let pool = &variants
                .iter()
                .find(|(p, _)| *p == account.platform)
                .map(|(_, ids)| ids)
                .ok_or_else(|| EngineError::InvalidArgument("no variants for the account's platform".into()))?
                [..VARIANTS_PER_PLATFORM];
            for k in 0..per_account {
                let day = first_day.checked_add(((k / 2) as i64).days())?;
                let at = day.checked_add(if k % 2 == 0 { 12.hours() } else { 18.hours() })?.timestamp();
                let status = if at < now { "published" } else { "planned" };
                let variant = pool[(k + a) % pool.len()];
                insert
                    .execute(rusqlite::params![variant, account.platform, account.id, to_utc_text(at), status])
                    .map_err(sql)?;
            }
        }
    }
    tx.commit().map_err(sql)?;
    let last: String = raw.query_row("SELECT MAX(scheduled_at) FROM posts", [], |r| r.get(0)).map_err(sql)?;
    println!(
        "{} posts on {} accounts (2025-01-01 to {}), generated in {:.1} s",
        raw.query_row("SELECT COUNT(*) FROM posts", [], |r| r.get::<_, i64>(0)).map_err(sql)?,
        accounts.len(),
        &last[..10],
        started.elapsed().as_secs_f64()
    );

    let month_from = parse_time("2026-03-01 00:00", &tz)?;
    let month_to = parse_time("2026-04-01 00:00", &tz)?;
    let all = CalendarFilter::default();
    let time_month = |filter: &CalendarFilter| -> Result<(usize, String)> {
        let rows = store.calendar_entries(month_from, month_to, filter)?.len();
        let times = (0..100)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(store.calendar_entries(month_from, month_to, filter))?;
                Ok(millis(t))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((rows, summary(times)))
    };
    let (rows, figures) = time_month(&all)?;
    println!("month calendar, all accounts ({rows} posts), 100 runs:  {figures}");
    let (rows, figures) = time_month(&CalendarFilter { account_id: Some(accounts[0].id), platform: None })?;
    println!("month calendar, one account ({rows} posts), 100 runs:   {figures}");

    // Fill weeks after the generated range: 14 cadence slots each.
    let first_monday = parse_time(&last[..10], &tz)?.to_zoned(tz.clone());
    let first_monday = first_monday
        .checked_add(((7 - i64::from(first_monday.weekday().to_monday_zero_offset())) % 7 + 7).days())?
        .start_of_day()?;
    let account = &accounts[0];
    let rules = studio.plan_rules(account, now)?;
    let mut planned = 0;
    let mut times = Vec::new();
    for w in 0..FILLS {
        let from = first_monday.checked_add(((w * 7) as i64).days())?;
        let to = from.checked_add(7.days())?;
        let t = Instant::now();
        planned += store.fill_slots(account.id, from.timestamp(), to.timestamp(), &editor, &rules)?.len();
        times.push(millis(t));
    }
    println!("week fill, one account ({} posts per week), {FILLS} weeks: {}", planned / FILLS, summary(times));
    println!(
        "({} build; targets: month ≤ 10 ms, week fill ≤ 100 ms in release)",
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
    Ok(())
}
