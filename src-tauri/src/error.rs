//! Errors as they cross IPC: a stable code the UI can switch on, the
//! catalog key and parameters it words the error from (zh-CN or English,
//! `assets/messages/`), and the engine's English sentence as the fallback.

use std::collections::BTreeMap;

use serde::Serialize;
use studio_engine::EngineError;
use studio_engine::message::Notice;
use ts_rs::TS;

/// `{ code, message, key, params }` on the TypeScript side.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct IpcError {
    pub code: String,
    /// English; shown only when the catalogs lack `key`.
    pub message: String,
    /// The catalog entry that words it (usually `code`).
    pub key: String,
    pub params: BTreeMap<String, String>,
}

impl From<EngineError> for IpcError {
    fn from(e: EngineError) -> Self {
        Self::from_notice(e.code(), e.notice())
    }
}

impl IpcError {
    /// A bad argument from the UI, worded by its own catalog entry, with
    /// the same code (`invalid_argument`) the engine uses.
    pub fn refused(n: Notice) -> Self {
        EngineError::Refused(n).into()
    }

    /// An error the shell words itself, with `code` for the UI to switch on.
    pub fn from_notice(code: &str, n: Notice) -> Self {
        Self { code: code.to_owned(), message: n.text, key: n.code, params: n.params }
    }
}

/// A notice (warning, plan note, clash) as the UI words it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct NoticeView {
    pub code: String,
    pub params: BTreeMap<String, String>,
    /// English; shown only when the catalogs lack `code`.
    pub text: String,
    /// What the `{parts}` slot lists, each worded on its own.
    pub parts: Vec<NoticeView>,
}

impl From<Notice> for NoticeView {
    fn from(n: Notice) -> Self {
        Self {
            code: n.code,
            params: n.params,
            text: n.text,
            parts: n.parts.into_iter().map(NoticeView::from).collect(),
        }
    }
}

/// Notices for a view.
pub fn notices(list: impl IntoIterator<Item = Notice>) -> Vec<NoticeView> {
    list.into_iter().map(NoticeView::from).collect()
}
