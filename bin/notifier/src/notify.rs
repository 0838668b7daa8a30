//! One message, from its body to a settled e-mail: read it, claim the notification, send, record,
//! and say how the delivery is to be settled.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::Status;
use crate::email::{self, Notice, Reading};
use crate::ledger::{Claim, LEASE, Ledger, Settled};
use crate::mailer::{ATTEMPT_LIMIT, Mailer, SendError};
use crate::retry::{self, LAST_RETRY};

// A holder renews its claim before every attempt, so its lease must outlast a pause and an attempt.
const _: () = assert!(LEASE.as_secs() > LAST_RETRY.as_secs() + ATTEMPT_LIMIT.as_secs());

/// What to do with a delivery once handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Done with it: sent, settled before, refused for good, or nothing to send.
    Ack,
    /// Its body cannot be read: reject it without requeueing, so the queue dead-letters it to
    /// `reprise.dead` where a person can look at it (rather than acking it out of sight).
    DeadLetter,
    /// Stopped before it was done (shutdown, lost connection): leave it unacknowledged, and the
    /// broker hands it out again once the channel closes.
    Leave,
}

/// Turns conversion outcomes into e-mails, once each (the `ledger` module says how).
#[derive(Clone)]
pub struct Courier {
    /// The SMTP client.
    pub mailer: Mailer,
    /// The record of what was sent.
    pub ledger: Ledger,
    /// Where retries are counted.
    pub status: Arc<Status>,
}

impl Courier {
    /// Handles one message body. Transient failures (SMTP or Postgres) are retried with backoff
    /// while the delivery is held, never by requeueing it; `stop` ends the retrying.
    pub async fn handle(&self, body: &[u8], stop: &CancellationToken) -> Settle {
        let notice = match email::read(body) {
            Ok(Reading::Notice(notice)) => notice,
            Ok(Reading::NotAnOutcome { event_id, event_type }) => {
                tracing::info!(event_id, event_type, "not a conversion outcome; nothing to send");
                return Settle::Ack;
            }
            Err(error) => {
                let error = anyhow::Error::from(error);
                tracing::error!(error = %format!("{error:#}"), "unreadable message; dead-lettering it");
                metrics::counter!("notifier_unreadable_messages_total").increment(1);
                return Settle::DeadLetter;
            }
        };
        match self.claim(&notice.event_id, stop).await {
            None => return Settle::Leave,
            Some(Claim::First | Claim::TakenOver) => {}
            Some(claim) => {
                tracing::info!(event_id = %notice.event_id, ?claim, "already settled; not sending again");
                metrics::counter!("notifier_duplicates_total").increment(1);
                return Settle::Ack;
            }
        }
        let Some(settled) = self.send(&notice, stop).await else {
            // Known not sent: let the next copy of the message take over without waiting.
            let _ = self.ledger.release(&notice.event_id).await;
            return Settle::Leave;
        };
        let id = notice.event_id.as_str();
        match retry::until_done("recording the e-mail", stop, || self.ledger.settle(id, settled)).await {
            Some(()) => Settle::Ack,
            None => Settle::Leave,
        }
    }

    /// Claims the notification, waiting while another attempt holds it; `None` when stopped first.
    /// Never [`Claim::Busy`].
    async fn claim(&self, id: &str, stop: &CancellationToken) -> Option<Claim> {
        let mut backoff = retry::backoff();
        loop {
            match retry::until_done("claiming the notification", stop, || self.ledger.claim(id)).await? {
                Claim::Busy => {
                    tracing::info!(event_id = id, "another attempt is sending this e-mail; waiting for it");
                    backoff.wait(stop).await?;
                }
                Claim::TakenOver => {
                    tracing::info!(event_id = id, "an earlier attempt did not finish; sending again");
                    return Some(Claim::TakenOver);
                }
                claim => return Some(claim),
            }
        }
    }

    /// Sends until the server takes the e-mail or refuses it for good; `None` when stopped first.
    async fn send(&self, notice: &Notice, stop: &CancellationToken) -> Option<Settled> {
        let id = notice.event_id.as_str();
        let mut backoff = retry::backoff();
        loop {
            match self.mailer.send(notice).await {
                Ok(()) => {
                    tracing::info!(event_id = id, conversion_id = %notice.conversion_id, "e-mail sent");
                    metrics::counter!("notifier_emails_sent_total").increment(1);
                    return Some(Settled::Sent);
                }
                Err(SendError::Permanent(error)) => {
                    let error = format!("{error:#}");
                    tracing::error!(event_id = id, error, "the e-mail cannot be sent; giving up on it");
                    metrics::counter!("notifier_email_failures_total").increment(1);
                    return Some(Settled::Failed);
                }
                Err(SendError::Transient(error)) => {
                    let (error, retry_in_ms) = (format!("{error:#}"), backoff.upcoming().as_millis() as u64);
                    tracing::warn!(event_id = id, error, retry_in_ms, "the mail server failed; retrying");
                    self.status.record_retry();
                    backoff.wait(stop).await?;
                    if let Err(error) = self.ledger.renew(id).await {
                        tracing::warn!(event_id = id, %error, "could not renew the claim; sending anyway");
                    }
                }
            }
        }
    }
}
