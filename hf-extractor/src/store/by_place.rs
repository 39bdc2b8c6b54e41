//! A table of one value per model, by the model's place in the journal ([`ByPlace`]): what is
//! kept of each model while a run goes (its rendered record, its derived values, its README
//! languages), at a million models a table of a million entries.
//!
//! Models are journaled one after the other, so their places come in the journal's order, but
//! for those the CPU pool's threads finish a little out of turn. They are kept in a vector
//! sorted by place, an entry the size of its key and value (one finished out of turn is put in
//! its place among the last [`NEAR`] entries); a hash table would take about twice that (its
//! buckets kept at most 7/8 full, its size a power of two) and, while it grows, hold its old
//! and new buckets at once. The places that come far out of order (a model read back and
//! handled after many later ones) go to a hash table beside it.

use std::collections::HashMap;

use crate::store::checkpoint::{PlaceKey, Stored};

/// How far from the end of the vector a place that came out of turn is still put in it.
const NEAR: usize = 256;

/// Values by journal place: most in a vector sorted by place, the rest in a hash table.
#[derive(Debug)]
pub(crate) struct ByPlace<V> {
    /// Sorted by key: each place that came after every place before it.
    in_order: Vec<(PlaceKey, V)>,
    /// The places that came more than [`NEAR`] entries before the end of `in_order`.
    out_of_order: HashMap<PlaceKey, V>,
}

impl<V> Default for ByPlace<V> {
    fn default() -> Self {
        Self {
            in_order: Vec::new(),
            out_of_order: HashMap::new(),
        }
    }
}

impl<V> ByPlace<V> {
    /// Keep `value` for the model at `at`, in place of the value it had, if any.
    pub(crate) fn insert(&mut self, at: Stored, value: V) {
        let key = at.key();
        match self.in_order.last() {
            Some((last, _)) if *last >= key => {}
            _ => return self.in_order.push((key, value)),
        }
        match self.in_order.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(i) => self.in_order[i].1 = value,
            Err(i) if self.in_order.len() - i <= NEAR => self.in_order.insert(i, (key, value)),
            Err(_) => {
                self.out_of_order.insert(key, value);
            }
        }
    }

    /// The value of the model at `at`, if any.
    pub(crate) fn get(&self, at: Stored) -> Option<&V> {
        let key = at.key();
        match self.in_order.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(i) => Some(&self.in_order[i].1),
            Err(_) => self.out_of_order.get(&key),
        }
    }

    /// The value of the model at `at`, to change, if any.
    pub(crate) fn get_mut(&mut self, at: Stored) -> Option<&mut V> {
        let key = at.key();
        match self.in_order.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(i) => Some(&mut self.in_order[i].1),
            Err(_) => self.out_of_order.get_mut(&key),
        }
    }

    /// How many models have a value.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.in_order.len() + self.out_of_order.len()
    }

    /// Each value, in no particular order.
    #[cfg(test)]
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.in_order
            .iter()
            .map(|(_, v)| v)
            .chain(self.out_of_order.values())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// In any order, with places given again: the last value of each place, as a map
        /// would keep it.
        #[test]
        fn a_table_by_place_keeps_what_a_map_keeps(
            offsets in prop::collection::vec(0u64..2000, 0..600),
        ) {
            let mut table = ByPlace::default();
            let mut map = std::collections::BTreeMap::new();
            for (n, offset) in offsets.iter().enumerate() {
                let at = Stored::at(*offset * 10);
                table.insert(at, n);
                map.insert(*offset, n);
            }
            prop_assert_eq!(table.len(), map.len());
            for offset in 0..2000u64 {
                let at = Stored::at(offset * 10);
                prop_assert_eq!(table.get(at), map.get(&offset));
                if let Some(value) = table.get_mut(at) {
                    *value += 1;
                }
                prop_assert_eq!(table.get(at).copied(), map.get(&offset).map(|v| v + 1));
            }
        }
    }

    #[test]
    fn places_near_the_journal_s_order_go_to_the_vector() {
        let mut table = ByPlace::default();
        let far = NEAR as u64 + 10;
        for offset in (1..=far).map(|n| n * 10) {
            table.insert(Stored::at(offset), offset);
        }
        // One a little out of turn, one far out of turn, and one given again.
        table.insert(Stored::at(far * 10 - 5), 1);
        table.insert(Stored::at(5), 2);
        table.insert(Stored::at(20), 3);
        assert_eq!(table.in_order.len(), far as usize + 1);
        assert!(table.in_order.is_sorted_by_key(|(k, _)| *k));
        assert_eq!(table.out_of_order.len(), 1);
        assert_eq!(table.get(Stored::at(far * 10 - 5)), Some(&1));
        assert_eq!(table.get(Stored::at(5)), Some(&2));
        assert_eq!(table.get(Stored::at(20)), Some(&3));
        assert_eq!(table.get(Stored::at(15)), None);
    }
}
