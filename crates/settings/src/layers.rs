//! How the layers are found and merged.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Json, Serialized, Toml, Yaml};

use crate::Settings;

const ENV_PREFIX: &str = "REPRISE_";

/// Settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A layer held a value of the wrong shape, or an unknown key.
    #[error("invalid settings: {0}")]
    Invalid(#[from] Box<figment::Error>),
    /// A `*_FILE` variable named a file that could not be read.
    #[error("cannot read {variable} from {path}: {source}")]
    SecretFile {
        /// The variable naming the file.
        variable: String,
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
}

/// Loads settings from the process's environment and the file it points to.
pub fn load() -> Result<Settings, SettingsError> {
    load_from(std::env::vars().collect())
}

/// Loads settings from the given environment (a test's, or the process's).
pub fn load_from(environment: Vec<(String, String)>) -> Result<Settings, SettingsError> {
    let lookup = |name: &str| environment.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
    let directory = PathBuf::from(lookup("APP_CONFIG_PATH").unwrap_or_else(|| "config".to_owned()));
    let filename =
        lookup("APP_CONFIG_FILENAME").or_else(|| lookup("ENV")).unwrap_or_else(|| "local".to_owned());

    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    figment = merge_file(figment, &directory, &filename);
    let ours: Vec<(String, String)> =
        environment.iter().filter(|(key, _)| key.starts_with(ENV_PREFIX)).cloned().collect();
    let known = known_paths();
    let (ours, unknown): (Vec<_>, Vec<_>) =
        ours.into_iter().partition(|(key, _)| known.contains(&dotted_path(key)));
    for (key, _) in unknown {
        tracing::warn!(variable = %key, "ignoring an environment variable that names no setting");
    }
    for (key, value) in read_secret_files(&ours)? {
        figment = figment.merge(Serialized::default(&key, value));
    }
    let plain = ours.into_iter().filter(|(key, _)| !key.ends_with("_FILE"));
    figment = figment.merge(environment_layer(plain));
    figment.extract().map_err(|error| SettingsError::Invalid(Box::new(error)))
}

fn merge_file(figment: Figment, directory: &Path, filename: &str) -> Figment {
    let base = directory.join(filename);
    figment
        .merge(Toml::file(base.with_extension("toml")))
        .merge(Yaml::file(base.with_extension("yaml")))
        .merge(Json::file(base.with_extension("json")))
}

/// Figment's `Env` provider reads the process environment; this layer reads the given variables, so
/// tests never touch the process's.
fn environment_layer(variables: impl Iterator<Item = (String, String)>) -> Figment {
    let mut figment = Figment::new();
    for (key, value) in variables {
        let Some(rest) = key.strip_prefix(ENV_PREFIX) else { continue };
        let path = rest.to_lowercase().replace("__", ".");
        let parsed: figment::value::Value = value.parse().unwrap_or(figment::value::Value::from(value));
        figment = figment.merge(Serialized::default(&path, parsed));
    }
    figment
}

fn read_secret_files(variables: &[(String, String)]) -> Result<Vec<(String, String)>, SettingsError> {
    variables
        .iter()
        .filter_map(|(key, path)| key.strip_suffix("_FILE").map(|stem| (key, stem, path)))
        .map(|(variable, stem, path)| {
            let value = std::fs::read_to_string(path).map_err(|source| SettingsError::SecretFile {
                variable: variable.clone(),
                path: path.into(),
                source,
            })?;
            Ok((dotted_path(stem), value.trim_end().to_owned()))
        })
        .collect()
}

/// `REPRISE_SECTION__KEY` (or `…_FILE`) → `section.key`.
fn dotted_path(variable: &str) -> String {
    let stem = variable.strip_suffix("_FILE").unwrap_or(variable);
    stem.trim_start_matches(ENV_PREFIX).to_lowercase().replace("__", ".")
}

fn known_paths() -> BTreeSet<String> {
    fn walk(prefix: &str, value: &serde_json::Value, into: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(fields) => {
                for (name, field) in fields {
                    let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
                    walk(&path, field, into);
                }
            }
            _ => {
                into.insert(prefix.to_owned());
            }
        }
    }
    let mut paths = BTreeSet::new();
    if let Ok(defaults) = serde_json::to_value(Settings::default()) {
        walk("", &defaults, &mut paths);
    }
    paths
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_need_no_file_and_no_environment() {
        let settings = load_from(env(&[("APP_CONFIG_PATH", "/nonexistent")])).unwrap();
        assert_eq!(settings.http.query_addr, "127.0.0.1:3000");
        assert_eq!(settings.redis.key_prefix, "reprise:");
    }

    #[test]
    fn an_environment_variable_with_double_underscores_overrides_a_nested_value() {
        let settings = load_from(env(&[
            ("APP_CONFIG_PATH", "/nonexistent"),
            ("REPRISE_REDIS__KEY_PREFIX", "t1:"),
            ("REPRISE_PROJECTOR__BATCH_SIZE", "17"),
        ]))
        .unwrap();
        assert_eq!(settings.redis.key_prefix, "t1:");
        assert_eq!(settings.projector.batch_size, 17);
    }

    #[test]
    fn the_relay_publishes_the_patterns_a_list_in_the_environment_names_and_by_default_none_is_set() {
        let defaults = load_from(env(&[("APP_CONFIG_PATH", "/nonexistent")])).unwrap();
        assert_eq!(defaults.relay.publish, None);
        let settings = load_from(env(&[
            ("APP_CONFIG_PATH", "/nonexistent"),
            ("REPRISE_RELAY__PUBLISH", r##"["#", "job.*"]"##),
        ]))
        .unwrap();
        assert_eq!(settings.relay.publish, Some(vec!["#".to_owned(), "job.*".to_owned()]));
    }

    #[test]
    fn the_projectors_readiness_is_bounded_in_milliseconds_and_the_old_count_names_no_setting() {
        let defaults = load_from(env(&[("APP_CONFIG_PATH", "/nonexistent")])).unwrap();
        assert_eq!(defaults.projector.ready_max_lag_ms, 5_000);
        let settings = load_from(env(&[
            ("APP_CONFIG_PATH", "/nonexistent"),
            ("REPRISE_PROJECTOR__READY_MAX_LAG_MS", "750"),
            ("REPRISE_PROJECTOR__READY_MAX_LAG", "10000"),
        ]))
        .unwrap();
        assert_eq!(settings.projector.ready_max_lag_ms, 750);
    }

    #[test]
    fn a_file_named_by_env_is_read_and_the_environment_wins_over_it() {
        let dir = std::env::temp_dir().join(format!("reprise-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("staging.toml"),
            "[http]\nquery_addr = \"0.0.0.0:4000\"\ncommand_addr = \"0.0.0.0:4010\"\n",
        )
        .unwrap();
        let settings = load_from(env(&[
            ("APP_CONFIG_PATH", dir.to_str().unwrap()),
            ("ENV", "staging"),
            ("REPRISE_HTTP__COMMAND_ADDR", "0.0.0.0:5010"),
        ]))
        .unwrap();
        assert_eq!(settings.http.query_addr, "0.0.0.0:4000");
        assert_eq!(settings.http.command_addr, "0.0.0.0:5010");
    }

    #[test]
    fn a_secret_is_read_from_the_file_a_file_variable_names() {
        let path = std::env::temp_dir().join(format!("reprise-secret-{}", std::process::id()));
        std::fs::write(&path, "postgres://app:s3cret@db/reprise\n").unwrap();
        let settings = load_from(env(&[
            ("APP_CONFIG_PATH", "/nonexistent"),
            ("REPRISE_DATABASE__URL_FILE", path.to_str().unwrap()),
        ]))
        .unwrap();
        assert_eq!(settings.database.url.expose_secret(), "postgres://app:s3cret@db/reprise");
    }

    #[test]
    fn an_environment_variable_that_names_no_setting_is_ignored() {
        let settings =
            load_from(env(&[("APP_CONFIG_PATH", "/nonexistent"), ("REPRISE_TOKEN", "x")])).unwrap();
        assert_eq!(settings.redis.key_prefix, "reprise:");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_an_error() {
        let result =
            load_from(env(&[("APP_CONFIG_PATH", "/nonexistent"), ("REPRISE_PROJECTOR__BATCH_SIZE", "many")]));
        assert!(result.is_err());
    }
}
