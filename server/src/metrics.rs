//! Metrics in the Prometheus text format (issue 19), served at `/metrics`
//! to a scraper holding `METRICS_TOKEN` (`http::metrics`).
//!
//! Hand-rolled rather than the `metrics` facade: its recorder is global to
//! the process, and every portal (and every test's portal) needs its own
//! counts. What is counted here is counted as it happens (requests by route
//! template and status, background jobs); what is a level (pool, outbox,
//! access-log queue, caches) is read when scraped and passed to [`render`].
use std::{
    collections::{BTreeMap, HashMap},
    fmt::Write,
    sync::Mutex,
    time::Duration,
};

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Latencies {
    count: u64,
    sum: f64,
    /// Observations at or below each bound (not cumulative; summed when rendered).
    buckets: [u64; BUCKETS.len()],
}

#[derive(Default)]
struct JobCounts {
    runs: u64,
    failures: u64,
}

/// What one portal counted since it started.
#[derive(Default)]
pub struct Metrics {
    /// Route template (never the raw path: bounded labels) → status → latencies.
    requests: Mutex<HashMap<String, BTreeMap<u16, Latencies>>>,
    jobs: Mutex<BTreeMap<&'static str, JobCounts>>,
}

/// A level read at scrape time.
pub struct Gauge {
    pub name: &'static str,
    pub help: &'static str,
    /// `counter` or `gauge`.
    pub kind: &'static str,
    pub samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

impl Metrics {
    /// One response: its route template (`None` when no route matched), status and latency.
    pub fn observe_request(&self, route: Option<&str>, status: u16, latency: Duration) {
        let route = route.unwrap_or("unmatched");
        let seconds = latency.as_secs_f64();
        let mut requests = self.requests.lock().expect("metrics lock");
        let by_status = match requests.get_mut(route) {
            Some(by_status) => by_status,
            None => requests.entry(route.to_string()).or_default(),
        };
        let entry = by_status.entry(status).or_default();
        entry.count += 1;
        entry.sum += seconds;
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            entry.buckets[bucket] += 1;
        }
    }

    /// One run of a background job.
    pub fn job_ran(&self, job: &'static str, succeeded: bool) {
        let mut jobs = self.jobs.lock().expect("metrics lock");
        let counts = jobs.entry(job).or_default();
        counts.runs += 1;
        if !succeeded {
            counts.failures += 1;
        }
    }

    /// How many times `job` has run.
    pub fn job_runs(&self, job: &str) -> u64 {
        let jobs = self.jobs.lock().expect("metrics lock");
        jobs.get(job).map_or(0, |counts| counts.runs)
    }

    /// Everything, with `gauges` read just now, in the text exposition format.
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let mut out = String::new();
        {
            let requests = self.requests.lock().expect("metrics lock");
            let mut routes: Vec<_> = requests.iter().collect();
            routes.sort_by(|a, b| a.0.cmp(b.0));
            out.push_str(
                "# HELP portal_http_requests_total Responses by route template and status.\n",
            );
            out.push_str("# TYPE portal_http_requests_total counter\n");
            for (route, by_status) in &routes {
                for (status, l) in by_status.iter() {
                    let _ = writeln!(
                        out,
                        "portal_http_requests_total{{route=\"{}\",status=\"{status}\"}} {}",
                        escape(route),
                        l.count
                    );
                }
            }
            out.push_str(
                "# HELP portal_http_request_duration_seconds Time to the response head.\n",
            );
            out.push_str("# TYPE portal_http_request_duration_seconds histogram\n");
            for (route, by_status) in &routes {
                let route = escape(route);
                for (status, l) in by_status.iter() {
                    let mut cumulative = 0;
                    for (bound, n) in BUCKETS.iter().zip(l.buckets) {
                        cumulative += n;
                        let _ = writeln!(out, "portal_http_request_duration_seconds_bucket{{route=\"{route}\",status=\"{status}\",le=\"{bound}\"}} {cumulative}");
                    }
                    let _ = writeln!(out, "portal_http_request_duration_seconds_bucket{{route=\"{route}\",status=\"{status}\",le=\"+Inf\"}} {}", l.count);
                    let _ = writeln!(out, "portal_http_request_duration_seconds_sum{{route=\"{route}\",status=\"{status}\"}} {}", l.sum);
                    let _ = writeln!(out, "portal_http_request_duration_seconds_count{{route=\"{route}\",status=\"{status}\"}} {}", l.count);
                }
            }
        }
        {
            let jobs = self.jobs.lock().expect("metrics lock");
            out.push_str("# HELP portal_job_runs_total Runs of each background job.\n");
            out.push_str("# TYPE portal_job_runs_total counter\n");
            for (job, counts) in jobs.iter() {
                let _ = writeln!(
                    out,
                    "portal_job_runs_total{{job=\"{}\"}} {}",
                    escape(job),
                    counts.runs
                );
            }
            out.push_str(
                "# HELP portal_job_failures_total Runs of each background job that failed.\n",
            );
            out.push_str("# TYPE portal_job_failures_total counter\n");
            for (job, counts) in jobs.iter() {
                let _ = writeln!(
                    out,
                    "portal_job_failures_total{{job=\"{}\"}} {}",
                    escape(job),
                    counts.failures
                );
            }
        }
        for gauge in gauges {
            let _ = writeln!(out, "# HELP {} {}", gauge.name, gauge.help);
            let _ = writeln!(out, "# TYPE {} {}", gauge.name, gauge.kind);
            for (labels, value) in &gauge.samples {
                let labels: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                    .collect();
                if labels.is_empty() {
                    let _ = writeln!(out, "{} {value}", gauge.name);
                } else {
                    let _ = writeln!(out, "{}{{{}}} {value}", gauge.name, labels.join(","));
                }
            }
        }
        out
    }
}

/// A label value as the format wants it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_and_status_with_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.observe_request(Some("/v2/fhir/Patient/{id}"), 200, Duration::from_millis(3));
        metrics.observe_request(
            Some("/v2/fhir/Patient/{id}"),
            200,
            Duration::from_millis(30),
        );
        metrics.observe_request(None, 404, Duration::from_secs(20));
        metrics.job_ran("retention", true);
        metrics.job_ran("retention", false);
        let text = metrics.render(&[Gauge {
            name: "portal_access_log_queue_depth",
            help: "Records waiting.",
            kind: "gauge",
            samples: vec![(vec![], 2.0)],
        }]);
        assert!(
            text.contains(
                "portal_http_requests_total{route=\"/v2/fhir/Patient/{id}\",status=\"200\"} 2\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("route=\"/v2/fhir/Patient/{id}\",status=\"200\",le=\"0.005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("route=\"/v2/fhir/Patient/{id}\",status=\"200\",le=\"0.05\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("route=\"unmatched\",status=\"404\",le=\"10\"} 0\n"),
            "beyond the last bound: {text}"
        );
        assert!(
            text.contains("route=\"unmatched\",status=\"404\",le=\"+Inf\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("portal_job_runs_total{job=\"retention\"} 2\n"));
        assert!(text.contains("portal_job_failures_total{job=\"retention\"} 1\n"));
        assert!(text.contains("portal_access_log_queue_depth 2\n"));
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}
