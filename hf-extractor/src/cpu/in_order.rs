//! Per-model CPU work on the pool, with the results in model order.
//!
//! After the network stage the run's work is CPU only — read each model back from the journal,
//! detect its README's languages, render its record as pretty JSON — and each model is
//! independent of the others. [`CpuPool::for_each_in_order`] spreads that work over the pool's
//! threads, a batch of models per job, and hands the results back in the models' order on the
//! calling thread, so the files written are the bytes a one-thread loop writes. The jobs run
//! at most a few batches ahead of the caller (`WINDOW_PER_JOB` per thread), so no more than
//! those batches of results are in memory while the caller writes.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use super::CpuPool;
use crate::error::{Error, Result};

/// Items per job: enough to make a job's hand-off cheap beside its work (a model is tens of
/// microseconds to a millisecond), few enough to keep a batch of rendered records (a few KB
/// each) small.
const PER_JOB: usize = 64;

/// Batches in flight per thread, at most: computed and not yet handed on.
const WINDOW_PER_JOB: usize = 2;

impl CpuPool {
    /// Compute `work` for every item on the pool, and hand the results to `each` in the items'
    /// order, on the calling thread (a blocking thread: see [`CpuPool::blocking`]). The first
    /// error in item order is returned (as a loop stopping there would return it); items after
    /// it may have been computed, but nothing after it reaches `each`. A run cancelled
    /// ([`CpuPool::cancel`]) stops at the next batch with [`Error::Cancelled`].
    pub(crate) fn for_each_in_order<I: Sync, T: Send>(
        &self,
        items: &[I],
        work: impl Fn(&I) -> Result<T> + Sync,
        each: impl FnMut(T) -> Result<()>,
    ) -> Result<()> {
        self.in_order(PER_JOB, items, work, each)
    }

    fn in_order<I: Sync, T: Send>(
        &self,
        per_job: usize,
        items: &[I],
        work: impl Fn(&I) -> Result<T> + Sync,
        mut each: impl FnMut(T) -> Result<()>,
    ) -> Result<()> {
        if self.on_pool() {
            // A job of the pool waiting for jobs of the pool could wait forever: the work runs
            // here, in order.
            return items.iter().try_for_each(|item| {
                self.check()?;
                each(work(item)?)
            });
        }
        let batches: Vec<&[I]> = items.chunks(per_job.max(1)).collect();
        let window = self.threads() * WINDOW_PER_JOB;
        let stop = AtomicBool::new(false);
        let (sender, results) = mpsc::channel::<(usize, Option<Vec<Result<T>>>)>();
        let (work, batches, stop, pool) = (&work, &batches, &stop, self);
        // The jobs run on the pool; this thread hands their results on, in turn.
        self.inner.pool.in_place_scope(|scope| {
            let spawn = |b: usize| {
                let sender = sender.clone();
                scope.spawn(move |_| {
                    // Says the batch is over even when the work panics, so the caller does not
                    // wait for it (the panic then goes on as the caller's, at the scope's end).
                    let mut batch = Unfinished { b, sender };
                    if stop.load(Ordering::Relaxed) || pool.is_cancelled() {
                        return;
                    }
                    batch.done(batches[b].iter().map(work).collect());
                });
            };
            let mut next = 0;
            while next < batches.len().min(window) {
                spawn(next);
                next += 1;
            }
            // The batches come in any order; each is handed on in turn.
            let mut waiting: BTreeMap<usize, Option<Vec<Result<T>>>> = BTreeMap::new();
            let mut turn = 0;
            let outcome = (|| {
                while turn < batches.len() {
                    pool.check()?;
                    let batch = match waiting.remove(&turn) {
                        Some(batch) => batch,
                        None => match results.recv() {
                            Ok((b, batch)) => {
                                waiting.insert(b, batch);
                                continue;
                            }
                            // Not while this loop holds a sender.
                            Err(_) => return Err(Error::Cancelled),
                        },
                    };
                    // None: a job panicked (or was skipped): the scope says so as it ends.
                    let Some(batch) = batch else {
                        return pool.check();
                    };
                    for result in batch {
                        each(result?)?;
                    }
                    turn += 1;
                    if next < batches.len() {
                        spawn(next);
                        next += 1;
                    }
                }
                Ok(())
            })();
            stop.store(true, Ordering::Relaxed);
            outcome
        })
    }
}

/// A batch's results, sent when its job ends: `Some` when the work was done, `None` when the
/// job ended without doing it (the run stopped, or the work panicked).
struct Unfinished<T> {
    b: usize,
    sender: mpsc::Sender<(usize, Option<Vec<Result<T>>>)>,
}

impl<T> Unfinished<T> {
    fn done(&mut self, results: Vec<Result<T>>) {
        let _ = self.sender.send((self.b, Some(results)));
        // Sent: dropping the guard sends nothing more (the receiver takes the first only).
        self.b = usize::MAX;
    }
}

impl<T> Drop for Unfinished<T> {
    fn drop(&mut self) {
        if self.b != usize::MAX {
            let _ = self.sender.send((self.b, None));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// [`CpuPool::in_order`] on a pool of its own of `threads` threads.
    fn for_each_in_order_on<I: Sync, T: Send>(
        threads: usize,
        per_job: usize,
        items: &[I],
        work: impl Fn(&I) -> Result<T> + Sync,
        each: impl FnMut(T) -> Result<()>,
    ) -> Result<()> {
        CpuPool::new(threads)
            .unwrap()
            .in_order(per_job, items, work, each)
    }

    fn squares_on(threads: usize, n: usize) -> Vec<u64> {
        let items: Vec<u64> = (0..n as u64).collect();
        let mut out = Vec::new();
        for_each_in_order_on(
            threads,
            PER_JOB,
            &items,
            |i| Ok((i * i, std::thread::current().id())),
            |(square, _)| {
                out.push(square);
                Ok(())
            },
        )
        .unwrap();
        out
    }

    #[test]
    fn results_come_in_item_order_whatever_the_threads_and_batches() {
        for n in [0, 1, 63, 64, 65, 1000, 3 * 64 * 3 + 7] {
            let expected: Vec<u64> = (0..n as u64).map(|i| i * i).collect();
            for threads in [1, 2, 3, 8] {
                assert_eq!(squares_on(threads, n), expected, "{n} on {threads}");
            }
        }
    }

    #[test]
    fn the_work_runs_on_more_than_one_thread() {
        let items: Vec<usize> = (0..4 * PER_JOB).collect();
        let mut seen = std::collections::BTreeSet::new();
        for_each_in_order_on(
            4,
            PER_JOB,
            &items,
            |_| {
                // Slow enough that every thread takes a batch before any is done.
                std::thread::sleep(std::time::Duration::from_millis(1));
                Ok(format!("{:?}", std::thread::current().id()))
            },
            |id| {
                seen.insert(id);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen.len(), 4, "{seen:?}");
        // A few large items, one per batch: each thread takes its own.
        let mut seen = std::collections::BTreeSet::new();
        let mut order = Vec::new();
        for_each_in_order_on(
            3,
            1,
            &[0, 1, 2],
            |i| {
                std::thread::sleep(std::time::Duration::from_millis(20));
                Ok((*i, format!("{:?}", std::thread::current().id())))
            },
            |(i, id)| {
                order.push(i);
                seen.insert(id);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(order, [0, 1, 2]);
        assert_eq!(seen.len(), 3, "{seen:?}");
    }

    #[test]
    fn a_panic_in_the_work_is_the_callers_and_nothing_hangs() {
        let items: Vec<usize> = (0..100 * PER_JOB).collect();
        let handed = std::sync::atomic::AtomicUsize::new(0);
        let outcome = std::panic::catch_unwind(|| {
            for_each_in_order_on(
                3,
                PER_JOB,
                &items,
                |&i| {
                    assert!(i != 5 * PER_JOB + 1, "item {i}");
                    Ok(i)
                },
                |_| {
                    handed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    Ok(())
                },
            )
        });
        assert!(outcome.is_err());
        // Nothing of the batch that panicked, nor after it, was handed on.
        assert!(handed.into_inner() <= 5 * PER_JOB);
    }

    #[test]
    fn the_threads_work_at_most_a_window_ahead() {
        let items: Vec<usize> = (0..50 * PER_JOB).collect();
        let computed = std::sync::atomic::AtomicUsize::new(0);
        let mut most_ahead = 0;
        let mut handed = 0;
        for_each_in_order_on(
            2,
            PER_JOB,
            &items,
            |&i| {
                computed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Ok(i)
            },
            |_| {
                handed += 1;
                let ahead = computed.load(std::sync::atomic::Ordering::SeqCst) - handed;
                most_ahead = most_ahead.max(ahead);
                // A slow writer: the threads would run far ahead without the window.
                if handed % PER_JOB == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(handed, items.len());
        // The batch being handed on plus the window of each thread.
        assert!(
            most_ahead <= (1 + 2 * WINDOW_PER_JOB) * PER_JOB,
            "{most_ahead}"
        );
    }

    #[test]
    fn the_first_error_in_item_order_stops_the_results() {
        let items: Vec<usize> = (0..1000).collect();
        let fail = |i: usize| Error::io("item", std::io::Error::other(format!("item {i}")));
        let mut handed = Vec::new();
        let err = for_each_in_order_on(
            4,
            PER_JOB,
            &items,
            |&i| {
                if i == 300 || i == 700 {
                    Err(fail(i))
                } else {
                    Ok(i)
                }
            },
            |i| {
                handed.push(i);
                Ok(())
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("item 300"), "{err}");
        assert_eq!(handed, (0..300).collect::<Vec<_>>());

        // An error of `each` stops too.
        let err = for_each_in_order_on(
            2,
            PER_JOB,
            &items,
            |&i| Ok(i),
            |i| if i == 5 { Err(fail(i)) } else { Ok(()) },
        )
        .unwrap_err();
        assert!(err.to_string().contains("item 5"), "{err}");
    }

    #[test]
    fn a_cancelled_run_stops_at_the_next_batch() {
        let pool = CpuPool::new(2).unwrap();
        let items: Vec<usize> = (0..100 * PER_JOB).collect();
        let mut handed = 0;
        let err = pool
            .for_each_in_order(
                &items,
                |&i| Ok(i),
                |_| {
                    handed += 1;
                    if handed == PER_JOB {
                        pool.cancel();
                    }
                    Ok(())
                },
            )
            .unwrap_err();
        assert!(matches!(err, Error::Cancelled), "{err}");
        assert_eq!(
            handed, PER_JOB,
            "nothing after the batch that saw the cancel"
        );
    }

    #[test]
    fn work_handed_over_from_a_job_of_the_pool_runs_in_order_there() {
        let pool = CpuPool::new(1).unwrap();
        let (send, got) = std::sync::mpsc::channel();
        let inner = pool.clone();
        pool.spawn(move || {
            let mut out = Vec::new();
            let items: Vec<usize> = (0..3 * PER_JOB).collect();
            inner
                .for_each_in_order(
                    &items,
                    |&i| Ok(i * 2),
                    |v| {
                        out.push(v);
                        Ok(())
                    },
                )
                .unwrap();
            send.send(out).unwrap();
        });
        let out = got.recv().unwrap();
        assert_eq!(out, (0..3 * PER_JOB).map(|i| i * 2).collect::<Vec<_>>());
    }
}
