//! The pool every service opens on the event log.

use secrecy::SecretString;

#[tokio::test]
async fn a_services_connections_carry_its_name_for_pg_stat_activity() {
    let database = testkit::TestDatabase::create().await;
    let settings =
        settings::DatabaseSettings { url: SecretString::from(database.url()), ..Default::default() };
    let pool = eventlog::connect(&settings, "relay").unwrap();
    let name: String =
        sqlx::query_scalar("SELECT current_setting('application_name')").fetch_one(&pool).await.unwrap();
    assert_eq!(name, "relay");
}
