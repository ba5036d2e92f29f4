//! `studio bench --team --database postgresql://OWNER@HOST/DB`: ten laptops
//! (each its own login and connection) doing a day's mix for 60 s against a
//! team database — list, submit, approve, schedule, the month calendar —
//! then the month calendar with 100,000 posts. Each person pauses between
//! operations (`--think-ms`, 0 for a stress run with none). Figures per operation, not a
//! pass/fail test. The database should be one made for the benchmark: the
//! run adds members, accounts and posts to it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use studio_engine::jiff::{Timestamp, ToSpan};

use studio_engine::schedule::parse_time;
use studio_engine::store::{Arrival, CalendarFilter, NewAccount, Person, Role, Store};
use studio_engine::{EngineError, Result, Studio, StudioConfig};

const POSTS: i64 = 100_000;
const PASSWORD: &str = "bench-password-1";
const OPS: [&str; 5] = ["list", "submit", "approve", "schedule", "calendar"];

/// The `q` quantile of sorted `times`.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

fn summary(mut times: Vec<f64>) -> String {
    if times.is_empty() {
        return "none".into();
    }
    times.sort_by(f64::total_cmp);
    let p = |q: f64| quantile(&times, q);
    format!("{:>6} ops  median {:7.2} ms   p99 {:7.2} ms   max {:7.2} ms", times.len(), p(0.5), p(0.99), p(1.0))
}

/// A bare client as the database's owner (the password from the URL or `PGPASSWORD`).
fn owner_client(owner_url: &str) -> Result<postgres::Client> {
    let mut config: postgres::Config =
        owner_url.parse().map_err(|e| EngineError::InvalidArgument(format!("--database: {e}")))?;
    if config.get_password().is_none()
        && let Ok(pw) = std::env::var("PGPASSWORD")
    {
        config.password(pw);
    }
    config.connect(postgres::NoTls).map_err(|e| EngineError::InvalidArgument(format!("bench: {e}")))
}

/// The owner's address with another login.
fn url_as(owner_url: &str, login: &str) -> Result<String> {
    let config: postgres::Config =
        owner_url.parse().map_err(|e| EngineError::InvalidArgument(format!("--database: {e}")))?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("postgres");
    Ok(format!("postgresql://{login}:{PASSWORD}@{host}:{port}/{db}"))
}

pub fn team(owner_url: &str, laptops: usize, seconds: u64, think_ms: u64, out: &std::path::Path) -> Result<()> {
    let data = out.join("team-bench-data");
    std::fs::create_dir_all(&data).map_err(|e| EngineError::io(format!("creating {}", data.display()), e))?;
    let studio = Studio::open(StudioConfig::new(data.clone()))?;
    let tz = studio.time_zone()?;
    let mut owner = Store::open_team(owner_url, &data)?;
    let started = Instant::now();
    let mut logins = Vec::new();
    for i in 0..laptops {
        let (name, role) = if i % 3 == 2 {
            (format!("bench_reviewer_{i}"), Role::Reviewer)
        } else {
            (format!("bench_editor_{i}"), Role::Editor)
        };
        match owner.add_member(&name, role, PASSWORD) {
            Ok(_) => {}
            Err(e) if e.code() == "duplicate" || e.to_string().contains("already exists") => {}
            Err(e) => return Err(e),
        }
        logins.push((name, role));
    }
    let mut accounts = Vec::new();
    for i in 0..50 {
        let platform = ["douyin", "xiaohongshu", "bilibili"][i % 3];
        let handle = format!("bench-{platform}-{i}");
        let account = match owner.find_account(&format!("{platform}:{handle}")) {
            Ok(a) => a,
            Err(_) => owner.add_account(
                &NewAccount { platform: platform.into(), name: handle.clone(), handle, owner: None, cross_line: None },
                "",
            )?,
        };
        accounts.push(account);
    }
    let project = owner.ensure_project("bench")?;
    let master = owner.upsert_article_master(project, std::path::Path::new("bench.md"))?;
    seed_posts(owner_url, &accounts.iter().map(|a| (a.id, a.platform.clone())).collect::<Vec<_>>())?;
    println!(
        "{laptops} laptops, {} accounts, {POSTS} posts; set up in {:.1} s",
        accounts.len(),
        started.elapsed().as_secs_f64()
    );

    let month_from = parse_time("2026-03-01 00:00", &tz)?;
    let month_to = parse_time("2026-04-01 00:00", &tz)?;
    let times: Mutex<Vec<Vec<f64>>> = Mutex::new(vec![Vec::new(); OPS.len()]);
    let errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    std::thread::scope(|scope| -> Result<()> {
        let mut handles = Vec::new();
        for (n, (login, role)) in logins.iter().enumerate() {
            let url = url_as(owner_url, login)?;
            let (times, errors, accounts, studio) = (&times, &errors, &accounts, &studio);
            handles.push(scope.spawn(move || -> Result<()> {
                let mut store = Store::open_team(&url, studio.data_dir())?;
                let me: Person = store.me()?.ok_or_else(|| EngineError::InvalidArgument("no login".into()))?;
                let mut k: u64 = n as u64;
                while Instant::now() < deadline {
                    k = k.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    // A person reads the screen between clicks: 20 % to 180 % of the mean pause.
                    if think_ms > 0 {
                        std::thread::sleep(Duration::from_millis(think_ms * (20 + (k >> 40) % 161) / 100));
                    }
                    let pick = (k >> 33) % 10;
                    let op = match (role, pick) {
                        (_, 0..=2) => 0,
                        (_, 3..=4) => 4,
                        (Role::Reviewer, _) => 2,
                        (_, 5..=7) => 1,
                        _ => 3,
                    };
                    let t = Instant::now();
                    let outcome = match op {
                        0 => store.variants().map(drop),
                        1 => submit(&mut store, master, &me, k),
                        2 => approve_one(&mut store, &me),
                        3 => schedule_one(&mut store, studio, &me, &accounts[(k % 50) as usize], k),
                        _ => store.calendar_entries(month_from, month_to, &CalendarFilter::default()).map(drop),
                    };
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    times.lock().unwrap_or_else(|p| p.into_inner())[op].push(ms);
                    if let Err(e) = outcome {
                        let text: String = e.to_string().chars().filter(|c| !c.is_ascii_digit()).take(70).collect();
                        errors.lock().unwrap_or_else(|p| p.into_inner()).push(format!("{}: {text}", OPS[op]));
                    }
                }
                Ok(())
            }));
        }
        for h in handles {
            h.join().map_err(|_| EngineError::InvalidArgument("a bench laptop panicked".into()))??;
        }
        Ok(())
    })?;
    println!(
        "mix for {seconds} s, {think_ms} ms mean pause between a person's operations ({} build):",
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
    for (op, t) in OPS.iter().zip(times.into_inner().unwrap_or_else(|p| p.into_inner())) {
        println!("  {op:<9} {}", summary(t));
    }
    let mut errors = errors.into_inner().unwrap_or_else(|p| p.into_inner());
    errors.sort();
    let mut counted: Vec<(String, usize)> = Vec::new();
    for e in errors {
        match counted.last_mut() {
            Some((last, n)) if *last == e => *n += 1,
            _ => counted.push((e, 1)),
        }
    }
    for (e, n) in counted {
        println!("  refused: {n} × {e}");
    }

    let rows = owner.calendar_entries(month_from, month_to, &CalendarFilter::default())?.len();
    // The month as the app's calendar loads it (what each post shows), and every post in full.
    let hundred = |query: &dyn Fn() -> Result<usize>| -> Result<Vec<f64>> {
        (0..100)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(query()?);
                Ok(t.elapsed().as_secs_f64() * 1000.0)
            })
            .collect()
    };
    let all = CalendarFilter::default();
    let full_times = hundred(&|| Ok(owner.calendar(month_from, month_to, &all)?.len()))?;
    let times = hundred(&|| Ok(owner.calendar_entries(month_from, month_to, &all)?.len()))?;
    let median = |mut t: Vec<f64>| {
        t.sort_by(f64::total_cmp);
        quantile(&t, 0.5)
    };
    let studio_ms = median(times.clone());
    println!("month calendar alone, {rows} posts in the month of {POSTS}: {}", summary(times));
    println!("  every post in full (all 15 columns):            {}", summary(full_times));
    // The same query through a bare PostgreSQL client, every text column read: the floor for any client
    // (unsorted, as studio asks for it; studio sorts in memory).
    let db = |e: postgres::Error| EngineError::InvalidArgument(format!("bench: {e}"));
    let mut raw = owner_client(owner_url)?;
    let sql = "SELECT p.id, p.scheduled_at, p.status, v.platform, a.handle, v.title
               FROM posts p JOIN variants v ON v.id = p.variant_id LEFT JOIN accounts a ON a.id = p.account_id
               WHERE p.scheduled_at >= $1 AND p.scheduled_at < $2 AND p.status <> 'cancelled'";
    let stmt = raw.prepare(sql).map_err(db)?;
    let (from, to) = (studio_engine::schedule::to_utc_text(month_from), studio_engine::schedule::to_utc_text(month_to));
    let raw_times = (0..100)
        .map(|_| {
            let t = Instant::now();
            let rows = raw.query(&stmt, &[&from, &to]).map_err(db)?;
            let mut bytes = 0;
            for r in &rows {
                for i in [1usize, 2, 3, 4, 5] {
                    bytes += r.get::<_, Option<String>>(i).map_or(0, |s| s.len());
                }
            }
            std::hint::black_box(bytes);
            Ok(t.elapsed().as_secs_f64() * 1000.0)
        })
        .collect::<Result<Vec<_>>>()?;
    let raw_ms = median(raw_times.clone());
    println!("  the same query, bare postgres client:          {}", summary(raw_times));
    println!("  studio / bare client (medians) = {:.2}", studio_ms / raw_ms);
    println!("(targets: p99 ≤ 50 ms per operation; the month ≤ 10 ms)");
    Ok(())
}

/// Two posts a day per account from 2025-01-01, written by the owner straight
/// into the table (as years of use would leave them).
fn seed_posts(owner_url: &str, accounts: &[(i64, String)]) -> Result<()> {
    let db = |e: postgres::Error| EngineError::InvalidArgument(format!("bench data: {e}"));
    let mut client = owner_client(owner_url)?;
    let have: i64 = client.query_one("SELECT COUNT(*) FROM posts", &[]).map_err(db)?.get(0);
    if have >= POSTS {
        return Ok(());
    }
    let mut tx = client.transaction().map_err(db)?;
    // A bulk load, as pg_restore does it: the row checks are for people.
    tx.batch_execute("SET LOCAL session_replication_role = replica").map_err(db)?;
    let variant: i64 = tx
        .query_one(
            "INSERT INTO variants (master_id, platform, kind, plan_json, title, review_state)
             VALUES ((SELECT MIN(id) FROM masters), 'douyin', 'note', '{}', 'bench', 'approved') RETURNING id",
            &[],
        )
        .map_err(db)?
        .get(0);
    let per_account = POSTS / accounts.len() as i64;
    for (id, platform) in accounts {
        tx.execute(
            "INSERT INTO posts (variant_id, platform, account_id, scheduled_at, status)
             SELECT $1, $2, $3,
                    to_char(timestamp '2025-01-01 04:00' + (g / 2) * interval '1 day' + (g % 2) * interval '6 hours',
                            'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    'planned'
             FROM generate_series(0, $4::bigint - 1) g",
            &[&variant, platform, id, &per_account],
        )
        .map_err(db)?;
    }
    tx.commit().map_err(db)
}

/// A new note arriving from a laptop and sent to review (one transaction, as `review --submit` does).
fn submit(store: &mut Store, master: i64, me: &Person, k: u64) -> Result<()> {
    let arrival = Arrival {
        master_id: master,
        platform: "xiaohongshu".into(),
        kind: "note".into(),
        plan_json: "{}".into(),
        title: format!("定投入门 第{k}篇"),
        body: "定投的核心在于纪律。投资有风险，入市需谨慎。".into(),
        tags: vec!["基金".into()],
        render: None,
        detail: serde_json::json!({ "bench": true }),
    };
    store.receive_and_submit(None, &arrival, me, |_| Ok(Vec::new())).map(drop)
}

/// Approves the oldest variant in review (another reviewer may win it).
fn approve_one(store: &mut Store, me: &Person) -> Result<()> {
    let Some(v) = store.variants()?.into_iter().find(|v| v.review_state == "in_review") else { return Ok(()) };
    store.approve(v.id, me, &[])
}

/// Schedules the newest approved note on an account of its platform.
fn schedule_one(
    store: &mut Store,
    studio: &Studio,
    me: &Person,
    account: &studio_engine::store::Account,
    k: u64,
) -> Result<()> {
    if account.platform != "xiaohongshu" {
        let week = studio_engine::jiff::SignedDuration::from_hours(24 * 7);
        return store
            .calendar(Timestamp::now(), Timestamp::now().checked_add(week)?, &CalendarFilter::default())
            .map(drop);
    }
    let Some(v) =
        store.variants()?.into_iter().rev().find(|v| v.review_state == "approved" && v.platform == "xiaohongshu")
    else {
        return Ok(());
    };
    let rules = studio.plan_rules(account, Timestamp::now())?;
    let at = Timestamp::now().checked_add(((k % 2000) as i64 + 24).hours())?;
    store.schedule_post(v.id, account.id, at, "", me, &rules).map(drop)
}
