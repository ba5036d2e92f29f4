//! The fuzz targets' bodies, in a plain library so the corpora can be
//! replayed by an ordinary test (`tests/fuzz_corpora.rs` includes this file).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

include!("checks.rs");
