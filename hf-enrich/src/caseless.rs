//! Hub ids without regard to ASCII case, as the Hub compares them: a set of ids
//! ([`CaselessSet`]) and the canonical id of every id or alias of a set of models
//! ([`CanonicalIds`]), both sorted lists borrowed from the ids they are made of.
//!
//! A run of a million models knows a million ids and more. Lower-cased copies of them in a map
//! cost over 100 bytes each, and a hash set of borrowed ids about 34; [`CaselessSet`] costs the
//! borrowed slice of each id, 16 bytes, and [`CanonicalIds`] the two of each pair, 32.

use std::cmp::Ordering;
use std::collections::BTreeSet;

/// `a` against `b` without regard to ASCII case, as the Hub compares ids: byte by byte, with no
/// lower-cased copy.
///
/// ```
/// use std::cmp::Ordering;
/// use hf_enrich::lineage::caseless_cmp;
///
/// assert_eq!(caseless_cmp("Org/Model", "org/model"), Ordering::Equal);
/// assert_eq!(caseless_cmp("org/A", "org/b"), Ordering::Less);
/// ```
pub fn caseless_cmp(a: &str, b: &str) -> Ordering {
    fn lower(s: &str) -> impl Iterator<Item = u8> + '_ {
        s.bytes().map(|b| b.to_ascii_lowercase())
    }
    lower(a).cmp(lower(b))
}

/// Ids known without regard to ASCII case, borrowed: a sorted list, 16 bytes an id (a hash set
/// of them takes about twice that).
#[derive(Debug, Default)]
pub(crate) struct CaselessSet<'a> {
    /// Sorted without regard to case.
    ids: Vec<&'a str>,
}

impl<'a> CaselessSet<'a> {
    /// The set of `ids`.
    pub(crate) fn new(ids: impl IntoIterator<Item = &'a str>) -> Self {
        let mut ids: Vec<&'a str> = ids.into_iter().collect();
        ids.shrink_to_fit();
        ids.sort_unstable_by(|a, b| caseless_cmp(a, b));
        Self { ids }
    }

    /// Whether `id` is one of them, in any case.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.ids
            .binary_search_by(|known| caseless_cmp(known, id))
            .is_ok()
    }
}

/// The canonical id of each id or alias of some models, found without regard to ASCII case.
/// When two models are known by one id (an alias of one is the id of another, in another
/// case), the model given last wins.
#[derive(Debug, Default)]
pub(crate) struct CanonicalIds<'a> {
    /// (id or alias, the model's id), sorted by the first without regard to case; pairs of one
    /// key in the order given.
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> CanonicalIds<'a> {
    /// The ids of `models`, each given as its id and aliases.
    pub(crate) fn new(models: impl IntoIterator<Item = (&'a str, &'a BTreeSet<String>)>) -> Self {
        let mut pairs = Vec::new();
        for (id, aliases) in models {
            pairs.push((id, id));
            pairs.extend(aliases.iter().map(|alias| (alias.as_str(), id)));
        }
        pairs.shrink_to_fit();
        // Stable: the pairs of one key stay in the order given, the last one last.
        pairs.sort_by(|a, b| caseless_cmp(a.0, b.0));
        Self { pairs }
    }

    /// The id of the model known by `id` (by its id or an alias, without regard to case).
    pub(crate) fn get(&self, id: &str) -> Option<&'a str> {
        let end = self
            .pairs
            .partition_point(|(known, _)| caseless_cmp(known, id) != Ordering::Greater);
        let (known, canonical) = *self.pairs.get(end.checked_sub(1)?)?;
        known.eq_ignore_ascii_case(id).then_some(canonical)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn an_id_or_alias_in_any_case_finds_its_model() {
        let aliases = BTreeSet::from(["Org/Old-Name".to_owned()]);
        let none = BTreeSet::new();
        let ids = CanonicalIds::new([("org/new-name", &aliases), ("google-bert/bert", &none)]);
        assert_eq!(ids.get("org/old-name"), Some("org/new-name"));
        assert_eq!(ids.get("ORG/NEW-NAME"), Some("org/new-name"));
        assert_eq!(ids.get("Google-BERT/bert"), Some("google-bert/bert"));
        assert_eq!(ids.get("google-bert/bert-base"), None);
        assert_eq!(ids.get("a"), None);
        assert_eq!(ids.get("zzz"), None);
        assert_eq!(CanonicalIds::new([]).get("org/new-name"), None);
    }

    #[test]
    fn a_set_knows_its_ids_in_any_case() {
        let set = CaselessSet::new(["org/B", "org/a", "Org/c"]);
        assert!(set.contains("ORG/b") && set.contains("org/A") && set.contains("org/c"));
        assert!(!set.contains("org/d") && !set.contains("org") && !set.contains(""));
        assert!(!CaselessSet::new([]).contains("org/a"));
    }

    fn id() -> impl Strategy<Value = String> {
        // Few letters in both cases, so that ids meet in another case and as prefixes.
        "[aAbB/]{1,4}"
    }

    proptest! {
        /// The same answers as a map of lower-cased ids filled in order, the last one winning.
        #[test]
        fn it_answers_as_a_lower_cased_map(
            models in proptest::collection::vec((id(), proptest::collection::btree_set(id(), 0..3)), 0..12),
            asked in proptest::collection::vec(id(), 0..12),
        ) {
            let mut map: BTreeMap<String, &str> = BTreeMap::new();
            for (id, aliases) in &models {
                for known in std::iter::once(id).chain(aliases) {
                    map.insert(known.to_ascii_lowercase(), id.as_str());
                }
            }
            let ids = CanonicalIds::new(models.iter().map(|(id, a)| (id.as_str(), a)));
            for known in models.iter().flat_map(|(id, a)| std::iter::once(id).chain(a)).chain(&asked) {
                prop_assert_eq!(ids.get(known), map.get(&known.to_ascii_lowercase()).copied());
            }
        }
    }
}
