//! Reprise's settings, layered as the Job Processing API did: defaults in code, then a file, then the
//! environment.
//!
//! The file is `$APP_CONFIG_PATH/$APP_CONFIG_FILENAME.{toml,yaml,json}` (defaults `config/` and the value
//! of `ENV`, itself defaulting to `local`). Environment variables `REPRISE_SECTION__KEY` override any
//! value; `REPRISE_SECTION__KEY_FILE` reads the value from a file, for secrets.

mod layers;
mod model;

pub use layers::{SettingsError, load, load_from};
pub use model::*;
