//! `webhook`: POSTs the job's payload to `payload.url`, signed with HMAC-SHA256.
//!
//! The URL's host must be on `jobs.webhook_allowed_hosts` (loopback by default), checked when the job
//! is accepted and again before each call. A non-2xx answer or no answer in time is a retryable
//! failure. Each call carries `X-Reprise-Job` (the job id, the same on every attempt, so a receiver can
//! drop a repeat) and `X-Reprise-Signature: sha256=<hex of HMAC(body)>`.

use std::time::Duration;

use domain::jobs::WorkOrder;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use settings::Settings;
use sha2::Sha256;

use crate::{Failure, FieldError, JobHandler, Outcome, RunContext};

/// Posts payloads to allowed URLs.
#[derive(Clone)]
pub struct Webhook {
    client: reqwest::Client,
    allowed_hosts: Vec<String>,
    key: Vec<u8>,
}

impl Webhook {
    /// A webhook kind with the allow-list, timeout and signing key from `settings`.
    pub fn new(settings: &Settings) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.jobs.webhook_timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        let allowed_hosts =
            settings.jobs.webhook_allowed_hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
        Self { client, allowed_hosts, key: signing_key(settings) }
    }

    fn target(&self, payload: Option<&serde_json::Value>) -> Result<reqwest::Url, String> {
        let url = payload
            .and_then(|payload| payload.get("url"))
            .and_then(|url| url.as_str())
            .ok_or_else(|| "a webhook job needs payload.url".to_owned())?;
        self.callable(url).map_err(|why| format!("payload.url {why}"))
    }

    /// `url` when a webhook may call it: an absolute http(s) URL whose host is on the allow-list;
    /// otherwise why not, in words that follow the name of the field that holds it.
    pub fn callable(&self, url: &str) -> Result<reqwest::Url, String> {
        let url = reqwest::Url::parse(url).map_err(|_| "must be an absolute http(s) URL".to_owned())?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http(s) URL".to_owned());
        }
        let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_ascii_lowercase();
        if !self.allowed_hosts.contains(&host) {
            return Err(format!("names host {host}, which is not on the webhook allow-list"));
        }
        Ok(url)
    }

    /// The signature header's value for `body`.
    pub fn signature(&self, body: &[u8]) -> String {
        signature(&self.key, body)
    }
}

/// `sha256=<hex>` of HMAC-SHA256(`key`, `body`).
pub fn signature(key: &[u8], body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else { return String::new() };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The configured key, or one derived from the token secret so a fresh install signs without setup.
fn signing_key(settings: &Settings) -> Vec<u8> {
    if let Some(secret) = &settings.jobs.webhook_secret {
        return secret.expose_secret().as_bytes().to_vec();
    }
    let base = settings.auth.jwt_secret.as_ref().map(|s| s.expose_secret().to_owned()).unwrap_or_default();
    signature(base.as_bytes(), b"reprise webhook signing key").into_bytes()
}

#[async_trait::async_trait]
impl JobHandler for Webhook {
    fn kind(&self) -> &'static str {
        "webhook"
    }

    fn validate(&self, _message: &str, payload: Option<&serde_json::Value>) -> Result<(), Vec<FieldError>> {
        self.target(payload).map(|_| ()).map_err(|message| vec![FieldError::new("payload.url", message)])
    }

    async fn run(&self, job: &WorkOrder, _context: &RunContext) -> Result<Outcome, Failure> {
        let url = self.target(job.payload.as_ref()).map_err(Failure::permanent)?;
        let body = serde_json::to_vec(&job.payload).unwrap_or_default();
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("x-reprise-job", &job.id)
            .header("x-reprise-signature", self.signature(&body))
            .body(body)
            .send()
            .await
            .map_err(|error| Failure::retryable(format!("the webhook did not answer: {error}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(Failure::retryable(format!("the webhook answered {status}")));
        }
        Ok(serde_json::json!({ "status": status.as_u16() }).into())
    }
}
