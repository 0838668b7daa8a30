//! One connection to RabbitMQ with the topology declared and a channel in confirm mode. Any failure
//! drops the whole link; the next one starts from scratch.

use std::time::Duration;

use messaging::lapin::Connection;
use messaging::{Publisher, Topology};

/// How long connecting, declaring and entering confirm mode may take together.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a graceful close may take before the connection is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

pub(crate) struct Link {
    connection: Connection,
    pub(crate) publisher: Publisher,
}

impl Link {
    /// Connects, declares the topology and opens a confirmed channel.
    pub(crate) async fn open(
        settings: &settings::RabbitSettings,
        topology: &Topology,
    ) -> anyhow::Result<Self> {
        let opening = async {
            let connection = messaging::connect(settings).await?;
            let channel = connection.create_channel().await?;
            topology.declare(&channel).await?;
            let publisher = Publisher::new(channel, topology).await?;
            Ok::<_, messaging::lapin::Error>(Self { connection, publisher })
        };
        match tokio::time::timeout(OPEN_TIMEOUT, opening).await {
            Ok(link) => Ok(link?),
            Err(_elapsed) => anyhow::bail!("RabbitMQ did not answer within {OPEN_TIMEOUT:?}"),
        }
    }

    /// Whether the connection and the channel are both still open.
    pub(crate) fn is_connected(&self) -> bool {
        self.connection.status().connected() && self.publisher.channel().status().connected()
    }

    /// Closes the connection politely if the broker still answers.
    pub(crate) async fn close(self) {
        if self.connection.status().connected() {
            let closing = self.connection.close(200, "relay disconnecting".into());
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, closing).await;
        }
    }
}
