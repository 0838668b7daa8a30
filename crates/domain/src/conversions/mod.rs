//! The `Conversion` aggregate: one uploaded video becoming an MP3. Its id is also its job's id.
//!
//! The converter speaks to it: `Start` when it takes the video (again after a crash: a redelivered
//! message restarts the work), `Progress` as ffmpeg reports, then `Complete` or `Fail`. A finished
//! conversion refuses them all, which is how a duplicate delivery is recognised and acked without work.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// An uploaded video, stored and ready to convert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Upload {
    /// The name the client gave the file.
    pub filename: String,
    /// Its content type.
    pub content_type: String,
    /// Where the video is stored.
    pub video_key: String,
    /// Its size.
    pub video_bytes: u64,
    /// Its SHA-256, hex.
    pub video_sha256: String,
    /// The user who uploaded it.
    pub owner: String,
    /// Where to tell them it is done.
    pub owner_email: String,
    /// A hash of the request, to tell an idempotent replay from a different request.
    pub request_hash: String,
}

/// The MP3 a conversion made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mp3 {
    /// Where it is stored.
    pub key: String,
    /// Its size.
    pub bytes: u64,
    /// Its SHA-256, hex (also its ETag).
    pub sha256: String,
    /// The audio's duration.
    pub duration_seconds: f64,
}

/// What can be asked of a conversion.
#[derive(Debug, Clone, PartialEq)]
pub enum ConversionCommand {
    /// Accept an uploaded video.
    Request {
        /// The uploaded video.
        upload: Upload,
        /// When it was uploaded.
        at: DateTime<Utc>,
    },
    /// A converter takes it (again, after a redelivery).
    Start {
        /// The name of the converter taking it.
        converter: String,
        /// When it took it.
        at: DateTime<Utc>,
    },
    /// ffmpeg got this far, in percent.
    Progress {
        /// How far ffmpeg got, 0–100.
        percent: u8,
        /// When it got there.
        at: DateTime<Utc>,
    },
    /// The MP3 is stored.
    Complete {
        /// The MP3 stored.
        mp3: Mp3,
        /// When it was stored.
        at: DateTime<Utc>,
    },
    /// It cannot be converted.
    Fail {
        /// Why it cannot be converted.
        reason: String,
        /// When the converter gave up.
        at: DateTime<Utc>,
    },
}

/// What happened to a conversion. Outcomes repeat what the notifier needs (owner's e-mail, file
/// name), so it can write the e-mail from the message alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ConversionEvent {
    /// A video was uploaded; the relay hands it to a converter.
    ConversionRequested {
        /// The uploaded video.
        upload: Upload,
        /// When it was uploaded.
        requested_at: DateTime<Utc>,
    },
    /// A converter started on it.
    ConversionStarted {
        /// The name of the converter that took it.
        converter: String,
        /// When it took it.
        started_at: DateTime<Utc>,
    },
    /// The conversion advanced.
    ConversionProgressed {
        /// How far ffmpeg got, 0–100.
        percent: u8,
        /// When it got there.
        at: DateTime<Utc>,
    },
    /// The MP3 is ready.
    ConversionSucceeded {
        /// The MP3 made.
        mp3: Mp3,
        /// When it was stored.
        finished_at: DateTime<Utc>,
        /// The name the client gave the video.
        filename: String,
        /// Where to tell the owner it is done.
        owner_email: String,
    },
    /// It failed for good.
    ConversionFailed {
        /// Why it cannot be converted.
        reason: String,
        /// When it failed.
        failed_at: DateTime<Utc>,
        /// The name the client gave the video.
        filename: String,
        /// Where to tell the owner it failed.
        owner_email: String,
    },
}

impl DomainEvent for ConversionEvent {
    fn event_type(&self) -> String {
        match self {
            ConversionEvent::ConversionRequested { .. } => "ConversionRequested",
            ConversionEvent::ConversionStarted { .. } => "ConversionStarted",
            ConversionEvent::ConversionProgressed { .. } => "ConversionProgressed",
            ConversionEvent::ConversionSucceeded { .. } => "ConversionSucceeded",
            ConversionEvent::ConversionFailed { .. } => "ConversionFailed",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a conversion refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversionRefusal {
    /// This id was already requested (an idempotent replay, or a different request).
    #[error("the conversion was already requested")]
    AlreadyRequested {
        /// The hash of the request that asked for it.
        request_hash: String,
    },
    /// No conversion has this id.
    #[error("no such conversion")]
    Unknown,
    /// It already succeeded or failed.
    #[error("the conversion is already finished")]
    Finished,
}

/// Where a conversion stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversionStatus {
    /// Waiting for a converter.
    Queued,
    /// Being converted.
    Running,
    /// The MP3 is ready.
    Succeeded,
    /// It cannot be converted.
    Failed,
}

/// A conversion's state.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversion {
    upload: Option<Upload>,
    status: Option<ConversionStatus>,
    progress: u8,
}

impl Conversion {
    /// The uploaded video, once requested.
    pub fn upload(&self) -> Option<&Upload> {
        self.upload.as_ref()
    }

    /// Where it stands, once requested.
    pub fn status(&self) -> Option<ConversionStatus> {
        self.status
    }
}

/// Decides what a command does to a conversion.
pub fn decide(
    conversion: &Conversion,
    command: ConversionCommand,
) -> Result<Vec<ConversionEvent>, ConversionRefusal> {
    let Some(upload) = &conversion.upload else {
        return match command {
            ConversionCommand::Request { upload, at } => {
                Ok(vec![ConversionEvent::ConversionRequested { upload, requested_at: at }])
            }
            _ => Err(ConversionRefusal::Unknown),
        };
    };
    if let ConversionCommand::Request { .. } = command {
        return Err(ConversionRefusal::AlreadyRequested { request_hash: upload.request_hash.clone() });
    }
    if matches!(conversion.status, Some(ConversionStatus::Succeeded | ConversionStatus::Failed)) {
        return Err(ConversionRefusal::Finished);
    }
    let finished = |upload: &Upload| (upload.filename.clone(), upload.owner_email.clone());
    Ok(match command {
        ConversionCommand::Request { .. } => vec![],
        ConversionCommand::Start { converter, at } => {
            vec![ConversionEvent::ConversionStarted { converter, started_at: at }]
        }
        ConversionCommand::Progress { percent, at } if percent > conversion.progress && percent <= 100 => {
            vec![ConversionEvent::ConversionProgressed { percent, at }]
        }
        ConversionCommand::Progress { .. } => vec![],
        ConversionCommand::Complete { mp3, at } => {
            let (filename, owner_email) = finished(upload);
            vec![ConversionEvent::ConversionSucceeded { mp3, finished_at: at, filename, owner_email }]
        }
        ConversionCommand::Fail { reason, at } => {
            let (filename, owner_email) = finished(upload);
            vec![ConversionEvent::ConversionFailed { reason, failed_at: at, filename, owner_email }]
        }
    })
}

impl Aggregate for Conversion {
    const TYPE: &'static str = "conversion";
    type Command = ConversionCommand;
    type Event = ConversionEvent;
    type Error = ConversionRefusal;
    type Services = ();

    async fn handle(
        &mut self,
        command: ConversionCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ConversionRefusal> {
        for event in decide(self, command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ConversionEvent) {
        match event {
            ConversionEvent::ConversionRequested { upload, .. } => {
                self.upload = Some(upload);
                self.status = Some(ConversionStatus::Queued);
            }
            ConversionEvent::ConversionStarted { .. } => {
                self.status = Some(ConversionStatus::Running);
                self.progress = 0;
            }
            ConversionEvent::ConversionProgressed { percent, .. } => self.progress = percent,
            ConversionEvent::ConversionSucceeded { .. } => self.status = Some(ConversionStatus::Succeeded),
            ConversionEvent::ConversionFailed { .. } => self.status = Some(ConversionStatus::Failed),
        }
    }
}

#[cfg(test)]
mod tests;
