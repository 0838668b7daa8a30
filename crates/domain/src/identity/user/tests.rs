use cqrs_es::test::TestFramework;

use super::*;

fn profile() -> Profile {
    Profile {
        email: Email::parse("ada@example.com").unwrap(),
        user_name: UserName::parse("ada").unwrap(),
        first_name: "Ada".into(),
        last_name: String::new(),
        created_at: DateTime::UNIX_EPOCH,
    }
}

fn session(id: &str) -> Session {
    Session { id: id.into(), expires_at: DateTime::UNIX_EPOCH, scopes: vec![] }
}

fn registered() -> Vec<UserEvent> {
    vec![
        UserEvent::UserRegistered { profile: profile(), password_hash: "hash".into() },
        UserEvent::UserSessionStarted(session("s1")),
    ]
}

#[test]
fn registering_creates_the_user_with_a_first_session() {
    TestFramework::<User>::with(())
        .given_no_previous_events()
        .when(UserCommand::Register {
            profile: profile(),
            password_hash: "hash".into(),
            session: session("s1"),
        })
        .then_expect_events(registered());
}

#[test]
fn registering_twice_is_refused() {
    TestFramework::<User>::with(())
        .given(registered())
        .when(UserCommand::Register { profile: profile(), password_hash: "h".into(), session: session("s2") })
        .then_expect_error(UserError::AlreadyRegistered);
}

#[test]
fn a_profile_update_keeps_the_names_it_does_not_mention() {
    TestFramework::<User>::with(())
        .given(registered())
        .when(UserCommand::UpdateProfile { first_name: None, last_name: Some("Lovelace".into()) })
        .then_expect_events(vec![UserEvent::UserProfileUpdated {
            profile: Profile { last_name: "Lovelace".into(), ..profile() },
        }]);
}

#[test]
fn revoking_an_open_session_ends_it_and_revoking_it_again_changes_nothing() {
    TestFramework::<User>::with(())
        .given(registered())
        .when(UserCommand::RevokeSession { session_id: "s1".into() })
        .then_expect_events(vec![UserEvent::UserSessionRevoked { session_id: "s1".into() }]);
    let mut events = registered();
    events.push(UserEvent::UserSessionRevoked { session_id: "s1".into() });
    TestFramework::<User>::with(())
        .given(events)
        .when(UserCommand::RevokeSession { session_id: "s1".into() })
        .then_expect_events(vec![]);
}

#[test]
fn an_unknown_user_cannot_sign_in() {
    TestFramework::<User>::with(())
        .given_no_previous_events()
        .when(UserCommand::StartSession(session("s")))
        .then_expect_error(UserError::Unknown);
}

#[test]
fn user_names_with_spaces_or_empty_are_rejected() {
    assert!(UserName::parse("ada lovelace").is_err());
    assert!(UserName::parse("").is_err());
    assert!(UserName::parse(&"a".repeat(255)).is_ok());
}
