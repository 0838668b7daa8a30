//! What the projector is doing, for `/readyz` and the metrics.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use eventlog::Lag;

/// Shared between the generations' followers and the health endpoints: what the projector reports is
/// its following of the current generation, the one readers read.
#[derive(Debug)]
pub struct Status {
    /// The current generation; 0 while none is complete.
    current: AtomicU64,
    /// The generation being filled beside it; 0 while none is.
    building: AtomicU64,
    followed: Mutex<HashMap<u64, Following>>,
    max_lag: Duration,
}

/// How this process follows one generation.
#[derive(Debug, Clone, Copy)]
struct Following {
    leading: bool,
    lag: Lag,
}

/// Before the first measurement: infinitely far behind.
const UNMEASURED: Lag = Lag { events: i64::MAX, seconds: f64::INFINITY };

impl Status {
    /// A projector not yet leading, ready when the oldest event it has not projected is at most
    /// `max_lag` old.
    pub fn new(max_lag: Duration) -> Self {
        Self { current: AtomicU64::new(0), building: AtomicU64::new(0), followed: Mutex::default(), max_lag }
    }

    /// Records which generation readers read (`None`: none is complete, the first is being built).
    pub fn set_current(&self, generation: Option<u64>) {
        let generation = generation.unwrap_or(0);
        if self.current.swap(generation, Ordering::Relaxed) != generation {
            metrics::gauge!("projector_generation").set(generation as f64);
            self.report();
        }
    }

    /// Records which generation is being filled beside the current one, if any.
    pub fn set_building(&self, building: Option<u64>) {
        let building = building.unwrap_or(0);
        if self.building.swap(building, Ordering::Relaxed) != building && building == 0 {
            metrics::gauge!("projector_rebuild_lag_events").set(0.0);
        }
        metrics::gauge!("projector_rebuilding").set(if building != 0 { 1.0 } else { 0.0 });
    }

    /// Records whether this process leads the following of `generation`.
    pub fn set_leading(&self, generation: u64, leading: bool) {
        self.update(generation, |following| following.leading = leading);
    }

    /// Records how far behind the log the following of `generation` is.
    pub fn set_lag(&self, generation: u64, lag: Lag) {
        self.update(generation, |following| following.lag = lag);
        if generation == self.building.load(Ordering::Relaxed) {
            metrics::gauge!("projector_rebuild_lag_events").set(lag.events as f64);
        }
    }

    /// Forgets a generation no longer followed.
    pub fn forget(&self, generation: u64) {
        self.followed.lock().expect("never poisoned").remove(&generation);
    }

    /// Whether this process leads the following of the current generation.
    pub fn leading(&self) -> bool {
        self.current_following().is_some_and(|following| following.leading)
    }

    /// How many committed events the current generation does not hold yet (as last measured).
    pub fn lag(&self) -> i64 {
        self.current_following().map_or(UNMEASURED, |following| following.lag).events
    }

    /// How old the oldest committed event not projected yet into the current generation is, in
    /// seconds (as last measured; 0 when caught up, infinite before the first measurement).
    pub fn lag_seconds(&self) -> f64 {
        self.current_following().map_or(UNMEASURED, |following| following.lag).seconds
    }

    fn current_following(&self) -> Option<Following> {
        let current = self.current.load(Ordering::Relaxed);
        self.followed.lock().expect("never poisoned").get(&current).copied()
    }

    fn update(&self, generation: u64, change: impl FnOnce(&mut Following)) {
        let mut followed = self.followed.lock().expect("never poisoned");
        change(followed.entry(generation).or_insert(Following { leading: false, lag: UNMEASURED }));
        drop(followed);
        if generation == self.current.load(Ordering::Relaxed) {
            self.report();
        }
    }

    /// The current generation's following, as metrics.
    fn report(&self) {
        let following = self.current_following();
        let leading = following.is_some_and(|following| following.leading);
        let lag = following.map_or(UNMEASURED, |following| following.lag);
        metrics::gauge!("projector_leading").set(if leading { 1.0 } else { 0.0 });
        if lag.events != i64::MAX {
            metrics::gauge!("projector_lag_events").set(lag.events as f64);
            metrics::gauge!("projector_lag_seconds").set(lag.seconds);
        }
    }

    /// Whether no generation is complete yet.
    fn without_generation(&self) -> bool {
        self.current.load(Ordering::Relaxed) == 0
    }
}

impl http_kit::operations::Readiness for Status {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            if self.without_generation() {
                return Err("building the first generation of the documents from the log".to_owned());
            }
            if !self.leading() {
                return Ok(()); // A standby is ready: it takes over when the leader dies.
            }
            // A rebuild does not count: the current generation keeps serving, and being kept, meanwhile.
            let (events, seconds) = (self.lag(), self.lag_seconds());
            if seconds <= self.max_lag.as_secs_f64() {
                return Ok(());
            }
            Err(format!(
                "{seconds:.1} s behind the log ({events} events), more than the {} ms allowed",
                self.max_lag.as_millis()
            ))
        })
    }
}
