//! A lenient, line-by-line reader for front matter that does not parse as YAML.
//!
//! The Hub shows no `cardData` and derives no tags when a card's YAML is broken, but the lines are
//! still the author's declaration. This reader recovers top-level `key: value` lines, inline
//! `[a, b]` lists and `- item` lists under a key, for the keys the identifiers read.

use serde_json::{Map, Value};

/// The keys the lenient reader recovers.
pub const LENIENT_KEYS: &[&str] = &[
    "base_model",
    "base_model_relation",
    "datasets",
    "language",
    "library_name",
    "license",
    "license_link",
    "license_name",
    "pipeline_tag",
    "tags",
];

/// Reads a front matter line by line. Returns a JSON object holding a string or a list of strings
/// for each recovered key; never fails.
///
/// ```
/// let v = hf_identifiers::lenient::read_front_matter("license: mit\ntags:\n- a\n- 'b'\nbad: [unclosed\n");
/// assert_eq!(v["license"], "mit");
/// assert_eq!(v["tags"], serde_json::json!(["a", "b"]));
/// ```
pub fn read_front_matter(raw: &str) -> Value {
    let mut map = Map::new();
    let mut current: Option<&'static str> = None;
    let mut list: Vec<Value> = Vec::new();

    let flush = |map: &mut Map<String, Value>, key: Option<&'static str>, list: &mut Vec<Value>| {
        if let Some(key) = key
            && !list.is_empty()
        {
            map.insert(key.to_string(), Value::Array(std::mem::take(list)));
        }
        list.clear();
    };

    for line in raw.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') || line.trim() == "---" {
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        let trimmed = line.trim();
        if let Some(item) =
            trimmed
                .strip_prefix("- ")
                .or(if trimmed == "-" { Some("") } else { None })
        {
            // A list item: belongs to the current key, indented or not.
            if current.is_some() {
                let item = clean_scalar(item);
                if !item.is_empty() && !item.contains(": ") {
                    list.push(Value::String(item));
                }
            }
            continue;
        }
        if indented {
            // A nested mapping or a continuation line: not something we read.
            continue;
        }
        // A top-level line: a new key.
        flush(&mut map, current.take(), &mut list);
        let Some((key, value)) = trimmed.split_once(':') else {
            continue;
        };
        let key = key.trim().trim_matches(['"', '\'']);
        let Some(known) = LENIENT_KEYS.iter().find(|k| **k == key) else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            current = Some(known);
        } else if let Some(inner) = value.strip_prefix('[') {
            let inner = inner.trim_end().trim_end_matches(']');
            let items: Vec<Value> = inner
                .split(',')
                .map(clean_scalar)
                .filter(|s| !s.is_empty())
                .map(Value::String)
                .collect();
            if !items.is_empty() {
                map.insert(known.to_string(), Value::Array(items));
            }
        } else {
            let v = clean_scalar(value);
            if !v.is_empty() {
                map.insert(known.to_string(), Value::String(v));
            }
        }
    }
    flush(&mut map, current, &mut list);
    Value::Object(map)
}

/// Strips quotes and a trailing ` # comment` from a scalar.
fn clean_scalar(s: &str) -> String {
    let s = s.trim();
    if let Some(q) = s.chars().next().filter(|c| *c == '"' || *c == '\'')
        && let Some(inner) = s.get(1..)
        && let Some(close) = inner.find(q)
    {
        return inner.get(..close).unwrap_or("").trim().to_string();
    }
    let s = match s.find(" #") {
        Some(at) => s.get(..at).unwrap_or(s),
        None => s,
    };
    s.trim().trim_matches(['"', '\'']).trim().to_string()
}

/// Splits a README into its front matter (between `---` lines at the very top, `\n` or `\r\n`
/// line ends) and its body. Without a closed front matter, the whole text is the body.
///
/// ```
/// use hf_identifiers::lenient::split_front_matter;
///
/// assert_eq!(split_front_matter("---\nlicense: mit\n---\n# Model\n"), (Some("license: mit\n"), "# Model\n"));
/// assert_eq!(split_front_matter("# No metadata\n"), (None, "# No metadata\n"));
/// ```
pub fn split_front_matter(readme: &str) -> (Option<&str>, &str) {
    let Some(rest) = readme
        .strip_prefix("---\n")
        .or_else(|| readme.strip_prefix("---\r\n"))
    else {
        return (None, readme);
    };
    let mut at = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return (Some(&rest[..at]), &rest[at + line.len()..]);
        }
        at += line.len();
    }
    (None, readme)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table() {
        let cases: &[(&str, Value)] = &[
            ("license: mit", json!({"license": "mit"})),
            (
                "license: 'apache-2.0' # comment",
                json!({"license": "apache-2.0"}),
            ),
            (
                "language:\n- en\n- \"fr\"\n",
                json!({"language": ["en", "fr"]}),
            ),
            (
                "language:\n  - en\n  - de\n",
                json!({"language": ["en", "de"]}),
            ),
            ("datasets: [a/b, c]\n", json!({"datasets": ["a/b", "c"]})),
            ("tags:\n- x\nother:\n- y\n", json!({"tags": ["x"]})),
            (
                "base_model: a/b\nbase_model_relation: adapter",
                json!({"base_model": "a/b", "base_model_relation": "adapter"}),
            ),
            (
                "license: mit\r\nlanguage: eo\r\n",
                json!({"license": "mit", "language": "eo"}),
            ),
            ("[]", json!({})),
            ("widget:\n- text: hi\n", json!({})),
            (
                "model-index:\n- name: x\n  results:\n  - task: y\nlicense: mit",
                json!({"license": "mit"}),
            ),
            (
                "license: mit\n\tlanguage: broken\n",
                json!({"license": "mit"}),
            ),
            ("", json!({})),
        ];
        for (input, expected) in cases {
            assert_eq!(&read_front_matter(input), expected, "input: {input:?}");
        }
    }
}
