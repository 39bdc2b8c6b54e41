//! JSON arrays written and read one element at a time, so a file of 100,000 model cards never
//! sits in memory whole.
//!
//! [`JsonWriter`] writes exactly the bytes `serde_json::to_writer_pretty` writes for the
//! whole array (or object) of [`serde_json::Value`]s (two-space indent, object keys sorted), so
//! a streamed file is byte-identical to one written in one go; `json_read` reads it back
//! element by element.
//!
//! The same writer writes JSON Lines ([`OutputFormat::JsonLines`]): each element of an array
//! on a line of its own, compact, and each entry of an object as a one-entry object on its
//! line (`{"key":value}`), so a tool reads a file of a million records a line at a time.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// How the run's files of records are laid out.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// JSON arrays (and objects), pretty-printed with sorted keys: the files the downstream's
    /// contract reads (`hf_models.json`, …).
    #[default]
    Json,
    /// JSON Lines: one record per line, compact, keys sorted (`hf_models.jsonl`, …); the
    /// entries of a file that is an object (a map by model id) each a one-entry object
    /// `{"model id": value}` on its line. The same records as [`Json`](Self::Json), in the
    /// same order.
    #[serde(rename = "jsonl")]
    JsonLines,
}

impl OutputFormat {
    /// The name of the file of records `name` (a `.json` name) in this format: `x.jsonl` for
    /// JSON Lines.
    pub fn file_name(self, name: &str) -> std::borrow::Cow<'_, str> {
        match (self, name.strip_suffix(".json")) {
            (Self::JsonLines, Some(stem)) => format!("{stem}.jsonl").into(),
            _ => name.into(),
        }
    }

    /// The format a file of records is in, by its name.
    pub(crate) fn of(path: &Path) -> Self {
        match path.extension() {
            Some(ext) if ext == "jsonl" => Self::JsonLines,
            _ => Self::Json,
        }
    }
}

impl std::fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Json => "json",
            Self::JsonLines => "jsonl",
        })
    }
}

impl std::str::FromStr for OutputFormat {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "json" => Ok(Self::Json),
            "jsonl" => Ok(Self::JsonLines),
            other => Err(format!(
                "unknown output format {other:?} (known: json, jsonl)"
            )),
        }
    }
}

/// Writes a pretty-printed JSON array (or object) element by element (entry by entry): the
/// bytes of a whole write of it; or, in JSON Lines, a line per element (entry). Each element
/// (entry) is also shown, compact, to the writer's [`ElementTap`], if it has one.
pub struct JsonWriter<'w> {
    out: &'w mut dyn Write,
    path: &'w Path,
    brackets: [&'static [u8]; 2],
    lines: bool,
    count: u64,
    buf: Vec<u8>,
    tap: Option<Tap<'w>>,
}

/// What is shown each element of an array (`None`, its compact JSON) or each entry of an
/// object (its key, its value's compact JSON) as it is written.
pub(crate) type ElementTap<'w> = &'w mut dyn FnMut(Option<&str>, &[u8]);

/// A writer's tap, and the buffer it compacts pretty elements into.
struct Tap<'w> {
    show: ElementTap<'w>,
    compact: Vec<u8>,
}

impl Tap<'_> {
    /// Show an element (entry) written as `bytes`: compact already, or pretty.
    fn show(&mut self, key: Option<&str>, bytes: &[u8], compact: bool) {
        if compact {
            (self.show)(key, bytes);
        } else {
            self.compact.clear();
            compact_into(&mut self.compact, bytes);
            (self.show)(key, &self.compact);
        }
    }
}

impl<'w> JsonWriter<'w> {
    /// An array written to `out`; `path` names the file in errors.
    pub fn array(out: &'w mut dyn Write, path: &'w Path) -> Self {
        Self::new(out, path, [b"[", b"]"])
    }

    /// An object written to `out`; `path` names the file in errors.
    pub fn object(out: &'w mut dyn Write, path: &'w Path) -> Self {
        Self::new(out, path, [b"{", b"}"])
    }

    fn new(out: &'w mut dyn Write, path: &'w Path, brackets: [&'static [u8]; 2]) -> Self {
        Self {
            out,
            path,
            brackets,
            lines: false,
            count: 0,
            buf: Vec::new(),
            tap: None,
        }
    }

    /// The same records laid out as `format`.
    pub(crate) fn laid_out(mut self, format: OutputFormat) -> Self {
        self.lines = format == OutputFormat::JsonLines;
        self
    }

    /// The same writer, showing each element (entry) to `tap` once it is written.
    pub(crate) fn tapped(mut self, tap: ElementTap<'w>) -> Self {
        self.tap = Some(Tap {
            show: tap,
            compact: Vec::new(),
        });
        self
    }

    /// Append one element of an array, rendered beforehand on any thread ([`Rendered`]:
    /// serialised through [`serde_json::Value`], so map keys are sorted as in a whole-array
    /// write).
    pub fn push_rendered(&mut self, element: &Rendered) -> Result<()> {
        self.open_item()?;
        self.write_pretty(&element.0)?;
        self.show(None, &element.0);
        self.close_item()
    }

    /// Append one element of an array, rendered here (through [`serde_json::Value`], one
    /// element at a time: map keys sorted as in a whole-array write).
    pub fn push<T: Serialize + ?Sized>(&mut self, element: &T) -> Result<()> {
        self.open_item()?;
        self.value(element)?;
        self.show_buf(None);
        self.close_item()
    }

    /// Append one entry of an object (keys must come in sorted order for the bytes of a
    /// whole-object write).
    pub fn entry<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<()> {
        self.key(key)?;
        self.value(value)?;
        self.show_buf(Some(key));
        self.close_entry()
    }

    /// Show the tap an element (entry) just written from `pretty` (compacted into the buffer
    /// in JSON Lines).
    fn show(&mut self, key: Option<&str>, pretty: &[u8]) {
        let Some(tap) = &mut self.tap else { return };
        if self.lines {
            tap.show(key, &self.buf, true);
        } else {
            tap.show(key, pretty, false);
        }
    }

    /// Show the tap an element (entry) just written from the buffer.
    fn show_buf(&mut self, key: Option<&str>) {
        if let Some(tap) = &mut self.tap {
            tap.show(key, &self.buf, self.lines);
        }
    }

    /// Open an entry of an object: `"key": ` (`{"key":` on a line of its own in JSON Lines).
    fn key(&mut self, key: &str) -> Result<()> {
        self.open_item()?;
        let key = serde_json::to_vec(key).map_err(|source| self.json(source))?;
        if self.lines {
            self.write(b"{")?;
            self.write(&key)?;
            self.write(b":")
        } else {
            self.write(&key)?;
            self.write(b": ")
        }
    }

    /// End an element: its line's end, in JSON Lines.
    fn close_item(&mut self) -> Result<()> {
        if self.lines {
            self.write(b"\n")
        } else {
            Ok(())
        }
    }

    /// End an entry: the one-entry object's end and its line's, in JSON Lines.
    fn close_entry(&mut self) -> Result<()> {
        if self.lines {
            self.write(b"}\n")
        } else {
            Ok(())
        }
    }

    /// Close the array or object; returns how many elements or entries it holds.
    pub fn finish(mut self) -> Result<u64> {
        if self.lines {
            return Ok(self.count);
        }
        if self.count == 0 {
            self.write(self.brackets[0])?;
        } else {
            self.write(b"\n")?;
        }
        self.write(self.brackets[1])?;
        Ok(self.count)
    }

    fn open_item(&mut self) -> Result<()> {
        if self.lines {
            self.count += 1;
            return Ok(());
        }
        if self.count == 0 {
            self.write(self.brackets[0])?;
            self.write(b"\n  ")?;
        } else {
            self.write(b",\n  ")?;
        }
        self.count += 1;
        Ok(())
    }

    /// The bytes of `value` as an entry's value (what [`entry`](Self::entry) writes for it,
    /// without copying the value first), for [`entry_rendered`](Self::entry_rendered).
    pub(crate) fn render_value(&self, value: &serde_json::Value) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        render_value_into(&mut bytes, value).map_err(|source| self.json(source))?;
        Ok(bytes)
    }

    /// One entry of an object whose value was rendered by
    /// [`render_value`](Self::render_value).
    pub(crate) fn entry_rendered(&mut self, key: &str, value: &[u8]) -> Result<()> {
        self.key(key)?;
        self.write_pretty(value)?;
        self.show(Some(key), value);
        self.close_entry()
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.buf.clear();
        if self.lines {
            let value = serde_json::to_value(value).map_err(|source| self.json(source))?;
            serde_json::to_writer(&mut self.buf, &value).map_err(|source| self.json(source))?;
        } else {
            render_into(&mut self.buf, value).map_err(|source| self.json(source))?;
        }
        self.write_buf()
    }

    /// Write bytes rendered pretty: as they are, or without the whitespace between tokens in
    /// JSON Lines (the compact bytes of the same value).
    fn write_pretty(&mut self, pretty: &[u8]) -> Result<()> {
        if !self.lines {
            return self.write(pretty);
        }
        self.buf.clear();
        compact_into(&mut self.buf, pretty);
        self.write_buf()
    }

    fn write_buf(&mut self) -> Result<()> {
        let buf = std::mem::take(&mut self.buf);
        let written = self.write(&buf);
        self.buf = buf;
        written
    }

    fn json(&self, source: serde_json::Error) -> Error {
        Error::Json {
            path: self.path.to_owned(),
            source,
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out
            .write_all(bytes)
            .map_err(|e| Error::io(self.path, e))
    }
}

/// One element of an array as [`JsonWriter::push`] writes it (pretty, map keys sorted,
/// indented one level), rendered apart from the writer so elements can be rendered on several
/// threads and written in order with [`JsonWriter::push_rendered`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered(Vec<u8>);

impl Rendered {
    /// Render `element`; `path` names the file in errors.
    pub fn new<T: Serialize + ?Sized>(element: &T, path: &Path) -> Result<Self> {
        let mut bytes = Vec::new();
        render_into(&mut bytes, element).map_err(|source| Error::Json {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self(bytes))
    }

    /// Bytes rendered earlier by [`Rendered::new`] (kept aside and read back).
    pub(crate) fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The rendered bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The rendered bytes, taken back (a buffer to read the next element into).
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// The JSON `pretty` without the whitespace between its tokens: what `serde_json::to_writer`
/// writes of the same value (whitespace inside strings is escaped by JSON, but for spaces,
/// which are kept there).
pub(crate) fn compact_into(out: &mut Vec<u8>, pretty: &[u8]) {
    out.reserve(pretty.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in pretty {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            in_string = b == b'"';
            out.push(b);
        }
    }
}

/// Append `value` to `out` as an element of a pretty array: serialised through
/// [`serde_json::Value`] (so map keys are sorted as in a whole-array write), pretty-printed,
/// every line after the first indented one level.
fn render_into<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> std::result::Result<(), serde_json::Error> {
    render_value_into(out, &serde_json::to_value(value)?)
}

/// [`render_into`] of a value that is already a [`serde_json::Value`] (its keys sorted): no
/// copy of it is made.
fn render_value_into(
    out: &mut Vec<u8>,
    value: &serde_json::Value,
) -> std::result::Result<(), serde_json::Error> {
    value.serialize(&mut serde_json::Serializer::with_formatter(
        out,
        NestedPretty::default(),
    ))
}

/// `serde_json`'s pretty format (two-space indent) for a value one level down: the bytes of
/// `to_vec_pretty` with every line after the first indented two more spaces, written in one
/// pass. The same steps as [`serde_json::ser::PrettyFormatter`], counted from one level.
#[derive(Debug)]
struct NestedPretty {
    level: usize,
    has_value: bool,
}

impl Default for NestedPretty {
    fn default() -> Self {
        Self {
            level: 1,
            has_value: false,
        }
    }
}

impl NestedPretty {
    fn open<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            out.write_all(b"\n")?;
            self.indent(out)?;
        }
        out.write_all(bracket)
    }

    fn item<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> std::io::Result<()> {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(out)
    }

    fn indent<W: ?Sized + Write>(&self, out: &mut W) -> std::io::Result<()> {
        (0..self.level).try_for_each(|_| out.write_all(b"  "))
    }
}

impl serde_json::ser::Formatter for NestedPretty {
    fn begin_array<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(out, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(out, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// A writer that hashes (SHA-256) what goes through it.
pub struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> HashingWriter<W> {
    /// Hash what is written to `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The SHA-256 of everything written, in lowercase hex.
    pub fn hex_digest(self) -> String {
        hex(&self.hasher.finalize())
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The SHA-256 of a file, read in chunks.
pub fn file_sha256(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| Error::io(path, e))?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `value` as a [`serde_json::Value`].
pub(crate) fn to_json(value: &impl Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|source| Error::Json {
        path: PathBuf::new(),
        source,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::json_read::{for_each_element, for_each_entry};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn streamed(values: &[Value]) -> String {
        // Each element rendered apart, then written.
        let mut rendered = Vec::new();
        let mut array = JsonWriter::array(&mut rendered, Path::new("t.json"));
        for v in values {
            let element = Rendered::new(v, Path::new("t.json")).unwrap();
            array.push_rendered(&element).unwrap();
        }
        assert_eq!(array.finish().unwrap(), values.len() as u64);
        String::from_utf8(rendered).unwrap()
    }

    #[test]
    fn an_object_entry_by_entry_is_the_whole_object() {
        let mut bytes = Vec::new();
        let mut object = JsonWriter::object(&mut bytes, Path::new("example.json"));
        object.entry("a/b", &vec![1, 2]).unwrap();
        object.entry("c", &Vec::<u8>::new()).unwrap();
        assert_eq!(object.finish().unwrap(), 2);
        let whole = json!({"a/b": [1, 2], "c": []});
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            serde_json::to_string_pretty(&whole).unwrap()
        );
    }

    #[test]
    fn the_bytes_are_those_of_a_whole_write() {
        let cases = [
            vec![],
            vec![json!(1)],
            vec![json!({}), json!([]), json!({"a": {}})],
            vec![json!({"card": "line one\nline two\n  indented", "z": [1, {"y": null}]})],
        ];
        for values in cases {
            let whole = serde_json::to_string_pretty(&Value::Array(values.clone())).unwrap();
            assert_eq!(streamed(&values), whole);
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[a-z\n\" \\\\]{0,8}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{1,3}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_array_streams_to_the_same_bytes(values in prop::collection::vec(arb_json(), 0..5)) {
            let whole = serde_json::to_string_pretty(&Value::Array(values.clone())).unwrap();
            prop_assert_eq!(streamed(&values), whole);
        }

        #[test]
        fn any_object_streams_to_the_same_bytes(
            map in prop::collection::btree_map("[a-z/\"é]{0,6}", arb_json(), 0..5)
        ) {
            let mut bytes = Vec::new();
            let mut object = JsonWriter::object(&mut bytes, Path::new("t.json"));
            for (k, v) in &map {
                object.entry(k, v).unwrap();
            }
            prop_assert_eq!(object.finish().unwrap(), map.len() as u64);
            // A value already a `Value`: the same bytes, the value not copied first.
            let mut values = Vec::new();
            let mut object = JsonWriter::object(&mut values, Path::new("t.json"));
            for (k, v) in &map {
                let value = object.render_value(v).unwrap();
                object.entry_rendered(k, &value).unwrap();
            }
            prop_assert_eq!(object.finish().unwrap(), map.len() as u64);
            prop_assert_eq!(&values, &bytes);
            let whole = serde_json::to_string_pretty(&Value::Object(map.into_iter().collect())).unwrap();
            prop_assert_eq!(String::from_utf8(bytes).unwrap(), whole);
        }
    }

    proptest! {
        #[test]
        fn in_json_lines_each_element_is_its_compact_line_and_reads_back(
            values in prop::collection::vec(arb_json(), 0..5),
            map in prop::collection::btree_map("[a-z/\"é]{0,6}", arb_json(), 0..5),
        ) {
            let dir = tempfile::tempdir().unwrap();
            // An array: pushed, and pushed rendered (pretty bytes made compact).
            let mut bytes = Vec::new();
            let mut array = JsonWriter::array(&mut bytes, Path::new("a.jsonl"))
                .laid_out(OutputFormat::JsonLines);
            for (i, v) in values.iter().enumerate() {
                if i % 2 == 0 {
                    array.push(v).unwrap();
                } else {
                    array.push_rendered(&Rendered::new(v, Path::new("a.jsonl")).unwrap()).unwrap();
                }
            }
            prop_assert_eq!(array.finish().unwrap(), values.len() as u64);
            let expected: String = values
                .iter()
                .map(|v| serde_json::to_string(v).unwrap() + "\n")
                .collect();
            prop_assert_eq!(std::str::from_utf8(&bytes).unwrap(), expected);
            let path = dir.path().join("a.jsonl");
            std::fs::write(&path, &bytes).unwrap();
            let mut read = Vec::new();
            for_each_element(&path, |v: Value| {
                read.push(v);
                Ok(())
            })
            .unwrap();
            prop_assert_eq!(&read, &values);

            // An object: a one-entry object per line, read back as the object's entries.
            let mut bytes = Vec::new();
            let mut object = JsonWriter::object(&mut bytes, Path::new("o.jsonl"))
                .laid_out(OutputFormat::JsonLines);
            for (k, v) in &map {
                let value = object.render_value(v).unwrap();
                object.entry_rendered(k, &value).unwrap();
            }
            prop_assert_eq!(object.finish().unwrap(), map.len() as u64);
            let path = dir.path().join("o.jsonl");
            std::fs::write(&path, &bytes).unwrap();
            let mut entries = std::collections::BTreeMap::new();
            for_each_entry(&path, |k, v: Value| {
                entries.insert(k, v);
                Ok(())
            })
            .unwrap();
            prop_assert_eq!(entries, map);
        }
    }

    #[test]
    fn a_format_names_its_files_and_is_parsed_from_its_name() {
        assert_eq!(OutputFormat::JsonLines.file_name("x.json"), "x.jsonl");
        assert_eq!(OutputFormat::JsonLines.file_name("x.jsonl"), "x.jsonl");
        assert_eq!(OutputFormat::Json.file_name("x.json"), "x.json");
        assert_eq!("jsonl".parse(), Ok(OutputFormat::JsonLines));
        assert!(
            "xml"
                .parse::<OutputFormat>()
                .unwrap_err()
                .contains("json, jsonl")
        );
    }

    #[test]
    fn the_hash_on_the_fly_is_the_file_s_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.json");
        let mut writer = HashingWriter::new(std::fs::File::create(&path).unwrap());
        writer.write_all(b"[\n  1\n]\n").unwrap();
        let digest = writer.hex_digest();
        assert_eq!(digest, file_sha256(&path).unwrap());
        assert_eq!(digest.len(), 64);
    }
}
