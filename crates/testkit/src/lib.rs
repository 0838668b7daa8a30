//! Test isolation on a shared machine: every test gets its own database, Redis key prefix, RabbitMQ
//! name prefix and blob directory and, when it
//! wants to simulate an outage, its own TCP proxy to cut. Nothing here stops or flushes a shared service.

mod database;
mod proxy;
pub mod smtp;
mod wait;

pub use database::TestDatabase;
pub use proxy::TcpProxy;
pub use wait::wait_until;

/// A unique Redis key prefix for one test.
pub fn unique_prefix() -> String {
    format!("t{}:", uuid::Uuid::new_v4().simple())
}

/// Settings pointing at a test's own database and key prefix, everything else at the machine's services.
pub fn settings_for(database: &TestDatabase, prefix: &str) -> settings::Settings {
    let mut settings = settings::Settings::default();
    settings.database.url = secrecy::SecretString::from(database.url());
    settings.database.max_connections = 8;
    settings.redis.key_prefix = prefix.to_owned();
    settings.auth.jwt_secret = Some(secrecy::SecretString::from(uuid::Uuid::new_v4().to_string()));
    settings.rabbitmq.prefix = prefix.replace(':', ".");
    settings.blobs.root =
        std::env::temp_dir().join("reprise-tests").join(prefix.trim_end_matches(':')).display().to_string();
    settings
}
