//! `dependsOn` on the command side: a job may only wait for jobs of its caller's that exist (queued
//! through `POST /v1/jobs` or a batch), and, in a batch, for other jobs of the batch by place (`"$N"`)
//! as long as no cycle forms. A job queued alone can only name jobs that exist already, so it cannot
//! close a cycle; the batch is the one place where one could form, and is checked as a whole.

use std::collections::HashSet;

use domain::FieldError;
use domain::jobs::{Dependency, Job, dependency_cycles};
use sqlx::PgPool;

use crate::failure::Failure;

/// Which of `ids` are jobs of `owner`'s, in one query: a job's first event records its owner.
async fn owned(pool: &PgPool, owner: &str, ids: &[String]) -> Result<HashSet<String>, Failure> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<String> = sqlx::query_scalar(
        "SELECT aggregate_id FROM events
         WHERE aggregate_type = $1 AND aggregate_id = ANY($2) AND sequence = 1
           AND payload->'JobQueued'->'spec'->>'owner' = $3",
    )
    .bind(<Job as cqrs_es::Aggregate>::TYPE)
    .bind(ids)
    .bind(owner)
    .fetch_all(pool)
    .await?;
    Ok(found.into_iter().collect())
}

/// The error for a `dependsOn` naming `id`, which is no job of the caller's (unknown and someone
/// else's are answered alike, so nothing leaks).
fn not_yours(field: &str, id: &str) -> FieldError {
    FieldError::new(field, format!("names {id}, which is no job of yours"))
}

/// The ids a job queued alone depends on, once each is known to be a job of `owner`'s.
pub(super) async fn of_one_job(
    pool: &PgPool,
    owner: &str,
    dependencies: Vec<Dependency>,
) -> Result<Vec<String>, Failure> {
    let ids: Vec<String> = dependencies
        .into_iter()
        .filter_map(|dependency| match dependency {
            Dependency::Job(id) => Some(id),
            Dependency::Item(_) => None, // refused while parsing outside a batch
        })
        .collect();
    let found = owned(pool, owner, &ids).await?;
    let errors: Vec<FieldError> =
        ids.iter().filter(|id| !found.contains(*id)).map(|id| not_yours("dependsOn", id)).collect();
    if errors.is_empty() { Ok(ids) } else { Err(errors.into()) }
}

/// The errors of a batch whose jobs name each other in a cycle (or name themselves), one per job on
/// a cycle, named `jobs[i].dependsOn`.
pub(super) fn cycle_errors(dependencies: &[Vec<Dependency>]) -> Vec<FieldError> {
    let references: Vec<Vec<usize>> = dependencies
        .iter()
        .map(|each| {
            each.iter()
                .filter_map(|dependency| match dependency {
                    Dependency::Item(place) => Some(*place),
                    Dependency::Job(_) => None,
                })
                .collect()
        })
        .collect();
    dependency_cycles(&references)
        .into_iter()
        .map(|(place, others)| {
            let message = if others.is_empty() {
                "names its own job: a job cannot depend on itself".to_owned()
            } else {
                let others: Vec<String> = others.iter().map(|other| format!("${other}")).collect();
                format!("forms a cycle with {}: none of them could ever run", others.join(", "))
            };
            FieldError::new(format!("jobs[{place}].dependsOn"), message)
        })
        .collect()
}

/// Checks that every job id a batch's jobs name is a job of `owner`'s, in one query; errors name
/// `jobs[i].dependsOn`.
pub(super) async fn check_batch(
    pool: &PgPool,
    owner: &str,
    dependencies: &[&[Dependency]],
) -> Result<(), Failure> {
    let mut ids: Vec<String> = dependencies
        .iter()
        .flat_map(|each| each.iter())
        .filter_map(|dependency| match dependency {
            Dependency::Job(id) => Some(id.clone()),
            Dependency::Item(_) => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let found = owned(pool, owner, &ids).await?;
    let mut errors = Vec::new();
    for (place, each) in dependencies.iter().enumerate() {
        for dependency in *each {
            if let Dependency::Job(id) = dependency
                && !found.contains(id)
            {
                errors.push(not_yours(&format!("jobs[{place}].dependsOn"), id));
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors.into()) }
}

/// A batch job's dependencies as job ids, once the batch's own ids are minted.
pub(super) fn resolve(dependencies: Vec<Dependency>, batch_ids: &[String]) -> Vec<String> {
    dependencies
        .into_iter()
        .map(|dependency| match dependency {
            Dependency::Job(id) => id,
            Dependency::Item(place) => batch_ids[place].clone(),
        })
        .collect()
}
