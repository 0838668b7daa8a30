//! An nginx of one's own, rendered from `nginx/nginx.conf.template` onto free ports.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running nginx, stopped when dropped.
pub struct Nginx {
    /// Its base URL.
    pub url: String,
    child: Child,
    run_dir: PathBuf,
}

impl Nginx {
    /// What its access log holds so far (written out at least once a second).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.run_dir.join("nginx-access.log")).unwrap_or_default()
    }

    /// Starts nginx in front of `query` and `command` (`host:port`), with `web/` as its root.
    pub async fn start(query: &str, command: &str) -> Self {
        Self::start_with_live(query, command, "127.0.0.1:9").await
    }

    /// [`Nginx::start`] with `/v1/ws` passed to the live service at `live` (`host:port`).
    pub async fn start_with_live(query: &str, command: &str, live: &str) -> Self {
        Self::start_in_front_of(&[query], &[command], &[live]).await
    }

    /// nginx in front of several copies of each service (`host:port` each).
    pub async fn start_in_front_of(queries: &[&str], commands: &[&str], lives: &[&str]) -> Self {
        let port = free_port();
        let run_dir = std::env::temp_dir().join(format!("reprise-nginx-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&run_dir).expect("nginx run directory");
        let root = crate::workspace_root();
        let template =
            std::fs::read_to_string(root.join("nginx/nginx.conf.template")).expect("nginx template");
        let config = template
            .replace("@RUN_DIR@", run_dir.to_str().unwrap_or_default())
            .replace("@DAEMON@", "off")
            .replace("@LISTEN@", &format!("127.0.0.1:{port}"))
            .replace("@QUERY_SERVERS@", &servers(queries))
            .replace("@COMMAND_SERVERS@", &servers(commands))
            .replace("@LIVE_SERVERS@", &servers(lives))
            .replace(
                "@WEB_ROOT@",
                root.join("web").canonicalize().expect("web/").to_str().unwrap_or_default(),
            );
        let config_path = run_dir.join("nginx.conf");
        std::fs::write(&config_path, config).expect("write nginx.conf");
        let child = Command::new(nginx_binary())
            .args([
                "-p",
                run_dir.to_str().unwrap_or_default(),
                "-c",
                config_path.to_str().unwrap_or_default(),
            ])
            .args(["-e", run_dir.join("nginx-startup.log").to_str().unwrap_or_default()])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start nginx (install it with `make deps`)");
        let url = format!("http://127.0.0.1:{port}");
        let nginx = Self { url, child, run_dir };
        testkit::wait_until("nginx to listen", Duration::from_secs(10), || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok().map(|_| ())
        })
        .await;
        nginx
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: a killed master leaves its workers behind, still listening (with
        // `reuseport`, on a port a later test may be given).
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.run_dir);
    }
}

/// An upstream's `server` lines, as `scripts/fleet.sh` renders them.
fn servers(addresses: &[&str]) -> String {
    addresses.iter().map(|a| format!("    server {a} max_fails=1 fail_timeout=2s;\n")).collect()
}

fn nginx_binary() -> &'static str {
    if std::path::Path::new("/usr/sbin/nginx").exists() { "/usr/sbin/nginx" } else { "nginx" }
}

/// A port that was free a moment ago (nginx binds it itself).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
