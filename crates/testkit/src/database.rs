//! A database of one's own, created from scratch and dropped when the test ends.

use sqlx::{Connection, Executor, PgConnection};

const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// A freshly created, empty database; migrations are the caller's (`eventlog::migrate`).
pub struct TestDatabase {
    name: String,
}

impl TestDatabase {
    /// Creates `reprise_t_<random>`.
    pub async fn create() -> Self {
        let name = format!("reprise_t_{}", uuid::Uuid::new_v4().simple());
        let mut admin =
            PgConnection::connect(&format!("{SERVER}/postgres")).await.expect("connect to Postgres");
        admin.execute(format!(r#"CREATE DATABASE "{name}""#).as_str()).await.expect("create test database");
        Self { name }
    }

    /// The database's URL.
    pub fn url(&self) -> String {
        format!("{SERVER}/{}", self.name)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&format!("{SERVER}/postgres")).await.ok()?;
                admin.execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str()).await.ok()
            })
        });
        let _ = dropped.join();
    }
}
