//! The run's one pool of threads for CPU work ([`CpuPool`]), and how async code reaches it.
//!
//! A run's requests are async, on the Tokio runtime of whoever drives the run; its CPU work —
//! identifying, journaling and rendering each model as it arrives, detecting README languages,
//! rendering and writing files of records — is not. All of that runs here:
//!
//! - per-model jobs handed over and not waited for ([`CpuPool::spawn`]);
//! - per-model work over a list, with the results back in order ([`CpuPool::for_each_in_order`],
//!   see [`in_order`]), called from a blocking thread, never from an async worker;
//! - a piece of CPU work that is not a loop over models (an identified map written), run as
//!   one job and awaited ([`CpuPool::job`]);
//! - a stage's synchronous part (reading the journal, writing a file), run on one of Tokio's
//!   blocking threads and awaited ([`CpuPool::blocking`]), from where it hands its per-model
//!   work to the pool.
//!
//! Stage parts and pieces take turns: as many run at once as the pool has threads, however
//! many stages the scheduler has ready.
//!
//! The pool has `cpu_threads` threads (named `hf-cpu-N`; default: the cores), created with the
//! run and gone with it: dropping the last handle lets them end once their job is done.
//! [`CpuPool::cancel`] (called when the run's future is dropped, see [`CancelOnDrop`]) makes
//! every loop here stop at its next model with [`Error::Cancelled`], so no work of a dropped
//! run goes on for long.

mod in_order;

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// The cores this process may use: the default size of the pool.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// The run's pool of threads for CPU work. Cloning it is cheap: the clones share the pool.
#[derive(Clone)]
pub(crate) struct CpuPool {
    inner: Arc<Inner>,
}

struct Inner {
    pool: rayon_core::ThreadPool,
    threads: usize,
    cancelled: AtomicBool,
    /// Turns of the stages' synchronous parts: as many at once as the pool has threads.
    turns: tokio::sync::Semaphore,
}

impl std::fmt::Debug for CpuPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpuPool")
            .field("threads", &self.inner.threads)
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CpuPool {
    /// A pool of `threads` threads (at least one).
    pub(crate) fn new(threads: usize) -> Result<Self> {
        let threads = threads.max(1);
        let pool = rayon_core::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|n| format!("hf-cpu-{n}"))
            // A panic in a job is a bug of ours: logged, and the job's waiter sees it end.
            .panic_handler(|panic| {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(panic = %message, "a CPU job panicked");
            })
            .build()
            .map_err(|e| Error::Config {
                variable: "cpu_threads".into(),
                value: threads.to_string(),
                reason: format!("cannot start the CPU pool: {e}"),
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                threads,
                cancelled: AtomicBool::new(false),
                turns: tokio::sync::Semaphore::new(threads),
            }),
        })
    }

    /// How many threads the pool has.
    pub(crate) fn threads(&self) -> usize {
        self.inner.threads
    }

    /// Run `job` on the pool; nothing waits for it (the job tells its end itself).
    pub(crate) fn spawn(&self, job: impl FnOnce() + Send + 'static) {
        self.inner.pool.spawn(job);
    }

    /// Run `work` off the async workers, on one of Tokio's blocking threads, and wait for it
    /// without blocking: the synchronous part of a stage (reading the journal, writing a
    /// file), which hands its per-model work to the pool. A panic in `work` goes on as the
    /// caller's.
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.check()?;
        let _turn = self.turn().await?;
        match tokio::task::spawn_blocking(work).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only when the runtime shuts down.
            Err(_) => Err(Error::Cancelled),
        }
    }

    /// Run `work` as one job of the pool and wait for it without blocking: CPU work that is
    /// one piece rather than a loop over models (an identified map rendered and written), so
    /// that several such pieces share the pool's threads instead of adding their own. `work`
    /// must not itself wait for the pool. A panic in `work` goes on as the caller's.
    pub(crate) async fn job<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.check()?;
        let _turn = self.turn().await?;
        let (done, result) = tokio::sync::oneshot::channel();
        self.spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = done.send(outcome);
        });
        match result.await {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // The pool dropped the job unrun: only when it shuts down.
            Err(_) => Err(Error::Cancelled),
        }
    }

    /// Wait for a turn of a stage's synchronous part ([`blocking`](Self::blocking),
    /// [`job`](Self::job)): the stages of a run that are ready at once (the identified maps,
    /// the downstream's assets) take turns, as many at a time as the pool has threads — more
    /// would compute no faster, and hold more in memory at once. A part never waits for
    /// another part's turn, so turns cannot deadlock.
    async fn turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>> {
        self.inner
            .turns
            .acquire()
            .await
            .map_err(|_| Error::Cancelled)
    }

    /// Stop the work of the run: every loop of the pool ends at its next model with
    /// [`Error::Cancelled`], and jobs handed over from now on are skipped where they check.
    pub(crate) fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether the run's work was stopped ([`cancel`](Self::cancel)).
    pub(crate) fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Relaxed)
    }

    /// [`Error::Cancelled`] once the run's work was stopped.
    pub(crate) fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }

    /// A guard that [cancels](Self::cancel) the pool's work when dropped: held by the run's
    /// future, so dropping the future stops the work it handed to the pool.
    pub(crate) fn cancel_on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }

    /// Whether the calling thread is one of this pool's.
    fn on_pool(&self) -> bool {
        self.inner.pool.current_thread_index().is_some()
    }
}

/// Cancels a pool's work when dropped ([`CpuPool::cancel_on_drop`]).
#[derive(Debug)]
pub(crate) struct CancelOnDrop(CpuPool);

impl CancelOnDrop {
    /// The run ended: its work is done, nothing is cancelled.
    pub(crate) fn disarm(self) {
        std::mem::forget(self);
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn jobs_run_on_the_pools_named_threads_and_the_pool_has_its_size() {
        let pool = CpuPool::new(3).unwrap();
        assert_eq!(pool.threads(), 3);
        let (send, names) = std::sync::mpsc::channel();
        for _ in 0..6 {
            let send = send.clone();
            pool.spawn(move || {
                let name = std::thread::current().name().map(str::to_owned);
                send.send(name).unwrap();
            });
        }
        drop(send);
        let names: Vec<_> = names.iter().collect();
        assert_eq!(names.len(), 6);
        assert!(
            names
                .iter()
                .all(|n| n.as_deref().is_some_and(|n| n.starts_with("hf-cpu-"))),
            "{names:?}"
        );
        assert_eq!(CpuPool::new(0).unwrap().threads(), 1, "at least one thread");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn blocking_work_is_awaited_off_the_async_thread_and_stops_once_cancelled() {
        let pool = CpuPool::new(1).unwrap();
        let caller = std::thread::current().id();
        let elsewhere = pool
            .blocking(move || Ok(std::thread::current().id() != caller))
            .await
            .unwrap();
        assert!(elsewhere);
        let on_pool = pool
            .job(|| Ok(std::thread::current().name().map(str::to_owned)))
            .await
            .unwrap();
        assert_eq!(on_pool.as_deref(), Some("hf-cpu-0"));
        let guard = pool.cancel_on_drop();
        assert!(pool.check().is_ok());
        drop(guard);
        assert!(matches!(pool.check(), Err(Error::Cancelled)));
        assert!(matches!(
            pool.blocking(|| Ok(())).await,
            Err(Error::Cancelled)
        ));
        assert!(matches!(pool.job(|| Ok(())).await, Err(Error::Cancelled)));
        // A guard disarmed at the end of a run cancels nothing.
        let pool = CpuPool::new(1).unwrap();
        pool.cancel_on_drop().disarm();
        assert!(pool.check().is_ok());
    }
}
