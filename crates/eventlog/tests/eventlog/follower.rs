//! The log follower leading a consumer that keeps one batch in flight, as the projector does, against
//! a real Postgres with writers racing it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backoff::Backoff;
use domain::scores::{Game, GameCommand, GameSettings};
use eventlog::{
    Checkpoint, Consumer, EventStore, FollowSettings, Follower, Interrupt, Lag, LoggedEvent, Metadata,
};
use tokio_util::sync::CancellationToken;

use crate::common;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// What the consumer stored: its checkpoint and the ids of the events it handled, moved together.
#[derive(Default)]
struct Stored {
    checkpoint: Checkpoint,
    ids: Vec<String>,
    fencing_tokens: Vec<i64>,
    /// Every lag measured, in order.
    lags: Vec<Lag>,
}

/// A batch handed over but not stored yet.
struct InFlight {
    after: Checkpoint,
    last: Checkpoint,
    ids: Vec<String>,
}

/// Stores each batch at the next call, like the projector, and fails once at its `fail_at`th batch,
/// and at every batch while `stalled`.
struct Recording {
    stored: Arc<Mutex<Stored>>,
    in_flight: Option<InFlight>,
    handled: usize,
    fail_at: Option<usize>,
    stalled: Arc<AtomicBool>,
}

impl Recording {
    fn new(stored: Arc<Mutex<Stored>>, fail_at: Option<usize>) -> Self {
        let stalled = Arc::new(AtomicBool::new(false));
        Self { stored, in_flight: None, handled: 0, fail_at, stalled }
    }

    /// Stores the batch in flight, refusing it unless it follows the stored checkpoint.
    fn store(&mut self) -> Result<Option<Checkpoint>, Interrupt<Error>> {
        let Some(batch) = self.in_flight.take() else { return Ok(None) };
        let mut stored = self.stored.lock().unwrap();
        if stored.checkpoint != batch.after {
            return Err(Interrupt::Resume);
        }
        stored.checkpoint = batch.last;
        stored.ids.extend(batch.ids);
        Ok(Some(batch.last))
    }
}

impl Consumer for Recording {
    type Planner = ();
    type Planned = Vec<String>;
    type Error = Error;

    async fn resume(&mut self, fencing_token: i64) -> Result<(Checkpoint, ()), Interrupt<Error>> {
        self.in_flight = None;
        let mut stored = self.stored.lock().unwrap();
        stored.fencing_tokens.push(fencing_token);
        Ok((stored.checkpoint, ()))
    }

    fn plan((): &mut (), batch: &[LoggedEvent]) -> Vec<String> {
        batch.iter().map(LoggedEvent::id).collect()
    }

    async fn handle(
        &mut self,
        after: Checkpoint,
        batch: &[LoggedEvent],
        ids: Vec<String>,
    ) -> Result<Option<Checkpoint>, Interrupt<Error>> {
        self.handled += 1;
        if self.fail_at == Some(self.handled) || self.stalled.load(Ordering::Relaxed) {
            return Err(Interrupt::Failed("the store failed".into()));
        }
        let stored = self.store()?;
        let last = batch.last().unwrap().checkpoint;
        self.in_flight = Some(InFlight { after, last, ids });
        Ok(stored)
    }

    async fn flush(&mut self) -> Result<Option<Checkpoint>, Interrupt<Error>> {
        self.store()
    }

    async fn measured_lag(&mut self, lag: Lag, _checkpoint: Checkpoint) -> Result<(), Interrupt<Error>> {
        self.stored.lock().unwrap().lags.push(lag);
        Ok(())
    }

    fn set_leading(&self, _leading: bool) {}
}

fn settings() -> FollowSettings {
    FollowSettings {
        batch_size: 7,
        poll: Duration::from_millis(50),
        gather: Duration::from_millis(2),
        retry: Backoff::constant(Duration::from_millis(10)),
    }
}

/// Writes `count` events from four writers at once.
async fn write(store: &EventStore<Game>, count: usize) {
    let writers = (0..4).map(|writer| {
        let store = store.clone();
        tokio::spawn(async move {
            for n in 0..count / 4 {
                let settings = GameSettings { title: Some(format!("{n}")), ..GameSettings::default() };
                let game = format!("w{writer}-g{}", n % 3);
                store.execute(&game, GameCommand::Configure(settings), &Metadata::new()).await.unwrap();
            }
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.unwrap();
    }
}

/// Follows the log with a consumer failing at its `fail_at`th batch until it has stored `count`
/// events; what it stored.
async fn follow_while_writing(fail_at: Option<usize>, count: usize) -> (Stored, Vec<String>) {
    let (_database, pool, store) = common::game_store().await;
    let stored = Arc::new(Mutex::new(Stored::default()));
    let shutdown = CancellationToken::new();
    let following = {
        let (pool, stored, shutdown) = (pool.clone(), stored.clone(), shutdown.clone());
        tokio::spawn(async move {
            let mut follower = Follower::new(pool, "follower-test", settings());
            follower.run(&mut Recording::new(stored, fail_at), &shutdown).await
        })
    };
    write(&store, count).await;
    testkit::wait_until("the consumer to store every event", Duration::from_secs(30), || async {
        (stored.lock().unwrap().ids.len() >= count).then_some(())
    })
    .await;
    shutdown.cancel();
    assert!(following.await.unwrap().is_ok(), "following ends at shutdown");
    let in_log_order = common::first_events(&eventlog::EventLogReader::new(pool), count).await;
    let stored = std::mem::take(&mut *stored.lock().unwrap());
    (stored, in_log_order.iter().map(LoggedEvent::id).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_follower_hands_every_event_over_once_and_in_log_order_while_writers_race_it() {
    let (stored, in_log_order) = follow_while_writing(None, 200).await;
    assert_eq!(stored.ids, in_log_order);
    assert_eq!(stored.fencing_tokens.len(), 1, "it resumed once, when it took the lead");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_failure_a_follower_keeps_the_lead_and_resumes_from_the_stored_checkpoint() {
    let (stored, in_log_order) = follow_while_writing(Some(3), 200).await;
    assert_eq!(stored.ids, in_log_order, "the batch lost in flight was read again, nothing twice");
    let tokens = &stored.fencing_tokens;
    assert_eq!(tokens.len(), 2, "it resumed after the failure");
    assert_eq!(tokens[0], tokens[1], "with the lock it held");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_lag_of_a_stalled_follower_grows_with_the_age_of_its_oldest_event_and_is_zero_once_caught_up() {
    let (_database, pool, store) = common::game_store().await;
    let stored = Arc::new(Mutex::new(Stored::default()));
    let mut consumer = Recording::new(stored.clone(), None);
    let stalled = consumer.stalled.clone();
    stalled.store(true, Ordering::Relaxed);
    let shutdown = CancellationToken::new();
    let following = {
        let (pool, shutdown) = (pool.clone(), shutdown.clone());
        tokio::spawn(async move {
            let mut follower = Follower::new(pool, "follower-test", settings());
            follower.run(&mut consumer, &shutdown).await
        })
    };
    write(&store, 8).await;
    // From here on the oldest event not handled is one and the same.
    let written = stored.lock().unwrap().lags.len();

    let behind = |stored: &Stored| -> Vec<f64> {
        stored.lags[written..].iter().filter(|lag| lag.events > 0).map(|lag| lag.seconds).collect()
    };
    testkit::wait_until("the lag to reach a second and a half", Duration::from_secs(30), || async {
        (behind(&stored.lock().unwrap()).last().is_some_and(|seconds| *seconds >= 1.5)).then_some(())
    })
    .await;
    let ages = behind(&stored.lock().unwrap());
    assert!(ages.windows(2).all(|pair| pair[0] <= pair[1]), "the oldest event only gets older: {ages:?}");
    assert!(ages[0] < 1.5, "the first measures came before it was that old: {ages:?}");
    assert!(stored.lock().unwrap().ids.is_empty(), "nothing was handled while stalled");

    stalled.store(false, Ordering::Relaxed);
    testkit::wait_until("the lag to come back to zero", Duration::from_secs(30), || async {
        let stored = stored.lock().unwrap();
        (stored.ids.len() == 8 && stored.lags.last() == Some(&Lag::NONE)).then_some(())
    })
    .await;
    shutdown.cancel();
    assert!(following.await.unwrap().is_ok(), "following ends at shutdown");
}
