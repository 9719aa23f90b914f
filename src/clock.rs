//! The time the service decides visibility by.
//!
//! Whether an article is public depends on the moment of the request (a scheduled article
//! becomes public when its `published_at` passes, with no write), and so does the response
//! cache's expiry of such moments. Handlers take that moment from [`Clock`] rather than from
//! the system, so that tests can move past a scheduled time without sleeping. The server
//! itself never moves it. Record timestamps (`created_at`, `updated_at`) use
//! [`crate::models::now`].

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{Duration, NaiveDateTime};

#[derive(Debug, Default)]
pub struct Clock {
    /// Microseconds added to the system time.
    offset_micros: AtomicI64,
}

impl Clock {
    /// The system's UTC time (microsecond precision, as both backends store it).
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now(&self) -> NaiveDateTime {
        crate::models::now() + Duration::microseconds(self.offset_micros.load(Ordering::Relaxed))
    }

    /// Moves this clock forward by `by`: for tests of time-driven behaviour.
    pub fn advance(&self, by: Duration) {
        let micros = by.num_microseconds().unwrap_or(i64::MAX);
        self.offset_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward() {
        let clock = Clock::system();
        let before = clock.now();
        clock.advance(Duration::hours(2));
        let after = clock.now();
        assert!(after - before >= Duration::hours(2));
        assert!(after - before < Duration::hours(2) + Duration::minutes(1));
    }
}
