//! The retry policy: which failures are retried, and how long to wait between attempts.

use std::time::Duration;

use reqwest::StatusCode;

/// Retries after a transient failure, with jittered exponential backoff bounded by a count and by
/// a total time budget.
///
/// Retried: HTTP 408, 429, 500, 502, 503, 504; connection errors and resets; timeouts; bodies cut
/// short. A 429 waits what the server names (see [`crate::rate_limit`]) instead of the backoff.
///
/// ```
/// use std::time::Duration;
/// use hf_client::RetryConfig;
///
/// let patient = RetryConfig {
///     max_retries: 10,
///     max_elapsed: Duration::from_secs(600),
///     ..RetryConfig::default()
/// };
/// assert_eq!(patient.initial_backoff, Duration::from_millis(500));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryConfig {
    /// Retries after the first attempt for errors and retryable statuses
    /// (default [`RetryConfig::DEFAULT_MAX_RETRIES`]). 429 waits are counted apart.
    pub max_retries: usize,
    /// Total time one request may take, all attempts and waits included
    /// (default [`RetryConfig::DEFAULT_MAX_ELAPSED`]). A wait that would end past it is not made.
    pub max_elapsed: Duration,
    /// The first backoff (default [`RetryConfig::DEFAULT_INITIAL_BACKOFF`]); doubles each retry.
    pub initial_backoff: Duration,
    /// The longest backoff (default [`RetryConfig::DEFAULT_MAX_BACKOFF`]).
    pub max_backoff: Duration,
    /// How many times one request may wait out an exhausted rate-limit quota
    /// (default [`RetryConfig::DEFAULT_MAX_RATE_LIMIT_WAITS`]).
    pub max_rate_limit_waits: usize,
}

impl RetryConfig {
    /// Default of [`RetryConfig::max_retries`].
    pub const DEFAULT_MAX_RETRIES: usize = 5;
    /// Default of [`RetryConfig::max_elapsed`]: long enough to wait out one 5-minute quota window.
    pub const DEFAULT_MAX_ELAPSED: Duration = Duration::from_secs(15 * 60);
    /// Default of [`RetryConfig::initial_backoff`].
    pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(500);
    /// Default of [`RetryConfig::max_backoff`].
    pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(30);
    /// Default of [`RetryConfig::max_rate_limit_waits`].
    pub const DEFAULT_MAX_RATE_LIMIT_WAITS: usize = 10;

    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            max_rate_limit_waits: 0,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (0-based): a random duration in
    /// `[b/2, b]` where `b = min(initial · 2^retry, max)`. Never zero.
    pub fn backoff(&self, retry: usize) -> Duration {
        let factor = 1u32.checked_shl(retry.min(30) as u32).unwrap_or(u32::MAX);
        let base = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
            .max(Duration::from_millis(1));
        let half = base / 2;
        half + half.mul_f64(fastrand::f64()) + Duration::from_millis(1)
    }
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_retries: Self::DEFAULT_MAX_RETRIES,
            max_elapsed: Self::DEFAULT_MAX_ELAPSED,
            initial_backoff: Self::DEFAULT_INITIAL_BACKOFF,
            max_backoff: Self::DEFAULT_MAX_BACKOFF,
            max_rate_limit_waits: Self::DEFAULT_MAX_RATE_LIMIT_WAITS,
        }
    }
}

/// The statuses worth a retry: 408, 429, 500, 502, 503, 504.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// How many quick retries a refused connection gets while its host has not answered once (see
/// [`HfClient::send`](crate::HfClient::send)): a host that refuses every connection from the
/// first request on is most likely not running, and retrying it for minutes looks like a hang.
pub const REFUSED_RETRIES: usize = 2;

/// The wait before quick retry number `retry` (0-based) of a refused connection: 250 ms, then
/// 500 ms (about three quarters of a second in all), or the policy's own backoff when shorter.
pub(crate) fn refused_backoff(policy: &RetryConfig, retry: usize) -> std::time::Duration {
    let quick = Duration::from_millis(250).saturating_mul(u32::try_from(retry + 1).unwrap_or(1));
    quick.min(policy.backoff(retry))
}

/// True when the connection was refused (nothing listens at the address): an
/// [`std::io::ErrorKind::ConnectionRefused`] somewhere in the error's chain of sources.
pub(crate) fn is_refusal(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        source = e.source();
    }
    false
}

/// Transport failures worth a retry: connect errors, resets, timeouts, bodies cut short.
pub(crate) fn is_retryable_transport(error: &reqwest::Error) -> bool {
    error.is_connect()
        || error.is_timeout()
        || error.is_body()
        || error.is_request()
        || error.is_decode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_bounded_and_never_zero() {
        let cfg = RetryConfig {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            ..RetryConfig::default()
        };
        for retry in 0..64 {
            let wait = cfg.backoff(retry);
            let base = Duration::from_millis(100)
                .saturating_mul(1u32.checked_shl(retry.min(30) as u32).unwrap_or(u32::MAX))
                .min(Duration::from_millis(1000));
            assert!(wait >= base / 2, "retry {retry}: {wait:?} < {:?}", base / 2);
            assert!(
                wait <= base + Duration::from_millis(1),
                "retry {retry}: {wait:?}"
            );
        }
        let zero = RetryConfig {
            initial_backoff: Duration::ZERO,
            ..RetryConfig::default()
        };
        assert!(zero.backoff(0) > Duration::ZERO);
    }

    #[test]
    fn retryable_statuses() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(
                is_retryable_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
        for code in [200, 301, 400, 401, 403, 404, 409, 501, 505] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
    }
}
