//! The guide's per-minute rate limit (Standard tier: 100 requests per minute), as a sliding window:
//! at most `limit` accepted requests in any 60 seconds. Rejected requests do not take a slot, so a
//! client that waits `Retry-After` seconds is then served.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(super) struct SlidingWindow {
    limit: usize,
    window: Duration,
    /// When each request still inside the window was accepted, oldest first.
    accepted: VecDeque<Instant>,
}

impl SlidingWindow {
    pub fn per_minute(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(60))
    }

    fn new(limit: u32, window: Duration) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Self {
            limit,
            window,
            accepted: VecDeque::new(),
        }
    }

    /// Takes a slot at `now`, or says in how many whole seconds (at least 1) the oldest slot frees.
    pub fn try_acquire(&mut self, now: Instant) -> Result<(), u64> {
        while self
            .accepted
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= self.window)
        {
            self.accepted.pop_front();
        }
        if self.accepted.len() < self.limit {
            self.accepted.push_back(now);
            return Ok(());
        }
        let wait = match self.accepted.front() {
            Some(&oldest) => self.window.saturating_sub(now.saturating_duration_since(oldest)),
            None => self.window, // limit 0: nothing ever frees; point at a full window
        };
        Err(ceil_secs(wait).max(1))
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slides_instead_of_resetting() {
        let start = Instant::now();
        let mut w = SlidingWindow::new(2, Duration::from_secs(60));
        assert_eq!(w.try_acquire(start), Ok(()));
        assert_eq!(w.try_acquire(start + Duration::from_secs(10)), Ok(()));
        assert_eq!(w.try_acquire(start + Duration::from_secs(20)), Err(40));
        assert_eq!(w.try_acquire(start + Duration::from_millis(59_500)), Err(1));
        // The first slot frees at 60 s, the second only at 70 s.
        assert_eq!(w.try_acquire(start + Duration::from_secs(60)), Ok(()));
        assert_eq!(w.try_acquire(start + Duration::from_secs(61)), Err(9));
    }

    #[test]
    fn zero_limit_always_rejects() {
        let mut w = SlidingWindow::new(0, Duration::from_secs(60));
        assert_eq!(w.try_acquire(Instant::now()), Err(60));
    }
}
