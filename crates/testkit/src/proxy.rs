//! A TCP proxy between the code under test and a shared service, to cut and restore like an outage.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Forwards connections from a local port to `upstream` until cut.
pub struct TcpProxy {
    address: SocketAddr,
    open: Arc<AtomicBool>,
    cuts: watch::Sender<u64>,
}

impl TcpProxy {
    /// Starts forwarding from a fresh local port to `upstream` (`127.0.0.1:5432`).
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy port");
        let address = listener.local_addr().expect("proxy address");
        let open = Arc::new(AtomicBool::new(true));
        let (cuts, _) = watch::channel(0u64);
        let upstream = upstream.to_owned();
        let (accepting, watcher) = (open.clone(), cuts.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !accepting.load(Ordering::SeqCst) {
                    // Like a network partition: the connection hangs, unanswered, until the link is back.
                    let mut restored = watcher.subscribe();
                    tokio::spawn(async move {
                        let _held = client;
                        let _ = restored.changed().await;
                    });
                    continue;
                }
                let upstream = upstream.clone();
                let mut cut = watcher.subscribe();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else { return };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self { address, open, cuts }
    }

    /// The local address clients connect to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Drops every open connection; new ones hang unanswered until [`restore`](Self::restore).
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cuts.send_modify(|generation| *generation += 1);
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
        // Hung connections are dropped; their clients reconnect through the restored link.
        self.cuts.send_modify(|generation| *generation += 1);
    }
}
