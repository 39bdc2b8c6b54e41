//! Tracing events forwarded to Dagster's event log as Pipes `log` messages.

use std::fmt::Write as _;
use std::sync::Arc;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use super::{LogLevel, Pipes};

/// A `tracing_subscriber` layer sending each event at or above a level to Dagster as a `log`
/// message (`ERROR` → `ERROR`, `WARN` → `WARNING`, `INFO` → `INFO`, `DEBUG`/`TRACE` →
/// `DEBUG`), its message followed by its fields as `name=value`.
#[derive(Debug, Clone)]
pub struct PipesLogLayer {
    pipes: Arc<Pipes>,
    min: Level,
}

impl PipesLogLayer {
    /// Forward events at `min` and above (e.g. [`Level::INFO`]).
    pub fn new(pipes: Arc<Pipes>, min: Level) -> Self {
        Self { pipes, min }
    }
}

/// The event's message and fields as one line.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

fn level(level: &Level) -> LogLevel {
    match *level {
        Level::ERROR => LogLevel::Error,
        Level::WARN => LogLevel::Warning,
        Level::INFO => LogLevel::Info,
        _ => LogLevel::Debug,
    }
}

impl<S: Subscriber> Layer<S> for PipesLogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let event_level = event.metadata().level();
        // Levels compare by verbosity: ERROR < WARN < INFO < DEBUG < TRACE.
        if *event_level > self.min {
            return;
        }
        let mut line = Line::default();
        event.record(&mut line);
        self.pipes.log(
            level(event_level),
            &format!("{}{}", line.message, line.fields),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipes::encode_param;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn events_at_or_above_the_level_become_log_messages() {
        let dir = tempfile::tempdir().unwrap();
        let messages = dir.path().join("messages");
        let pipes = Arc::new(
            Pipes::open(
                &encode_param(&serde_json::json!({"data": {}})),
                &encode_param(&serde_json::json!({ "path": messages })),
            )
            .unwrap(),
        );
        let subscriber =
            tracing_subscriber::registry().with(PipesLogLayer::new(pipes.clone(), Level::INFO));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(asset = "hf_raw_models", count = 3, "asset materialised");
            tracing::warn!("careful");
            tracing::error!(path = %"/x", "broken");
            tracing::debug!("not forwarded");
        });
        pipes.close();
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&messages)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let logs: Vec<(String, String)> = lines
            .iter()
            .filter(|m| m["method"] == "log")
            .map(|m| {
                (
                    m["params"]["level"].as_str().unwrap().to_owned(),
                    m["params"]["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            logs,
            [
                (
                    "INFO".into(),
                    "asset materialised asset=hf_raw_models count=3".into()
                ),
                ("WARNING".into(), "careful".into()),
                ("ERROR".into(), "broken path=/x".into()),
            ]
        );
    }
}
