//! Per-model CPU work on every core, with results in model order.
//!
//! After the network stage the run's work is CPU only — read each model back from the journal,
//! detect its README's languages, render its record as pretty JSON — and each model is
//! independent of the others. [`for_each_in_order`] spreads that work over the machine's cores
//! (`std::thread::scope`, no thread pool kept between calls) and hands the results back in the
//! models' order, a batch at a time, so the files written are the bytes a one-core loop writes
//! and no more than a batch of results is in memory.

use std::num::NonZeroUsize;

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
    for_each_in_order_on(threads(), items, work, each)
}

fn for_each_in_order_on<I: Sync, T: Send>(
    threads: usize,
    items: &[I],
    work: impl Fn(&I) -> Result<T> + Sync,
    mut each: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    let threads = threads.max(1);
    if threads == 1 {
        return items.iter().try_for_each(|item| each(work(item)?));
    }
    let work = &work;
    let chunk = |chunk: &[I]| chunk.iter().map(work).collect::<Vec<_>>();
    for batch in items.chunks(threads * PER_THREAD) {
        let per_thread = batch.len().div_ceil(threads);
        let mut parts = batch.chunks(per_thread);
        let first = parts.next().unwrap_or_default();
        let results: Vec<Vec<Result<T>>> = std::thread::scope(|scope| {
            let others: Vec<_> = parts.map(|part| scope.spawn(move || chunk(part))).collect();
            let mut results = vec![chunk(first)];
            for handle in others {
                // A panic in `work` is a bug of ours: it goes on as the caller's panic.
                results.push(
                    handle
                        .join()
                        .unwrap_or_else(|p| std::panic::resume_unwind(p)),
                );
            }
            results
        });
        for result in results.into_iter().flatten() {
            each(result?)?;
        }
    }
    Ok(())
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
            &items,
            |_| Ok(format!("{:?}", std::thread::current().id())),
            |id| {
                seen.insert(id);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen.len(), 4, "{seen:?}");
    }

    #[test]
    fn the_first_error_in_item_order_stops_the_results() {
        let items: Vec<usize> = (0..1000).collect();
        let fail = |i: usize| Error::io("item", std::io::Error::other(format!("item {i}")));
        let mut handed = Vec::new();
        let err = for_each_in_order_on(
            4,
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
            &items,
            |&i| Ok(i),
            |i| if i == 5 { Err(fail(i)) } else { Ok(()) },
        )
        .unwrap_err();
        assert!(err.to_string().contains("item 5"), "{err}");
    }
}
