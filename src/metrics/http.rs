//! HTTP request metrics: counts and latency histograms by method, route
//! pattern (never the raw path, which would explode the label set) and
//! status, and the requests in flight.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use super::{Component, Exposition};

/// Upper bounds (seconds) of the latency histogram buckets.
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SeriesKey {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Default)]
struct Series {
    count: u64,
    sum_seconds: f64,
    buckets: [u64; LATENCY_BUCKETS.len()],
}

/// Request metrics shared by all workers.
#[derive(Default)]
pub struct HttpMetrics {
    series: Mutex<BTreeMap<SeriesKey, Series>>,
    in_flight: AtomicI64,
}

impl HttpMetrics {
    /// Counts a request as started.
    pub fn started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a finished request.
    pub fn finished(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        let key = SeriesKey {
            method: method_label(method).to_owned(),
            route: route.to_owned(),
            status,
        };
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let entry = series.entry(key).or_default();
        entry.count += 1;
        entry.sum_seconds += seconds;
        for (bucket, bound) in entry.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
    }

    /// Requests being handled right now.
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Appends the request metrics to a text exposition.
    pub fn render(&self, out: &mut Exposition) {
        let series = self
            .series
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        out.header(
            "cinerank_http_requests_total",
            "counter",
            "HTTP requests by method, route pattern and status.",
        );
        for (key, s) in &series {
            out.sample(
                "cinerank_http_requests_total",
                &labels(key, None),
                s.count as f64,
            );
        }
        out.header(
            "cinerank_http_request_duration_seconds",
            "histogram",
            "HTTP request latency by method, route pattern and status.",
        );
        for (key, s) in &series {
            for (count, bound) in s.buckets.iter().zip(LATENCY_BUCKETS) {
                out.sample(
                    "cinerank_http_request_duration_seconds_bucket",
                    &labels(key, Some(&bound.to_string())),
                    *count as f64,
                );
            }
            out.sample(
                "cinerank_http_request_duration_seconds_bucket",
                &labels(key, Some("+Inf")),
                s.count as f64,
            );
            out.sample(
                "cinerank_http_request_duration_seconds_sum",
                &labels(key, None),
                s.sum_seconds,
            );
            out.sample(
                "cinerank_http_request_duration_seconds_count",
                &labels(key, None),
                s.count as f64,
            );
        }
        out.header(
            "cinerank_http_requests_in_flight",
            "gauge",
            "HTTP requests being handled.",
        );
        out.sample(
            "cinerank_http_requests_in_flight",
            &[],
            self.in_flight() as f64,
        );
    }
}

/// The `method` label: one of the standard methods, or `other`. Anyone can
/// send a made-up method, and each new label value would be a new series
/// kept forever (20,000 invented methods grew the exposition to 35 MB).
/// Routes are bounded already: the route pattern, or one `<unmatched>`.
fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == method)
        .unwrap_or("other")
}

fn labels<'a>(key: &'a SeriesKey, le: Option<&'a str>) -> Vec<(&'static str, String)> {
    let mut labels = vec![
        ("method", key.method.clone()),
        ("route", key.route.clone()),
        ("status", key.status.to_string()),
    ];
    if let Some(le) = le {
        labels.push(("le", le.to_owned()));
    }
    labels
}

impl Component for HttpMetrics {
    fn render(&self, out: &mut Exposition) {
        HttpMetrics::render(self, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_land_in_the_right_buckets_and_labels_are_escaped() {
        let metrics = HttpMetrics::default();
        metrics.started();
        metrics.finished("GET", "/api/v1/movies/{id}", 200, Duration::from_millis(3));
        metrics.started();
        metrics.finished("GET", "/api/v1/movies/{id}", 200, Duration::from_millis(30));
        let mut out = Exposition::default();
        metrics.render(&mut out);
        out.sample("x", &[("l", "a\"b\\c\nd".to_owned())], 1.5);
        let text = out.finish();
        let series = r#"method="GET",route="/api/v1/movies/{id}",status="200""#;
        assert!(
            text.contains(&format!("cinerank_http_requests_total{{{series}}} 2")),
            "{text}"
        );
        assert!(text.contains(&format!(
            "cinerank_http_request_duration_seconds_bucket{{{series},le=\"0.0025\"}} 0"
        )));
        assert!(text.contains(&format!(
            "cinerank_http_request_duration_seconds_bucket{{{series},le=\"0.005\"}} 1"
        )));
        assert!(text.contains(&format!(
            "cinerank_http_request_duration_seconds_bucket{{{series},le=\"0.05\"}} 2"
        )));
        assert!(text.contains(&format!(
            "cinerank_http_request_duration_seconds_bucket{{{series},le=\"+Inf\"}} 2"
        )));
        assert!(text.contains("cinerank_http_requests_in_flight 0"));
        for made_up in ["FOO", "BAR", "get"] {
            metrics.started();
            metrics.finished(made_up, "<unmatched>", 405, Duration::from_millis(1));
        }
        let mut out = Exposition::default();
        metrics.render(&mut out);
        let bounded = out.finish();
        assert!(
            bounded.contains(
                r#"cinerank_http_requests_total{method="other",route="<unmatched>",status="405"} 3"#
            ),
            "{bounded}"
        );
        assert!(text.contains(r#"x{l="a\"b\\c\nd"} 1.5"#), "{text}");
    }
}
