//! A table of one value per model, by the model's place in the journal ([`ByPlace`]): what is
//! kept of each model while a run goes (its rendered record, its derived values, its README
//! languages), at a million models a table of a million entries.
//!
//! Models are journaled one after the other, so their places come in the journal's order, but
//! for those the CPU pool's threads finish a little out of turn. They are kept sorted by place
//! in chunks of [`CHUNK`] entries, an entry the size of its key and value (one finished out of
//! turn is put in its place among the last [`NEAR`] entries); a hash table would take about
//! twice that (its buckets kept at most 7/8 full, its size a power of two) and, while it grows,
//! hold its old and new buckets at once, as one growing vector would. The chunks are allocated
//! one at a time, so at most one is partly empty and nothing is copied as the table grows. The
//! places that come far out of order (a model read back and handled after many later ones) go
//! to a hash table beside it.

use std::collections::HashMap;

use crate::store::checkpoint::{PlaceKey, Stored};

/// How far from the end of the sorted entries a place that came out of turn is still put among
/// them.
const NEAR: usize = if cfg!(test) { 16 } else { 256 };

/// Entries in a chunk: each chunk but the last is full. (Small in tests, so that they cross
/// chunks.)
const CHUNK: usize = if cfg!(test) { 64 } else { 4096 };

// A place put among the last `NEAR` entries moves entries of the last two chunks at most.
const _: () = assert!(NEAR < CHUNK);

/// Values by journal place: most sorted in chunks, the rest in a hash table.
#[derive(Debug)]
pub(crate) struct ByPlace<V> {
    /// Sorted by key, [`CHUNK`] entries in each chunk but the last: each place that came after
    /// every place before it, or at most [`NEAR`] entries before the end.
    chunks: Vec<Vec<(PlaceKey, V)>>,
    /// How many entries the chunks hold.
    len: usize,
    /// The places that came more than [`NEAR`] entries before the end of the chunks.
    out_of_order: HashMap<PlaceKey, V>,
}

impl<V> Default for ByPlace<V> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
            out_of_order: HashMap::new(),
        }
    }
}

impl<V> ByPlace<V> {
    /// Keep `value` for the model at `at`, in place of the value it had, if any.
    pub(crate) fn insert(&mut self, at: Stored, value: V) {
        let key = at.key();
        let last = self.chunks.last().and_then(|chunk| chunk.last());
        if last.is_none_or(|(last, _)| *last < key) {
            return self.insert_at(self.len, (key, value));
        }
        match self.search(key) {
            Ok((c, i)) => self.chunks[c][i].1 = value,
            Err(at) if self.len - at <= NEAR => self.insert_at(at, (key, value)),
            Err(_) => {
                self.out_of_order.insert(key, value);
            }
        }
    }

    /// Where `key` is among the chunks: its chunk and index there, or the place it would take
    /// among all entries.
    fn search(&self, key: PlaceKey) -> Result<(usize, usize), usize> {
        // The first chunk whose last key is not below `key`.
        let c = self
            .chunks
            .partition_point(|chunk| chunk.last().is_some_and(|(last, _)| *last < key));
        match self.chunks.get(c) {
            Some(chunk) => match chunk.binary_search_by_key(&key, |(k, _)| *k) {
                Ok(i) => Ok((c, i)),
                Err(i) => Err(c * CHUNK + i),
            },
            None => Err(self.len),
        }
    }

    /// Put `entry` at the place `at` among all entries: the entries after it move on by one,
    /// the last of a full chunk to the front of the next.
    fn insert_at(&mut self, at: usize, entry: (PlaceKey, V)) {
        let (mut c, mut i, mut entry) = (at / CHUNK, at % CHUNK, entry);
        loop {
            if c == self.chunks.len() {
                self.chunks.push(Vec::with_capacity(CHUNK));
            }
            let chunk = &mut self.chunks[c];
            // Full: its last entry makes room, and goes on to the next chunk.
            let moved_on = (chunk.len() == CHUNK).then(|| chunk.pop()).flatten();
            chunk.insert(i, entry);
            match moved_on {
                Some(last) => (c, i, entry) = (c + 1, 0, last),
                None => break,
            }
        }
        self.len += 1;
    }

    /// The value of the model at `at`, if any.
    pub(crate) fn get(&self, at: Stored) -> Option<&V> {
        let key = at.key();
        match self.search(key) {
            Ok((c, i)) => Some(&self.chunks[c][i].1),
            Err(_) => self.out_of_order.get(&key),
        }
    }

    /// The value of the model at `at`, to change, if any.
    pub(crate) fn get_mut(&mut self, at: Stored) -> Option<&mut V> {
        let key = at.key();
        match self.search(key) {
            Ok((c, i)) => Some(&mut self.chunks[c][i].1),
            Err(_) => self.out_of_order.get_mut(&key),
        }
    }

    /// How many models have a value.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len + self.out_of_order.len()
    }

    /// Each value, in no particular order.
    #[cfg(test)]
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.chunks
            .iter()
            .flatten()
            .map(|(_, v)| v)
            .chain(self.out_of_order.values())
    }

    /// The keys of the chunks in order, with whether every chunk but the last is full and none
    /// grew past its size.
    #[cfg(test)]
    fn sorted_keys(&self) -> (Vec<PlaceKey>, bool) {
        let full = self.chunks.iter().rev().skip(1).all(|c| c.len() == CHUNK)
            && self.chunks.iter().all(|c| c.capacity() == CHUNK);
        let keys = self.chunks.iter().flatten().map(|(k, _)| *k).collect();
        (keys, full)
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

    proptest! {
        /// Places in the journal's order but for some a little or far out of turn, as the
        /// pool's threads hand them over: kept as a map keeps them, in full chunks.
        #[test]
        fn places_nearly_in_order_fill_the_chunks_in_order(
            lateness in prop::collection::vec(0usize..40, 0..1500),
        ) {
            let mut order: Vec<(usize, u64)> = lateness
                .iter()
                .enumerate()
                .map(|(n, late)| (n + late, n as u64))
                .collect();
            order.sort();
            let mut table = ByPlace::default();
            for (_, offset) in &order {
                table.insert(Stored::at(offset * 10), *offset);
            }
            prop_assert_eq!(table.len(), order.len());
            for offset in 0..order.len() as u64 {
                prop_assert_eq!(table.get(Stored::at(offset * 10)), Some(&offset));
            }
            let (keys, full) = table.sorted_keys();
            prop_assert!(keys.is_sorted() && full);
            prop_assert_eq!(keys.len() + table.out_of_order.len(), order.len());
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
        let (keys, full) = table.sorted_keys();
        assert_eq!(keys.len(), far as usize + 1);
        assert!(keys.is_sorted() && full);
        assert_eq!(table.out_of_order.len(), 1);
        assert_eq!(table.get(Stored::at(far * 10 - 5)), Some(&1));
        assert_eq!(table.get(Stored::at(5)), Some(&2));
        assert_eq!(table.get(Stored::at(20)), Some(&3));
        assert_eq!(table.get(Stored::at(15)), None);
    }
}
