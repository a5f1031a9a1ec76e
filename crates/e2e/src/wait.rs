//! Polling with a deadline: the page changes asynchronously, so tests wait for a condition
//! rather than sleeping a fixed time.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long a test waits for the page before it fails.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// Calls `probe` until it returns `Some`, or panics with `what` after [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
