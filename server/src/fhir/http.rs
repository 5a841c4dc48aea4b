//! FHIR endpoints over HTTP. Every handler resolves the bearer token first and
//! reads only that token's beneficiary's data: an id in the URL selects among
//! *their* resources, it never selects whose.
use axum::{
    extract::{Path, State},
    http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde_json::Value;
use tower_http::compression::{predicate::SizeAbove, CompressionLayer};

use super::{
    capability, claim_filter, resources, searchset, FhirError, FhirVersion, Page, Query,
    SearchContext,
};
use crate::{
    access_log::AccessRecord,
    apps::Environment,
    beneficiaries,
    http::{rate_limit::Verdict, request::meta_from_parts},
    medicare,
    oauth::{
        access::AccessContext,
        http::{protect, Refusal},
        scopes::Scope,
        ApiVersion,
    },
    AppState,
};

/// The three resource types, with the scope each needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Patient,
    Coverage,
    ExplanationOfBenefit,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Patient => "Patient",
            Kind::Coverage => "Coverage",
            Kind::ExplanationOfBenefit => "ExplanationOfBenefit",
        }
    }

    fn scope(self) -> Scope {
        match self {
            Kind::Patient => Scope::Patient,
            Kind::Coverage => Scope::Coverage,
            Kind::ExplanationOfBenefit => Scope::ExplanationOfBenefit,
        }
    }
}

/// The FHIR routes of `environment`: `/v1/fhir/…` (STU3) and `/v2/fhir/…` (R4).
/// Responses of 1 KB or more are gzipped for clients that ask for it.
pub fn router(environment: Environment) -> Router<AppState> {
    let mut router = Router::new();
    for api in ApiVersion::ALL {
        let version = FhirVersion::of(api);
        let base = format!("/{}/fhir", api.as_str());
        let metadata = get(move |state, parts| metadata(state, parts, version));
        router = router
            .route(&format!("{base}/metadata"), metadata.clone())
            .route(&format!("{base}/metadata/"), metadata);
        for kind in [Kind::Patient, Kind::Coverage, Kind::ExplanationOfBenefit] {
            let search =
                get(move |state, parts| handle(state, parts, environment, version, kind, None));
            let read = get(move |state, Path(id): Path<String>, parts| {
                handle(state, parts, environment, version, kind, Some(id))
            });
            router = router
                .route(&format!("{base}/{}", kind.name()), search.clone())
                .route(&format!("{base}/{}/", kind.name()), search)
                .route(&format!("{base}/{}/{{id}}", kind.name()), read.clone())
                .route(&format!("{base}/{}/{{id}}/", kind.name()), read);
        }
    }
    router.layer(
        CompressionLayer::new()
            .gzip(true)
            .no_br()
            .no_deflate()
            .no_zstd()
            .compress_when(SizeAbove::new(1024)),
    )
}

/// `scheme://host` as the client reached us (honouring `X-Forwarded-*`), so
/// paging links work as they are, behind a proxy too.
fn origin(state: &AppState, headers: &HeaderMap) -> String {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or_default().trim().to_string())
            .filter(|v| {
                !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            })
    };
    let configured = url::Url::parse(&state.settings.public_url).ok();
    let scheme = header("x-forwarded-proto")
        .filter(|p| p == "http" || p == "https")
        .or_else(|| configured.as_ref().map(|u| u.scheme().to_string()))
        .unwrap_or_else(|| "http".into());
    let host = header("x-forwarded-host")
        .or_else(|| header("host"))
        .or_else(|| {
            configured.as_ref().and_then(|u| {
                u.host_str().map(|h| match u.port() {
                    Some(port) => format!("{h}:{port}"),
                    None => h.to_string(),
                })
            })
        })
        .unwrap_or_else(|| "localhost".into());
    format!("{scheme}://{host}")
}

fn fhir_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json;charset=UTF-8"),
    );
    response
}

fn error_response(error: &FhirError) -> Response {
    fhir_json(
        StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST),
        &error.outcome(),
    )
}

fn refusal_response(refusal: Refusal) -> Response {
    let (status, challenge) = refusal.status_and_challenge("bluebutton");
    let code = match (&refusal, status.as_u16()) {
        (Refusal::RateLimited(_), _) => "throttled",
        (_, 401) => "login",
        (_, 503) => "transient",
        _ => "invalid",
    };
    let mut response = fhir_json(status, &super::operation_outcome(code, &refusal.message()));
    if let Some(challenge) = challenge {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
    }
    if let Refusal::RateLimited(verdict) = refusal {
        verdict.write_headers(response.headers_mut());
    }
    response
}

async fn metadata(State(state): State<AppState>, parts: Parts, version: FhirVersion) -> Response {
    fhir_json(
        StatusCode::OK,
        &capability::statement(version, &origin(&state, &parts.headers)),
    )
}

/// What a successful handler produced: the body and how many resources it carries.
struct Answer {
    body: Value,
    count: u64,
}

async fn handle(
    State(state): State<AppState>,
    parts: Parts,
    environment: Environment,
    version: FhirVersion,
    kind: Kind,
    id: Option<String>,
) -> Response {
    let (access, verdict): (AccessContext, Verdict) =
        match protect(&state, environment, &parts.headers, &parts.uri).await {
            Ok(found) => found,
            Err(refusal) => return refusal_response(refusal),
        };
    let result = if access.allows(kind.scope()) {
        answer(&state, &parts, &access, version, kind, id.as_deref()).await
    } else {
        Err(FhirError::forbidden(format!(
            "This token does not carry {}: the app was not granted it, or the enrollee chose not to share it.",
            kind.scope().as_str()
        )))
    };
    let (mut response, count) = match result {
        Ok(answer) => (fhir_json(StatusCode::OK, &answer.body), Some(answer.count)),
        Err(error) => (error_response(&error), None),
    };
    verdict.write_headers(response.headers_mut());
    let meta = meta_from_parts(&parts);
    state
        .access_log
        .record(AccessRecord {
            at: state.clock.now(),
            token_id: Some(access.token_id),
            application_id: Some(access.application.0),
            beneficiary_id: Some(access.beneficiary.0),
            method: parts.method.to_string(),
            path: parts.uri.to_string(),
            resource: kind.name(),
            interaction: if id.is_some() { "read" } else { "search" },
            status: response.status().as_u16(),
            result_count: count,
            request_id: meta.request_id,
            ip: meta.ip,
        })
        .await;
    response
}

/// Strips `Patient/` from a reference parameter.
fn reference_id(value: &str) -> &str {
    value.rsplit('/').next().unwrap_or(value)
}

async fn answer(
    state: &AppState,
    parts: &Parts,
    access: &AccessContext,
    version: FhirVersion,
    kind: Kind,
    id: Option<&str>,
) -> Result<Answer, FhirError> {
    let db = &state.db;
    let patient_id = access.patient.as_str();
    let origin = origin(state, &parts.headers);
    let full_url = |id: &str| {
        format!(
            "{origin}/{}/fhir/{}/{id}",
            version.api_prefix(),
            kind.name()
        )
    };
    let query = Query::parse(parts.uri.query());
    let page = Page::parse(&query)?;
    let not_found = || {
        FhirError::not_found(format!(
            "{} {} is not among this enrollee's records.",
            kind.name(),
            id.unwrap_or_default()
        ))
    };

    // Whose data: always the token's beneficiary. A search naming someone else finds nothing.
    let asks_for_other = match kind {
        Kind::Patient => query.last("_id").is_some_and(|v| v != patient_id),
        Kind::Coverage => query
            .last("beneficiary")
            .is_some_and(|v| reference_id(v) != patient_id),
        Kind::ExplanationOfBenefit => query
            .last("patient")
            .is_some_and(|v| reference_id(v) != patient_id),
    };
    let (total, resources): (u64, Vec<(String, Value)>) = match kind {
        Kind::Patient => {
            let bene = beneficiaries::get(db, access.beneficiary)
                .await?
                .ok_or_else(FhirError::unavailable)?;
            let resource = resources::patient(version, &bene);
            if let Some(id) = id {
                return if id == patient_id {
                    Ok(Answer {
                        body: resource,
                        count: 1,
                    })
                } else {
                    Err(not_found())
                };
            }
            let identifier_matches = query.last("identifier").is_none_or(|raw| {
                let value = raw.rsplit('|').next().unwrap_or(raw);
                [
                    bene.fhir_id.as_str(),
                    bene.mbi.as_str(),
                    bene.hicn_hash.as_str(),
                ]
                .contains(&value)
            });
            if asks_for_other || !identifier_matches {
                (0, vec![])
            } else {
                let shown = if page.start == 0 {
                    vec![(full_url(patient_id), resource)]
                } else {
                    vec![]
                };
                (1, shown)
            }
        }
        Kind::Coverage => {
            let bene = beneficiaries::get(db, access.beneficiary)
                .await?
                .ok_or_else(FhirError::unavailable)?;
            if let Some(id) = id {
                let stored = medicare::coverage(db, access.beneficiary, id)
                    .await?
                    .ok_or_else(not_found)?;
                return Ok(Answer {
                    body: resources::coverage(version, &stored, patient_id, &bene.mbi),
                    count: 1,
                });
            }
            let all = if asks_for_other {
                vec![]
            } else {
                medicare::coverages(db, access.beneficiary).await?
            };
            let total = all.len() as u64;
            let shown = all
                .iter()
                .skip(page.start as usize)
                .take(page.count as usize)
                .map(|c| {
                    (
                        full_url(&c.id),
                        resources::coverage(version, c, patient_id, &bene.mbi),
                    )
                })
                .collect();
            (total, shown)
        }
        Kind::ExplanationOfBenefit => {
            if let Some(id) = id {
                let stored = medicare::claim(db, access.beneficiary, id)
                    .await?
                    .ok_or_else(not_found)?;
                return Ok(Answer {
                    body: resources::explanation_of_benefit(version, &stored, patient_id),
                    count: 1,
                });
            }
            let filter = claim_filter(&query)?;
            if asks_for_other {
                (0, vec![])
            } else {
                let (total, claims) = medicare::search_claims(
                    db,
                    access.beneficiary,
                    &filter,
                    page.start,
                    page.count,
                )
                .await?;
                let shown = claims
                    .iter()
                    .map(|c| {
                        (
                            full_url(&c.claim.resource_id()),
                            resources::explanation_of_benefit(version, c, patient_id),
                        )
                    })
                    .collect();
                (total, shown)
            }
        }
    };
    let (total, resources) = if page.count == 0 {
        (total, vec![])
    } else {
        (total, resources)
    };
    let count = resources.len() as u64;
    let ctx = SearchContext {
        origin: &origin,
        path: parts.uri.path(),
        query: &query,
        page,
    };
    Ok(Answer {
        body: searchset(&ctx, total, resources),
        count,
    })
}
