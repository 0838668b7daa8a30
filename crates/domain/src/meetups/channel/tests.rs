use cqrs_es::test::TestFramework;

use super::*;

const AT: DateTime<Utc> = DateTime::UNIX_EPOCH;

fn info(private: bool) -> ChannelInfo {
    ChannelInfo {
        name: ChannelName::parse("synths").unwrap(),
        description: "modular talk".into(),
        private,
        creator: "ada".into(),
        created_at: AT,
        meetup_id: None,
        request_hash: "h1".into(),
    }
}

fn created(private: bool) -> Vec<ChannelEvent> {
    vec![ChannelEvent::ChannelCreated { channel: info(private), members: vec!["ada".into()] }]
}

fn channel_after(events: Vec<ChannelEvent>) -> Channel {
    let mut channel = Channel::default();
    events.into_iter().for_each(|event| channel.apply(event));
    channel
}

#[test]
fn a_public_channel_admits_everyone_and_a_private_one_only_its_members() {
    assert!(channel_after(created(false)).admits("bob"));
    let private = channel_after(created(true));
    assert!(private.admits("ada"));
    assert!(!private.admits("bob"));
    let mut events = created(true);
    events.push(ChannelEvent::ChannelMemberAdded { user_id: "bob".into(), added_at: AT });
    assert!(channel_after(events).admits("bob"));
}

#[test]
fn only_the_creator_may_update_delete_or_manage_members() {
    let not_creator = [
        ChannelCommand::Update { by: "bob".into(), name: None, description: Some("x".into()), at: AT },
        ChannelCommand::Delete { by: "bob".into(), at: AT },
        ChannelCommand::AddMember { by: Some("bob".into()), user_id: "eve".into(), at: AT },
        ChannelCommand::RemoveMember { by: "bob".into(), user_id: "ada".into(), at: AT },
    ];
    for command in not_creator {
        TestFramework::<Channel>::with(())
            .given(created(true))
            .when(command)
            .then_expect_error(ChannelRefusal::NotCreator);
    }
}

#[test]
fn joining_through_a_meetup_needs_no_creator_and_joining_twice_changes_nothing() {
    TestFramework::<Channel>::with(())
        .given(created(false))
        .when(ChannelCommand::AddMember { by: None, user_id: "bob".into(), at: AT })
        .then_expect_events(vec![ChannelEvent::ChannelMemberAdded { user_id: "bob".into(), added_at: AT }]);
    TestFramework::<Channel>::with(())
        .given(created(false))
        .when(ChannelCommand::AddMember { by: None, user_id: "ada".into(), at: AT })
        .then_expect_events(vec![]);
}

#[test]
fn an_update_keeps_what_it_does_not_mention_and_an_unchanged_one_records_nothing() {
    let renamed = ChannelName::parse("modular").unwrap();
    TestFramework::<Channel>::with(())
        .given(created(false))
        .when(ChannelCommand::Update {
            by: "ada".into(),
            name: Some(renamed.clone()),
            description: None,
            at: AT,
        })
        .then_expect_events(vec![ChannelEvent::ChannelUpdated {
            channel: ChannelInfo { name: renamed, ..info(false) },
            edited_at: AT,
        }]);
    TestFramework::<Channel>::with(())
        .given(created(false))
        .when(ChannelCommand::Update { by: "ada".into(), name: None, description: None, at: AT })
        .then_expect_events(vec![]);
}

#[test]
fn a_deleted_channel_tells_its_last_members_and_then_is_unknown() {
    TestFramework::<Channel>::with(())
        .given(created(true))
        .when(ChannelCommand::Delete { by: "ada".into(), at: AT })
        .then_expect_events(vec![ChannelEvent::ChannelDeleted {
            members: vec!["ada".into()],
            private: true,
            deleted_at: AT,
        }]);
    let mut events = created(false);
    events.push(ChannelEvent::ChannelDeleted { members: vec![], private: false, deleted_at: AT });
    assert!(!channel_after(events.clone()).admits("ada"));
    TestFramework::<Channel>::with(())
        .given(events)
        .when(ChannelCommand::Delete { by: "ada".into(), at: AT })
        .then_expect_error(ChannelRefusal::Unknown);
}

#[test]
fn a_deleted_channel_is_never_created_again_so_its_deletion_is_its_last_event() {
    let mut events = created(false);
    events.push(ChannelEvent::ChannelDeleted { members: vec![], private: false, deleted_at: AT });
    TestFramework::<Channel>::with(())
        .given(events.clone())
        .when(ChannelCommand::Create { channel: info(false), members: vec!["ada".into()] })
        .then_expect_error(ChannelRefusal::AlreadyCreated { request_hash: "h1".into() });
    let changes = [
        ChannelCommand::Update { by: "ada".into(), name: None, description: Some("x".into()), at: AT },
        ChannelCommand::AddMember { by: None, user_id: "bob".into(), at: AT },
        ChannelCommand::RemoveMember { by: "ada".into(), user_id: "ada".into(), at: AT },
    ];
    for command in changes {
        TestFramework::<Channel>::with(())
            .given(events.clone())
            .when(command)
            .then_expect_error(ChannelRefusal::Unknown);
    }
    assert_eq!(events[1].event_type(), ChannelEvent::DELETED);
}
