//! The HTTP side: readiness, signing in, and one request of each kind.

use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::{Client, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::plan::{LeaderboardRead, ScoreSubmission};
use crate::stats::Ending;

/// How long to wait for a connection before calling the stack unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// An HTTP client for the whole run: pooled connections, a connection and a request time limit.
pub fn http_client(timeout: Duration, connections: usize) -> anyhow::Result<Client> {
    Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(timeout)
        .pool_max_idle_per_host(connections)
        .build()
        .context("building the HTTP client")
}

/// Fails with advice unless the stack answers `GET /readyz` with a success.
pub async fn check_ready(http: &Client, base: &str) -> anyhow::Result<()> {
    let response = http
        .get(format!("{base}/readyz"))
        .timeout(CONNECT_TIMEOUT * 2)
        .send()
        .await
        .with_context(|| format!("cannot reach {base}: is the stack up? run `make up`"))?;
    if !response.status().is_success() {
        bail!(
            "{base}/readyz answered {}: the stack is up but not ready yet (see var/log/)",
            response.status()
        );
    }
    Ok(())
}

/// The account datagen signs in with.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Its e-mail.
    pub email: String,
    /// Its password.
    pub password: String,
    /// Its user name, used when the account has to be created.
    pub user_name: String,
}

impl Credentials {
    /// The given e-mail, or a new one for this run so runs do not share an account.
    pub fn for_run(email: Option<String>, password: String) -> Self {
        let email = email.unwrap_or_else(|| {
            let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
            format!("datagen-{stamp}-{}@example.com", std::process::id())
        });
        let local = email.split('@').next().unwrap_or_default();
        let mut user_name: String = local
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '-' })
            .take(64)
            .collect();
        if user_name.is_empty() {
            user_name = "datagen".into();
        }
        Credentials { email, password, user_name }
    }
}

/// Signs up (an existing account is fine) and signs in; returns the bearer token.
pub async fn sign_in(http: &Client, base: &str, who: &Credentials) -> anyhow::Result<String> {
    let reach = || format!("cannot reach {base}: is the stack up? run `make up`");
    let sign_up = json!({
        "email": who.email, "password": who.password, "passwordConf": who.password, "userName": who.user_name,
    });
    let response = http.post(format!("{base}/v1/users")).json(&sign_up).send().await.with_context(reach)?;
    match response.status() {
        StatusCode::CREATED | StatusCode::CONFLICT => {}
        status => bail!("signing up {} answered {status}: {}", who.email, body_text(response).await),
    }
    let sign_in = json!({ "email": who.email, "password": who.password });
    let response =
        http.post(format!("{base}/v1/sessions")).json(&sign_in).send().await.with_context(reach)?;
    match response.status() {
        StatusCode::CREATED => {}
        StatusCode::UNAUTHORIZED => bail!(
            "signing in as {} was refused: if that account exists, give its --password; if the user name \
             {} belongs to someone else, choose another --email",
            who.email,
            who.user_name
        ),
        status => bail!("signing in as {} answered {status}: {}", who.email, body_text(response).await),
    }
    #[derive(Deserialize)]
    struct Session {
        token: String,
    }
    let session: Session = response.json().await.context("reading the session token")?;
    Ok(session.token)
}

async fn body_text(response: reqwest::Response) -> String {
    response.text().await.unwrap_or_else(|error| format!("(no readable body: {error})"))
}

/// The signed-in client that sends the planned requests.
#[derive(Debug, Clone)]
pub struct Api {
    http: Client,
    base: String,
    token: String,
}

/// A job's id and status, as far as datagen cares.
#[derive(Debug, Deserialize)]
struct JobAnswer {
    #[serde(alias = "jobId")]
    id: Option<String>,
    status: Option<String>,
}

impl Api {
    /// A client for `base` (no trailing slash) using `token`.
    pub fn new(http: Client, base: String, token: String) -> Self {
        Api { http, base, token }
    }

    /// Reads a leaderboard (a public route: no token, like a browser).
    pub async fn read_leaderboard(&self, read: &LeaderboardRead) -> Ending {
        let sent = self.http.get(format!("{}{}", self.base, read.path())).send().await;
        match sent {
            Ok(response) => finish(response).await.0,
            Err(error) => ending_of(&error),
        }
    }

    /// Submits a score; on a 202, also returns the job id.
    pub async fn submit_score(&self, score: &ScoreSubmission) -> (Ending, Option<String>) {
        let sent = self
            .http
            .post(format!("{}/v1/scores", self.base))
            .bearer_auth(&self.token)
            .json(score)
            .send()
            .await;
        match sent {
            Ok(response) => {
                let (ending, body) = finish(response).await;
                let job = (ending == Ending::Status(202))
                    .then(|| serde_json::from_slice::<JobAnswer>(&body).ok().and_then(|job| job.id))
                    .flatten();
                (ending, job)
            }
            Err(error) => (ending_of(&error), None),
        }
    }

    /// Gets a job, waiting up to `wait` seconds for a final status; on a 200, also returns its status.
    pub async fn poll_job(&self, id: &str, wait: Option<u32>) -> (Ending, Option<String>) {
        let mut request = self.http.get(format!("{}/v1/jobs/{id}", self.base)).bearer_auth(&self.token);
        if let Some(seconds) = wait {
            // The long poll must not be cut short by the client's own limit.
            request = request
                .header("Prefer", format!("wait={seconds}"))
                .timeout(Duration::from_secs(u64::from(seconds)) + CONNECT_TIMEOUT * 2);
        }
        match request.send().await {
            Ok(response) => {
                let (ending, body) = finish(response).await;
                let status = (ending == Ending::Status(200))
                    .then(|| serde_json::from_slice::<JobAnswer>(&body).ok().and_then(|job| job.status))
                    .flatten();
                (ending, status)
            }
            Err(error) => (ending_of(&error), None),
        }
    }
}

/// Reads the whole body, so the latency covers the full answer.
async fn finish(response: reqwest::Response) -> (Ending, Vec<u8>) {
    let status = response.status().as_u16();
    match response.bytes().await {
        Ok(body) => (Ending::Status(status), body.to_vec()),
        Err(error) => (ending_of(&error), Vec::new()),
    }
}

/// What a transport failure means for the summary.
fn ending_of(error: &reqwest::Error) -> Ending {
    if error.is_timeout() {
        Ending::Timeout
    } else if error.is_connect() {
        Ending::Connection
    } else {
        Ending::Error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_without_email_gets_its_own_account() {
        let who = Credentials::for_run(None, "datagen-password".into());
        assert!(who.email.starts_with("datagen-") && who.email.ends_with("@example.com"));
        assert_eq!(format!("{}@example.com", who.user_name), who.email);
    }

    #[test]
    fn a_given_email_gives_a_valid_user_name() {
        let who = Credentials::for_run(Some("ada+load test@example.com".into()), "x".repeat(8));
        assert_eq!(who.user_name, "ada-load-test");
    }
}
