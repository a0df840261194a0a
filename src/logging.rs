//! Log output: env_logger's text format, or one JSON object per line
//! (`LOG_FORMAT=json`) for log drains, with structured fields (e.g. each
//! request's method, path, status, latency and request id) as keys.

use std::io::Write;

use log::kv::{Key, Value, VisitSource};
use serde_json::{Map, Value as Json};

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global logger; `RUST_LOG` filters (default `info`).
pub fn init(format: LogFormat) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if format == LogFormat::Json {
        builder.format(|buf, record| {
            let mut object = Map::new();
            object.insert(
                "ts".into(),
                Json::String(
                    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                ),
            );
            object.insert("level".into(), Json::String(record.level().to_string()));
            object.insert("target".into(), Json::String(record.target().to_owned()));
            object.insert("message".into(), Json::String(record.args().to_string()));
            let mut fields = Fields(&mut object);
            let _ = record.key_values().visit(&mut fields);
            writeln!(buf, "{}", Json::Object(object))
        });
    }
    // A second init (tests) keeps the first logger.
    let _ = builder.try_init();
}

struct Fields<'a>(&'a mut Map<String, Json>);

impl<'kvs> VisitSource<'kvs> for Fields<'_> {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        let json = if let Some(n) = value.to_u64() {
            Json::from(n)
        } else if let Some(n) = value.to_i64() {
            Json::from(n)
        } else if let Some(f) = value.to_f64() {
            Json::from(f)
        } else {
            Json::String(value.to_string())
        };
        self.0.insert(key.as_str().to_owned(), json);
        Ok(())
    }
}
/// `err: cause: cause…`, for logs.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        // Wrappers often repeat their cause's text (SeaORM → sqlx → driver):
        // say each thing once.
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}
