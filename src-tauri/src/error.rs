//! Errors as they cross IPC: a stable code the UI can switch on, and the
//! engine's message for people.

use serde::Serialize;
use studio_engine::EngineError;
use ts_rs::TS;

/// `{ code, message }` on the TypeScript side.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct IpcError {
    pub code: String,
    pub message: String,
}

impl From<EngineError> for IpcError {
    fn from(e: EngineError) -> Self {
        Self { code: e.code().to_owned(), message: e.to_string() }
    }
}

impl IpcError {
    /// A bad argument from the UI, with the same code the engine uses.
    pub fn invalid(message: String) -> Self {
        EngineError::InvalidArgument(message).into()
    }
}
