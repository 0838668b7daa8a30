//! Sending a [`Notice`] over SMTP, and telling a failure worth retrying from one that is final.

use std::time::Duration;

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use settings::SmtpSettings;

use crate::email::Notice;

/// How long the server may take to answer any one command.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one whole attempt may take before it counts as a (transient) failure.
pub const ATTEMPT_LIMIT: Duration = Duration::from_secs(30);

/// Why an e-mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server is unreachable, slow or answered 4xx: the same e-mail may go through later.
    #[error("the mail server failed for now")]
    Transient(#[source] anyhow::Error),
    /// The server answered 5xx, or the e-mail cannot be written (a malformed address): never retry.
    #[error("the e-mail cannot be sent")]
    Permanent(#[source] anyhow::Error),
}

/// An SMTP client with the sender's address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// A client for the server `settings` name; connects on the first send.
    pub fn new(settings: &SmtpSettings) -> anyhow::Result<Self> {
        let from = settings.from.parse().with_context(|| format!("smtp.from {:?}", settings.from))?;
        let builder = match settings.tls.as_str() {
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host),
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                .with_context(|| format!("STARTTLS to {}", settings.host))?,
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
                .with_context(|| format!("TLS to {}", settings.host))?,
            other => anyhow::bail!("smtp.tls is {other:?}; it must be none, starttls or tls"),
        };
        let mut builder = builder.port(settings.port).timeout(Some(SMTP_TIMEOUT));
        if let Some(username) = &settings.username {
            let password = settings.password.as_ref().map(|secret| secret.expose_secret().to_owned());
            builder = builder.credentials(Credentials::new(username.clone(), password.unwrap_or_default()));
        }
        Ok(Self { transport: builder.build(), from })
    }

    /// Sends `notice` as a plain-text e-mail with its stable `Message-ID`.
    pub async fn send(&self, notice: &Notice) -> Result<(), SendError> {
        let message = self.write(notice).map_err(SendError::Permanent)?;
        match tokio::time::timeout(ATTEMPT_LIMIT, self.transport.send(message)).await {
            Ok(sent) => sent.map(drop).map_err(classify),
            Err(elapsed) => {
                Err(SendError::Transient(anyhow::Error::from(elapsed).context("sending took too long")))
            }
        }
    }

    fn write(&self, notice: &Notice) -> anyhow::Result<Message> {
        let to: Mailbox =
            notice.to.parse().with_context(|| format!("the owner's address {:?}", notice.to))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(notice.subject)
            .message_id(Some(notice.message_id()))
            .header(ContentType::TEXT_PLAIN)
            .body(notice.body.clone())
            .context("writing the e-mail")
    }
}

/// 5xx answers and what the client itself refuses are final; everything else (refused connections,
/// timeouts, 4xx, a dropped connection, a garbled answer) may pass on a later attempt.
fn classify(error: lettre::transport::smtp::Error) -> SendError {
    if error.is_permanent() || error.is_client() {
        SendError::Permanent(error.into())
    } else {
        SendError::Transient(error.into())
    }
}
