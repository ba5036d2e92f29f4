//! The desktop app driven through WebDriver in its real window (Xvfb,
//! tauri-driver, WebKitWebDriver). Screenshots of each step go to
//! `target/app-screenshots/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use fantoccini::Locator;
use studio_e2e::window::{Display, Driver, screenshot, wait_text};

fn shots() -> PathBuf {
    let target = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().parent().unwrap().to_owned();
    target.join("app-screenshots")
}

#[tokio::test(flavor = "current_thread")]
async fn the_window_opens_in_chinese_and_switches_to_english() {
    let dir = tempfile::tempdir().unwrap();
    let display = Display::start();
    let driver = Driver::start(&display, &dir.path().join("data"));
    let app = driver.open().await;
    let title = wait_text(&app, "#title", 30, |t| t.contains("一鱼多吃")).await;
    assert!(title.contains("Repurpose Studio"));
    screenshot(&app, &shots(), "01-zh").await;
    app.find(Locator::Css("#lang")).await.unwrap().click().await.unwrap();
    wait_text(&app, "#platforms-heading", 10, |t| t == "Platforms").await;
    screenshot(&app, &shots(), "02-en").await;
    app.close().await.unwrap();
}
