//! The OS notification when a batch of renders ends while the window is in
//! the background (an editor starts a long render and switches to 剪映 or a
//! browser). The in-app notice is always shown too; this only adds the OS's.

use std::sync::{Arc, Mutex, OnceLock};

use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;

/// What the runner's thread needs to notify: the app, once it is set up, and
/// the window's language (the UI tells it; zh-CN until then).
#[derive(Clone, Default)]
pub struct Notifier {
    app: Arc<OnceLock<AppHandle>>,
    locale: Arc<Mutex<String>>,
}

impl Notifier {
    pub fn attach(&self, app: AppHandle) {
        let _ = self.app.set(app);
    }

    pub fn set_locale(&self, locale: &str) {
        *self.locale.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = locale.to_owned();
    }

    /// Shows the notification unless the main window has the focus.
    pub fn batch_done(&self, done: i32, failed: i32) {
        let Some(app) = self.app.get() else { return };
        let focused = app.get_webview_window("main").and_then(|w| w.is_focused().ok()).unwrap_or(false);
        tracing::info!(done, failed, focused, "render batch ended");
        if focused {
            return;
        }
        let english = self.locale.lock().unwrap_or_else(std::sync::PoisonError::into_inner).starts_with("en");
        let (title, body) = text(english, done, failed);
        if let Err(e) = app.notification().builder().title(title).body(body).show() {
            tracing::warn!(error = %e, "the OS notification could not be shown");
        }
    }
}

fn text(english: bool, done: i32, failed: i32) -> (String, String) {
    match (english, failed) {
        (false, 0) => ("渲染完成".into(), format!("{done} 个视频已渲染完成，可以去审核了。")),
        (false, _) => (
            format!("渲染结束：{failed} 个失败"),
            format!("{done} 个完成，{failed} 个失败。打开「队列」查看原因并重试。"),
        ),
        (true, 0) => ("Renders finished".into(), format!("{done} videos rendered, ready for review.")),
        (true, _) => (
            format!("Renders ended: {failed} failed"),
            format!("{done} done, {failed} failed. Open the Queue to see why and retry."),
        ),
    }
}
