//! The desktop app driven through WebDriver in its real window (Xvfb,
//! tauri-driver, WebKitWebDriver): the path an editor and a reviewer take,
//! from importing a master to a scheduled post that survives a restart.
//! Screenshots of each step go to `target/app-screenshots/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::{Client, Locator};
use studio_e2e::window::{Display, Driver, screenshot, wait_text};
use studio_e2e::{
    Master, fast_studio, full_small_profile, make_master, processes_mentioning, recorded_master, render, request,
    studio_cmd, wait_for,
};

fn shots() -> PathBuf {
    let target = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().parent().unwrap().to_owned();
    target.join("app-screenshots")
}

/// The element, once the screen has rendered it (screens load their data asynchronously).
async fn find(app: &Client, css: &str) -> fantoccini::elements::Element {
    let started = std::time::Instant::now();
    loop {
        match app.find(Locator::Css(css)).await {
            Ok(el) => return el,
            Err(_) if started.elapsed() < Duration::from_secs(15) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => {
                screenshot(app, &shots(), "failure").await;
                panic!("{css} not found: {e} (see failure.png)")
            }
        }
    }
}

async fn click(app: &Client, css: &str) {
    find(app, css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Sets an input's value the way typing would (Svelte's bindings listen to `input`).
async fn set_value(app: &Client, css: &str, value: &str) {
    find(app, css).await;
    let done = app
        .execute(
            "const el = document.querySelector(arguments[0]); if (!el) return false; \
             el.value = arguments[1]; el.dispatchEvent(new Event('input', { bubbles: true })); \
             el.dispatchEvent(new Event('change', { bubbles: true })); return true;",
            vec![css.into(), value.into()],
        )
        .await
        .unwrap();
    assert_eq!(done, serde_json::Value::Bool(true), "{css} exists");
}

async fn select(app: &Client, css: &str, value: &str) {
    app.find(Locator::Css(css)).await.unwrap().select_by_value(value).await.unwrap();
}

async fn attr_is(app: &Client, css: &str, attr: &str, want: &str, seconds: u64) {
    let started = std::time::Instant::now();
    let mut last = None;
    while started.elapsed() < Duration::from_secs(seconds) {
        if let Ok(el) = app.find(Locator::Css(css)).await {
            last = el.attr(attr).await.unwrap();
            if last.as_deref() == Some(want) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let errors = app
        .execute("return [...document.querySelectorAll('.error')].map(e => e.textContent).join(' | ')", vec![])
        .await;
    screenshot(app, &shots(), "failure").await;
    panic!("{css} [{attr}] never became {want:?} within {seconds} s (last {last:?}); errors shown: {errors:?}");
}

/// Waits until the pictures and videos on screen have their sizes: a click
/// aimed at a button while one still loads can land where the button was
/// before the layout moved.
async fn settled(app: &Client) {
    let started = std::time::Instant::now();
    let js = "return [...document.images].every(i => i.complete) && \
              [...document.querySelectorAll('video')].every(v => v.readyState >= 1 || v.error)";
    while app.execute(js, vec![]).await.unwrap() != true {
        assert!(started.elapsed() < Duration::from_secs(20), "the screen's media never loaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks `css` once it takes clicks: enabled (the screen runs one action at
/// a time, and approval waits for what it approves) and settled.
async fn click_once_enabled(app: &Client, css: &str, seconds: u64, stuck: &str) {
    let started = std::time::Instant::now();
    let js = format!("return !document.querySelector('{css}').disabled");
    while app.execute(&js, vec![]).await.unwrap() != true {
        assert!(started.elapsed() < Duration::from_secs(seconds), "{stuck}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    settled(app).await;
    click(app, css).await;
}

async fn add_person(app: &Client, name: &str, role: &str) {
    click(app, "#tab-settings").await;
    set_value(app, "#person-name", name).await;
    select(app, "#person-role", role).await;
    click(app, "#person-button").await;
    wait_text(app, "#actor", 10, |t| t.contains(name)).await;
}

async fn act_as(app: &Client, name: &str) {
    click(app, "#tab-settings").await;
    wait_text(app, "#actor", 10, |t| t.contains(name)).await;
    select(app, "#actor", name).await;
}

async fn open_december(app: &Client) {
    click(app, "#tab-publish").await;
    set_value(app, ".calendar-wrap input[type=date]", "2099-12-01").await;
}

#[tokio::test(flavor = "current_thread")]
async fn an_editor_and_a_reviewer_take_a_master_to_a_scheduled_post() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    drop(fast_studio(&data)); // superfast encoder profiles in the data folder, as a user could set them
    let master = dir.path().join("路演 talk's: 2026.mp4");
    make_master(&master, &Master { seconds: 20.0, ..Master::default() });
    let article = dir.path().join("定投 入门.md");
    std::fs::write(
        &article,
        "---\ntitle: 定投入门\ntags: [基金, 定投]\n---\n\n定投的核心在于纪律，而不是择时。\n\n\
         <script>alert(1)</script>[链接](javascript:alert(1))\n\n## 为什么定投\n\n\
         每个月固定投入一笔钱，买入同一只基金。市场下跌时买到更多份额，上涨时买到更少份额，长期下来摊低成本。\
         这不是魔法，而是纪律：它让人不再猜测明天的涨跌。\n\n## 怎样开始\n\n\
         先看清自己的现金流，留出三到六个月的生活费，再决定每月投多少。选一只费率低、跟踪误差小的指数基金，\
         设好自动扣款，然后尽量少看账户。\n\n## 坚持多久\n\n\
         定投看的是几年而不是几周。把扣款日设在发薪之后，把每一次下跌当作多买一些份额的机会，而不是停下来的理由。\
         记录每一次投入，一年后再回头看。\n\n## 常见误区\n\n\
         有人说这只基金稳赚不赔，这种说法不可信。定投也会亏损，尤其是在开始后不久遇到长期下跌的时候。\n\n\
         投资有风险，入市需谨慎。\n",
    )
    .unwrap();
    let empty = dir.path().join("空文件.mp4");
    std::fs::write(&empty, b"").unwrap();
    let shots = shots();
    let _ = std::fs::remove_dir_all(&shots);

    let display = Display::start();
    let driver = Driver::start(&display, &data);
    let app = driver.open().await;
    wait_text(&app, "#title", 30, |t| t.contains("一鱼多吃")).await;

    // People: an editor and a reviewer, made in Settings.
    add_person(&app, "编辑小李", "editor").await;
    add_person(&app, "审核老王", "reviewer").await;
    act_as(&app, "编辑小李").await;

    // Library: a bad file shows the engine's error; the real master imports with its thumbnail.
    click(&app, "#tab-library").await;
    set_value(&app, "#import-path", empty.to_str().unwrap()).await;
    click(&app, "#import-button").await;
    let err = wait_text(&app, "#import-error", 20, |t| !t.is_empty()).await;
    // In Chinese, from the message catalog, naming the file once.
    assert!(err.contains("是空文件（0 字节）") && err.matches("空文件.mp4").count() == 1, "{err}");
    assert!(!err.contains("the file is empty") && !err.contains("input_empty"), "{err}");
    screenshot(&app, &shots, "01-bad-file").await;
    set_value(&app, "#import-path", master.to_str().unwrap()).await;
    click(&app, "#import-button").await;
    let row = wait_text(&app, "#masters tbody tr", 30, |t| t.contains("0:20")).await;
    assert!(row.contains("路演 talk's: 2026.mp4") && row.contains("640×360"), "{row}");
    let thumb = app.find(Locator::Css("#masters img.thumb")).await.unwrap();
    let loaded =
        app.execute("return arguments[0].naturalWidth", vec![serde_json::to_value(&thumb).unwrap()]).await.unwrap();
    assert_eq!(loaded, 320, "the thumbnail loads through the asset protocol");
    screenshot(&app, &shots, "02-library").await;

    // An article: a sanitised preview, then Xiaohongshu cards with live counters.
    set_value(&app, "#import-path", article.to_str().unwrap()).await;
    click(&app, "#import-button").await;
    wait_text(&app, "#masters tbody", 20, |t| t.contains("定投 入门.md")).await;
    click(&app, "#masters tbody tr:first-child button").await;
    // The preview is rendered after the click's command answers.
    find(&app, ".article-preview").await;
    let html =
        app.execute("return document.querySelector('.article-preview').innerHTML", vec![]).await.unwrap().to_string();
    assert!(html.contains("纪律") && !html.contains("<script") && !html.contains("href=\"javascript"), "{html}");
    click(&app, "#tab-notes").await;
    click(&app, "#make-note").await;
    wait_text(&app, ".counter", 60, |t| t.contains("/ 20")).await;
    let cards = app
        .execute("return [...document.querySelectorAll('#cards img')].map(i => i.naturalWidth)", vec![])
        .await
        .unwrap();
    assert!(cards.as_array().is_some_and(|c| !c.is_empty() && c.iter().all(|w| w == 1080)), "{cards}");
    set_value(&app, "#note-title", "一二三四五六七八九十一二三四五六七八九十一").await;
    wait_text(&app, ".counter", 10, |t| t.starts_with("21 / 20")).await;
    screenshot(&app, &shots, "02b-notes").await;
    click(&app, "#tab-library").await;

    // Editor: Douyin only, from 3.5 s; the preview shows the frame, safe zones and the disclaimer.
    click(&app, ".open-master").await;
    for other in ["xiaohongshu", "bilibili"] {
        let css = format!(".platform[data-platform={other}] input[type=checkbox]");
        let el = find(&app, &css).await;
        // Below the fold: a script click, as keyboard users toggle it with Space.
        app.execute("arguments[0].click()", vec![serde_json::to_value(&el).unwrap()]).await.unwrap();
        assert_eq!(el.prop("checked").await.unwrap().as_deref(), Some("false"), "{other} unchecked");
    }
    set_value(&app, ".platform[data-platform=douyin] input.in", "3.5").await;
    let summary = wait_text(&app, ".platform[data-platform=douyin] p.small", 20, |t| t.contains("0:03.50")).await;
    assert!(summary.contains("1080×1920") && summary.contains("0:15.00"), "{summary}");
    let overlay = app.find(Locator::Css(".platform[data-platform=douyin] img.overlay")).await.unwrap();
    let overlay_loaded = app
        .execute("return arguments[0].naturalWidth > 0", vec![serde_json::to_value(&overlay).unwrap()])
        .await
        .unwrap();
    assert_eq!(overlay_loaded, true, "the engine's own disclaimer picture is drawn in the preview");
    // The player plays the master (streamed over loopback) and the preview draws its frame.
    let started = std::time::Instant::now();
    loop {
        let state = app
            .execute(
                "const v = document.querySelector('video'); return [v.readyState, v.error && v.error.code]",
                vec![],
            )
            .await
            .unwrap();
        if state[0].as_u64().unwrap_or(0) >= 2 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the player never loaded the master: {state}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.execute("const v = document.querySelector('video'); v.currentTime = 5;", vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let lit = app
        .execute(
            "const c = document.querySelector('.platform[data-platform=douyin] canvas');              const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;              let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2];              return s / (d.length / 4) / 3;",
            vec![],
        )
        .await
        .unwrap();
    assert!(lit.as_f64().unwrap() > 40.0, "the preview shows the picture, not black: mean {lit}");
    screenshot(&app, &shots, "03-editor").await;

    // Render and watch progress reach 100 %, with the cover listed.
    click(&app, "#render-button").await;
    attr_is(&app, "#jobs tbody tr[data-platform=douyin]", "data-state", "done", 120).await;
    wait_text(&app, "#jobs tbody tr[data-platform=douyin] .percent", 10, |t| t == "100%").await;
    let cover = app.find(Locator::Css("#jobs tbody tr[data-platform=douyin] img.cover")).await.unwrap();
    let cover_w =
        app.execute("return arguments[0].naturalWidth", vec![serde_json::to_value(&cover).unwrap()]).await.unwrap();
    assert_eq!(cover_w, 1080);
    screenshot(&app, &shots, "04-rendered").await;

    // Review: the editor sends it; the reviewer approves.
    click(&app, "#tab-review").await;
    click(&app, "#variants button[data-platform=douyin]").await;
    set_value(&app, "#variant-title", "三分钟看懂定投").await;
    click(&app, "#review-detail form button[type=submit]").await;
    // The screen reloads the variant after saving; submit what it then shows.
    wait_text(&app, "#review-detail [role=status]", 10, |t| t.contains("已保存")).await;
    // The screen runs one action at a time: the button takes a click once the reload after saving is done.
    click_once_enabled(&app, "#submit-review", 10, "submit stays disabled after the save").await;
    attr_is(&app, "#review-detail", "data-state", "in_review", 20).await;
    act_as(&app, "审核老王").await;
    click(&app, "#tab-review").await;
    click(&app, "#variants button[data-platform=douyin]").await;
    // The reviewer plays the rendered file itself, and sees the hash the approval records.
    let sha = wait_text(&app, "#review-sha", 10, |t| t.len() == 64).await;
    let done = {
        let studio = studio_engine::Studio::open(studio_engine::StudioConfig::new(data.clone())).unwrap();
        let jobs = studio.store().unwrap().jobs().unwrap();
        jobs.into_iter().find(|j| j.platform == "douyin" && j.sha256.is_some()).unwrap()
    };
    assert_eq!(Some(sha.as_str()), done.sha256.as_deref(), "the hash shown is the rendered file's");
    app.execute("const v = document.querySelector('#review-video'); v.muted = true; v.play();", vec![]).await.unwrap();
    let started = std::time::Instant::now();
    loop {
        let s = app
            .execute("const v = document.querySelector('#review-video'); return [v.currentTime, v.error ? v.error.code : 0];", vec![])
            .await
            .unwrap();
        assert_eq!(s[1].as_u64(), Some(0), "the review player reports no error: {s}");
        if s[0].as_f64().unwrap_or(0.0) > 1.0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the rendered video never played: {s}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.execute("document.querySelector('#review-video').pause();", vec![]).await.unwrap();
    // The timeline marks where the disclaimer is on screen (the whole clip here); a click seeks there.
    let windows = app
        .execute("return document.querySelectorAll('.review-timeline .window.disclaimer').length", vec![])
        .await
        .unwrap();
    assert_eq!(windows.as_u64(), Some(1), "one disclaimer window on the timeline");
    click(&app, ".review-timeline .window.disclaimer").await;
    let at = app.execute("return document.querySelector('#review-video').currentTime", vec![]).await.unwrap();
    assert!(at.as_f64().unwrap() < 0.5, "the click seeks to the window's start: {at}");
    screenshot(&app, &shots, "05a-review-plays").await;
    // Approved from the keyboard (Alt+A), as the screen shows it.
    app.execute(
        "window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a', altKey: true, bubbles: true }))",
        vec![],
    )
    .await
    .unwrap();
    attr_is(&app, "#review-detail", "data-state", "approved", 20).await;
    let history = wait_text(&app, ".history", 10, |t| t.contains("审核老王")).await;
    assert!(history.contains("编辑小李"), "{history}");
    screenshot(&app, &shots, "05-approved").await;

    // The note's cards at full size: the editor sends them; the reviewer pages
    // through every card, jumps to a finding's card, and approves only after
    // all have been shown.
    act_as(&app, "编辑小李").await;
    click(&app, "#tab-review").await;
    click(&app, "#variants button[data-platform=xiaohongshu]").await;
    attr_is(&app, "#card-pager", "data-page", "1", 10).await;
    settled(&app).await;
    click(&app, "#submit-review").await;
    attr_is(&app, "#review-detail", "data-state", "in_review", 20).await;
    act_as(&app, "审核老王").await;
    click(&app, "#tab-review").await;
    click(&app, "#variants button[data-platform=xiaohongshu]").await;
    attr_is(&app, "#card-pager", "data-page", "1", 10).await;
    let count: usize = find(&app, "#card-pager").await.attr("data-count").await.unwrap().unwrap().parse().unwrap();
    assert!(count >= 3, "the article makes at least three cards: {count}");
    let card_state = "const i = document.querySelector('#card-image'); \
                      return [i.naturalWidth, i.naturalHeight, i.getBoundingClientRect().width, \
                      !document.querySelector('#approve').disabled]";
    let first = app.execute(card_state, vec![]).await.unwrap();
    assert_eq!((first[0].as_u64(), first[1].as_u64()), (Some(1080), Some(1440)), "a 3:4 card at full size: {first}");
    assert_eq!(first[3], false, "approval waits until every card has been shown");
    let waits = wait_text(&app, "#approve-waits", 10, |t| !t.is_empty()).await;
    assert!(waits.contains(&format!("全部 {count} 张")), "{waits}");
    // Zoom to the card's own pixels, then back to the panel's width.
    select(&app, "#card-zoom", "1").await;
    let zoomed = app.execute(card_state, vec![]).await.unwrap();
    assert_eq!(zoomed[2].as_f64(), Some(1080.0), "100 % shows the card's own pixels: {zoomed}");
    screenshot(&app, &shots, "05b-card-zoomed").await;
    select(&app, "#card-zoom", "0").await;
    // The finding in the last section is on the last card: a click lands there.
    let finding = find(&app, ".findings li[data-place=card]").await;
    let named = finding.text().await.unwrap();
    assert!(named.contains(&format!("第 {count} 张卡片")) && !named.contains("card "), "{named}");
    finding.find(Locator::Css("button.goto")).await.unwrap().click().await.unwrap();
    attr_is(&app, "#card-pager", "data-page", &count.to_string(), 10).await;
    wait_text(&app, "#card-position", 10, |t| t == format!("第 {count} / {count} 张")).await;
    screenshot(&app, &shots, "05c-finding-card").await;
    // The rest from the keyboard, back to the first card.
    for page in (1..count).rev() {
        app.execute(
            "document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }))",
            vec![],
        )
        .await
        .unwrap();
        attr_is(&app, "#card-pager", "data-page", &page.to_string(), 10).await;
    }
    click_once_enabled(&app, "#approve", 10, "approve stays disabled after every card was shown").await;
    attr_is(&app, "#review-detail", "data-state", "approved", 20).await;
    screenshot(&app, &shots, "05d-note-approved").await;

    // Publish: an account, and the post on 1 December (of a year that stays ahead) at 18:00.
    act_as(&app, "编辑小李").await;
    click(&app, "#tab-publish").await;
    set_value(&app, "#account-name", "理财小王").await;
    set_value(&app, "#account-handle", "licai_dy").await;
    click(&app, "#account-button").await;
    wait_text(&app, "#accounts", 10, |t| t.contains("licai_dy")).await;
    wait_text(&app, "#schedule-variant", 10, |t| t.contains("三分钟看懂定投")).await;
    let mut variant = String::new();
    for option in app.find_all(Locator::Css("#schedule-variant option")).await.unwrap() {
        if option.attr("data-platform").await.unwrap().as_deref() == Some("douyin") {
            variant = option.attr("value").await.unwrap().unwrap();
        }
    }
    assert!(!variant.is_empty(), "the Douyin variant is offered for scheduling");
    select(&app, "#schedule-variant", &variant).await;
    let account =
        app.find(Locator::Css("#schedule-account option")).await.unwrap().attr("value").await.unwrap().unwrap();
    select(&app, "#schedule-account", &account).await;
    set_value(&app, "#schedule-time", "2099-12-01T18:00").await;
    click(&app, "#schedule-button").await;
    let done = wait_text(&app, "#schedule-result", 10, |t| !t.is_empty()).await;
    assert!(done.contains("2099-12-01 18:00"), "{done}");
    // A time that has passed is planned with a warning, in Chinese.
    set_value(&app, "#schedule-time", "2020-01-01T09:00").await;
    click(&app, "#schedule-button").await;
    let warned = wait_text(&app, "#schedule-warnings", 10, |t| !t.is_empty()).await;
    assert!(warned.contains("这个时间已经过去了") && !warned.contains("already passed"), "{warned}");
    screenshot(&app, &shots, "06a-passed-time").await;
    open_december(&app).await;
    wait_text(&app, "#calendar [data-day='2099-12-01']", 10, |t| t.contains("18:00 licai_dy")).await;
    screenshot(&app, &shots, "06-scheduled").await;
    app.close().await.unwrap();

    // Quit and start again: still scheduled; then the English UI.
    let app = driver.open().await;
    wait_text(&app, "#title", 30, |t| t.contains("一鱼多吃")).await;
    open_december(&app).await;
    let day = wait_text(&app, "#calendar [data-day='2099-12-01']", 15, |t| t.contains("licai_dy")).await;
    assert!(day.contains("18:00") && day.contains("三分钟看懂定投") && day.contains("待发布"), "{day}");
    click(&app, "#lang").await;
    wait_text(&app, "#tab-publish", 10, |t| t == "Publish").await;
    wait_text(&app, "#calendar [data-day='2099-12-01']", 10, |t| t.contains("Planned")).await;
    screenshot(&app, &shots, "07-restarted-english").await;
    // The same plan as a list, per platform.
    select(&app, "#calendar-view", "list").await;
    select(&app, "#filter-platform", "douyin").await;
    let list = wait_text(&app, "#post-list tbody", 10, |t| t.contains("licai_dy")).await;
    assert!(list.contains("2099-12-01 18:00") && list.contains("Douyin") && list.contains("Planned"), "{list}");
    screenshot(&app, &shots, "07b-list").await;
    // The same notices in English.
    select(&app, "#schedule-variant", &variant).await;
    select(&app, "#schedule-account", &account).await;
    set_value(&app, "#schedule-time", "2020-01-02T09:00").await;
    click(&app, "#schedule-button").await;
    let warned = wait_text(&app, "#schedule-warnings", 10, |t| !t.is_empty()).await;
    assert!(warned.contains("this time has already passed") && !warned.contains("已经过去"), "{warned}");
    click(&app, "#tab-library").await;
    set_value(&app, "#import-path", empty.to_str().unwrap()).await;
    click(&app, "#import-button").await;
    let err = wait_text(&app, "#import-error", 20, |t| !t.is_empty()).await;
    assert!(err.contains("is empty (0 bytes)") && err.matches("空文件.mp4").count() == 1, "{err}");
    screenshot(&app, &shots, "07a-english-messages").await;
    app.close().await.unwrap();
    assert_file(&shots.join("07-restarted-english.png"));

    // Posted and measured (as the CLI would record it); the Results tab charts it.
    {
        let studio = studio_engine::Studio::open(studio_engine::StudioConfig::new(data.clone())).unwrap();
        let mut store = studio.store().unwrap();
        let editor = store.person("编辑小李").unwrap();
        let post = store
            .posts()
            .unwrap()
            .iter()
            .find(|p| p.scheduled_at.as_deref().is_some_and(|t| t.starts_with("2099")))
            .unwrap()
            .id;
        store
            .mark_published(post, Some("https://v.douyin.com/x/"), studio_engine::jiff::Timestamp::now(), &editor)
            .unwrap();
        let counts = studio_engine::store::Counts { views: Some(12_000), likes: Some(480), ..Default::default() };
        let captured = (studio_engine::jiff::Timestamp::now() + studio_engine::jiff::SignedDuration::from_hours(1))
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        store.record_metrics(post, &captured, &counts, "manual").unwrap();
    }
    let app = driver.open().await;
    wait_text(&app, "#title", 30, |t| t.contains("one master")).await;
    click(&app, "#tab-results").await;
    let row = wait_text(&app, "#report tbody", 15, |t| t.contains("douyin")).await;
    assert!(row.contains("12,000") && row.contains("4.00%"), "{row}");
    let started = std::time::Instant::now();
    while app.execute("return !!document.querySelector('#report-chart canvas')", vec![]).await.unwrap() != true {
        assert!(started.elapsed() < Duration::from_secs(10), "the chart is drawn");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    screenshot(&app, &shots, "08-results").await;

    // Settings for this computer: a wrong ffmpeg and a relative folder are
    // refused with the reason; a new data folder and a font apply at once and
    // are remembered; an empty folder choice returns to the one the app started on.
    click(&app, "#tab-settings").await;
    set_value(&app, "#ffmpeg-choice", empty.to_str().unwrap()).await;
    click(&app, "#machine-apply").await;
    let err = wait_text(&app, "#machine-error", 10, |t| !t.is_empty()).await;
    // (The English UI, chosen before the restart.) Worded by its own entry, naming the file once.
    assert!(err.contains("did not run `-version`") && err.matches("空文件.mp4").count() == 1, "{err}");
    set_value(&app, "#ffmpeg-choice", "").await;
    set_value(&app, "#data-dir-choice", "relative/folder").await;
    click(&app, "#machine-apply").await;
    wait_text(&app, "#machine-error", 10, |t| t.contains("give the data folder as a full path")).await;
    let other = dir.path().join("另一个 \"工作室\": 2");
    set_value(&app, "#data-dir-choice", other.to_str().unwrap()).await;
    set_value(&app, "#font-path", NOTO_CJK).await;
    click(&app, "#font-add").await;
    click(&app, "#machine-apply").await;
    // The window reloads on the new folder and stays on Settings.
    wait_text(&app, "#data-dir", 15, |t| t == other.to_str().unwrap()).await;
    wait_text(&app, "#font-files", 10, |t| t.contains("Noto Sans CJK SC")).await;
    wait_text(&app, "#toast", 10, |t| t.contains(other.to_str().unwrap())).await;
    screenshot(&app, &shots, "09-settings-switched").await;
    assert!(other.join("studio.db").is_file(), "a studio was opened in the new folder");
    let saved =
        std::fs::read_to_string(data.with_extension("webview-config").join("repurpose-studio/machine.json")).unwrap();
    let saved: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(saved["data_dir"], other.to_str().unwrap());
    assert_eq!(saved["font_files"][0], NOTO_CJK);
    click(&app, "#tab-library").await;
    wait_text(&app, "#library-empty", 10, |_| true).await;
    click(&app, "#tab-settings").await;
    set_value(&app, "#data-dir-choice", "").await;
    click(&app, "#machine-apply").await;
    wait_text(&app, "#data-dir", 15, |t| t == data.to_str().unwrap()).await;
    click(&app, "#tab-library").await;
    wait_text(&app, "#masters tbody", 10, |t| t.contains("路演 talk's: 2026.mp4")).await;
    app.close().await.unwrap();
}

/// Installed by `scripts/setup` (fonts-noto-cjk).
const NOTO_CJK: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

fn assert_file(path: &Path) {
    assert!(std::fs::metadata(path).map(|m| m.len() > 10_000).unwrap_or(false), "{} saved", path.display());
}

/// A private D-Bus session with Debian's dunst as the notification daemon;
/// both stopped on drop.
struct Notifications {
    bus: std::process::Child,
    daemon: std::process::Child,
    address: String,
}

impl Notifications {
    fn start(display: &Display) -> Self {
        use std::io::BufRead;
        let mut bus = std::process::Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("dbus-daemon runs (scripts/setup --app installs it)");
        let mut address = String::new();
        std::io::BufReader::new(bus.stdout.take().unwrap()).read_line(&mut address).unwrap();
        let address = address.trim().to_owned();
        let daemon = std::process::Command::new("dunst")
            .env("DISPLAY", &display.name)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("dunst runs (scripts/setup --app installs it)");
        let me = Self { bus, daemon, address };
        wait_for(20.0, "dunst on the private bus", || me.ctl(&["is-paused"]).is_some());
        me
    }

    fn ctl(&self, args: &[&str]) -> Option<String> {
        let out = std::process::Command::new("dunstctl")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// (summary, body) of every notification dunst has shown or holds.
    fn received(&self) -> Vec<(String, String)> {
        // dunst moves a notification to its history only once it is closed.
        let _ = self.ctl(&["close-all"]);
        let history: serde_json::Value =
            self.ctl(&["history"]).and_then(|h| serde_json::from_str(&h).ok()).unwrap_or_default();
        let field = |n: &serde_json::Value, k: &str| n[k]["data"].as_str().unwrap_or_default().to_owned();
        history["data"][0].as_array().into_iter().flatten().map(|n| (field(n, "summary"), field(n, "body"))).collect()
    }
}

impl Drop for Notifications {
    fn drop(&mut self) {
        for child in [&mut self.daemon, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_batch_that_ends_while_the_window_is_in_the_background_raises_an_os_notification() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    drop(fast_studio(&data));
    let master = dir.path().join("m.mp4");
    // Long enough (a 15 s clip) that the render is still running when the focus goes.
    make_master(&master, &Master { seconds: 20.0, ..Master::default() });
    let out = dir.path().join("out");
    let queued = studio_cmd(
        &data,
        &["render", master.to_str().unwrap(), "--no-run", "--platforms", "douyin", "--out", out.to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert!(queued.status.success(), "{}", String::from_utf8_lossy(&queued.stderr));

    let display = Display::start();
    let notifications = Notifications::start(&display);
    let driver = Driver::start_with(&display, &data, &[("DBUS_SESSION_BUS_ADDRESS", &notifications.address)]);
    // The queued job starts as the window opens; the user then switches to another program.
    let app = driver.open().await;
    wait_text(&app, "#title", 30, |t| t.contains("一鱼多吃")).await;
    display.take_focus_away();
    let toast = wait_text(&app, "#toast", 120, |t| t.contains("本批渲染结束")).await;
    assert!(toast.contains("1 个完成"), "the in-app notice is kept: {toast}");
    let mut got = Vec::new();
    let started = std::time::Instant::now();
    while got.is_empty() && started.elapsed() < std::time::Duration::from_secs(20) {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        got = notifications.received();
    }
    assert_eq!(
        got,
        [("渲染完成".to_owned(), "1 个视频已渲染完成，可以去审核了。".to_owned())],
        "the OS notification's title and body; the app's log says:\n{}",
        std::fs::read_to_string(data.with_extension("logs").join("app.log")).unwrap_or_default()
    );
    app.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn the_app_killed_during_a_render_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    drop(fast_studio(&data));
    let master = dir.path().join("m.mp4");
    make_master(&master, &Master { seconds: 30.0, ..Master::default() });
    let out = dir.path().join("out");
    let queued = studio_cmd(
        &data,
        &["render", master.to_str().unwrap(), "--no-run", "--platforms", "bilibili", "--out", out.to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert!(queued.status.success(), "{}", String::from_utf8_lossy(&queued.stderr));
    let db = data.join("studio.db");
    let job = studio_engine::store::Store::open(&db).unwrap().jobs().unwrap().remove(0);

    let display = Display::start();
    let driver = Driver::start(&display, &data);
    let app = driver.open().await;
    wait_text(&app, "#title", 30, |t| t.contains("一鱼多吃")).await;
    wait_for(60.0, "the app to be rendering", || {
        let j = studio_engine::store::Store::open(&db).unwrap().job(job.id).unwrap();
        j.state == studio_engine::store::JobState::Running && j.progress > 3.0
    });
    let pids = studio_e2e::window::app_pids(&data);
    assert_eq!(pids.len(), 1, "the app's process");
    for pid in &pids {
        assert!(std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap().success());
    }
    // Gone means reaped, or a zombie with no thread left: a dying process's
    // command line empties (its memory goes first) and its leader turns
    // zombie while other threads still exit; the files, the runner lock among
    // them, close only with the last thread.
    let exited = |pid: &u32| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let zombie = stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with(['Z', 'X']));
        let threads = std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count());
        stat.is_empty() || (zombie && threads <= 1)
    };
    wait_for(10.0, "the app to be gone", || pids.iter().all(exited));
    wait_for(5.0, "ffmpeg to die with the app", || processes_mentioning(out.to_str().unwrap()).is_empty());
    drop(app);
    drop(driver);
    let resumed = studio_cmd(&data, &["run"]).output().unwrap();
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    let done = studio_engine::store::Store::open(&db).unwrap().job(job.id).unwrap();
    assert_eq!((done.state, done.attempts), (studio_engine::store::JobState::Done, 2));
    let verify = studio_cmd(&data, &["jobs", "verify"]).output().unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    assert!(!studio_engine::render::partial_path(&job.output_path).exists(), "no partial file is left");
    println!("app kills survived / kills tried: 1 / 1");
}

#[tokio::test(flavor = "current_thread")]
async fn settings_lists_snapshots_and_restores_a_damaged_database_in_two_steps() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for args in [&["people", "add", "审核老王", "--role", "reviewer"][..], &["backup"]] {
        let out = studio_cmd(&data, args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let db = data.join("studio.db");
    std::fs::write(&db, "这不是数据库\n".repeat(200)).unwrap();
    let damaged = std::fs::read(&db).unwrap();

    let display = Display::start();
    let driver = Driver::start(&display, &data);
    let app = driver.open().await;
    // Step one: the window says what is wrong at once and leads to the restore.
    let banner = wait_text(&app, "#database-damaged", 30, |t| t.contains("已原样保留")).await;
    assert!(banner.contains("studio restore"), "{banner}");
    click(&app, "#go-restore").await;
    let row = wait_text(&app, "#snapshots tbody tr", 20, |t| !t.is_empty()).await;
    assert!(row.contains("手动"), "the snapshot, its time and reason: {row}");
    wait_text(&app, "#database-problem", 20, |t| t.contains("已原样保留")).await;
    assert_eq!(std::fs::read(&db).unwrap(), damaged, "nothing touched the damaged file");
    screenshot(&app, &shots(), "20-damaged-database").await;
    let tab = app.find(Locator::Css("#tab-settings")).await.unwrap().attr("aria-selected").await.unwrap();
    assert_eq!(tab.as_deref(), Some("true"), "Settings is open");

    // Step two: restore (with a second click to confirm).
    click(&app, "#snapshots .restore").await;
    click(&app, "#snapshots .confirm-restore").await;
    wait_text(&app, "#toast", 30, |t| t.contains("已恢复")).await;
    assert!(app.find(Locator::Css("#database-damaged")).await.is_err(), "the banner is gone");
    click(&app, "#tab-settings").await;
    wait_text(&app, "#actor", 20, |t| t.contains("审核老王")).await;
    click(&app, "#backup-now").await;
    wait_text(&app, "#backup-message", 30, |t| t.contains("studio-")).await;
    let rows = app.find_all(Locator::Css("#snapshots tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 2, "the new snapshot is listed");
    app.close().await.unwrap();
    let kept = std::fs::read_dir(data.join("replaced"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "db"))
        .unwrap();
    assert!(std::fs::read(&kept).unwrap() == damaged, "the damaged file was kept aside as {}", kept.display());
}

/// Team mode in the window: Settings → 团队 joins the team database with the
/// editor's own login (a server the test starts), this laptop's draft goes to
/// the team's review from the Review screen, and the server refuses the
/// editor's approval there; the reviewer on another laptop sees it through the CLI.
#[tokio::test(flavor = "current_thread")]
async fn settings_joins_a_team_and_a_draft_goes_to_the_team_review() {
    let cluster = studio_e2e::pg::Cluster::start();
    cluster.create_database("团队");
    let dir = tempfile::tempdir().unwrap();
    let owner_url = cluster.url_as(studio_e2e::pg::OWNER, "", "团队").replacen(":@", "@", 1);
    let password = "编辑的 pass 'w0rd'";
    for (name, role) in [("编辑小李", "editor"), ("审核老王", "reviewer")] {
        let out = studio_cmd(
            &dir.path().join("owner"),
            &["--database", &owner_url, "team", "add-member", name, "--role", role],
        )
        .env("PGPASSWORD", studio_e2e::pg::OWNER_PASSWORD)
        .env("STUDIO_MEMBER_PASSWORD", password)
        .output()
        .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    // A note made on this laptop, solo.
    let data = dir.path().join("laptop");
    let md = dir.path().join("定投.md");
    std::fs::write(
        &md,
        "---\ntitle: 定投入门\ntags: [基金]\n---\n\n定投的核心在于纪律。\n\n投资有风险，入市需谨慎。\n",
    )
    .unwrap();
    let cards = dir.path().join("cards");
    let out = studio_cmd(
        &data,
        &["--json", "notes", md.to_str().unwrap(), "--platforms", "xiaohongshu", "--out", cards.to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let local = made[0]["variant"].as_i64().unwrap();

    let display = Display::start();
    let driver = Driver::start(&display, &data);
    let app = driver.open().await;
    click(&app, "#tab-settings").await;
    let editor_url = cluster.url_as("编辑小李", "", "团队").replacen(":@", "@", 1);
    set_value(&app, "#team-address", &format!("{editor_url}?password=x")).await;
    click(&app, "#team-join").await;
    wait_text(&app, "#team-error", 20, |t| t.contains("PGPASSWORD")).await;
    set_value(&app, "#team-address", &editor_url).await;
    set_value(&app, "#team-password", "wrong password").await;
    click(&app, "#team-join").await;
    wait_text(&app, "#team-error", 20, |t| t.contains("拒绝了登录")).await;
    set_value(&app, "#team-password", password).await;
    click(&app, "#team-join").await;
    let connected = wait_text(&app, "#team-connected", 30, |t| t.contains("编辑小李")).await;
    assert!(connected.contains("编辑"), "{connected}");
    wait_text(&app, "#team-members", 10, |t| t.contains("审核老王")).await;
    app.execute("document.querySelector('#team-form').scrollIntoView()", vec![]).await.unwrap();
    screenshot(&app, &shots(), "30-team-settings").await;
    let saved =
        std::fs::read_to_string(data.with_extension("webview-config").join("repurpose-studio/machine.json")).unwrap();
    assert!(
        saved.contains(&editor_url) && !saved.contains(password),
        "the address is saved, the password is not: {saved}"
    );

    click(&app, "#tab-review").await;
    click(&app, &format!("#local-drafts [data-send='{local}']")).await;
    let status = wait_text(&app, "#review-detail [role=status]", 60, |t| t.contains("团队稿件")).await;
    assert!(status.contains("#1"), "{status}");
    attr_is(&app, "#review-detail", "data-state", "in_review", 20).await;
    wait_text(&app, "#local-drafts", 10, |t| t.contains("已送审为团队 #1")).await;
    // The editor's login cannot approve, whatever the window offers (once it
    // has shown every card of the team's copy).
    let count: usize = find(&app, "#card-pager").await.attr("data-count").await.unwrap().unwrap().parse().unwrap();
    for page in 2..=count {
        click(&app, "#card-next").await;
        attr_is(&app, "#card-pager", "data-page", &page.to_string(), 10).await;
    }
    click_once_enabled(&app, "#approve", 20, "approve stays disabled after every card was shown").await;
    let refused = wait_text(&app, "#review-error", 20, |t| !t.is_empty()).await;
    attr_is(&app, "#review-detail", "data-state", "in_review", 5).await;
    assert!(!refused.contains("已通过"), "{refused}");
    screenshot(&app, &shots(), "31-team-review").await;
    app.close().await.unwrap();

    // The reviewer, on another laptop, has the cards the window sent.
    let reviewer_url = cluster.url_as("审核老王", "", "团队").replacen(":@", "@", 1);
    let out = studio_cmd(&dir.path().join("laptop B"), &["--json", "--database", &reviewer_url, "review", "1"])
        .env("PGPASSWORD", password)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["variant"]["review_state"], "in_review");
    assert!(shown["files"].as_array().unwrap().iter().any(|f| f["name"] == "card-01.png"), "{shown}");
}

#[tokio::test(flavor = "current_thread")]
async fn the_editor_adds_subtitles_shows_the_caption_of_the_frame_and_applies_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let studio = fast_studio(&data);
    let master = dir.path().join("讲座.mp4");
    make_master(&master, &Master::default());
    studio.import_master(&master, "default").unwrap();
    drop(studio);
    // GB18030, as a Chinese captioning tool may save it.
    let srt = dir.path().join("讲座 字幕.srt");
    let text = "1\r\n00:00:02,000 --> 00:00:04,000\r\n大家好\r\n\r\n2\r\n00:00:07,000 --> 00:00:09,500\r\n干货：三个误区\r\n\r\n3\r\n00:00:12,000 --> 00:00:14,000\r\n为什么很多人亏钱？\r\n";
    std::fs::write(&srt, encoding_rs::GB18030.encode(text).0).unwrap();

    let display = Display::start();
    let driver = Driver::start(&display, &data);
    let app = driver.open().await;
    wait_text(&app, "#title", 30, |t| t.contains("一鱼多吃")).await;
    click(&app, "#tab-editor").await;
    wait_text(&app, "#subtitles-status", 20, |t| t.contains("还没有字幕")).await;
    set_value(&app, "#subtitles-path", srt.to_str().unwrap()).await;
    settled(&app).await;
    click(&app, "#subtitles-add").await;
    let status = wait_text(&app, "#subtitles-status", 20, |t| t.contains("3 条字幕")).await;
    assert!(status.contains("gb18030"), "{status}");

    // At 8 s the Douyin preview shows cue 2's picture; at 10.5 s, between cues, none.
    let caption = "[data-platform='douyin'] img.caption";
    let seek = |t: f64| format!("const v = document.querySelector('video'); v.currentTime = {t};");
    app.execute(&seek(8.0), vec![]).await.unwrap();
    find(&app, caption).await;
    screenshot(&app, &shots(), "40-editor-caption").await;
    app.execute(&seek(10.5), vec![]).await.unwrap();
    let started = std::time::Instant::now();
    while app.find(Locator::Css(caption)).await.is_ok() {
        assert!(started.elapsed() < Duration::from_secs(10), "no caption between cues");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    click(&app, "#suggest-button").await;
    let first = find(&app, "#suggestions li:first-child button.use").await;
    let start = first.attr("data-start").await.unwrap().unwrap();
    first.click().await.unwrap();
    let started = std::time::Instant::now();
    loop {
        let value =
            find(&app, "[data-platform='douyin'] input.in").await.prop("value").await.unwrap().unwrap_or_default();
        if value.parse::<f64>().ok() == start.parse::<f64>().ok() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the in point became {start}, is {value}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    screenshot(&app, &shots(), "41-editor-suggestion").await;

    // The master is marked as AI-made: the preview draws the engine's label
    // picture and the mark is stored, attributed to the person acting.
    add_person(&app, "编辑小李", "editor").await;
    click(&app, "#tab-editor").await;
    wait_text(&app, "#ai-status", 10, |t| t.contains("未标识")).await;
    click(&app, "#ai-mark input.ai-kind[value='virtual-presenter']").await;
    click(&app, "#ai-save").await;
    wait_text(&app, "#ai-status", 10, |t| t.contains("已标识：本视频含AI生成内容")).await;
    find(&app, "[data-platform='douyin'] img.ai-label").await;
    let started = std::time::Instant::now();
    while app
        .execute("const i = document.querySelector('[data-platform=douyin] img.ai-label'); return i.complete && i.naturalWidth > 0", vec![])
        .await
        .unwrap()
        != serde_json::Value::Bool(true)
    {
        assert!(started.elapsed() < Duration::from_secs(10), "the AI label picture loads in the preview");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    screenshot(&app, &shots(), "42-editor-ai-label").await;

    // Start-end timing: the preview shows the disclaimer only in its windows
    // (0–5 s and 10–15 s of the 15 s clip from the master's start).
    set_value(&app, "[data-platform='douyin'] input.in", "0").await;
    select(&app, "[data-platform='douyin'] select.disclaimer-at", "start-end").await;
    let disclaimer = "[data-platform='douyin'] img.disclaimer";
    for (at, shown) in [(7.0, false), (2.0, true), (12.0, true)] {
        app.execute(&seek(at), vec![]).await.unwrap();
        let started = std::time::Instant::now();
        while app.find(Locator::Css(disclaimer)).await.is_ok() != shown {
            assert!(started.elapsed() < Duration::from_secs(10), "disclaimer shown at {at} s of the clip: {shown}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let studio = fast_studio(&data);
    let store = studio.store().unwrap();
    let id = studio.masters().unwrap()[0].id;
    let mark = store.master_ai(id).unwrap().expect("the master is marked");
    assert_eq!(mark.kinds, vec![studio_engine::ai_label::AiKind::VirtualPresenter]);
    let audit = store.audit_entries(Some(("master", id))).unwrap();
    assert!(
        audit.iter().any(|r| r.action == "ai-mark" && r.actor == "编辑小李"),
        "the mark is in the audit trail, by the person acting"
    );
}

/// A smart-rendered full version (copied GOPs and re-encoded ones, their
/// parameter sets in band) plays in the review screen's player across both
/// joins, and its frames are pictures, not black.
#[tokio::test(flavor = "current_thread")]
async fn a_smart_rendered_full_version_plays_in_the_window_across_its_joins() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    full_small_profile(&data);
    let studio = fast_studio(&data);
    let master = dir.path().join("录制 OBS.mp4");
    recorded_master(&master, 30.0, (640, 360), 2, true);
    let out = dir.path().join("out");
    let (_, jobs) = render(&studio, &master, &["full-small"], &request(&studio, None), &out);
    let method = jobs[0].method.clone().map(|m| m.text).unwrap_or_default();
    assert!(method.starts_with("smart: 2 windows re-encoded (0:00–0:06, 0:24–0:30)"), "{method}");
    drop(studio);

    // The reviewer's player: the very file the approval would record.
    let display = Display::start();
    let driver = Driver::start(&display, &data);
    let app = driver.open().await;
    wait_text(&app, "#title", 30, |t| t.contains("一鱼多吃")).await;
    click(&app, "#tab-review").await;
    click(&app, "#variants button[data-platform=full-small]").await;
    find(&app, "#review-video").await;
    let state = "const v = document.querySelector('#review-video'); \
                 return [v.currentTime, v.readyState, v.error ? v.error.code : 0, v.paused, v.seeking];";
    // Across the first join (6 s), then the second (24 s).
    for (from, past) in [(5.0, 6.8), (23.0, 24.8)] {
        let seek =
            format!("const v = document.querySelector('#review-video'); v.muted = true; v.currentTime = {from};");
        app.execute(&seek, vec![]).await.unwrap();
        let started = std::time::Instant::now();
        let mut asked = None;
        loop {
            let s = app.execute(state, vec![]).await.unwrap();
            assert_eq!(s[2].as_u64(), Some(0), "the player reports no error: {s}");
            if s[0].as_f64().unwrap_or(0.0) > past {
                break;
            }
            // Play once the seek has landed; ask again if it has not started
            // after a few seconds (a loaded machine may drop the first request).
            let seeking = s[4].as_bool().unwrap_or(true);
            if !seeking && asked.is_none_or(|t: std::time::Instant| t.elapsed() > Duration::from_secs(4)) {
                app.execute("document.querySelector('#review-video').play();", vec![]).await.unwrap();
                asked = Some(std::time::Instant::now());
            }
            assert!(started.elapsed() < Duration::from_secs(30), "playback never passed {past} s: {s}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let lit = app
            .execute(
                "const v = document.querySelector('#review-video'); const c = document.createElement('canvas'); \
                 c.width = 160; c.height = 90; const g = c.getContext('2d'); g.drawImage(v, 0, 0, 160, 90); \
                 const d = g.getImageData(0, 0, 160, 90).data; let s = 0; \
                 for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2]; return s / (d.length / 4) / 3;",
                vec![],
            )
            .await
            .unwrap();
        assert!(lit.as_f64().unwrap() > 40.0, "a picture after the join at {past} s, not black: mean {lit}");
    }
    app.execute("document.querySelector('#review-video').pause();", vec![]).await.unwrap();
    screenshot(&app, &shots(), "43-smart-render-plays").await;
}
