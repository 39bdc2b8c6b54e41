//! Dagster Pipes: run as real Dagster assets when Dagster launches the process.
//!
//! A small implementation of the external side of the
//! [Pipes protocol](https://docs.dagster.io/guides/build/external-pipelines) (checked against
//! dagster 1.13.29), written here rather than taken from `dagster_pipes_rust` because that crate
//! writes a message line in two `write`s (the orchestrator's file reader can die on the half
//! line), sends `closed` twice, uses a metadata type Dagster rejects, sends the exception in a
//! shape Dagster ignores, and fails instead of doing nothing outside Dagster.
//!
//! - [`Pipes::from_env`]: `None` when `DAGSTER_PIPES_CONTEXT` is not set (a plain CLI run), an
//!   error naming the variable when it is set but unusable, else an open connection (the
//!   `opened` message is sent).
//! - Every message is one JSON line written with a single `write` call: to the messages file
//!   (opened with `O_APPEND`), or to stderr / stdout (the Kubernetes shape).
//! - [`Pipes::close`] and [`Pipes::close_with_exception`] send `closed` once; later calls, logs
//!   and reports are dropped (nothing may follow `closed`).
//!
//! ```
//! use hf_extractor::pipes::{MetadataValue, Pipes, decode_param, encode_param};
//!
//! let dir = tempfile::tempdir()?;
//! let messages = dir.path().join("messages");
//! let context = encode_param(&serde_json::json!({"data": {"asset_keys": ["hf_raw_models"]}}));
//! let channel = encode_param(&serde_json::json!({"path": messages}));
//! let pipes = Pipes::open(&context, &channel)?;
//! assert_eq!(pipes.context().asset_keys.as_deref(), Some(&["hf_raw_models".to_string()][..]));
//! pipes.report_asset_materialization(
//!     "hf_raw_models",
//!     &[("count", MetadataValue::Int(201))],
//!     Some("9f86d0…"),
//! )?;
//! pipes.close();
//! let lines = std::fs::read_to_string(&messages)?;
//! assert_eq!(lines.lines().count(), 3); // opened, the report, closed
//! # let _ = decode_param(&context)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod log_layer;
mod observer;

pub use log_layer::PipesLogLayer;
pub use observer::{PipesObserver, PipesSelection};

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The variable holding the encoded context parameters.
pub const CONTEXT_VARIABLE: &str = "DAGSTER_PIPES_CONTEXT";
/// The variable holding the encoded message-channel parameters.
pub const MESSAGES_VARIABLE: &str = "DAGSTER_PIPES_MESSAGES";
/// The protocol version every message carries.
pub const PROTOCOL_VERSION: &str = "0.1";

/// What can go wrong with Pipes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipesError {
    /// A variable set by Dagster could not be decoded (base64 → zlib → JSON).
    #[error(
        "{variable}: cannot be decoded ({reason}); Dagster launched this process with a context it cannot use"
    )]
    Decode {
        /// The variable.
        variable: String,
        /// Why.
        reason: String,
    },
    /// The parameters decode but say nothing usable.
    #[error("{variable}: {reason}")]
    Params {
        /// The variable.
        variable: String,
        /// Why.
        reason: String,
    },
    /// The context file could not be read or parsed.
    #[error("Dagster Pipes context {path}: {reason}")]
    Context {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The messages could not be written.
    #[error("Dagster Pipes messages ({channel}): {source}")]
    Write {
        /// The channel (a file path, `stderr` or `stdout`).
        channel: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// A message after `closed`.
    #[error("Dagster Pipes: the connection is closed; nothing may follow `closed`")]
    Closed,
}

/// What Dagster tells the process: the selected keys, the partition, extras.
///
/// Unknown keys are ignored, so newer Dagster versions keep working.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PipesContext {
    /// The selected asset keys as user strings (`prefix/name`, a literal `/` escaped as `\/`),
    /// sorted alphabetically by Dagster — not in dependency order. `None` for an op.
    pub asset_keys: Option<Vec<String>>,
    /// The partition, when the run targets exactly one.
    pub partition_key: Option<String>,
    /// Dagster's run id.
    pub run_id: String,
    /// The job.
    pub job_name: Option<String>,
    /// The retry number.
    pub retry_number: u64,
    /// Whatever the asset passed as `extras`.
    pub extras: Map<String, Value>,
}

/// A metadata value, in one of the types Dagster accepts (any other type kills the
/// orchestrator's reader thread, so there is no way to send one).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MetadataValue {
    /// `text`.
    Text(String),
    /// `int`.
    Int(i64),
    /// `float`.
    Float(f64),
    /// `bool`.
    Bool(bool),
    /// `path`.
    Path(String),
    /// `url`.
    Url(String),
    /// `json`.
    Json(Value),
    /// `null`.
    Null,
}

impl MetadataValue {
    /// `{"type": …, "raw_value": …}` as the orchestrator reads it.
    pub fn to_json(&self) -> Value {
        let (kind, raw) = match self {
            Self::Text(s) => ("text", json!(s)),
            Self::Int(i) => ("int", json!(i)),
            Self::Float(f) => ("float", json!(f)),
            Self::Bool(b) => ("bool", json!(b)),
            Self::Path(p) => ("path", json!(p)),
            Self::Url(u) => ("url", json!(u)),
            Self::Json(v) => ("json", v.clone()),
            Self::Null => ("null", Value::Null),
        };
        json!({"type": kind, "raw_value": raw})
    }
}

/// A log level of the `log` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// `DEBUG`.
    Debug,
    /// `INFO`.
    Info,
    /// `WARNING`.
    Warning,
    /// `ERROR`.
    Error,
    /// `CRITICAL`.
    Critical,
}

impl LogLevel {
    fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warning => "WARNING",
            Self::Error => "ERROR",
            Self::Critical => "CRITICAL",
        }
    }
}

/// Where messages go.
#[derive(Debug)]
enum Channel {
    File { path: PathBuf, file: File },
    Stderr,
    Stdout,
}

impl Channel {
    fn name(&self) -> String {
        match self {
            Self::File { path, .. } => path.display().to_string(),
            Self::Stderr => "stderr".into(),
            Self::Stdout => "stdout".into(),
        }
    }

    /// One complete line in one `write` call, under the stream's lock, so the reader never
    /// sees half a message (`write_all` makes one call unless the OS takes only part of it,
    /// and then finishes the line rather than leave it broken).
    fn write_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        match self {
            Self::File { file, .. } => file.write_all(line),
            Self::Stderr => std::io::stderr().lock().write_all(line),
            Self::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(line)?;
                out.flush()
            }
        }
    }
}

/// An open Pipes connection.
#[derive(Debug)]
pub struct Pipes {
    context: PipesContext,
    channel: Mutex<Channel>,
    closed: AtomicBool,
}

/// `base64(zlib(json))`, as Dagster encodes the `DAGSTER_PIPES_*` variables.
pub fn encode_param(value: &Value) -> String {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(value.to_string().as_bytes());
    STANDARD.encode(encoder.finish().unwrap_or_default())
}

/// The inverse of [`encode_param`]; the error says which step failed.
pub fn decode_param(encoded: &str) -> Result<Value, String> {
    let compressed = STANDARD
        .decode(encoded.trim())
        .map_err(|e| format!("not base64: {e}"))?;
    let mut text = String::new();
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .read_to_string(&mut text)
        .map_err(|e| format!("not zlib-compressed UTF-8: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))
}

impl Pipes {
    /// `None` when Dagster did not launch the process (no `DAGSTER_PIPES_CONTEXT`); an error
    /// when it did but the variables cannot be used; else an open connection.
    pub fn from_env() -> Result<Option<Self>, PipesError> {
        let Some(context) = std::env::var_os(CONTEXT_VARIABLE) else {
            return Ok(None);
        };
        let context = context.into_string().map_err(|_| PipesError::Decode {
            variable: CONTEXT_VARIABLE.into(),
            reason: "not UTF-8".into(),
        })?;
        let messages = std::env::var(MESSAGES_VARIABLE).map_err(|e| PipesError::Params {
            variable: MESSAGES_VARIABLE.into(),
            reason: format!("{e} (it must be set with {CONTEXT_VARIABLE})"),
        })?;
        Self::open(&context, &messages).map(Some)
    }

    /// Open from the two encoded parameters (the values of `DAGSTER_PIPES_CONTEXT` and
    /// `DAGSTER_PIPES_MESSAGES`), and send `opened`.
    pub fn open(context: &str, messages: &str) -> Result<Self, PipesError> {
        let decode = |variable: &str, value: &str| {
            decode_param(value).map_err(|reason| PipesError::Decode {
                variable: variable.into(),
                reason,
            })
        };
        let context = read_context(&decode(CONTEXT_VARIABLE, context)?)?;
        let channel = open_channel(&decode(MESSAGES_VARIABLE, messages)?)?;
        let pipes = Self {
            context,
            channel: Mutex::new(channel),
            closed: AtomicBool::new(false),
        };
        pipes.send("opened", json!({"extras": {}}))?;
        Ok(pipes)
    }

    /// The context Dagster passed.
    pub fn context(&self) -> &PipesContext {
        &self.context
    }

    /// Whether `closed` was sent.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// A log line in Dagster's event log. Dropped after `closed`, or when it cannot be written
    /// (a log must not end the run).
    pub fn log(&self, level: LogLevel, message: &str) {
        let _ = self.send("log", json!({"message": message, "level": level.as_str()}));
    }

    /// Report one asset's materialisation under `asset_key` (as the context names it).
    pub fn report_asset_materialization(
        &self,
        asset_key: &str,
        metadata: &[(&str, MetadataValue)],
        data_version: Option<&str>,
    ) -> Result<(), PipesError> {
        let metadata: Map<String, Value> = metadata
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.to_json()))
            .collect();
        self.send(
            "report_asset_materialization",
            json!({"asset_key": asset_key, "metadata": metadata, "data_version": data_version}),
        )
    }

    /// Send `closed` (once; later calls do nothing).
    pub fn close(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            let _ = self.write("closed", json!({}));
        }
    }

    /// Send `closed` with an exception, which Dagster shows as the step's failure (once; later
    /// calls do nothing).
    pub fn close_with_exception(&self, name: &str, message: &str) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            let exception = json!({
                "message": message,
                "stack": [],
                "name": name,
                "cause": null,
                "context": null,
            });
            let _ = self.write("closed", json!({ "exception": exception }));
        }
    }

    fn send(&self, method: &str, params: Value) -> Result<(), PipesError> {
        if self.is_closed() {
            return Err(PipesError::Closed);
        }
        self.write(method, params)
    }

    fn write(&self, method: &str, params: Value) -> Result<(), PipesError> {
        let mut line = message_line(method, params);
        line.push('\n');
        let mut channel = self.channel.lock().unwrap_or_else(|p| p.into_inner());
        channel
            .write_line(line.as_bytes())
            .map_err(|source| PipesError::Write {
                channel: channel.name(),
                source,
            })
    }
}

impl Drop for Pipes {
    /// A connection dropped without a close (an early return, a panic) still tells Dagster the
    /// process is done.
    fn drop(&mut self) {
        self.close();
    }
}

/// One message as JSON text (no newline).
fn message_line(method: &str, params: Value) -> String {
    json!({"__dagster_pipes_version": PROTOCOL_VERSION, "method": method, "params": params})
        .to_string()
}

fn read_context(params: &Value) -> Result<PipesContext, PipesError> {
    let problem = |reason: String| PipesError::Params {
        variable: CONTEXT_VARIABLE.into(),
        reason,
    };
    if let Some(data) = params.get("data").filter(|d| !d.is_null()) {
        return serde_json::from_value(data.clone())
            .map_err(|e| problem(format!("the inline context data is not a context: {e}")));
    }
    let Some(path) = params.get("path").and_then(Value::as_str) else {
        return Err(problem(format!(
            "neither \"path\" nor \"data\" in the context parameters {params}"
        )));
    };
    let path = Path::new(path);
    let text = std::fs::read_to_string(path).map_err(|e| PipesError::Context {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| PipesError::Context {
        path: path.to_owned(),
        reason: format!("not a context: {e}"),
    })
}

fn open_channel(params: &Value) -> Result<Channel, PipesError> {
    if let Some(path) = params.get("path").and_then(Value::as_str) {
        let path = PathBuf::from(path);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| PipesError::Write {
                channel: path.display().to_string(),
                source,
            })?;
        return Ok(Channel::File { path, file });
    }
    match params.get("stdio").and_then(Value::as_str) {
        Some("stderr") => Ok(Channel::Stderr),
        Some("stdout") => Ok(Channel::Stdout),
        _ => Err(PipesError::Params {
            variable: MESSAGES_VARIABLE.into(),
            reason: format!(
                "neither a \"path\" nor \"stdio\": \"stderr\"|\"stdout\" in the message parameters {params}"
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden strings made by the Python reference (`tests/fixtures/pipes/generate.py`).
    fn fixture(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/pipes")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn parameters_encoded_by_the_python_reference_decode() {
        assert_eq!(
            decode_param(&fixture("context_path.txt")).unwrap(),
            json!({"path": "/tmp/dagster-pipes/context.json"})
        );
        let data: Value = serde_json::from_str(&fixture("context_data.json")).unwrap();
        assert_eq!(
            decode_param(&fixture("context_data.txt")).unwrap(),
            json!({ "data": data })
        );
        assert_eq!(
            decode_param(&fixture("messages_stderr.txt")).unwrap(),
            json!({"stdio": "stderr"})
        );
        assert_eq!(
            decode_param(&fixture("messages_path.txt")).unwrap(),
            json!({"path": "/tmp/dagster-pipes/messages", "include_stdio_in_messages": false})
        );
    }

    #[test]
    fn our_encoding_round_trips_and_is_zlib() {
        let value = json!({"data": {"asset_keys": ["a/b", "c\\/d"], "extras": {"x": 1}}});
        let encoded = encode_param(&value);
        let raw = STANDARD.decode(&encoded).unwrap();
        assert_eq!(&raw[..2], &[0x78, 0x9c], "zlib header");
        assert_eq!(decode_param(&encoded).unwrap(), value);
    }

    #[test]
    fn the_inline_context_is_read_with_unknown_keys_ignored() {
        let params = decode_param(&fixture("context_data.txt")).unwrap();
        let context = read_context(&params).unwrap();
        assert_eq!(
            context.asset_keys.unwrap(),
            ["hf_enriched_licenses", "prefix/hf_raw_models", "odd\\/name"]
        );
        assert_eq!(context.partition_key.as_deref(), Some("03-of-16"));
        assert_eq!(context.run_id, "8e3ab0f1-6c3e-4b1c-9a57-0f2f8d0c9d11");
        assert_eq!(
            context.extras["run_folder"],
            "/data/raw/hf/2026-11-27_11-38-00_0a1b2c3d"
        );
    }

    #[test]
    fn the_context_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("context.json");
        std::fs::write(&path, fixture("context_data.json")).unwrap();
        let context = read_context(&json!({ "path": path })).unwrap();
        assert_eq!(context.partition_key.as_deref(), Some("03-of-16"));
        let missing = read_context(&json!({"path": dir.path().join("nope.json")})).unwrap_err();
        assert!(missing.to_string().contains("nope.json"), "{missing}");
    }

    #[test]
    fn unusable_parameters_are_errors_naming_the_variable() {
        let not_base64 = Pipes::open("%%%", &fixture("messages_stderr.txt")).unwrap_err();
        assert!(
            not_base64.to_string().contains(CONTEXT_VARIABLE)
                && not_base64.to_string().contains("base64"),
            "{not_base64}"
        );
        let gzip_not_zlib = STANDARD.encode([0x1f, 0x8b, 0x08, 0x00]);
        let err = Pipes::open(&gzip_not_zlib, &fixture("messages_stderr.txt")).unwrap_err();
        assert!(err.to_string().contains("zlib"), "{err}");
        let neither = Pipes::open(
            &encode_param(&json!({"elsewhere": 1})),
            &fixture("messages_stderr.txt"),
        )
        .unwrap_err();
        assert!(
            neither.to_string().contains("\"path\" nor \"data\""),
            "{neither}"
        );
        let bad_channel = Pipes::open(
            &fixture("context_data.txt"),
            &encode_param(&json!({"stdio": "tty"})),
        )
        .unwrap_err();
        assert!(
            bad_channel.to_string().contains(MESSAGES_VARIABLE),
            "{bad_channel}"
        );
    }

    fn lines(path: &Path) -> Vec<Value> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn messages_match_the_python_reference_and_close_once() {
        let dir = tempfile::tempdir().unwrap();
        let messages = dir.path().join("messages");
        let pipes = Pipes::open(
            &fixture("context_data.txt"),
            &encode_param(&json!({ "path": messages })),
        )
        .unwrap();
        pipes.log(LogLevel::Info, "run started");
        pipes
            .report_asset_materialization(
                "prefix/hf_raw_models",
                &[
                    ("count", MetadataValue::Int(201)),
                    ("failures", MetadataValue::Int(0)),
                    ("requests", MetadataValue::Int(202)),
                    (
                        "path",
                        MetadataValue::Path("/out/run/hf_models.json".into()),
                    ),
                    ("run_folder", MetadataValue::Path("/out/run".into())),
                ],
                Some("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
            )
            .unwrap();
        pipes.close_with_exception("Interrupted", "interrupted (SIGINT)");
        pipes.close();
        pipes.log(LogLevel::Error, "after close");
        assert!(matches!(
            pipes.report_asset_materialization("x", &[], None),
            Err(PipesError::Closed)
        ));
        drop(pipes);
        let golden: Vec<Value> = fixture("messages.jsonl")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        // The golden file ends with a plain `closed`, which we must not send after the first.
        assert_eq!(lines(&messages), golden[..4]);
    }

    #[test]
    fn a_dropped_connection_sends_a_plain_close() {
        let dir = tempfile::tempdir().unwrap();
        let messages = dir.path().join("messages");
        std::fs::write(&messages, "").unwrap();
        let pipes = Pipes::open(
            &fixture("context_path.txt").replace("\n", ""),
            &encode_param(&json!({ "path": messages })),
        );
        // The context file of the fixture does not exist here: an error, and nothing sent.
        assert!(pipes.is_err());
        assert_eq!(std::fs::read_to_string(&messages).unwrap(), "");
        let pipes = Pipes::open(
            &fixture("context_data.txt"),
            &encode_param(&json!({ "path": messages })),
        )
        .unwrap();
        drop(pipes);
        let golden: Vec<Value> = fixture("messages.jsonl")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines(&messages), [golden[0].clone(), golden[4].clone()]);
    }

    #[test]
    fn every_metadata_type_is_one_dagster_accepts() {
        let accepted = [
            "__infer__",
            "text",
            "url",
            "path",
            "notebook",
            "json",
            "md",
            "float",
            "int",
            "bool",
            "dagster_run",
            "asset",
            "null",
            "timestamp",
            "table",
            "table_schema",
            "table_column_lineage",
        ];
        for value in [
            MetadataValue::Text("t".into()),
            MetadataValue::Int(1),
            MetadataValue::Float(0.5),
            MetadataValue::Bool(true),
            MetadataValue::Path("/p".into()),
            MetadataValue::Url("https://x".into()),
            MetadataValue::Json(json!({"a": 1})),
            MetadataValue::Null,
        ] {
            let json = value.to_json();
            assert!(accepted.contains(&json["type"].as_str().unwrap()), "{json}");
        }
    }

    #[test]
    fn many_writers_never_interleave_lines() {
        let dir = tempfile::tempdir().unwrap();
        let messages = dir.path().join("messages");
        let pipes = std::sync::Arc::new(
            Pipes::open(
                &fixture("context_data.txt"),
                &encode_param(&json!({ "path": messages })),
            )
            .unwrap(),
        );
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let pipes = pipes.clone();
                std::thread::spawn(move || {
                    for i in 0..200 {
                        pipes.log(
                            LogLevel::Debug,
                            &format!("thread {t} line {i} {}", "x".repeat(300)),
                        );
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        pipes.close();
        let all = lines(&messages);
        assert_eq!(all.len(), 1 + 800 + 1);
        assert!(all.iter().all(|m| m["__dagster_pipes_version"] == "0.1"));
    }
}
