//! Job dependencies: a job may wait for other jobs of its owner to succeed before it runs. A request
//! names them in `dependsOn` by id, or, inside a batch, by the place of another job of the same batch
//! (`"$3"`), so a whole flow is queued in one request; a batch whose references form a cycle is
//! refused, and a job queued alone can only name jobs that exist already, so it cannot close one.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most dependencies one job may have.
pub const MAX_DEPENDENCIES: usize = 100;

/// How a dependency ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DependencyOutcome {
    /// It succeeded: one fewer to wait for.
    Succeeded,
    /// It failed for good: the jobs waiting for it are cancelled.
    Failed,
    /// It was cancelled: the jobs waiting for it are cancelled.
    Cancelled,
}

impl DependencyOutcome {
    /// The outcome a job's final event records (`JobSucceeded`, `JobFailed`, `JobCancelled`); `None`
    /// for any other event type.
    pub fn of_event_type(event_type: &str) -> Option<Self> {
        match event_type {
            "JobSucceeded" => Some(Self::Succeeded),
            "JobFailed" => Some(Self::Failed),
            "JobCancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }

    /// Why a job waiting for `dependency` is cancelled, when this outcome cancels it.
    pub fn cancels(self, dependency: &str) -> Option<String> {
        match self {
            Self::Succeeded => None,
            Self::Failed => Some(format!("its dependency {dependency} failed")),
            Self::Cancelled => Some(format!("its dependency {dependency} was cancelled")),
        }
    }
}

/// One entry of `dependsOn`, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dependency {
    /// A job that exists already, by id (a UUID, written as the API writes ids).
    Job(String),
    /// Another job of the same batch, by its place in the batch, from 0.
    Item(usize),
}

/// Parses `dependsOn`: at most 100 entries, each a job id or, in a batch of `batch_len` jobs, `"$N"`
/// naming the job at place N. Repeated entries count once. The error says what is wrong, for the
/// field `dependsOn`.
pub fn parse_dependencies(raw: Vec<String>, batch_len: Option<usize>) -> Result<Vec<Dependency>, String> {
    if raw.len() > MAX_DEPENDENCIES {
        return Err(format!("must name at most {MAX_DEPENDENCIES} jobs"));
    }
    let mut parsed = Vec::with_capacity(raw.len());
    for entry in raw {
        let dependency = match (entry.strip_prefix('$'), batch_len) {
            (Some(digits), Some(len)) => match digits.parse::<usize>() {
                // Only the plain digits: `$01` and `$+1` are not taken for `$1`.
                Ok(place) if place < len && place.to_string() == digits => Dependency::Item(place),
                _ => return Err(format!("{entry:?} names no job of this batch (from $0 to ${})", len - 1)),
            },
            (Some(_), None) => {
                return Err(format!("{entry:?}: references to other jobs ($N) work only in a batch"));
            }
            (None, _) => match Uuid::try_parse(&entry) {
                Ok(id) => Dependency::Job(id.hyphenated().to_string()),
                Err(_) => return Err(format!("{entry:?} is not a job id")),
            },
        };
        if !parsed.contains(&dependency) {
            parsed.push(dependency);
        }
    }
    Ok(parsed)
}

/// The places of the batch's jobs that lie on a cycle of references (a job naming itself included),
/// each with the places of the others on its cycle, in ascending order; empty when there is none.
/// `references[i]` lists the places job `i` depends on.
pub fn cycles(references: &[Vec<usize>]) -> Vec<(usize, Vec<usize>)> {
    let mut found = Vec::new();
    for component in strongly_connected(references) {
        let looped = component.len() > 1 || references[component[0]].contains(&component[0]);
        if looped {
            for &place in &component {
                let others = component.iter().copied().filter(|&other| other != place).collect();
                found.push((place, others));
            }
        }
    }
    found.sort();
    found
}

/// Tarjan's strongly connected components, without recursion (a batch holds up to 1,000 jobs).
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let count = edges.len();
    let (mut index, mut low, mut on_stack) = (vec![usize::MAX; count], vec![0; count], vec![false; count]);
    let (mut next_index, mut stack, mut components) = (0, Vec::new(), Vec::new());
    for root in 0..count {
        if index[root] != usize::MAX {
            continue;
        }
        // Each frame: a node and how many of its edges were followed.
        let mut frames = vec![(root, 0)];
        (index[root], low[root], on_stack[root]) = (next_index, next_index, true);
        next_index += 1;
        stack.push(root);
        while let Some(&(node, followed)) = frames.last() {
            if let Some(&next) = edges[node].get(followed) {
                frames.last_mut().expect("a frame").1 += 1;
                if next >= count {
                    continue; // not a place of the batch
                }
                if index[next] == usize::MAX {
                    (index[next], low[next], on_stack[next]) = (next_index, next_index, true);
                    next_index += 1;
                    stack.push(next);
                    frames.push((next, 0));
                } else if on_stack[next] {
                    low[node] = low[node].min(index[next]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                component.sort_unstable();
                components.push(component);
            }
        }
    }
    components
}

#[cfg(test)]
mod tests;
