//! Connection pools with timeouts, and the migrations.

use std::time::Duration;

use secrecy::ExposeSecret;
use settings::DatabaseSettings;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// A lazy pool: the process starts while Postgres is down, and requests answer 503 until it is back.
/// Its connections carry `service` as their `application_name`, so `pg_stat_activity` tells whose
/// they are.
pub fn connect(settings: &DatabaseSettings, service: &str) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = settings.url.expose_secret().parse()?;
    Ok(PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(Duration::from_millis(settings.acquire_timeout_ms))
        .idle_timeout(Duration::from_secs(60))
        // One connection stays open through quiet minutes, so the next request does not pay for one.
        .min_connections(1)
        // No ping before each use: it doubled the round trips of a one-statement command. A connection
        // that broke meanwhile fails its query (503), and the pool replaces it.
        .test_before_acquire(false)
        .connect_lazy_with(options.application_name(service)))
}

/// Applies the migrations in `sql/` that the database has not seen yet.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("../../sql").run(pool).await
}
