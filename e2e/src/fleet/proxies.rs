//! The TCP proxies between a fleet and the machine's services, which chaos tests cut and restore.

use testkit::{TcpProxy, TestDatabase};

/// The links between the fleet and the machine's services, to cut and restore.
pub struct Proxies {
    /// To Postgres.
    pub postgres: TcpProxy,
    /// To Redis.
    pub redis: TcpProxy,
    /// To RabbitMQ.
    pub rabbitmq: TcpProxy,
    /// To the fleet's mail server.
    pub smtp: TcpProxy,
}

impl Proxies {
    pub(super) async fn start(smtp_port: u16) -> Self {
        Self {
            postgres: TcpProxy::start("127.0.0.1:5432").await,
            redis: TcpProxy::start("127.0.0.1:6379").await,
            rabbitmq: TcpProxy::start("127.0.0.1:5672").await,
            smtp: TcpProxy::start(&format!("127.0.0.1:{smtp_port}")).await,
        }
    }

    /// The settings that send the fleet through the proxies.
    pub(super) fn env(&self, database: &TestDatabase) -> Vec<(String, String)> {
        vec![
            (
                "REPRISE_DATABASE__URL".to_owned(),
                format!(
                    "postgres://postgres@{}/{}?sslmode=disable",
                    self.postgres.address(),
                    database.name()
                ),
            ),
            ("REPRISE_REDIS__URL".to_owned(), format!("redis://{}", self.redis.address())),
            (
                "REPRISE_RABBITMQ__URL".to_owned(),
                format!("amqp://guest:guest@{}/%2f", self.rabbitmq.address()),
            ),
            ("REPRISE_SMTP__PORT".to_owned(), self.smtp.address().port().to_string()),
        ]
    }
}
