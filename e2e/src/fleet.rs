//! A fleet of one's own: every Reprise process as its debug binary under supervisord, rendered by
//! `scripts/fleet.sh` exactly as `make up` renders the machine's stack, but on ports, a database, a
//! key prefix, an exchange prefix and an SMTP server of its own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use testkit::TestDatabase;
use testkit::smtp::SmtpServer;

mod proxies;

pub use proxies::Proxies;

/// The services that run as several copies, in the order `scripts/fleet.sh` lays out their ports.
pub const SERVICES: [&str; 8] =
    ["query-api", "command-api", "live", "projector", "relay", "converter", "notifier", "worker"];

/// What to vary about a fleet.
pub struct FleetOptions {
    /// Copies of each service (the projector and relay: one active, the rest standing by).
    pub replicas: u8,
    /// Settings for every process, as `REPRISE_…` variables, on top of the fleet's own.
    pub env: Vec<(String, String)>,
    /// Reach Postgres, Redis, RabbitMQ and the mail server through TCP proxies of the fleet's own, to
    /// cut them like outages.
    pub through_proxies: bool,
}

impl Default for FleetOptions {
    fn default() -> Self {
        Self { replicas: 1, env: vec![], through_proxies: false }
    }
}

/// A running fleet; supervisord and everything under it stop when it is dropped.
pub struct Fleet {
    /// nginx's base URL.
    pub url: String,
    /// The database.
    pub database: TestDatabase,
    /// The settings the processes got (their addresses aside).
    pub settings: settings::Settings,
    /// The mail server the notifiers send through.
    pub smtp: SmtpServer,
    /// Copies of each service.
    pub replicas: u8,
    /// The proxies to the machine's services, when asked for.
    pub proxies: Option<Proxies>,
    base_port: u16,
    run_dir: tempfile::TempDir,
    supervisord: Child,
}

impl Fleet {
    /// Renders and starts a fleet, and waits until every copy of every service is ready.
    pub async fn start(options: FleetOptions) -> Self {
        let database = TestDatabase::create().await;
        {
            let pool = sqlx::PgPool::connect(&database.url()).await.expect("connect to the test database");
            eventlog::migrate(&pool).await.expect("migrate the test database");
            pool.close().await;
        }
        let settings = testkit::settings_for(&database, &testkit::unique_prefix());
        let smtp = SmtpServer::start_accepting().await;
        let base_port = free_port_block(options.replicas);
        let run_dir = tempfile::Builder::new().prefix("reprise-fleet-").tempdir().expect("a run directory");
        let root = crate::workspace_root();

        for service in SERVICES {
            let binary = binary_dir().join(service);
            assert!(binary.exists(), "{} is missing: `cargo build --workspace` builds it", binary.display());
        }
        let mut env = fleet_env(&settings, smtp.port());
        let proxies = if options.through_proxies { Some(Proxies::start(smtp.port()).await) } else { None };
        env.extend(proxies.iter().flat_map(|p| p.env(&database)));
        env.extend(options.env);
        let rendered = Command::new(root.join("scripts/fleet.sh"))
            .arg(run_dir.path())
            .arg(run_dir.path().join("log"))
            .arg(binary_dir())
            .envs(ports(base_port))
            .env("REPLICAS", options.replicas.to_string())
            .env("WORKDIR", run_dir.path())
            .status()
            .expect("run scripts/fleet.sh");
        assert!(rendered.success(), "scripts/fleet.sh failed");
        let supervisord = Command::new("supervisord")
            .args(["-n", "-c"])
            .arg(run_dir.path().join("supervisord.conf"))
            .envs(env)
            .stdout(Stdio::null())
            .spawn()
            .expect("start supervisord (scripts/deps.sh installs it)");
        let fleet = Self {
            url: format!("http://127.0.0.1:{base_port}"),
            database,
            settings,
            smtp,
            replicas: options.replicas,
            proxies,
            base_port,
            run_dir,
            supervisord,
        };
        fleet.wait_all_ready(Duration::from_secs(60)).await;
        fleet
    }

    /// Waits until every copy of every service, and nginx, answers its `/readyz`.
    pub async fn wait_all_ready(&self, deadline: Duration) {
        let urls = std::fs::read_to_string(self.run_dir.path().join("ready-urls")).expect("ready-urls");
        let started = Instant::now();
        for url in urls.lines() {
            self.wait_ready(url, deadline.saturating_sub(started.elapsed())).await;
        }
    }

    /// The path of a service's debug binary, as the fleet runs it.
    pub fn binary(&self, service: &str) -> PathBuf {
        binary_dir().join(service)
    }

    /// The supervisord program names of every copy of every service (`command-api-2`, …).
    pub fn programs(&self) -> Vec<String> {
        SERVICES.iter().flat_map(|s| (1..=self.replicas).map(move |n| format!("{s}-{n}"))).collect()
    }

    /// The base URL of copy `program` (`worker-2`): its API or its health and metrics endpoints.
    pub fn address_of(&self, program: &str) -> String {
        let (service, copy) = program.rsplit_once('-').expect("a program name ends in its copy number");
        let copy: u16 = copy.parse().expect("a copy number");
        let index = SERVICES.iter().position(|s| *s == service).expect("a known service") as u16;
        format!("http://127.0.0.1:{}", self.base_port + 1 + index + 100 * (copy - 1))
    }

    /// Runs `supervisorctl` on this fleet and returns what it printed.
    pub fn supervisorctl(&self, args: &[&str]) -> String {
        let output = Command::new("supervisorctl")
            .arg("-c")
            .arg(self.run_dir.path().join("supervisord.conf"))
            .args(args)
            .output()
            .expect("run supervisorctl");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The pid of `program`, while supervisord says it runs.
    pub fn pid(&self, program: &str) -> Option<u32> {
        self.supervisorctl(&["pid", program]).trim().parse().ok().filter(|pid| *pid > 0)
    }

    /// Kills `program` with SIGKILL and returns the pid it had.
    pub fn kill(&self, program: &str) -> u32 {
        let pid = self.pid(program).unwrap_or_else(|| panic!("{program} is not running"));
        let killed = Command::new("kill").args(["-KILL", &pid.to_string()]).status().expect("run kill");
        assert!(killed.success(), "kill -KILL {pid} ({program})");
        pid
    }

    /// Waits until supervisord has started `program` again (a pid other than `killed`) and it is ready;
    /// returns how long that took.
    pub async fn wait_restarted(&self, program: &str, killed: u32, deadline: Duration) -> Duration {
        let started = Instant::now();
        testkit::wait_until(&format!("{program} to be restarted"), deadline, || async {
            self.pid(program).filter(|pid| *pid != killed)
        })
        .await;
        let ready = format!("{}/readyz", self.address_of(program));
        self.wait_ready(&ready, deadline.saturating_sub(started.elapsed())).await;
        started.elapsed()
    }

    /// Signs user `name` up through nginx and returns the new session's token.
    pub async fn sign_up(&self, name: &str) -> String {
        let body = crate::stack::sign_up_body(name);
        let response = self.http().post(format!("{}/v1/users", self.url)).json(&body).send().await;
        let response = response.expect("sign up");
        assert_eq!(response.status(), 201, "sign-up failed");
        let header = response.headers().get("authorization").expect("a session with the new user");
        let token = header.to_str().expect("a token").trim_start_matches("Bearer ");
        token.to_owned()
    }

    /// POSTs `body` through nginx as the holder of `token` and returns the answer's JSON.
    pub async fn post(&self, token: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let request = self.http().post(format!("{}{path}", self.url)).bearer_auth(token).json(&body);
        let response = request.send().await.unwrap_or_else(|e| panic!("POST {path}: {e}"));
        response.json().await.unwrap_or_else(|e| panic!("POST {path} answered no JSON: {e}"))
    }

    /// A client for requests through nginx, with a deadline per request.
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder().timeout(Duration::from_secs(40)).build().expect("http client")
    }

    /// What `program` logged so far.
    pub fn log(&self, program: &str) -> String {
        std::fs::read_to_string(self.run_dir.path().join("log").join(format!("{program}.log")))
            .unwrap_or_default()
    }

    async fn wait_ready(&self, url: &str, deadline: Duration) {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("http client");
        let started = Instant::now();
        loop {
            if let Ok(response) = http.get(url).send().await
                && response.status().is_success()
            {
                return;
            }
            if started.elapsed() > deadline {
                let status = self.supervisorctl(&["status"]);
                panic!("timed out after {deadline:?} waiting for {url}; supervisord says:\n{status}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        // SIGTERM: supervisord stops every process gracefully, then exits.
        let _ = Command::new("kill").args(["-TERM", &self.supervisord.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.supervisord.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.supervisord.kill();
        let _ = self.supervisord.wait();
        crate::stack::remove_keys_exchanges_and_blobs(&self.settings);
    }
}

/// What every process of the fleet is told, as environment variables.
fn fleet_env(settings: &settings::Settings, smtp_port: u16) -> Vec<(String, String)> {
    let secret = settings.auth.jwt_secret.as_ref().expect("a test secret").expose_secret().to_owned();
    [
        ("APP_CONFIG_PATH", "/nonexistent".to_owned()),
        ("RUST_LOG", "info".to_owned()),
        ("REPRISE_DATABASE__URL", settings.database.url.expose_secret().to_owned()),
        // Postgres serves 100 connections to every test at once: a fleet of 16 processes keeps few.
        ("REPRISE_DATABASE__MAX_CONNECTIONS", "3".to_owned()),
        ("REPRISE_REDIS__KEY_PREFIX", settings.redis.key_prefix.clone()),
        ("REPRISE_RABBITMQ__PREFIX", settings.rabbitmq.prefix.clone()),
        ("REPRISE_AUTH__JWT_SECRET", secret),
        ("REPRISE_BLOBS__ROOT", settings.blobs.root.clone()),
        ("REPRISE_SMTP__PORT", smtp_port.to_string()),
        ("REPRISE_WORKER__HEARTBEAT_TTL_SECONDS", "2".to_owned()),
        ("REPRISE_PROJECTOR__POLL_INTERVAL_MS", "200".to_owned()),
        ("REPRISE_RELAY__POLL_INTERVAL_MS", "200".to_owned()),
        ("REPRISE_CONVERSIONS__PARALLEL", "1".to_owned()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect()
}

/// `scripts/fleet.sh`'s port variables for a fleet whose nginx listens on `base`.
fn ports(base: u16) -> Vec<(String, String)> {
    let names = ["QUERY", "COMMAND", "LIVE", "PROJECTOR", "RELAY", "CONVERTER", "NOTIFIER", "WORKER"];
    let mut ports = vec![("PORT_NGINX".to_owned(), base.to_string())];
    for (offset, name) in (1..).zip(names) {
        ports.push((format!("PORT_{name}"), (base + offset).to_string()));
    }
    ports
}

/// A base port below Linux's ephemeral range whose whole layout (9 ports per copy, copies 100 apart)
/// is free at the moment.
fn free_port_block(replicas: u8) -> u16 {
    for _ in 0..200 {
        let base = 10_000 + 10 * (rand::random::<u16>() % 1_900);
        let all_free = (0..u16::from(replicas)).all(|copy| {
            (0..9)
                .all(|offset| std::net::TcpListener::bind(("127.0.0.1", base + 100 * copy + offset)).is_ok())
        });
        if all_free {
            return base;
        }
    }
    panic!("no free block of ports found");
}

/// Where `cargo build` put the services' debug binaries (beside this test binary's directory).
fn binary_dir() -> PathBuf {
    let test_binary = std::env::current_exe().expect("test binary path");
    let deps: &Path = test_binary.parent().expect("target/debug/deps");
    deps.parent().expect("target/debug").to_owned()
}
