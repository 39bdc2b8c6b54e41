//! Legacy ids: a namespace-less id (`mnist`, `bert-base-uncased`) that the Hub answers under
//! another, canonical one (`ylecun/mnist`, `google-bert/bert-base-uncased`), through a 307 or a
//! 200 whose body names the canonical id.
//!
//! One mechanism for every kind that has them: [`LegacyIds::ask`] asks the source for each
//! distinct id that may be legacy and was not asked before, once, and keeps the answers for the
//! rest of the run; [`LegacyIds::canonical`] then says what an id is called now. The kinds build
//! on it:
//!
//! - datasets ([`crate::legacy_datasets`]): the answer is the fetch the dataset's record needs
//!   anyway, so resolving costs no request;
//! - base models ([`crate::lineage`]): the parents named only by a namespace-less id that the
//!   lineage did not read, so that one parent is one reference and one node.
//!
//! An id the source could not answer (404, transport error) keeps its spelling.

use std::collections::BTreeMap;
use std::future::Future;

use futures::StreamExt;

use crate::source::{FetchedDataset, SourceError};

/// Whether an id may be a legacy one (the Hub redirects it to `owner/name`): it has no
/// namespace.
///
/// ```
/// use hf_enrich::legacy_ids::may_be_legacy;
///
/// assert!(may_be_legacy("mnist"));
/// assert!(may_be_legacy("bert-base-uncased"));
/// assert!(!may_be_legacy("ylecun/mnist"));
/// ```
pub fn may_be_legacy(id: &str) -> bool {
    !id.contains('/')
}

/// What a source answered for an id, as far as names go: the id it answered with.
pub trait Answer: Clone {
    /// The id the answer names (the canonical id, when the id asked was a legacy one).
    fn answered_id(&self) -> &str;
}

impl Answer for FetchedDataset {
    fn answered_id(&self) -> &str {
        &self.id
    }
}

/// The answers to the namespace-less ids of a run, keyed as asked.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyIds<T> {
    answers: BTreeMap<String, Result<T, SourceError>>,
}

impl<T> Default for LegacyIds<T> {
    fn default() -> Self {
        Self {
            answers: BTreeMap::new(),
        }
    }
}

impl<T: Answer> LegacyIds<T> {
    /// The answers of a source to the ids that were asked (keyed as asked).
    pub fn from_answers(
        answers: impl IntoIterator<Item = (String, Result<T, SourceError>)>,
    ) -> Self {
        Self {
            answers: answers.into_iter().collect(),
        }
    }

    /// How many ids were asked.
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// Whether no id was asked.
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }

    /// Whether `id` was asked (as written).
    pub fn asked(&self, id: &str) -> bool {
        self.answers.contains_key(id)
    }

    /// The canonical id of `id`, when `id` was asked and the source answered with another id.
    pub fn canonical(&self, id: &str) -> Option<&str> {
        match self.answers.get(id) {
            Some(Ok(answer)) if answer.answered_id() != id => Some(answer.answered_id()),
            _ => None,
        }
    }

    /// Every id asked that the source answered with another id: `(asked, canonical)`, sorted by
    /// the id asked.
    pub fn renamed(&self) -> impl Iterator<Item = (&str, &str)> {
        self.answers
            .iter()
            .filter_map(|(asked, answer)| match answer {
                Ok(a) if a.answered_id() != asked => Some((asked.as_str(), a.answered_id())),
                _ => None,
            })
    }

    /// The legacy ids that were answered by `canonical`, sorted.
    pub fn aliases(&self, canonical: &str) -> Vec<String> {
        self.renamed()
            .filter(|(_, id)| *id == canonical)
            .map(|(asked, _)| asked.to_owned())
            .collect()
    }

    /// The answer for `id` (an id as asked, or the canonical id of one), if there is one.
    pub(crate) fn answer(&self, id: &str) -> Option<Result<T, SourceError>> {
        self.answers
            .get(id)
            .or_else(|| {
                self.answers
                    .values()
                    .find(|answer| matches!(answer, Ok(a) if a.answered_id() == id))
            })
            .cloned()
    }

    /// Asks `fetch` for each of `ids` that may be legacy and was not asked yet (`threads` in
    /// flight, each distinct id once), and keeps the answers beside those already held.
    ///
    /// ```
    /// use hf_enrich::legacy_ids::{Answer, LegacyIds};
    /// use hf_enrich::source::SourceError;
    ///
    /// #[derive(Clone)]
    /// struct Named(String);
    /// impl Answer for Named {
    ///     fn answered_id(&self) -> &str { &self.0 }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let asked = std::sync::Mutex::new(Vec::new());
    /// let hub = |id: String| {
    ///     asked.lock().unwrap().push(id.clone());
    ///     async move {
    ///         match id.as_str() {
    ///             "gpt2" => Ok(Named("openai-community/gpt2".into())),
    ///             _ => Err(SourceError::not_found(format!("model not found: {id}"))),
    ///         }
    ///     }
    /// };
    /// let ids = ["gpt2", "org/model", "gpt2", "gone"];
    /// let known = LegacyIds::default().ask(ids, 4, &hub).await;
    /// assert_eq!(known.canonical("gpt2"), Some("openai-community/gpt2"));
    /// assert_eq!(known.canonical("gone"), None);
    /// // Asked again later: nothing new is asked.
    /// let known = known.ask(["gpt2", "gone"], 4, &hub).await;
    /// assert_eq!(known.len(), 2);
    /// let mut asked = asked.into_inner().unwrap();
    /// asked.sort();
    /// assert_eq!(asked, ["gone", "gpt2"]);
    /// # }
    /// ```
    pub async fn ask<'i, F, Fut>(
        mut self,
        ids: impl IntoIterator<Item = &'i str>,
        threads: usize,
        fetch: F,
    ) -> Self
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, SourceError>>,
    {
        let new: std::collections::BTreeSet<&str> = ids
            .into_iter()
            .filter(|id| may_be_legacy(id) && !self.answers.contains_key(*id))
            .collect();
        // Owned ids: a closure over borrowed ones would keep the caller's future from being
        // provably `Send` (rust-lang/rust#102211).
        let new: Vec<String> = new.into_iter().map(str::to_owned).collect();
        let answers: Vec<(String, Result<T, SourceError>)> = futures::stream::iter(new)
            .map(|id: String| {
                let answer = fetch(id.clone());
                async move { (id, answer.await) }
            })
            .buffer_unordered(threads.max(1))
            .collect()
            .await;
        for (asked, answer) in answers {
            if let Ok(a) = &answer
                && a.answered_id() != asked
            {
                tracing::debug!(id = %asked, canonical = %a.answered_id(), "legacy id");
            }
            self.answers.insert(asked, answer);
        }
        self
    }
}
