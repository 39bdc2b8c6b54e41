//! [`Pacer`]: one request at a time, spaced by a minimum interval (arXiv's terms of use).

use std::future::Future;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Runs requests one at a time, each starting at least `interval` after the previous one
/// finished.
///
/// arXiv's terms of use ask for "no more than one request every three seconds, and … a single
/// connection at a time". The lock is held for the whole request, so a second caller waits for
/// the first to finish and then for the interval; measuring from the end of the previous request
/// is the stricter reading (a slow answer never shortens the pause).
///
/// ```
/// use std::time::Duration;
/// use hf_client::arxiv::Pacer;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let pacer = Pacer::new(Duration::from_secs(3));
/// let start = tokio::time::Instant::now();
/// pacer.run(async {}).await;
/// pacer.run(async {}).await;
/// assert!(start.elapsed() >= Duration::from_secs(3));
/// # }
/// ```
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    last: Mutex<Option<Instant>>,
}

impl Pacer {
    /// A pacer spacing requests by `interval` (zero: one at a time, no pause).
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: Mutex::new(None),
        }
    }

    /// The configured interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Wait for the turn, run `request`, and note when it finished.
    pub async fn run<F: Future>(&self, request: F) -> F::Output {
        let mut last = self.last.lock().await;
        if let Some(at) = *last {
            tokio::time::sleep_until(at + self.interval).await;
        }
        let output = request.await;
        *last = Some(Instant::now());
        output
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_and_never_overlap() {
        let pacer = Arc::new(Pacer::new(Duration::from_secs(3)));
        let start = Instant::now();
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (pacer, log) = (pacer.clone(), log.clone());
                tokio::spawn(async move {
                    pacer
                        .run(async {
                            let began = start.elapsed();
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            log.lock().unwrap().push((began, start.elapsed()));
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let log = log.lock().unwrap().clone();
        assert_eq!(log.len(), 4);
        assert_eq!(log[0].0, Duration::ZERO);
        for pair in log.windows(2) {
            let (prev_end, next_start) = (pair[0].1, pair[1].0);
            assert!(next_start >= prev_end + Duration::from_secs(3), "{log:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn zero_interval_does_not_wait() {
        let pacer = Pacer::new(Duration::ZERO);
        let start = Instant::now();
        for _ in 0..5 {
            pacer.run(async {}).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
