//! A timeout whose timer is armed only when the future does not finish at once.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

pub(crate) use tokio::time::error::Elapsed;

/// `future`'s output, or [`Elapsed`] if it has not finished `limit` after this call.
///
/// As `tokio::time::timeout`, except that a future ready at its first poll (a body
/// already read, a quick handler) never touches the timer: registering a timer entry
/// and removing it again is a measurable share of a delivery at tens of thousands a
/// second.
pub(crate) async fn within<F: Future>(limit: Duration, future: F) -> Result<F::Output, Elapsed> {
    let started = tokio::time::Instant::now();
    let mut future = pin!(future);
    let first = std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await;
    match first {
        Poll::Ready(output) => Ok(output),
        Poll::Pending => tokio::time::timeout_at(started + limit, future).await,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::within;

    #[tokio::test(start_paused = true)]
    async fn a_ready_future_is_its_output() {
        assert_eq!(within(Duration::ZERO, async { 7 }).await, Ok(7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pending_future_finishing_in_time_is_its_output() {
        let slow = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            7
        };
        assert_eq!(within(Duration::from_millis(100), slow).await, Ok(7));
    }

    #[tokio::test(start_paused = true)]
    async fn the_limit_counts_from_the_call() {
        let started = tokio::time::Instant::now();
        let never = std::future::pending::<()>();
        assert!(within(Duration::from_millis(100), never).await.is_err());
        assert_eq!(started.elapsed(), Duration::from_millis(100));
    }
}
