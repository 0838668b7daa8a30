//! Every stored event through the read model's plans, as the projector meets it.

use chrono::TimeDelta;
use read_model::{GameBook, LogEntry, plan_batch};

use crate::fixture::stored_events;

#[test]
fn every_stored_event_plans_into_operations_alone_and_in_one_batch() {
    let events = stored_events();
    let now = events.iter().map(|event| event.recorded_at).max().expect("a fixture") + TimeDelta::seconds(1);

    // One batch each, so a failure names its event; in log order, with the games as the events before
    // it configured them.
    let mut games = GameBook::new();
    for event in &events {
        let plan = plan_batch(&[event.log_entry()], &mut games, now)
            .unwrap_or_else(|error| panic!("{} does not plan: {error}", event.id()));
        assert_eq!(plan.unknown, [], "{} is of an aggregate the plans do not know", event.id());
    }

    let entries: Vec<LogEntry<'_>> = events.iter().map(|event| event.log_entry()).collect();
    let plan = plan_batch(&entries, &mut GameBook::new(), now).expect("the whole fixture plans as one batch");
    assert_eq!(plan.unknown, []);
    assert!(!plan.ops.is_empty());
}
