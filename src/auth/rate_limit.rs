//! A small in-process limiter for failed logins, keyed by e-mail address (not by peer IP, which
//! behind a proxy is the same for everyone). Each process counts its own attempts.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

pub struct LoginLimiter {
    per_window: u32,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_window: per_minute,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when `key` has used up its failed attempts in the current window.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match failures.get(key) {
            Some((start, count)) if *count >= self.per_window && start.elapsed() < WINDOW => {
                Err(WINDOW.saturating_sub(start.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, key: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Forget stale windows so the map cannot grow without bound.
        if failures.len() > 10_000 {
            failures.retain(|_, (start, _)| start.elapsed() < WINDOW);
        }
        let entry = failures
            .entry(key.to_owned())
            .or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }

    pub fn reset(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}
