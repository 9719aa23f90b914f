//! The scheduler: announces scheduled articles when their time comes.
//!
//! A scheduled article becomes public by the clock alone; the change log learns of it here
//! (see `models::schedule`). Every `HEADLINE_SCHEDULER_MS` a read asks whether anything is
//! due, and only then a content write announces it. Instances on one database may both try:
//! content writes take turns, and the second finds nothing left to announce.

use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::models::schedule;
use crate::startup::AppState;

/// Starts the scheduler thread of an app. It ends when the app is dropped.
pub fn spawn(state: &Arc<AppState>) {
    let interval = Duration::from_millis(state.settings.scheduler_ms);
    let state = Arc::downgrade(state);
    let spawned = std::thread::Builder::new()
        .name("scheduler".to_owned())
        .spawn(move || run(&state, interval));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "the scheduler did not start");
    }
}

fn run(state: &Weak<AppState>, interval: Duration) {
    loop {
        std::thread::sleep(interval);
        let Some(state) = state.upgrade() else { return };
        if let Err(e) = tick(&state) {
            tracing::warn!(error = %e, "the scheduler could not announce publications");
        }
    }
}

/// Announces what is due now; returns how many.
pub fn tick(state: &AppState) -> Result<usize, crate::error::AppError> {
    let now = state.clock.now();
    if !schedule::any_due(&mut **state.db.get()?, now)? {
        return Ok(0);
    }
    let announced = state
        .db
        .write_content_blocking(|conn| Ok(schedule::promote_due(conn, now)?))?;
    if announced > 0 {
        tracing::info!(articles = announced, "scheduled articles went live");
    }
    Ok(announced)
}
