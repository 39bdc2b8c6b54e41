//! JSON arrays written and read one element at a time, so a file of 100,000 model cards never
//! sits in memory whole.
//!
//! [`JsonWriter`] writes exactly the bytes `serde_json::to_writer_pretty` writes for the
//! whole array (or object) of [`serde_json::Value`]s (two-space indent, object keys sorted), so
//! a streamed file is byte-identical to one written in one go. [`for_each_element`] reads an array back
//! element by element.

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::{DeserializeOwned, DeserializeSeed, SeqAccess, Visitor};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Writes a pretty-printed JSON array (or object) element by element (entry by entry): the
/// bytes of a whole write of it.
pub struct JsonWriter<'w> {
    out: &'w mut dyn Write,
    path: &'w Path,
    brackets: [&'static [u8]; 2],
    count: u64,
    buf: Vec<u8>,
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
            count: 0,
            buf: Vec::new(),
        }
    }

    /// Append one element of an array, rendered beforehand on any thread ([`Rendered`]:
    /// serialised through [`serde_json::Value`], so map keys are sorted as in a whole-array
    /// write).
    pub fn push_rendered(&mut self, element: &Rendered) -> Result<()> {
        self.open_item()?;
        self.write(&element.0)
    }

    /// Append one element of an array, rendered here (through [`serde_json::Value`], one
    /// element at a time: map keys sorted as in a whole-array write).
    pub fn push<T: Serialize + ?Sized>(&mut self, element: &T) -> Result<()> {
        self.open_item()?;
        self.value(element)
    }

    /// Append one entry of an object (keys must come in sorted order for the bytes of a
    /// whole-object write).
    pub fn entry<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<()> {
        self.key(key)?;
        self.value(value)
    }

    /// Open an entry of an object: `"key": `.
    fn key(&mut self, key: &str) -> Result<()> {
        self.open_item()?;
        let key = serde_json::to_vec(key).map_err(|source| self.json(source))?;
        self.write(&key)?;
        self.write(b": ")
    }

    /// Close the array or object; returns how many elements or entries it holds.
    pub fn finish(mut self) -> Result<u64> {
        if self.count == 0 {
            self.write(self.brackets[0])?;
        } else {
            self.write(b"\n")?;
        }
        self.write(self.brackets[1])?;
        Ok(self.count)
    }

    fn open_item(&mut self) -> Result<()> {
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
        self.write(value)
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.buf.clear();
        render_into(&mut self.buf, value).map_err(|source| self.json(source))?;
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

/// Read the JSON array in `path` one element at a time, handing each to `each`; returns how
/// many there were. An error names the file (and, for bad JSON, the line).
pub fn for_each_element<T: DeserializeOwned>(
    path: &Path,
    mut each: impl FnMut(T) -> Result<()>,
) -> Result<u64> {
    read_streamed(path, |de, failed| {
        let seed = Elements {
            each: &mut each,
            failed,
            _t: std::marker::PhantomData,
        };
        seed.deserialize(de)
    })
}

/// The JSON file at `path` read by `read`, a seed handing each item to a callback and keeping
/// the callback's first error in the slot it is given (then failing the parse). Returns what
/// `read` counted, the callback's error, or the file's error naming it.
fn read_streamed(
    path: &Path,
    read: impl FnOnce(&mut JsonReader, &mut Option<Error>) -> serde_json::Result<u64>,
) -> Result<u64> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut de = serde_json::Deserializer::from_reader(BufReader::new(file));
    let mut failed = None;
    let result = read(&mut de, &mut failed).and_then(|n| de.end().map(|()| n));
    if let Some(e) = failed {
        return Err(e);
    }
    result.map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })
}

/// A JSON file being read.
type JsonReader = serde_json::Deserializer<serde_json::de::IoRead<BufReader<std::fs::File>>>;

struct Elements<'a, T, F> {
    each: &'a mut F,
    failed: &'a mut Option<Error>,
    _t: std::marker::PhantomData<T>,
}

impl<'de, T: DeserializeOwned, F: FnMut(T) -> Result<()>> DeserializeSeed<'de>
    for Elements<'_, T, F>
{
    type Value = u64;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<u64, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned, F: FnMut(T) -> Result<()>> Visitor<'de> for Elements<'_, T, F> {
    type Value = u64;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<u64, A::Error> {
        let mut n = 0;
        while let Some(element) = seq.next_element::<T>()? {
            n += 1;
            if let Err(e) = (self.each)(element) {
                *self.failed = Some(e);
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(n)
    }
}

/// Hand each entry of the JSON object in the file at `path` to `each`, one at a time, as its
/// key and a `T`; returns how many there were. The first error of `each` stops the reading and
/// is returned; an error of the file names it.
pub fn for_each_entry<T: DeserializeOwned>(
    path: &Path,
    mut each: impl FnMut(String, T) -> Result<()>,
) -> Result<u64> {
    read_streamed(path, |de, failed| {
        let seed = Entries {
            each: &mut each,
            failed,
            _t: std::marker::PhantomData,
        };
        seed.deserialize(de)
    })
}

struct Entries<'a, T, F> {
    each: &'a mut F,
    failed: &'a mut Option<Error>,
    _t: std::marker::PhantomData<T>,
}

impl<'de, T: DeserializeOwned, F: FnMut(String, T) -> Result<()>> DeserializeSeed<'de>
    for Entries<'_, T, F>
{
    type Value = u64;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<u64, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned, F: FnMut(String, T) -> Result<()>> Visitor<'de>
    for Entries<'_, T, F>
{
    type Value = u64;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<u64, A::Error> {
        let mut n = 0;
        while let Some((key, value)) = map.next_entry::<String, T>()? {
            n += 1;
            if let Err(e) = (self.each)(key, value) {
                *self.failed = Some(e);
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(n)
    }
}

/// `value` as a [`serde_json::Value`].
pub(crate) fn to_json(value: &impl Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|source| Error::Json {
        path: PathBuf::new(),
        source,
    })
}

/// The JSON file at `path`, read whole; an error names the file.
pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
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

    #[test]
    fn an_array_reads_back_element_by_element_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        std::fs::write(&path, "[1, 2, 3]").unwrap();
        let mut seen = Vec::new();
        let n = for_each_element(&path, |v: u32| {
            seen.push(v);
            Ok(())
        })
        .unwrap();
        assert_eq!((n, seen), (3, vec![1, 2, 3]));

        std::fs::write(&path, "[1,\n 2,\n x]").unwrap();
        let err = for_each_element(&path, |_: u32| Ok(())).unwrap_err();
        assert!(err.to_string().contains("a.json"), "{err}");
        assert!(err.to_string().contains("line 3"), "{err}");

        std::fs::write(&path, "[1, 2]").unwrap();
        let err = for_each_element(&path, |v: u32| {
            if v == 2 {
                Err(Error::io(&path, std::io::Error::other("disk full")))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
    }

    #[test]
    fn an_object_reads_back_entry_by_entry_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.json");
        std::fs::write(&path, r#"{"a/x": [1], "b": [], "c/y": [2, 3]}"#).unwrap();
        let mut seen = Vec::new();
        let n = for_each_entry(&path, |k, v: Vec<u32>| {
            seen.push((k, v));
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            seen,
            [
                ("a/x".to_owned(), vec![1]),
                ("b".to_owned(), vec![]),
                ("c/y".to_owned(), vec![2, 3])
            ]
        );
        // An array is not an object; a bad value names the file; an error of `each` stops.
        std::fs::write(&path, "[1]").unwrap();
        let err = for_each_entry(&path, |_, _: u32| Ok(())).unwrap_err();
        assert!(err.to_string().contains("o.json"), "{err}");
        std::fs::write(&path, r#"{"a": 1, "b": 2}"#).unwrap();
        let mut taken = 0;
        let err = for_each_entry(&path, |_, _: u32| {
            taken += 1;
            Err(Error::io(&path, std::io::Error::other("full")))
        })
        .unwrap_err();
        assert!(err.to_string().contains("full"), "{err}");
        assert_eq!(taken, 1);
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
