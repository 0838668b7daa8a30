use super::*;

const ID: &str = "0193a0b3-0a1b-7c2d-8e3f-405162738495";

fn strings(entries: &[&str]) -> Vec<String> {
    entries.iter().map(|entry| (*entry).to_owned()).collect()
}

#[test]
fn job_ids_are_accepted_in_the_apis_spelling_and_repeats_count_once() {
    let upper = ID.to_uppercase();
    let parsed = parse_dependencies(strings(&[ID, &upper, ID]), None).unwrap();
    assert_eq!(parsed, [Dependency::Job(ID.to_owned())]);
}

#[test]
fn an_entry_that_is_no_job_id_is_refused() {
    let refused = parse_dependencies(strings(&["tomorrow"]), None).unwrap_err();
    assert!(refused.contains("\"tomorrow\" is not a job id"), "{refused}");
}

#[test]
fn more_than_100_dependencies_are_refused() {
    let ids: Vec<String> = (0..101).map(|n| format!("0193a0b3-0a1b-7c2d-8e3f-{n:012}")).collect();
    assert!(parse_dependencies(ids[..100].to_vec(), None).is_ok());
    assert_eq!(parse_dependencies(ids, None).unwrap_err(), "must name at most 100 jobs");
}

#[test]
fn places_in_a_batch_are_named_by_dollar_and_their_index() {
    let parsed = parse_dependencies(strings(&["$0", "$2", ID]), Some(3)).unwrap();
    assert_eq!(parsed, [Dependency::Item(0), Dependency::Item(2), Dependency::Job(ID.to_owned())]);
}

#[test]
fn a_place_outside_the_batch_or_written_otherwise_is_refused() {
    for entry in ["$3", "$01", "$+1", "$", "$-1", "$x"] {
        assert!(parse_dependencies(strings(&[entry]), Some(3)).is_err(), "{entry} was accepted");
    }
}

#[test]
fn a_place_outside_a_batch_is_refused() {
    let refused = parse_dependencies(strings(&["$0"]), None).unwrap_err();
    assert!(refused.contains("only in a batch"), "{refused}");
}

#[test]
fn a_chain_and_a_diamond_have_no_cycle() {
    assert!(cycles(&[vec![], vec![0], vec![1]]).is_empty());
    assert!(cycles(&[vec![], vec![0], vec![0], vec![1, 2]]).is_empty());
}

#[test]
fn a_job_naming_itself_is_a_cycle_of_one() {
    assert_eq!(cycles(&[vec![], vec![1]]), [(1, vec![])]);
}

#[test]
fn every_job_on_a_cycle_is_named_with_the_others_on_it_and_jobs_depending_on_it_are_not() {
    // 1 → 2 → 3 → 1 is a cycle; 4 depends on it without being on it; 0 is alone.
    let references = [vec![], vec![2], vec![3], vec![1], vec![1]];
    assert_eq!(cycles(&references), [(1, vec![2, 3]), (2, vec![1, 3]), (3, vec![1, 2])]);
}

#[test]
fn two_separate_cycles_are_both_found() {
    let references = [vec![1], vec![0], vec![3], vec![2]];
    let on_cycles: Vec<usize> = cycles(&references).into_iter().map(|(place, _)| place).collect();
    assert_eq!(on_cycles, [0, 1, 2, 3]);
}

#[test]
fn a_long_chain_closing_on_itself_is_found_without_recursion() {
    let mut references: Vec<Vec<usize>> = (0..1000).map(|n| vec![n + 1]).collect();
    references[999] = vec![0];
    assert_eq!(cycles(&references).len(), 1000);
}

#[test]
fn only_final_event_types_are_outcomes_and_only_failures_cancel() {
    assert_eq!(DependencyOutcome::of_event_type("JobFailed"), Some(DependencyOutcome::Failed));
    assert_eq!(DependencyOutcome::of_event_type("JobStarted"), None);
    assert_eq!(DependencyOutcome::Succeeded.cancels(ID), None);
    assert_eq!(DependencyOutcome::Failed.cancels(ID), Some(format!("its dependency {ID} failed")));
}
