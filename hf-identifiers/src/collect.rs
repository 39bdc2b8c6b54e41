//! Deduplication of references found in several places.

use std::collections::HashMap;

use crate::Provenance;

/// A reference under construction: what every kind has in common.
pub(crate) trait Mergeable {
    /// The key under which two findings are the same entity (for example the lowercased id).
    fn key(&self) -> String;
    /// The normalised id, used to order the output.
    fn sort_id(&self) -> &str;
    /// Folds `other` (the same entity, found later and so in a less authoritative place) into `self`.
    fn merge(&mut self, other: Self);
}

/// Collects references, merging those with the same key; the first finding keeps its canonical id.
pub(crate) struct Collector<T> {
    items: Vec<T>,
    index: HashMap<String, usize>,
}

impl<T: Mergeable> Collector<T> {
    pub(crate) fn new() -> Self {
        Self {
            items: Vec::new(),
            index: HashMap::new(),
        }
    }

    pub(crate) fn add(&mut self, item: T) {
        let key = item.key();
        match self.index.get(&key) {
            Some(&at) => {
                if let Some(existing) = self.items.get_mut(at) {
                    existing.merge(item);
                }
            }
            None => {
                self.index.insert(key, self.items.len());
                self.items.push(item);
            }
        }
    }

    /// Adds the reference, if there is one.
    pub(crate) fn extend(&mut self, item: Option<T>) {
        if let Some(item) = item {
            self.add(item);
        }
    }

    /// Whether a reference with this key was added.
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    /// Whether nothing was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The references, ordered by id (case-insensitively, then byte-wise for a total order).
    pub(crate) fn finish(self) -> Vec<T> {
        let mut items = self.items;
        items.sort_by(|a, b| {
            let (x, y) = (a.sort_id(), b.sort_id());
            x.to_ascii_lowercase()
                .cmp(&y.to_ascii_lowercase())
                .then_with(|| x.cmp(y))
        });
        items
    }
}

/// Merges provenance lists.
pub(crate) fn merge_provenance(into: &mut Vec<Provenance>, from: &[Provenance]) {
    for p in from {
        crate::provenance::add_provenance(into, *p);
    }
}
