//! [`Prefetched`]: any [`MetadataSource`] that answers first with what a
//! [`Lookahead`](crate::lookahead::Lookahead) fetched ahead.
//!
//! Who owns what: the [`Lookahead`](crate::lookahead::Lookahead) owns the fetches ahead (each
//! through a source of its own, counted per [`AheadKind`](crate::lookahead::AheadKind)) and
//! puts each answer, or the cell its fetch under way will fill, into a [`FetchedAhead`] it
//! shares. A [`Prefetched`] owns the source the stages read through (the inner source) and a
//! handle on that [`FetchedAhead`]: asked for an entity, it takes the answer kept there (each
//! answer once; waiting for it while its fetch is under way; fetching it through the inner
//! source if its fetch has not started yet, which the fetch ahead then finds done), and asks
//! the inner source for everything else. So an id is never asked twice, and a source knows
//! nothing of prefetching.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use hf_client::arxiv::ArxivPaper;
use hf_client::licenses::LicenseResolver;
use hf_client::tags::TagVocabulary;
use hf_client::tasks::TaskCatalog;
use tokio::sync::OnceCell;

use crate::lookahead::{FetchedAhead, PackedDataset};
use crate::models::FetchedModel;
use crate::source::{FetchedDataset, MetadataSource, SourceError};

/// A [`MetadataSource`] taking what was fetched ahead (see the [module](self)) before asking
/// `S`.
///
/// Over an empty [`FetchedAhead`] it answers exactly as `S` does.
///
/// ```
/// # use std::sync::Arc;
/// use hf_enrich::lookahead::FetchedAhead;
/// use hf_enrich::prefetched::Prefetched;
/// use hf_enrich::source::{InMemorySource, MetadataSource};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // Nothing fetched ahead: every question goes to the inner source.
/// let source = Prefetched::new(InMemorySource::new(), Arc::new(FetchedAhead::default()));
/// assert!(source.model("org/none").await.unwrap_err().is_not_found());
/// assert_eq!(source.inner().requests(), ["model:org/none"]);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Prefetched<S> {
    inner: S,
    ahead: Arc<FetchedAhead>,
}

impl<S: MetadataSource> Prefetched<S> {
    /// `inner`, taking what was fetched into `ahead` first (models, datasets, the tag
    /// vocabulary, the task catalog, arXiv's papers).
    pub fn new(inner: S, ahead: Arc<FetchedAhead>) -> Self {
        Self { inner, ahead }
    }

    /// The source asked for what was not fetched ahead.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Where the answers fetched ahead are taken from.
    pub fn ahead(&self) -> &Arc<FetchedAhead> {
        &self.ahead
    }

    /// The inner source.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

/// Whichever comes first, the fetch ahead or the stage, fetches; the other waits for it. No
/// cell (nothing asked ahead): `fetch` now. The last holder of the cell takes the answer rather
/// than copy it: arXiv's answer to a large run is tens of thousands of papers.
pub(crate) async fn shared_answer<T: Clone, F: Future<Output = T>>(
    cell: Option<Arc<OnceCell<T>>>,
    fetch: impl Fn() -> F,
) -> T {
    let Some(cell) = cell else {
        return fetch().await;
    };
    let copy = {
        let answer = cell.get_or_init(&fetch).await;
        (Arc::strong_count(&cell) > 1).then(|| answer.clone())
    };
    if let Some(copy) = copy {
        return copy;
    }
    // Its only holder (no weak reference to a cell is made), so it is set: taken.
    match Arc::into_inner(cell).and_then(OnceCell::into_inner) {
        Some(answer) => answer,
        None => fetch().await,
    }
}

#[async_trait]
impl<S: MetadataSource> MetadataSource for Prefetched<S> {
    async fn model(&self, id: &str) -> Result<FetchedModel, SourceError> {
        shared_answer(self.ahead.take_model(id), || self.inner.model(id)).await
    }

    /// Never fetched ahead: asked of the inner source.
    async fn model_id(&self, id: &str) -> Result<String, SourceError> {
        self.inner.model_id(id).await
    }

    async fn dataset(&self, id: &str) -> Result<FetchedDataset, SourceError> {
        // Kept packed while it waited (see `PackedDataset`).
        match self.ahead.take_dataset(id).await {
            Some(cell) => {
                let fetch = || async { PackedDataset::pack(&self.inner.dataset(id).await?) };
                cell.get_or_init(fetch).await.clone()?.unpack()
            }
            None => self.inner.dataset(id).await,
        }
    }

    async fn papers(&self, ids: &[String]) -> BTreeMap<String, Result<ArxivPaper, SourceError>> {
        // arXiv is asked ahead for a run's ids only when there are some.
        let ahead = if ids.is_empty() {
            None
        } else {
            self.ahead.take_papers(ids).await
        };
        shared_answer(ahead, || self.inner.papers(ids)).await
    }

    async fn license_resolver(&self) -> LicenseResolver {
        self.inner.license_resolver().await
    }

    async fn tasks(&self) -> TaskCatalog {
        shared_answer(self.ahead.take_tasks(), || self.inner.tasks()).await
    }

    async fn tag_vocabulary(&self) -> Result<Arc<TagVocabulary>, SourceError> {
        shared_answer(self.ahead.take_tags(), || self.inner.tag_vocabulary()).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// An answer that counts its copies.
    struct Counted(Arc<AtomicUsize>);

    impl Clone for Counted {
        fn clone(&self) -> Self {
            self.0.fetch_add(1, Ordering::SeqCst);
            Self(Arc::clone(&self.0))
        }
    }

    #[tokio::test]
    async fn an_answer_is_copied_while_its_cell_is_shared_and_taken_by_its_last_holder() {
        let copies = Arc::new(AtomicUsize::new(0));
        let fetches = AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            Counted(Arc::clone(&copies))
        };
        let cell = Arc::new(OnceCell::new());
        let other = Arc::clone(&cell);
        shared_answer(Some(cell), fetch).await;
        assert_eq!(copies.load(Ordering::SeqCst), 1);
        shared_answer(Some(other), fetch).await;
        assert_eq!(copies.load(Ordering::SeqCst), 1);
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // Nothing asked ahead: fetched now.
        shared_answer(None, fetch).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }
}
