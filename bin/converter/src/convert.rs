//! One delivery of `conversion.requested`, from the message to the committed outcome.

use std::path::{Path, PathBuf};
use std::time::Duration;

use blobs::BlobError;
use domain::conversions::{Conversion, ConversionCommand, ConversionEvent, ConversionRefusal, Mp3, Upload};
use eventlog::{CommandError, EventStore, Metadata};
use messaging::lapin::message::Delivery;
use tokio::sync::watch;

use crate::ffmpeg::{self, ConvertError};

/// How a delivery is settled.
pub enum Settle {
    /// Done with it: the outcome is in the log, or there is nothing to do.
    Ack,
    /// Give it back to be delivered again (the blob store is away).
    Requeue,
}

/// What every conversion needs.
pub struct Conversions {
    /// The conversions' aggregates.
    pub store: EventStore<Conversion>,
    /// Videos in, MP3s out.
    pub blobs: blobs::Blobs,
    /// The time.
    pub clock: domain::Clock,
    /// This converter's name, in the log.
    pub name: String,
    /// The longest a conversion may take.
    pub timeout: Duration,
    /// Where inputs and outputs live while converting.
    pub scratch: PathBuf,
    /// How long a conversion runs before its progress is recorded: someone waiting a fraction of a
    /// second learns nothing from a percentage, and each record is a commit that competes with ffmpeg.
    pub progress_after: Duration,
}

impl Conversions {
    /// The time, to the microsecond the documents show.
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::SubsecRound::trunc_subsecs(self.clock.now(), 6)
    }

    /// Handles one delivery; never panics, never leaves temporary files.
    pub async fn handle(&self, delivery: &Delivery) -> Settle {
        let envelope = match messaging::envelope_of(delivery) {
            Ok(envelope) => envelope,
            Err(error) => {
                tracing::error!(%error, "a message that is not an event envelope; dropping it");
                return Settle::Ack;
            }
        };
        let upload = match serde_json::from_value::<ConversionEvent>(envelope.payload.clone()) {
            Ok(ConversionEvent::ConversionRequested { upload, .. }) => upload,
            Ok(_) => return Settle::Ack,
            Err(error) => {
                tracing::error!(%error, event = %envelope.id, "a conversion event this converter cannot read; dropping it");
                return Settle::Ack;
            }
        };
        tracing::info!(conversion = %envelope.aggregate_id, "converting");
        let id = envelope.aggregate_id.clone();
        let start = ConversionCommand::Start { converter: self.name.clone(), at: self.now() };
        if !self.record(&id, start).await {
            metrics::counter!("conversions_duplicates_total").increment(1);
            return Settle::Ack;
        }
        let timer = std::time::Instant::now();
        let scratch = Scratch::new(&self.scratch, &id);
        let outcome = self.convert(&id, &upload, &scratch).await;
        let command = match outcome {
            Ok(mp3) => ConversionCommand::Complete { mp3, at: self.now() },
            Err(Failure::Permanent(reason)) => ConversionCommand::Fail { reason, at: self.now() },
            Err(Failure::Transient(reason)) => {
                tracing::warn!(conversion = %id, reason, "giving the conversion back to try later");
                tokio::time::sleep(Duration::from_secs(1)).await;
                return Settle::Requeue;
            }
        };
        let succeeded = matches!(command, ConversionCommand::Complete { .. });
        self.record(&id, command).await;
        metrics::histogram!("conversion_seconds").record(timer.elapsed().as_secs_f64());
        let outcome = if succeeded { "succeeded" } else { "failed" };
        metrics::counter!("conversions_finished_total", "outcome" => outcome).increment(1);
        Settle::Ack
    }

    async fn convert(&self, id: &str, upload: &Upload, scratch: &Scratch) -> Result<Mp3, Failure> {
        let (input, output) = (scratch.dir.join("input"), scratch.dir.join("output.mp3"));
        std::fs::create_dir_all(&scratch.dir)
            .map_err(|e| Failure::Transient(format!("scratch space: {e}")))?;
        // A local store's blob is read in place; any other is copied to scratch space first.
        let input = match self.blobs.local_path(&upload.video_key) {
            Some(in_place) => in_place,
            None => match self.blobs.download_to(&upload.video_key, &input).await {
                Ok(_) => input,
                Err(BlobError::NotFound) => {
                    return Err(Failure::Permanent("the uploaded video is gone".to_owned()));
                }
                Err(error) => return Err(Failure::Transient(error.to_string())),
            },
        };
        // ffprobe's start-up costs as much as converting a minute of audio: probe while converting,
        // and turn ffmpeg's progress into percentages once the duration is known.
        let duration = std::sync::OnceLock::new();
        let probing = async {
            let probed = ffmpeg::probe(&input).await;
            if let Ok(seconds) = &probed {
                let _ = duration.set(*seconds);
            }
            probed
        };
        let (report, reports) = watch::channel(0u8);
        // The sender moves into the conversion, so the progress reports end when it does.
        let known = &duration;
        let converting = ffmpeg::convert(&input, &output, self.timeout, move |out_time_us| {
            if let Some(percent) = known.get().and_then(|seconds| ffmpeg::percent_of(out_time_us, *seconds)) {
                report.send_replace(percent);
            }
        });
        // ffmpeg is the longer of the two: it starts first.
        let (converted, probed, ()) = tokio::join!(converting, probing, self.report_progress(id, reports));
        let duration_seconds = probed?;
        converted?;
        let key = format!("mp3/{id}.mp3");
        let stored = self
            .blobs
            .put_file(&key, &output)
            .await
            .map_err(|error| Failure::Transient(error.to_string()))?;
        Ok(Mp3 { key, bytes: stored.bytes, sha256: stored.sha256, duration_seconds })
    }

    /// Records progress in steps of ten percent, once the conversion has run `progress_after`, until
    /// it ends (the sender is dropped).
    async fn report_progress(&self, id: &str, mut reports: watch::Receiver<u8>) {
        let started = std::time::Instant::now();
        let mut recorded = 0;
        while reports.changed().await.is_ok() {
            let percent = *reports.borrow_and_update();
            if started.elapsed() >= self.progress_after && percent >= recorded + 10 {
                recorded = percent - percent % 10;
                let progress = ConversionCommand::Progress { percent: recorded, at: self.now() };
                let metadata = Metadata::from([("converter".to_owned(), self.name.clone())]);
                if let Err(error) = self.store.execute(id, progress, &metadata).await {
                    tracing::debug!(%error, "progress not recorded");
                }
            }
        }
    }

    /// Records a command, trying again while the log is away; `false` when the conversion refused it
    /// (it is finished: a duplicate delivery).
    async fn record(&self, id: &str, command: ConversionCommand) -> bool {
        let metadata = Metadata::from([
            ("converter".to_owned(), self.name.clone()),
            ("job_id".to_owned(), id.to_owned()),
        ]);
        let mut pause = Duration::from_millis(200);
        loop {
            match self.store.execute(id, command.clone(), &metadata).await {
                Ok(()) => return true,
                Err(CommandError::Rejected(ConversionRefusal::Finished)) => return false,
                Err(CommandError::Rejected(refusal)) => {
                    tracing::warn!(conversion = id, %refusal, "the conversion refused the converter");
                    return false;
                }
                Err(error) => {
                    tracing::warn!(conversion = id, %error, "cannot record the conversion's progress; trying again");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// Removes scratch directories older than the longest conversion: left by a converter that died.
    pub fn sweep_scratch(&self) {
        let Ok(entries) = std::fs::read_dir(&self.scratch) else { return };
        for entry in entries.flatten() {
            let stale = entry
                .metadata()
                .and_then(|meta| meta.modified())
                .ok()
                .and_then(|modified| modified.elapsed().ok())
                .is_some_and(|age| age > self.timeout);
            if stale {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// Why a conversion did not produce an MP3.
enum Failure {
    /// It never will (unreadable video, timeout): the conversion fails.
    Permanent(String),
    /// It may later (the blob store is away): the message is given back.
    Transient(String),
}

impl From<ConvertError> for Failure {
    fn from(error: ConvertError) -> Self {
        match error {
            ConvertError::Tool(reason) => Failure::Transient(reason),
            other => Failure::Permanent(other.to_string()),
        }
    }
}

/// A conversion's scratch directory, removed when dropped, whatever happened.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(root: &Path, id: &str) -> Self {
        Self { dir: root.join(format!("{id}-{}", uuid::Uuid::now_v7().simple())) }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
