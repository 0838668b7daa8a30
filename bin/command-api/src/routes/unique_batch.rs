//! Unique jobs in a batch: a job whose `uniqueKey` another job of the caller's holds, or an earlier job
//! of the same batch has, is not queued; its place in the answer names the job it was collapsed into.
//! The keys are claimed inside the batch's transaction, so they commit with the jobs' first events or
//! not at all, and in the keys' order, so two batches with keys in common wait for each other instead
//! of deadlocking.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::jobs::{Dependency, Uniqueness};
use sqlx::PgConnection;

use super::job_request::ParsedJob;
use super::unique_jobs::claim_value;
use crate::claims::{Claim, claim_or_find_holder};
use crate::failure::Failure;
use crate::state::JobsState;

/// What one job of a batch became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Placement {
    /// Queued under its own id.
    New,
    /// Collapsed into the batch's earlier job at this place, which has the same `uniqueKey`.
    SameAs(usize),
    /// Collapsed into this job of the caller's, which held the `uniqueKey` already.
    Existing(String),
}

/// For each job of a batch, the place of the batch's first job with the same unique key: its own
/// place when it has no key or is the first with it.
pub(super) fn first_with_same_key(keys: &[Option<&str>]) -> Vec<usize> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    keys.iter()
        .enumerate()
        .map(|(place, key)| match key {
            Some(key) => *first.entry(key).or_insert(place),
            None => place,
        })
        .collect()
}

/// The batch's `dependsOn` as the jobs that will be queued see them: a job collapsed into an earlier
/// one of the batch is not queued, so it names nothing, and `"$N"` names the job that place N stands
/// for. A cycle through two jobs with one key is a cycle through one job.
pub(super) fn merged_dependencies(
    dependencies: &[Vec<Dependency>],
    firsts: &[usize],
) -> Vec<Vec<Dependency>> {
    dependencies
        .iter()
        .enumerate()
        .map(|(place, each)| {
            if firsts[place] != place {
                return Vec::new();
            }
            each.iter()
                .map(|dependency| match dependency {
                    Dependency::Item(other) => Dependency::Item(firsts[*other]),
                    Dependency::Job(id) => Dependency::Job(id.clone()),
                })
                .collect()
        })
        .collect()
}

/// Claims, inside the batch's transaction, the key of each job that is the first of the batch with
/// it, for that job's id (`ids[place]`), and answers what each job becomes.
pub(super) async fn claim_keys(
    connection: &mut PgConnection,
    owner: &str,
    jobs: &[ParsedJob],
    ids: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<Placement>, sqlx::Error> {
    let uniques: Vec<Option<&Uniqueness>> = jobs.iter().map(|job| job.spec.unique.as_ref()).collect();
    let keys: Vec<Option<&str>> = uniques.iter().map(|unique| unique.map(|u| u.key.as_str())).collect();
    let firsts = first_with_same_key(&keys);
    let mut placements: Vec<Placement> = firsts
        .iter()
        .enumerate()
        .map(|(place, &first)| if first == place { Placement::New } else { Placement::SameAs(first) })
        .collect();
    let mut claiming: Vec<(usize, &Uniqueness)> = uniques
        .iter()
        .enumerate()
        .filter_map(|(place, unique)| unique.filter(|_| firsts[place] == place).map(|u| (place, u)))
        .collect();
    claiming.sort_by(|(_, a), (_, b)| a.key.cmp(&b.key));
    for (place, unique) in claiming {
        let value = claim_value(owner, unique);
        let holder = claim_or_find_holder(
            &mut *connection,
            Claim::UniqueJob,
            &value,
            &ids[place],
            unique.expires_at(now),
            now,
        )
        .await?;
        if holder != ids[place] {
            placements[place] = Placement::Existing(holder);
        }
    }
    Ok(placements)
}

/// The job each place stands for: its own, or the one it was collapsed into.
pub(super) fn standing_for(placements: &[Placement], ids: &[String]) -> Vec<String> {
    let mut standing: Vec<String> = Vec::with_capacity(ids.len());
    for (place, placement) in placements.iter().enumerate() {
        let id = match placement {
            Placement::New => ids[place].clone(),
            // An earlier place: its job is known already.
            Placement::SameAs(first) => standing[*first].clone(),
            Placement::Existing(holder) => holder.clone(),
        };
        standing.push(id);
    }
    standing
}

/// The status of each job that was there before the batch and took some of its jobs in, from the
/// log, in one query.
pub(super) async fn existing_statuses(
    state: &JobsState,
    placements: &[Placement],
) -> Result<HashMap<String, &'static str>, Failure> {
    let mut holders: Vec<&str> = placements
        .iter()
        .filter_map(|placement| match placement {
            Placement::Existing(holder) => Some(holder.as_str()),
            _ => None,
        })
        .collect();
    holders.sort_unstable();
    holders.dedup();
    let loaded = state.jobs.load_many(&holders).await?;
    Ok(loaded
        .into_iter()
        .filter_map(|(id, (job, _))| job.status().map(|status| (id, status.as_str())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_job_points_at_the_first_of_the_batch_with_its_key() {
        let keys = [Some("a"), None, Some("b"), Some("a"), None, Some("b"), Some("a")];
        assert_eq!(first_with_same_key(&keys), [0, 1, 2, 0, 4, 2, 0]);
    }

    #[test]
    fn a_collapsed_job_names_nothing_and_references_to_it_name_the_first_with_its_key() {
        let dependencies = vec![
            vec![],
            vec![Dependency::Item(2), Dependency::Job("j".to_owned())],
            vec![Dependency::Item(0)],
        ];
        let merged = merged_dependencies(&dependencies, &[0, 1, 0]);
        assert_eq!(merged, [vec![], vec![Dependency::Item(0), Dependency::Job("j".to_owned())], vec![]]);
    }

    #[test]
    fn a_place_stands_for_its_own_job_the_earlier_one_it_repeats_or_the_job_that_held_its_key() {
        let ids: Vec<String> = ["i0", "i1", "i2", "i3"].map(str::to_owned).to_vec();
        let placements = [
            Placement::Existing("held".to_owned()),
            Placement::New,
            Placement::SameAs(0),
            Placement::SameAs(1),
        ];
        assert_eq!(standing_for(&placements, &ids), ["held", "i1", "held", "i1"]);
    }
}
