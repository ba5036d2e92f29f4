//! Repurpose Studio's engine: one master asset in, platform-ready variants
//! out. No UI here: the desktop shell and the `studio` CLI both call this.

pub mod ai_label;
pub mod assets;
pub mod backups;
pub mod captions;
pub mod compliance;
pub mod digest;
pub mod disclaimer;
pub mod encoders;
pub mod error;
pub mod folders;
pub mod highlights;
pub mod library;
pub mod logs;
pub mod machine;
pub mod message;
pub mod metrics;
pub mod mp4_index;
pub mod notes;
pub mod plan;
pub mod platform;
pub mod probe;
pub mod process;
pub mod text;
pub mod tools;

pub use error::{EngineError, Result};
/// Re-exported so callers name the same time types the engine uses.
pub use jiff;
pub mod package;
pub mod publish;
pub mod queue;
pub mod render;
pub mod review;
pub mod schedule;
pub mod settings;
pub mod store;
pub mod studio;
pub mod subtitles;
pub mod tabular;
pub mod team;

pub use studio::{Studio, StudioConfig};
pub mod sample;
