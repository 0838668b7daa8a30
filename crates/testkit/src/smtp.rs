//! A real SMTP server per test: Python's aiosmtpd on a free port, writing what it receives to a
//! Maildir of the test's own, killed when the test ends.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tempfile::TempDir;
use tokio::process::{Child, Command};

/// How long aiosmtpd may take to start listening.
const STARTUP: Duration = Duration::from_secs(20);

/// A handler that refuses every recipient for good (550), for the permanent-failure path.
const REFUSING_HANDLER: &str = "\
class Refusing:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return '550 5.1.1 no such mailbox'
";

/// A port reserved for a test's SMTP server, and the server once started.
pub struct SmtpServer {
    port: u16,
    dir: TempDir,
    server: Option<Child>,
}

impl SmtpServer {
    /// A free port with no server on it yet: connecting to it is refused until [`start`](Self::start).
    pub fn reserve() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = listener.local_addr().expect("a bound port").port();
        drop(listener);
        Self { port, dir: tempfile::tempdir().expect("a temporary directory"), server: None }
    }

    /// A server that accepts every e-mail into its Maildir.
    pub async fn start_accepting() -> Self {
        let mut smtp = Self::reserve();
        smtp.start().await;
        smtp
    }

    /// The port the notifier is to send to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the server on the reserved port, accepting every e-mail, and waits until it listens.
    pub async fn start(&mut self) {
        let maildir = self.dir.path().join("Maildir");
        self.spawn(&["-c", "aiosmtpd.handlers.Mailbox", maildir.to_str().expect("a UTF-8 path")], None).await;
    }

    /// Starts a server that answers every recipient with 550.
    pub async fn start_refusing(&mut self) {
        std::fs::write(self.dir.path().join("refusing.py"), REFUSING_HANDLER).expect("write the handler");
        let module_path = self.dir.path().to_owned();
        self.spawn(&["-c", "refusing.Refusing"], Some(&module_path)).await;
    }

    async fn spawn(&mut self, handler: &[&str], python_path: Option<&Path>) {
        let listen = format!("127.0.0.1:{}", self.port);
        let mut command = Command::new("python3");
        command
            .args(["-m", "aiosmtpd", "-n", "-l", &listen])
            .args(handler)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        if let Some(path) = python_path {
            command.env("PYTHONPATH", path);
        }
        self.server = Some(command.spawn().expect("start aiosmtpd (scripts/deps.sh installs it)"));
        let address = listen.clone();
        crate::wait_until("aiosmtpd to listen", STARTUP, || {
            let address = address.clone();
            async move { tokio::net::TcpStream::connect(&address).await.ok().map(drop) }
        })
        .await;
    }

    /// Every e-mail received so far, raw.
    pub fn messages(&self) -> Vec<String> {
        let maildir = self.dir.path().join("Maildir");
        let mut messages = vec![];
        for folder in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(maildir.join(folder)) else { continue };
            for entry in entries.flatten() {
                messages.push(std::fs::read_to_string(entry.path()).expect("read a received e-mail"));
            }
        }
        messages
    }

    /// Waits until at least one e-mail arrived, and returns them all.
    pub async fn wait_for_mail(&self, deadline: Duration) -> Vec<String> {
        crate::wait_until("an e-mail", deadline, || {
            let messages = self.messages();
            async move { (!messages.is_empty()).then_some(messages) }
        })
        .await
    }
}

/// The body of a raw e-mail, with quoted-printable soft line breaks undone.
pub fn body(message: &str) -> String {
    let message = message.replace("\r\n", "\n");
    message.split_once("\n\n").map(|(_, body)| body.replace("=\n", "")).unwrap_or_default()
}

/// The value of header `name` in a raw e-mail, unfolded.
pub fn header(message: &str, name: &str) -> Option<String> {
    let message = message.replace("\r\n", "\n");
    let head = message.split("\n\n").next().unwrap_or_default();
    let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
    unfolded.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
    })
}
