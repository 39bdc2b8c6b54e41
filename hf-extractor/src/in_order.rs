//! Per-model CPU work on every core, with results in model order.
//!
//! After the network stage the run's work is CPU only — read each model back from the journal,
//! detect its README's languages, render its record as pretty JSON — and each model is
//! independent of the others. [`for_each_in_order`] spreads that work over the machine's cores
//! (`std::thread::scope`, no thread pool kept between calls) and hands the results back in the
//! models' order, a batch at a time, so the files written are the bytes a one-core loop writes.
//! The threads work ahead while the caller writes, at most a few batches ahead
//! (`WINDOW_PER_THREAD` per thread), so no more than those batches of results are in memory.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError, mpsc};

use crate::error::Result;

/// Items per thread in one batch: enough to make a thread's start cheap beside its work (a
/// model is tens of microseconds to a millisecond), few enough to keep a batch of rendered
/// records (a few KB each) small.
const PER_THREAD: usize = 64;

/// How many threads CPU work runs on: the cores this process may use.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// Compute `work` for every item, on all cores, and hand the results to `each` in the items'
/// order. The first error in item order is returned (as a loop stopping there would return
/// it); items after it may have been computed, but nothing after it reaches `each`.
pub(crate) fn for_each_in_order<I: Sync, T: Send>(
    items: &[I],
    work: impl Fn(&I) -> Result<T> + Sync,
    each: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    for_each_in_order_on(threads(), PER_THREAD, items, work, each)
}

/// [`for_each_in_order`] for a few items that are each a lot of work (a whole file): one item
/// per batch, so each core takes its own.
pub(crate) fn for_each_large_in_order<I: Sync, T: Send>(
    items: &[I],
    work: impl Fn(&I) -> Result<T> + Sync,
    each: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    for_each_in_order_on(threads(), 1, items, work, each)
}

fn for_each_in_order_on<I: Sync, T: Send>(
    threads: usize,
    per_batch: usize,
    items: &[I],
    work: impl Fn(&I) -> Result<T> + Sync,
    mut each: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    let threads = threads.max(1);
    if threads == 1 {
        return items.iter().try_for_each(|item| each(work(item)?));
    }
    let batches: Vec<&[I]> = items.chunks(per_batch.max(1)).collect();
    let window = threads * WINDOW_PER_THREAD;
    let shared = Shared {
        next: AtomicUsize::new(0),
        handed: Mutex::new(0),
        turn: Condvar::new(),
        stop: AtomicBool::new(false),
    };
    let (work, batches, shared) = (&work, &batches, &shared);
    std::thread::scope(|scope| {
        let (sender, results) = mpsc::channel::<(usize, Vec<Result<T>>)>();
        for _ in 0..threads {
            let sender = sender.clone();
            scope.spawn(move || {
                // A panic here stops the others and the caller (it goes on as theirs).
                let _stop_on_panic = StopOnPanic(shared);
                loop {
                    let b = shared.next.fetch_add(1, Ordering::Relaxed);
                    if b >= batches.len() || !shared.wait_for_room(b, window) {
                        return;
                    }
                    let done = batches[b].iter().map(work).collect();
                    if sender.send((b, done)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(sender);
        // The batches come in any order; each is handed on in turn.
        let mut waiting: BTreeMap<usize, Vec<Result<T>>> = BTreeMap::new();
        let mut turn = 0;
        let outcome = (|| {
            while turn < batches.len() {
                let batch = match waiting.remove(&turn) {
                    Some(batch) => batch,
                    None => match results.recv() {
                        Ok((b, batch)) => {
                            waiting.insert(b, batch);
                            continue;
                        }
                        // Every worker is gone: one panicked (the scope says so).
                        Err(_) => return Ok(()),
                    },
                };
                for result in batch {
                    each(result?)?;
                }
                turn += 1;
                shared.handed_on(turn);
            }
            Ok(())
        })();
        shared.stop();
        outcome
    })
}

/// Batches in flight per thread, at most: computed and not yet handed on.
const WINDOW_PER_THREAD: usize = 2;

/// What the workers and the caller of [`for_each_in_order_on`] share.
struct Shared {
    /// The next batch to take.
    next: AtomicUsize,
    /// How many batches were handed on.
    handed: Mutex<usize>,
    turn: Condvar,
    stop: AtomicBool,
}

impl Shared {
    /// Wait until batch `b` is within `window` batches of the next one to hand on; false when
    /// the work stopped.
    fn wait_for_room(&self, b: usize, window: usize) -> bool {
        let mut handed = self.handed.lock().unwrap_or_else(PoisonError::into_inner);
        while b >= *handed + window && !self.stop.load(Ordering::Relaxed) {
            handed = self
                .turn
                .wait(handed)
                .unwrap_or_else(PoisonError::into_inner);
        }
        !self.stop.load(Ordering::Relaxed)
    }

    fn handed_on(&self, handed: usize) {
        *self.handed.lock().unwrap_or_else(PoisonError::into_inner) = handed;
        self.turn.notify_all();
    }

    fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let _guard = self.handed.lock().unwrap_or_else(PoisonError::into_inner);
        self.turn.notify_all();
    }
}

/// Stops the work when a worker panics, so no one waits for the batch it held.
struct StopOnPanic<'s>(&'s Shared);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::error::Error;

    fn squares_on(threads: usize, n: usize) -> Vec<u64> {
        let items: Vec<u64> = (0..n as u64).collect();
        let mut out = Vec::new();
        for_each_in_order_on(
            threads,
            PER_THREAD,
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
        let items: Vec<usize> = (0..4 * PER_THREAD).collect();
        let mut seen = std::collections::BTreeSet::new();
        for_each_in_order_on(
            4,
            PER_THREAD,
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
        let items: Vec<usize> = (0..100 * PER_THREAD).collect();
        let handed = std::sync::atomic::AtomicUsize::new(0);
        let outcome = std::panic::catch_unwind(|| {
            for_each_in_order_on(
                3,
                PER_THREAD,
                &items,
                |&i| {
                    assert!(i != 5 * PER_THREAD + 1, "item {i}");
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
        assert!(handed.into_inner() <= 5 * PER_THREAD);
    }

    #[test]
    fn the_threads_work_at_most_a_window_ahead() {
        let items: Vec<usize> = (0..50 * PER_THREAD).collect();
        let computed = std::sync::atomic::AtomicUsize::new(0);
        let mut most_ahead = 0;
        let mut handed = 0;
        for_each_in_order_on(
            2,
            PER_THREAD,
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
                if handed % PER_THREAD == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(handed, items.len());
        // The batch being handed on plus the window of each thread.
        assert!(
            most_ahead <= (1 + 2 * WINDOW_PER_THREAD) * PER_THREAD,
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
            PER_THREAD,
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
            PER_THREAD,
            &items,
            |&i| Ok(i),
            |i| if i == 5 { Err(fail(i)) } else { Ok(()) },
        )
        .unwrap_err();
        assert!(err.to_string().contains("item 5"), "{err}");
    }
}
