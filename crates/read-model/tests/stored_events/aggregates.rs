//! Every stored event through its aggregate, and every event type of the code in the fixture.

use crate::fixture::{StoredEvent, recorded, stored_events};
use crate::kinds::{aggregate_types_declared_in, kinds};

#[test]
fn every_stored_event_loads_into_its_aggregates_event_type_and_applies_to_it() {
    let events = stored_events();
    let mut replayed = 0;
    for kind in kinds() {
        let own: Vec<&StoredEvent> =
            events.iter().filter(|e| e.aggregate_type == kind.aggregate_type).collect();
        let types = (kind.replay)(&own).unwrap_or_else(|reason| panic!("{reason}"));
        for (stored, loaded) in own.iter().zip(types) {
            assert_eq!(
                (stored.event_type.as_str(), stored.event_version.as_str()),
                (loaded.event_type.as_str(), loaded.event_version.as_str()),
                "{} loads as another type or version than it is stored under",
                stored.id()
            );
        }
        replayed += own.len();
    }
    let known: Vec<&str> = kinds().iter().map(|kind| kind.aggregate_type).collect();
    let unknown: Vec<String> =
        events.iter().filter(|e| !known.contains(&e.aggregate_type.as_str())).map(StoredEvent::id).collect();
    assert_eq!(unknown, Vec::<String>::new(), "stored events of no aggregate the code knows");
    assert_eq!(replayed, events.len());
}

#[test]
fn every_event_type_in_the_code_has_a_stored_event_of_the_version_it_records_today() {
    let (as_recorded, upcast) = (recorded(), stored_events());
    let mut missing = Vec::new();
    for kind in kinds() {
        let (recorded, loaded): (Vec<&StoredEvent>, Vec<&StoredEvent>) =
            as_recorded.iter().zip(&upcast).filter(|(_, e)| e.aggregate_type == kind.aggregate_type).unzip();
        let loaded = (kind.replay)(&loaded).unwrap_or_else(|reason| panic!("{reason}"));
        for variant in kind.variants {
            // The version the code writes this type at today, as the fixture's entries of it load.
            let today = loaded.iter().find(|l| l.event_type == *variant).map(|l| l.event_version.as_str());
            let recorded_today =
                recorded.iter().any(|r| r.event_type == *variant && Some(r.event_version.as_str()) == today);
            match (recorded_today, today) {
                (true, _) => {}
                (false, None) => missing.push(format!("{} {variant}: no entry", kind.aggregate_type)),
                (false, Some(version)) => missing.push(format!(
                    "{} {variant}: no entry recorded at version {version}, the one the code writes",
                    kind.aggregate_type
                )),
            }
        }
    }
    assert_eq!(missing, Vec::<String>::new(), "event types with no entry in events.json as recorded today");
}

#[test]
fn every_aggregate_the_domain_declares_is_replayed() {
    let domain = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../domain/src");
    let mut declared = aggregate_types_declared_in(&domain);
    let mut replayed: Vec<String> = kinds().iter().map(|kind| kind.aggregate_type.to_owned()).collect();
    declared.sort();
    replayed.sort();
    assert_eq!(replayed, declared, "kinds() and the aggregates of {} differ", domain.display());
}
