//! The FHIR API: Patient, Coverage and ExplanationOfBenefit, R4 under `/v2`
//! and STU3 under `/v1`, over the same data. Search parameters are parsed
//! here into typed values (malformed ones are an OperationOutcome, unknown
//! ones are ignored); bundles always carry absolute paging links.
pub mod caches;
pub mod capability;
pub mod http;
pub mod resources;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{json, Value};

use crate::{
    medicare::{Bound, ClaimFilter},
    oauth::ApiVersion,
    synthetic::claims::ClaimType,
};

/// The FHIR release a path serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FhirVersion {
    Stu3,
    R4,
}

impl FhirVersion {
    pub fn of(api: ApiVersion) -> Self {
        match api {
            ApiVersion::V1 => FhirVersion::Stu3,
            ApiVersion::V2 => FhirVersion::R4,
        }
    }

    /// `v1` or `v2`: where this version is served.
    pub fn api_prefix(self) -> &'static str {
        match self {
            FhirVersion::Stu3 => "v1",
            FhirVersion::R4 => "v2",
        }
    }

    pub fn number(self) -> &'static str {
        match self {
            FhirVersion::Stu3 => "3.0.2",
            FhirVersion::R4 => "4.0.1",
        }
    }
}

/// A FHIR error: an HTTP status and an OperationOutcome.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {diagnostics}")]
pub struct FhirError {
    pub status: u16,
    /// The OperationOutcome issue code (`invalid`, `not-found`, `forbidden`, …).
    pub code: &'static str,
    pub diagnostics: String,
}

impl FhirError {
    pub fn invalid(diagnostics: impl Into<String>) -> Self {
        Self {
            status: 400,
            code: "invalid",
            diagnostics: diagnostics.into(),
        }
    }

    pub fn not_found(diagnostics: impl Into<String>) -> Self {
        Self {
            status: 404,
            code: "not-found",
            diagnostics: diagnostics.into(),
        }
    }

    pub fn forbidden(diagnostics: impl Into<String>) -> Self {
        Self {
            status: 403,
            code: "forbidden",
            diagnostics: diagnostics.into(),
        }
    }

    pub fn unavailable() -> Self {
        Self {
            status: 503,
            code: "transient",
            diagnostics: "The server could not read the data. Try again shortly.".into(),
        }
    }

    /// The read's access-log record could not be written, so it is not served.
    pub fn not_recorded() -> Self {
        Self {
            status: 503,
            code: "transient",
            diagnostics:
                "Reads are paused because they cannot be recorded right now. Try again shortly."
                    .into(),
        }
    }

    pub fn outcome(&self) -> Value {
        operation_outcome(self.code, &self.diagnostics)
    }
}

impl From<sea_orm::DbErr> for FhirError {
    fn from(error: sea_orm::DbErr) -> Self {
        tracing::error!(%error, "database error in the FHIR API");
        FhirError::unavailable()
    }
}

pub fn operation_outcome(code: &str, diagnostics: &str) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{ "severity": "error", "code": code, "diagnostics": diagnostics }],
    })
}

pub const DEFAULT_COUNT: u64 = 10;
pub const MAX_COUNT: u64 = 50;

/// The query string, in order, repeats kept (`service-date` may come twice).
#[derive(Clone, Debug, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The last value of `name` (repeats of single-valued parameters are tolerated).
    pub fn last(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The same query with the paging parameters replaced.
    pub fn with_page(&self, start: u64, count: u64) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.0 {
            if k != "startIndex" && k != "_count" {
                out.append_pair(k, v);
            }
        }
        out.append_pair("_count", &count.to_string());
        out.append_pair("startIndex", &start.to_string());
        out.finish()
    }
}

/// `_count` and `startIndex`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub start: u64,
    pub count: u64,
}

impl Page {
    pub fn parse(query: &Query) -> Result<Self, FhirError> {
        let number = |name: &str| -> Result<Option<u64>, FhirError> {
            query
                .last(name)
                .map(|v| {
                    v.parse::<u64>().map_err(|_| {
                        FhirError::invalid(format!("{name} must be a whole number ≥ 0, not {v:?}"))
                    })
                })
                .transpose()
        };
        let start = number("startIndex")?.unwrap_or(0);
        // An offset is a signed 64-bit number in SQL, and anything near it
        // is past every result set: refuse rather than let sums overflow.
        if i64::try_from(start).is_err() {
            return Err(FhirError::invalid(format!(
                "startIndex must be at most {}, not {start}",
                i64::MAX
            )));
        }
        Ok(Self {
            start,
            count: number("_count")?.unwrap_or(DEFAULT_COUNT).min(MAX_COUNT),
        })
    }
}

fn split_prefix(value: &str) -> (&str, &str) {
    for prefix in ["ge", "gt", "le", "lt", "eq"] {
        if let Some(rest) = value.strip_prefix(prefix) {
            return (prefix, rest);
        }
    }
    ("eq", value)
}

fn bound<T>(prefix: &str, value: T) -> Bound<T> {
    match prefix {
        "ge" => Bound::Ge(value),
        "gt" => Bound::Gt(value),
        "le" => Bound::Le(value),
        "lt" => Bound::Lt(value),
        _ => Bound::Eq(value),
    }
}

/// `service-date=ge2023-01-01` (a date).
pub fn parse_date_bound(raw: &str) -> Result<Bound<NaiveDate>, FhirError> {
    let (prefix, rest) = split_prefix(raw);
    let day = rest
        .get(..10)
        .filter(|_| rest.len() == 10 || rest.as_bytes().get(10) == Some(&b'T'))
        .unwrap_or(rest);
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map(|d| bound(prefix, d))
        .map_err(|_| {
            FhirError::invalid(format!(
                "service-date {raw:?} is not a date like ge2023-01-31"
            ))
        })
}

/// `_lastUpdated=gt2024-05-01T10:00:00Z` (an instant, or a date meaning its start).
pub fn parse_instant_bound(raw: &str) -> Result<Bound<DateTime<Utc>>, FhirError> {
    let (prefix, rest) = split_prefix(raw);
    let parsed = DateTime::parse_from_rfc3339(rest)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(rest, "%Y-%m-%dT%H:%M:%S").map(|t| t.and_utc()))
        .or_else(|_| {
            NaiveDate::parse_from_str(rest, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        });
    parsed.map(|t| bound(prefix, t)).map_err(|_| {
        FhirError::invalid(format!(
            "_lastUpdated {raw:?} is not a date or time like gt2024-05-01T10:00:00Z"
        ))
    })
}

/// The ExplanationOfBenefit search filters: `type`, `service-date`, `_lastUpdated`.
pub fn claim_filter(query: &Query) -> Result<ClaimFilter, FhirError> {
    let mut filter = ClaimFilter::default();
    if let Some(raw) = query.last("type") {
        let mut types = Vec::new();
        for word in raw.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            // Either `carrier` or `https://bluebutton.cms.gov/resources/codesystem/eob-type|carrier`.
            let code = word.rsplit('|').next().unwrap_or(word).to_ascii_lowercase();
            let parsed = ClaimType::parse(&code).ok_or_else(|| {
                FhirError::invalid(format!(
                    "type {word:?} is not a claim type; use carrier, dme, hha, hospice, inpatient, outpatient, pde or snf"
                ))
            })?;
            types.push(parsed);
        }
        filter.types = Some(types);
    }
    for raw in query.all("service-date") {
        filter.service_date.push(parse_date_bound(raw)?);
    }
    for raw in query.all("_lastUpdated") {
        filter.last_updated.push(parse_instant_bound(raw)?);
    }
    Ok(filter)
}

/// The parts of a searchset Bundle's self link.
pub struct SearchContext<'a> {
    /// `https://host` as the client reached us.
    pub origin: &'a str,
    pub path: &'a str,
    pub query: &'a Query,
    pub page: Page,
    /// The portal clock's reading, for the Bundle's `meta.lastUpdated`.
    pub now: DateTime<Utc>,
}

/// A searchset Bundle with `total` and, always, absolute `self`, `first` and
/// `last` links (plus `next`/`previous` where they exist).
pub fn searchset(ctx: &SearchContext<'_>, total: u64, entries: Vec<(String, Value)>) -> Value {
    let link = |relation: &str, start: u64| json!({ "relation": relation, "url": format!("{}{}?{}", ctx.origin, ctx.path, ctx.query.with_page(start, ctx.page.count)) });
    let count = ctx.page.count.max(1);
    let last_start = if total == 0 {
        0
    } else {
        (total - 1) / count * count
    };
    let mut links = vec![link("self", ctx.page.start), link("first", 0)];
    if ctx.page.start > 0 {
        links.push(link(
            "previous",
            ctx.page.start.saturating_sub(count).min(last_start),
        ));
    }
    // Checked: startIndex is the caller's, up to u64::MAX.
    if let Some(next) = ctx
        .page
        .start
        .checked_add(ctx.page.count)
        .filter(|next| ctx.page.count > 0 && *next < total)
    {
        links.push(link("next", next));
    }
    links.push(link("last", last_start));
    let mut bundle = json!({
        "resourceType": "Bundle",
        "id": uuid::Uuid::new_v4().to_string(),
        "meta": { "lastUpdated": resources::instant(ctx.now) },
        "type": "searchset",
        "total": total,
        "link": links,
    });
    if !entries.is_empty() {
        let entries: Vec<Value> = entries
            .into_iter()
            .map(|(full_url, resource)| json!({ "fullUrl": full_url, "resource": resource }))
            .collect();
        bundle["entry"] = json!(entries);
    }
    bundle
}

/// [`searchset`] as JSON text, with entries that are already rendered JSON
/// (pasted in, not parsed again).
pub fn searchset_text(
    ctx: &SearchContext<'_>,
    total: u64,
    entries: &[(String, std::sync::Arc<str>)],
) -> String {
    let mut out = serde_json::to_string(&searchset(ctx, total, vec![])).expect("JSON");
    if entries.is_empty() {
        return out;
    }
    out.pop();
    out.push_str(",\"entry\":[");
    for (i, (full_url, resource)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"fullUrl\":");
        out.push_str(&serde_json::to_string(full_url).expect("JSON"));
        out.push_str(",\"resource\":");
        out.push_str(resource);
        out.push('}');
    }
    out.push_str("]}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_parameters_are_checked_and_clamped() {
        let page = Page::parse(&Query::parse(Some("_count=500&startIndex=20"))).unwrap();
        assert_eq!(
            page,
            Page {
                start: 20,
                count: 50
            }
        );
        assert_eq!(
            Page::parse(&Query::parse(None)).unwrap(),
            Page {
                start: 0,
                count: 10
            }
        );
        assert_eq!(
            Page::parse(&Query::parse(Some("_count=0"))).unwrap().count,
            0
        );
        assert_eq!(
            Page::parse(&Query::parse(Some("_count=-1")))
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            Page::parse(&Query::parse(Some("startIndex=18446744073709551615")))
                .unwrap_err()
                .status,
            400,
            "past any offset"
        );
        assert_eq!(
            Page::parse(&Query::parse(Some("startIndex=9223372036854775807")))
                .unwrap()
                .start,
            i64::MAX as u64
        );
        assert_eq!(
            Page::parse(&Query::parse(Some("startIndex=ten")))
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            Page::parse(&Query::parse(Some("_count=5&_count=7")))
                .unwrap()
                .count,
            7,
            "a repeat is tolerated"
        );
    }

    #[test]
    fn date_filters_take_prefixes_and_refuse_garbage() {
        let filter = claim_filter(&Query::parse(Some(
            "service-date=ge2023-01-01&service-date=lt2024-01-01&_lastUpdated=gt2024-05-01T10:00:00Z&type=carrier,pde",
        )))
        .unwrap();
        assert_eq!(filter.service_date.len(), 2);
        assert!(matches!(filter.service_date[0], Bound::Ge(d) if d.to_string() == "2023-01-01"));
        assert!(matches!(filter.last_updated[0], Bound::Gt(_)));
        assert_eq!(filter.types, Some(vec![ClaimType::Carrier, ClaimType::Pde]));
        for bad in [
            "service-date=2023-13-45",
            "service-date=ge20230101",
            "_lastUpdated=yesterday",
            "type=dental",
        ] {
            assert_eq!(
                claim_filter(&Query::parse(Some(bad))).unwrap_err().status,
                400,
                "{bad}"
            );
        }
        let system = claim_filter(&Query::parse(Some(
            "type=https://bluebutton.cms.gov/resources/codesystem/eob-type|inpatient",
        )))
        .unwrap();
        assert_eq!(system.types, Some(vec![ClaimType::Inpatient]));
        assert_eq!(
            claim_filter(&Query::parse(Some("unknown=1&_format=json"))).unwrap(),
            ClaimFilter::default()
        );
    }

    #[test]
    fn bundles_link_every_page_absolutely() {
        let query = Query::parse(Some(
            "patient=1&_count=10&startIndex=10&service-date=ge2023-01-01",
        ));
        let ctx = SearchContext {
            origin: "https://api.example",
            path: "/v2/fhir/ExplanationOfBenefit/",
            query: &query,
            page: Page {
                start: 10,
                count: 10,
            },
            now: DateTime::parse_from_rfc3339("2031-03-01T12:00:00Z")
                .unwrap()
                .to_utc(),
        };
        let bundle = searchset(&ctx, 25, vec![]);
        assert_eq!(bundle["meta"]["lastUpdated"], "2031-03-01T12:00:00.000Z");
        let url = |rel: &str| {
            bundle["link"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["relation"] == rel)
                .map(|l| l["url"].as_str().unwrap().to_string())
        };
        assert_eq!(url("next").unwrap(), "https://api.example/v2/fhir/ExplanationOfBenefit/?patient=1&service-date=ge2023-01-01&_count=10&startIndex=20");
        assert!(url("previous").unwrap().ends_with("startIndex=0"));
        assert!(url("last").unwrap().ends_with("startIndex=20"));
        assert!(url("self").unwrap().ends_with("startIndex=10"));
        assert_eq!(bundle["total"], 25);
        assert!(bundle.get("entry").is_none(), "no empty entry array");
        let text = searchset_text(
            &ctx,
            25,
            &[(
                "https://api.example/x/1".into(),
                std::sync::Arc::from(r#"{"resourceType":"Patient","id":"1"}"#),
            )],
        );
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["entry"][0]["resource"]["id"], "1");
        assert_eq!(parsed["entry"][0]["fullUrl"], "https://api.example/x/1");
        assert_eq!(parsed["link"], bundle["link"]);
        let empty = searchset(
            &SearchContext {
                page: Page {
                    start: 0,
                    count: 10,
                },
                ..ctx
            },
            0,
            vec![],
        );
        let rels: Vec<&str> = empty["link"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["relation"].as_str().unwrap())
            .collect();
        assert_eq!(rels, ["self", "first", "last"]);
    }
}
