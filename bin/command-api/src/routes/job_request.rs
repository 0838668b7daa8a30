//! A job's body, as `POST /v1/jobs` and each item of `POST /v1/jobs/batch` send it, and its parsing
//! into a [`JobSpec`].

use chrono::{DateTime, SubsecRound, Utc};
use domain::errors::FieldErrors;
use domain::jobs::{Dependency, JobSpec, JobStatus, Uniqueness, parse_dependencies};
use read_model::boards::timestamp;
use read_model::documents::JobDocument;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::state::JobsState;

/// The priority of a job that does not say.
const DEFAULT_PRIORITY: u8 = 5;
/// The runs a job gets when it does not say.
const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The most runs a job may ask for.
const MOST_ATTEMPTS: u32 = 25;

/// A job, as sent.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobRequest {
    /// What the job is about: not blank, at most 65,536 characters (`jobs.max_message_chars`).
    #[schema(
        example = "resize the avatar of user 42",
        required = true,
        nullable = false,
        max_length = 65536,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    message: Option<String>,
    /// `message` (default) or `webhook`.
    #[schema(value_type = Option<JobKindName>)]
    kind: Option<String>,
    /// 0–9, default 5; 9 runs first.
    #[schema(minimum = 0, maximum = 9)]
    priority: Option<i64>,
    /// Not before this time (RFC 3339).
    #[schema(format = DateTime,
        pattern = r"^([0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))|([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")]
    run_at: Option<String>,
    /// 1–25, default 3: how many runs before the job fails for good.
    #[schema(minimum = 1, maximum = 25)]
    max_attempts: Option<i64>,
    /// The kind's input. A `webhook` needs `{ "url": … }` with a host on the settings' allow-list
    /// (`jobs.webhook_allowed_hosts`, loopback by default).
    #[schema(value_type = Option<Object>)]
    payload: Option<serde_json::Value>,
    /// 1–255 characters: while a job of yours with this key is not final (or, with `uniqueFor`, for
    /// that many seconds after it was queued), the same key queues nothing and answers 200 with that
    /// job and `"deduplicated": true` (in a batch: that job's item, also for an earlier job of the
    /// batch with the same key).
    #[schema(min_length = 1, max_length = 255, example = "nightly-report-2026-12-06")]
    pub(super) unique_key: Option<String>,
    /// 1–31,536,000 seconds, only with `uniqueKey`: how long after the first job was queued the key
    /// keeps others out, whatever that job's status. Default: until the job is final.
    #[schema(minimum = 1, maximum = 31536000)]
    pub(super) unique_for: Option<i64>,
    /// Up to 100 ids of jobs of yours that must succeed first: until they have, the job is `waiting`;
    /// if one fails or is cancelled, the job is cancelled with an `error.message` naming it. In a
    /// batch, `"$N"` names the batch's job at place N (from 0), so a whole flow is queued at once; a
    /// job naming itself, or jobs naming each other in a cycle, are a 422.
    #[schema(max_items = 100, value_type = Option<Vec<DependencyName>>)]
    pub(super) depends_on: Option<Vec<String>>,
}

/// A job's id, or, in a batch, `$N`: the batch's job at place N.
#[derive(ToSchema)]
#[schema(
    pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\$(0|[1-9][0-9]{0,2}))$",
    example = "0193a0b3-0a1b-7c2d-8e3f-405162738495"
)]
#[allow(dead_code)] // describes an entry of `dependsOn` in the document
struct DependencyName(String);

/// The kinds of job `POST /v1/jobs` queues.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // describes `kind` in the document
enum JobKindName {
    /// Records its message.
    Message,
    /// POSTs `payload` to `payload.url`, signed.
    Webhook,
}

/// The document of a job just accepted, before the projector has seen it.
pub(super) fn first_document(id: &str, spec: &JobSpec, now: DateTime<Utc>) -> JobDocument {
    let mut document = JobDocument::queued(id, domain::jobs::JobKind::ScoreSubmit, now);
    document.kind = spec.kind.clone();
    document.priority = spec.priority;
    document.max_attempts = spec.max_attempts;
    document.run_at = spec.run_at.map(timestamp);
    if !spec.depends_on.is_empty() {
        document.status = JobStatus::Waiting;
        document.depends_on = Some(spec.depends_on.clone());
    } else if spec.run_at.is_some_and(|run_at| run_at > now) {
        document.status = JobStatus::Scheduled;
    }
    document
}

/// A job's body, parsed: what is asked for, and the jobs it names in `dependsOn`, which the caller
/// checks (they must be the caller's) and writes into `spec.depends_on`.
pub(super) struct ParsedJob {
    /// What is asked for; `depends_on` still empty.
    pub spec: JobSpec,
    /// `dependsOn`, parsed.
    pub dependencies: Vec<Dependency>,
}

/// Parses a job's body into what is asked for; every error names its field. `batch_len` is the size
/// of the batch the job is part of, if any (which lets `dependsOn` name the batch's jobs).
pub(super) fn parse(
    state: &JobsState,
    request: JobRequest,
    owner: &str,
    request_hash: String,
    batch_len: Option<usize>,
) -> Result<ParsedJob, Vec<domain::FieldError>> {
    let mut errors = FieldErrors::default();
    let dependencies =
        errors.check("dependsOn", parse_dependencies(request.depends_on.unwrap_or_default(), batch_len));
    let message = errors.check(
        "message",
        match request.message {
            None => Err("is required".to_owned()),
            Some(message) if message.trim().is_empty() => Err("must not be empty".to_owned()),
            Some(message) if message.chars().count() > state.max_job_message_chars => {
                Err(format!("must be at most {} characters", state.max_job_message_chars))
            }
            Some(message) => Ok(message),
        },
    );
    let kind = request.kind.unwrap_or_else(|| "message".to_owned());
    let handler = state.job_kinds.get(&kind);
    if handler.is_none() {
        errors.push("kind", format!("must be one of {}", state.job_kinds.kinds().join(", ")));
    }
    let priority = errors.check(
        "priority",
        match request.priority {
            None => Ok(DEFAULT_PRIORITY),
            Some(p @ 0..=9) => Ok(p as u8),
            Some(_) => Err("must be an integer from 0 to 9".to_owned()),
        },
    );
    let max_attempts = errors.check(
        "maxAttempts",
        match request.max_attempts {
            None => Ok(DEFAULT_MAX_ATTEMPTS),
            Some(n) if (1..=i64::from(MOST_ATTEMPTS)).contains(&n) => Ok(n as u32),
            Some(_) => Err(format!("must be an integer from 1 to {MOST_ATTEMPTS}")),
        },
    );
    let run_at = match request.run_at {
        None => Some(None),
        Some(text) => errors
            .check(
                "runAt",
                DateTime::parse_from_rfc3339(&text)
                    .map(|at| at.with_timezone(&Utc).trunc_subsecs(6))
                    .map_err(|_| "must be an RFC 3339 time, e.g. 2026-11-23T10:00:00Z".to_owned()),
            )
            .map(Some),
    };
    if request.payload.as_ref().is_some_and(|payload| !payload.is_object()) {
        errors.push("payload", "must be an object");
    } else if let (Some(handler), Some(message)) = (&handler, &message) {
        for error in handler.validate(message, request.payload.as_ref()).err().unwrap_or_default() {
            errors.push(&error.field, error.message);
        }
    }
    let unique = match Uniqueness::parse(request.unique_key, request.unique_for) {
        Ok(unique) => Some(unique),
        Err(unique_errors) => {
            for error in unique_errors {
                errors.push(&error.field, error.message);
            }
            None
        }
    };
    errors.finish()?;
    let (Some(message), Some(priority), Some(max_attempts), Some(run_at), Some(unique), Some(dependencies)) =
        (message, priority, max_attempts, run_at, unique, dependencies)
    else {
        return Err(vec![]);
    };
    let spec = JobSpec {
        kind,
        message,
        priority,
        run_at,
        max_attempts,
        payload: request.payload,
        owner: owner.to_owned(),
        request_hash,
        unique,
        depends_on: Vec::new(),
    };
    Ok(ParsedJob { spec, dependencies })
}
