//! Plans for conversions: the conversion's document and its job's, both kept as fields the Redis
//! Function renders, and the owner's index of conversions.

use domain::conversions::ConversionEvent;
use domain::jobs::JobStatus;
use serde_json::{Value, json};

use super::Op;
use super::jobs::Patch;
use crate::boards::timestamp;
use crate::documents::{CONVERSION_FIELDS, ConversionLinks, JobLinks};
use crate::keys::{job_index_member, relative};
use crate::log_entry::LogEntry;

/// Plans one conversion event.
pub fn plan_conversion(event: &LogEntry<'_>, conversion_event: ConversionEvent, ops: &mut Vec<Op>) {
    let id = event.aggregate_id.as_ref();
    let (conversion, job) = match conversion_event {
        ConversionEvent::ConversionRequested { upload, requested_at } => {
            let created = timestamp(requested_at);
            ops.push(Op::AddByText {
                key: relative::conversions_of(&upload.owner),
                member: job_index_member(requested_at.timestamp_millis(), id),
            });
            let conversion = Patch::default()
                .set("id", id)
                .set("status", "queued")
                .set("filename", &upload.filename)
                .set("videoBytes", upload.video_bytes)
                .set("createdAt", &created)
                .set("links", ConversionLinks { mp3: None })
                .set("owner", &upload.owner);
            let job = Patch::default()
                .set("id", id)
                .set("kind", "conversion")
                .set("priority", 5)
                .set("attempts", 0)
                .set("maxAttempts", 1)
                .set("createdAt", &created)
                .set(
                    "links",
                    JobLinks {
                        this: format!("/v1/jobs/{id}"),
                        result: Some(format!("/v1/conversions/{id}")),
                    },
                );
            (conversion, job.status(JobStatus::Queued, requested_at, None))
        }
        ConversionEvent::ConversionStarted { converter, started_at } => (
            Patch::default().set("status", "running").set("progress", 0),
            Patch::default()
                .status(JobStatus::Running, started_at, Some(format!("on converter {converter}")))
                .set("attempts", 1)
                .set("progress", 0)
                .set("startedAt", timestamp(started_at)),
        ),
        ConversionEvent::ConversionProgressed { percent, at } => (
            Patch::default().set("progress", percent),
            Patch::default().set("progress", percent).set("updatedAt", timestamp(at)),
        ),
        ConversionEvent::ConversionSucceeded { mp3, finished_at, .. } => {
            let link = format!("/v1/conversions/{id}/mp3");
            let conversion = Patch::default()
                .set("status", "succeeded")
                .set("progress", 100)
                .set("mp3Bytes", mp3.bytes)
                .set("durationSeconds", mp3.duration_seconds)
                .set("finishedAt", timestamp(finished_at))
                .set("links", ConversionLinks { mp3: Some(link.clone()) })
                .set("mp3", json!({ "key": mp3.key, "bytes": mp3.bytes, "sha256": mp3.sha256 }));
            let job = Patch::default()
                .status(JobStatus::Succeeded, finished_at, None)
                .set("progress", 100)
                .set("finishedAt", timestamp(finished_at))
                .set("result", json!({ "conversionId": id, "mp3": link }));
            (conversion, job)
        }
        ConversionEvent::ConversionFailed { reason, failed_at, .. } => (
            Patch::default()
                .set("status", "failed")
                .set("finishedAt", timestamp(failed_at))
                .set("error", &reason),
            Patch::default()
                .status(JobStatus::Failed, failed_at, Some(reason.clone()))
                .set("finishedAt", timestamp(failed_at))
                .set("error", json!({ "message": reason, "retryable": false })),
        ),
    };
    ops.push(Op::Document {
        document: relative::conversion(id),
        fields_key: relative::conversion_fields(id),
        order: &CONVERSION_FIELDS,
        fields: conversion.fields,
    });
    ops.push(job.into_op(id));
}

/// What the query side needs to serve a conversion's MP3, kept hidden beside its document.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct StoredMp3 {
    /// Where it is stored.
    pub key: String,
    /// Its size.
    pub bytes: u64,
    /// Its SHA-256, the ETag.
    pub sha256: String,
}

/// Reads a hidden field's JSON.
pub fn hidden<T: serde::de::DeserializeOwned>(value: Option<&str>) -> Option<T> {
    value
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .and_then(|v| serde_json::from_value(v).ok())
}
