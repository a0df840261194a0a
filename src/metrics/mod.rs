//! In-process metrics in the Prometheus text format. Each component
//! renders its own families ([`Component`]): HTTP requests ([`http`]), the
//! connection pool ([`pool`]), the caches ([`caches`]), the recommendation
//! model (`services::recommendations`) and imports ([`imports`]);
//! [`exposition`] assembles them into the `/metrics` document.

pub mod caches;
pub mod http;
pub mod imports;
pub mod pool;

use std::fmt::Write;

pub use http::{HttpMetrics, LATENCY_BUCKETS};

/// Something that reports metrics: it writes its families at scrape time.
pub trait Component {
    /// Appends this component's metric families to `out`.
    fn render(&self, out: &mut Exposition);
}

/// The exposition of these components, in order.
pub fn exposition(components: &[&dyn Component]) -> String {
    let mut out = Exposition::default();
    for component in components {
        component.render(&mut out);
    }
    out.finish()
}

/// A Prometheus text-format document being written.
#[derive(Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// `# HELP` and `# TYPE` lines of a metric family.
    pub fn header(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    /// One sample line.
    pub fn sample(&mut self, name: &str, labels: &[(&str, String)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (label, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{label}=\"{}\"", escape_label(value));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", format_value(value));
    }

    /// A single-sample metric with its header.
    pub fn single(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.header(name, kind, help);
        self.sample(name, &[], value);
    }

    /// A gauge that is 1 while `on` holds and 0 otherwise (ready, running,
    /// listening).
    pub fn flag(&mut self, name: &str, help: &str, on: bool) {
        self.single(name, "gauge", help, if on { 1.0 } else { 0.0 });
    }

    /// The finished document.
    pub fn finish(self) -> String {
        self.text
    }
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn format_value(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}
