//! ISO 639-3 scope and type of a language, as the downstream reads them (`scope`, `type` of
//! `languages.json`).
//!
//! `isolang` knows codes and names but not scope or type, so this module keeps the exceptions
//! as sorted tables: every ISO 639-3 macrolanguage (scope `M`), the special codes (`S`), and the
//! ancient (`A`), historical (`H`) and constructed (`C`) languages among those with an ISO 639-1
//! code plus the common ones models name (Ancient Greek, Old English, Lojban, …). Any other
//! ISO 639-3 code is an individual (`I`) living (`L`) language, which is what most of the 7,900
//! codes are; extinct languages missing from the tables are reported as living.

/// ISO 639-3 macrolanguages (scope `M`). Sorted, unique.
pub const MACROLANGUAGES: &[&str] = &[
    "aka", "ara", "aym", "aze", "bal", "bik", "bnc", "bua", "chm", "cre", "del", "den", "din",
    "doi", "est", "fas", "ful", "gba", "gon", "grb", "grn", "hai", "hbs", "hmn", "iku", "ipk",
    "jrb", "kau", "kln", "kok", "kom", "kon", "kpe", "kur", "lah", "lav", "luy", "man", "mlg",
    "mon", "msa", "mwr", "nep", "nor", "oji", "ori", "orm", "pus", "que", "raj", "rom", "sqi",
    "srd", "swa", "syr", "tmh", "uzb", "yid", "zap", "zha", "zho", "zza",
];

/// Special codes (scope and type `S`). Sorted, unique.
pub const SPECIAL: &[&str] = &["mis", "mul", "und", "zxx"];

/// Languages that are not living, with their ISO 639-3 type (`A` ancient, `H` historical,
/// `C` constructed). Sorted by code, unique.
pub const NOT_LIVING: &[(&str, &str)] = &[
    ("akk", "A"),
    ("ang", "H"),
    ("ave", "A"),
    ("avk", "C"),
    ("chu", "A"),
    ("egy", "A"),
    ("enm", "H"),
    ("epo", "C"),
    ("frm", "H"),
    ("fro", "H"),
    ("gmh", "H"),
    ("goh", "H"),
    ("got", "A"),
    ("grc", "A"),
    ("hit", "A"),
    ("ido", "C"),
    ("ile", "C"),
    ("ina", "C"),
    ("jbo", "C"),
    ("lat", "A"),
    ("lfn", "C"),
    ("non", "H"),
    ("nov", "C"),
    ("ota", "H"),
    ("peo", "A"),
    ("pli", "A"),
    ("pro", "H"),
    ("san", "A"),
    ("sga", "H"),
    ("sux", "A"),
    ("tlh", "C"),
    ("vol", "C"),
];

/// The `(scope, type)` of an ISO 639-3 code: `I`/`M`/`S` and `L`/`A`/`H`/`C`/`S`.
///
/// ```
/// use hf_enrich::language_scope::scope_and_type;
///
/// assert_eq!(scope_and_type("eng"), (Some("I"), Some("L")));
/// assert_eq!(scope_and_type("zho"), (Some("M"), Some("L")));
/// assert_eq!(scope_and_type("lat"), (Some("I"), Some("A")));
/// assert_eq!(scope_and_type("mul"), (Some("S"), Some("S")));
/// ```
pub fn scope_and_type(iso639_3: &str) -> (Option<&'static str>, Option<&'static str>) {
    if SPECIAL.binary_search(&iso639_3).is_ok() {
        return (Some("S"), Some("S"));
    }
    let scope = if MACROLANGUAGES.binary_search(&iso639_3).is_ok() {
        "M"
    } else {
        "I"
    };
    let kind = NOT_LIVING
        .binary_search_by(|(code, _)| code.cmp(&iso639_3))
        .map_or("L", |at| NOT_LIVING[at].1);
    (Some(scope), Some(kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_are_sorted_unique_and_iso_639_3() {
        for table in [MACROLANGUAGES, SPECIAL] {
            assert!(table.windows(2).all(|w| w[0] < w[1]), "{table:?}");
        }
        assert!(NOT_LIVING.windows(2).all(|w| w[0].0 < w[1].0));
        for code in MACROLANGUAGES
            .iter()
            .chain(NOT_LIVING.iter().map(|(c, _)| c))
        {
            assert!(isolang::Language::from_639_3(code).is_some(), "{code}");
        }
    }

    #[test]
    fn scopes_and_types() {
        let cases = [
            ("deu", "I", "L"),
            ("ara", "M", "L"),
            ("epo", "I", "C"),
            ("ang", "I", "H"),
            ("und", "S", "S"),
        ];
        for (code, scope, kind) in cases {
            assert_eq!(scope_and_type(code), (Some(scope), Some(kind)), "{code}");
        }
    }
}
