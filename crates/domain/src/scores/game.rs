//! The `Game` aggregate: a game's leaderboard settings, frozen where scores already depend on them.
//!
//! A game is created by `PUT /v1/games/{game}` or, with default settings, by its first score. Once a
//! score was accepted its sort order and operator can no longer change: every board already ranked by
//! them would silently become wrong.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::settings::GameSettings;

/// What can be asked of a game.
#[derive(Debug, Clone, PartialEq)]
pub enum GameCommand {
    /// Create the game or change its settings.
    Configure(GameSettings),
    /// A score is about to be accepted: create the game with defaults if needed and freeze its ranking.
    StartScoring,
}

/// What happened to a game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GameEvent {
    /// The game's settings are now these.
    GameConfigured {
        /// The complete settings in force from now on.
        settings: GameSettings,
    },
    /// The game accepted its first score; sort order and operator are frozen.
    GameScoringStarted,
}

impl DomainEvent for GameEvent {
    fn event_type(&self) -> String {
        match self {
            GameEvent::GameConfigured { .. } => "GameConfigured",
            GameEvent::GameScoringStarted => "GameScoringStarted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a game refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GameError {
    /// The game has scores, so its sort order or operator cannot change.
    #[error("the game already has scores, so its {field} cannot change")]
    RankingFrozen {
        /// `sortOrder` or `operator`.
        field: &'static str,
    },
}

/// A game's state as its events left it.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Game {
    settings: Option<GameSettings>,
    has_scores: bool,
}

impl Game {
    /// The settings in force, or `None` for a game that does not exist.
    pub fn settings(&self) -> Option<&GameSettings> {
        self.settings.as_ref()
    }
}

/// Decides what a command does to a game.
pub fn decide(game: &Game, command: GameCommand) -> Result<Vec<GameEvent>, GameError> {
    match command {
        GameCommand::Configure(settings) => configure(game, settings),
        GameCommand::StartScoring => Ok(start_scoring(game)),
    }
}

fn configure(game: &Game, settings: GameSettings) -> Result<Vec<GameEvent>, GameError> {
    if let (Some(current), true) = (&game.settings, game.has_scores) {
        if current.sort_order != settings.sort_order {
            return Err(GameError::RankingFrozen { field: "sortOrder" });
        }
        if current.operator != settings.operator {
            return Err(GameError::RankingFrozen { field: "operator" });
        }
    }
    if game.settings.as_ref() == Some(&settings) {
        return Ok(vec![]);
    }
    Ok(vec![GameEvent::GameConfigured { settings }])
}

fn start_scoring(game: &Game) -> Vec<GameEvent> {
    match (&game.settings, game.has_scores) {
        (_, true) => vec![],
        (Some(_), false) => vec![GameEvent::GameScoringStarted],
        (None, false) => vec![
            GameEvent::GameConfigured { settings: GameSettings::default() },
            GameEvent::GameScoringStarted,
        ],
    }
}

impl Aggregate for Game {
    const TYPE: &'static str = "game";
    type Command = GameCommand;
    type Event = GameEvent;
    type Error = GameError;
    type Services = ();

    async fn handle(
        &mut self,
        command: GameCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), GameError> {
        for event in decide(self, command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: GameEvent) {
        match event {
            GameEvent::GameConfigured { settings } => self.settings = Some(settings),
            GameEvent::GameScoringStarted => self.has_scores = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::scores::{KeptWindows, Operator, Period, SortOrder};

    type GameTest = TestFramework<Game>;

    fn ascending_sum() -> GameSettings {
        GameSettings {
            title: Some("Golf".into()),
            sort_order: SortOrder::Asc,
            operator: Operator::Sum,
            periods: vec![Period::All, Period::Week],
            keep_windows: KeptWindows::new(3).unwrap(),
            on_window_close: None,
        }
    }

    fn configured(settings: GameSettings) -> GameEvent {
        GameEvent::GameConfigured { settings }
    }

    #[test]
    fn configuring_a_new_game_records_its_settings() {
        GameTest::with(())
            .given_no_previous_events()
            .when(GameCommand::Configure(ascending_sum()))
            .then_expect_events(vec![configured(ascending_sum())]);
    }

    #[test]
    fn the_first_score_of_an_unknown_game_creates_it_with_default_settings() {
        GameTest::with(())
            .given_no_previous_events()
            .when(GameCommand::StartScoring)
            .then_expect_events(vec![configured(GameSettings::default()), GameEvent::GameScoringStarted]);
    }

    #[test]
    fn later_scores_change_nothing() {
        GameTest::with(())
            .given(vec![configured(GameSettings::default()), GameEvent::GameScoringStarted])
            .when(GameCommand::StartScoring)
            .then_expect_events(vec![]);
    }

    #[test]
    fn the_sort_order_of_a_game_with_scores_cannot_change() {
        GameTest::with(())
            .given(vec![configured(GameSettings::default()), GameEvent::GameScoringStarted])
            .when(GameCommand::Configure(GameSettings {
                sort_order: SortOrder::Asc,
                ..GameSettings::default()
            }))
            .then_expect_error(GameError::RankingFrozen { field: "sortOrder" });
    }

    #[test]
    fn the_operator_of_a_game_with_scores_cannot_change() {
        GameTest::with(())
            .given(vec![configured(GameSettings::default()), GameEvent::GameScoringStarted])
            .when(GameCommand::Configure(GameSettings { operator: Operator::Sum, ..GameSettings::default() }))
            .then_expect_error(GameError::RankingFrozen { field: "operator" });
    }

    #[test]
    fn title_and_periods_of_a_game_with_scores_may_still_change() {
        let renamed = GameSettings {
            title: Some("Tetris".into()),
            periods: vec![Period::All],
            ..GameSettings::default()
        };
        GameTest::with(())
            .given(vec![configured(GameSettings::default()), GameEvent::GameScoringStarted])
            .when(GameCommand::Configure(renamed.clone()))
            .then_expect_events(vec![configured(renamed)]);
    }

    #[test]
    fn the_ranking_of_a_game_without_scores_may_change() {
        GameTest::with(())
            .given(vec![configured(GameSettings::default())])
            .when(GameCommand::Configure(ascending_sum()))
            .then_expect_events(vec![configured(ascending_sum())]);
    }

    #[test]
    fn configuring_the_same_settings_again_records_nothing() {
        GameTest::with(())
            .given(vec![configured(ascending_sum())])
            .when(GameCommand::Configure(ascending_sum()))
            .then_expect_events(vec![]);
    }

    #[test]
    fn settings_recorded_before_keep_windows_existed_keep_twelve_windows() {
        let recorded = r#"{"GameConfigured":{"settings":{"title":null,"sortOrder":"desc","operator":"best","periods":["all","week"]}}}"#;
        let GameEvent::GameConfigured { settings } = serde_json::from_str(recorded).unwrap() else {
            unreachable!()
        };
        assert_eq!(settings.keep_windows.get(), 12);
        assert_eq!(settings.on_window_close, None);
    }

    #[test]
    fn settings_without_a_window_close_callback_are_recorded_as_they_were_before_it_existed() {
        let recorded = serde_json::to_string(&configured(GameSettings::default())).unwrap();
        assert!(!recorded.contains("onWindowClose"), "{recorded}");
    }

    #[test]
    fn a_game_keeps_from_zero_to_three_hundred_and_sixty_six_windows() {
        assert_eq!(KeptWindows::new(0).map(KeptWindows::get), Ok(0));
        assert_eq!(KeptWindows::new(366).map(KeptWindows::get), Ok(366));
        assert!(KeptWindows::new(367).is_err());
        assert!(KeptWindows::new(-1).is_err());
        assert!(serde_json::from_str::<KeptWindows>("367").is_err());
    }
}
