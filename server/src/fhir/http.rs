//! FHIR endpoints over HTTP. Every handler resolves the bearer token first and
//! reads only that token's beneficiary's data: an id in the URL selects among
//! *their* resources, it never selects whose.
use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::{header, request::Parts, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde_json::Value;
use tower_http::compression::{predicate::SizeAbove, CompressionLayer};

use super::{
    capability, claim_filter, resources, searchset, searchset_text, FhirError, FhirVersion, Page,
    Query, SearchContext,
};
use crate::{
    beneficiaries,
    entities::beneficiary as beneficiary_row,
    environment::Environment,
    http::{client_address::ForwardedOrigin, rate_limit::Verdict},
    ids::BeneficiaryId,
    medicare::{self, ClaimRef, StoredCoverage},
    oauth::{
        bearer::AccessContext,
        http::{access_record, protect, Refusal},
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
        let base = format!("{}/{}/fhir", environment.path_prefix(), api.as_str());
        let metadata = get(move |state, parts| metadata(state, parts, environment, version));
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

/// `scheme://host` for the links in API responses: `PUBLIC_URL`, or what a
/// proxy named in `TRUSTED_PROXIES` says the caller used. Never the request's
/// own `Host`, which any caller can set, and which would let a stranger plant
/// links to a host of their choosing in responses that others may cache.
fn origin(state: &AppState, parts: &Parts) -> String {
    match parts.extensions.get::<ForwardedOrigin>() {
        Some(forwarded) => forwarded.0.clone(),
        None => state.settings.public_url.clone(),
    }
}

fn fhir_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json;charset=UTF-8"),
    );
    response
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        fhir_json(
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST),
            &self.outcome(),
        )
    }
}

/// Why a FHIR request got no data, answered as an `OperationOutcome`: refused
/// before its handler (token, rate limit), or failed in it.
enum Outcome {
    Refused(Refusal),
    Failed(FhirError),
}

impl From<Refusal> for Outcome {
    fn from(refusal: Refusal) -> Self {
        Outcome::Refused(refusal)
    }
}

impl From<FhirError> for Outcome {
    fn from(error: FhirError) -> Self {
        Outcome::Failed(error)
    }
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        let refusal = match self {
            Outcome::Failed(error) => return error.into_response(),
            Outcome::Refused(refusal) => refusal,
        };
        let (status, challenge) = refusal.status_and_challenge("bluebutton");
        let code = match (&refusal, status.as_u16()) {
            (Refusal::RateLimited(_), _) => "throttled",
            (Refusal::Access(crate::oauth::bearer::AccessError::Suspended(_)), _) => "forbidden",
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
}

async fn metadata(
    State(state): State<AppState>,
    parts: Parts,
    environment: Environment,
    version: FhirVersion,
) -> Response {
    let base = format!("{}{}", origin(&state, &parts), environment.path_prefix());
    fhir_json(StatusCode::OK, &capability::statement(version, &base))
}

/// What a successful handler produced: the body and how many resources it carries.
struct Answer {
    body: Body,
    count: u64,
}

/// A response body: a JSON value, or JSON text assembled from cached parts.
enum Body {
    Json(Value),
    Text(String),
}

impl Answer {
    fn json(body: Value, count: u64) -> Self {
        Self {
            body: Body::Json(body),
            count,
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        match self.body {
            Body::Json(value) => fhir_json(StatusCode::OK, &value),
            Body::Text(text) => {
                // Moved, not copied: an EOB page of 50 is ~380 KB.
                let mut response = (StatusCode::OK, text).into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/fhir+json;charset=UTF-8"),
                );
                response
            }
        }
    }
}

async fn handle(
    State(state): State<AppState>,
    parts: Parts,
    environment: Environment,
    version: FhirVersion,
    kind: Kind,
    id: Option<String>,
) -> Result<impl IntoResponse, Outcome> {
    let (access, verdict): (AccessContext, Verdict) =
        protect(&state, environment, &parts, kind.name()).await?;
    // Fail closed: no enrollee's data goes out unless its reading can be
    // accounted for.
    let interaction = if id.is_some() { "read" } else { "search" };
    if !state.api_log.is_writing() {
        let record = access_record(
            &state,
            &parts,
            Some(&access),
            kind.name(),
            interaction,
            503,
            None,
        );
        state.api_log.record_refusal(record);
        return Err(FhirError::not_recorded().into());
    }
    let result = if access.allows(kind.scope()) {
        answer(&state, &parts, &access, version, kind, id.as_deref()).await
    } else {
        Err(FhirError::forbidden(format!(
            "This token does not carry {}: the app was not granted it, or the enrollee chose not to share it.",
            kind.scope().as_str()
        )))
    };
    let count = result.as_ref().ok().map(|answer| answer.count);
    let response = result.into_response();
    let record = access_record(
        &state,
        &parts,
        Some(&access),
        kind.name(),
        interaction,
        response.status().as_u16(),
        count,
    );
    state.api_log.record(record).await;
    Ok((verdict, response))
}

/// Strips `Patient/` from a reference parameter.
fn reference_id(value: &str) -> &str {
    value.rsplit('/').next().unwrap_or(value)
}

async fn beneficiary(
    state: &AppState,
    id: BeneficiaryId,
) -> Result<Arc<beneficiary_row::Model>, FhirError> {
    if let Some(found) = state.resource_caches.beneficiaries.get(&id.0) {
        return Ok(found);
    }
    let generation = state.resource_caches.beneficiaries.generation();
    let found = Arc::new(
        beneficiaries::get(&state.db, id)
            .await?
            .ok_or_else(FhirError::unavailable)?,
    );
    state
        .resource_caches
        .beneficiaries
        .insert(id.0, found.clone(), generation, 1024);
    Ok(found)
}

async fn coverages(
    state: &AppState,
    id: BeneficiaryId,
) -> Result<Arc<Vec<StoredCoverage>>, FhirError> {
    if let Some(found) = state.resource_caches.coverages.get(&id.0) {
        return Ok(found);
    }
    let generation = state.resource_caches.coverages.generation();
    let found = Arc::new(medicare::coverages(&state.db, id).await?);
    state
        .resource_caches
        .coverages
        .insert(id.0, found.clone(), generation, 4096);
    Ok(found)
}

async fn claim_index(state: &AppState, id: BeneficiaryId) -> Result<Arc<Vec<ClaimRef>>, FhirError> {
    if let Some(found) = state.resource_caches.claim_index.get(&id.0) {
        return Ok(found);
    }
    let generation = state.resource_caches.claim_index.generation();
    let found = Arc::new(medicare::claim_index(&state.db, id).await?);
    let bytes = found.len() * 96 + 64;
    state
        .resource_caches
        .claim_index
        .insert(id.0, found.clone(), generation, bytes);
    Ok(found)
}

/// The ExplanationOfBenefit JSON of `claims` (all the beneficiary's), in order:
/// from the cache where it has them, rendered from one query for the rest.
async fn rendered_claims(
    state: &AppState,
    version: FhirVersion,
    beneficiary: BeneficiaryId,
    patient_id: &str,
    claims: &[&ClaimRef],
) -> Result<Vec<Option<Arc<str>>>, FhirError> {
    let key = |c: &ClaimRef| (version, c.row_id, c.last_updated.timestamp_millis());
    let mut out: Vec<Option<Arc<str>>> = claims
        .iter()
        .map(|c| state.resource_caches.rendered.get(&key(c)))
        .collect();
    let missing: Vec<i64> = claims
        .iter()
        .zip(&out)
        .filter(|(_, r)| r.is_none())
        .map(|(c, _)| c.row_id)
        .collect();
    if !missing.is_empty() {
        let generation = state.resource_caches.rendered.generation();
        let loaded = medicare::claims_by_rows(&state.db, beneficiary, &missing).await?;
        for (row_id, stored) in loaded {
            let text: Arc<str> = Arc::from(
                serde_json::to_string(&resources::explanation_of_benefit(
                    version, &stored, patient_id,
                ))
                .expect("JSON"),
            );
            let k = (version, row_id, stored.last_updated.timestamp_millis());
            state
                .resource_caches
                .rendered
                .insert(k, text.clone(), generation, text.len());
            if let Some(slot) = claims.iter().position(|c| key(c) == k) {
                out[slot] = Some(text);
            }
        }
    }
    // One slot per claim asked for, in order: `None` for a claim that
    // vanished (or changed) between the index and the read, which the caller
    // leaves out with its own fullUrl, so no entry gets another's.
    Ok(out)
}

async fn answer(
    state: &AppState,
    parts: &Parts,
    access: &AccessContext,
    version: FhirVersion,
    kind: Kind,
    id: Option<&str>,
) -> Result<Answer, FhirError> {
    let patient_id = access.patient.as_str();
    let origin = origin(state, parts);
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
    let ctx = SearchContext {
        origin: &origin,
        path: parts.uri.path(),
        query: &query,
        page,
        now: state.clock.now(),
    };
    let window = |total: usize| {
        (page.start as usize).min(total)
            ..(page.start as usize)
                .saturating_add(page.count as usize)
                .min(total)
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
    match kind {
        Kind::Patient => {
            if let Some(id) = id {
                if id != patient_id {
                    return Err(not_found());
                }
                let key = (version, access.beneficiary.0);
                if let Some(text) = state.resource_caches.patients.get(&key) {
                    return Ok(Answer {
                        body: Body::Text(text.to_string()),
                        count: 1,
                    });
                }
                let generation = state.resource_caches.patients.generation();
                let bene = beneficiary(state, access.beneficiary).await?;
                let text: Arc<str> = Arc::from(
                    serde_json::to_string(&resources::patient(version, &bene)).expect("JSON"),
                );
                state
                    .resource_caches
                    .patients
                    .insert(key, text.clone(), generation, text.len());
                return Ok(Answer {
                    body: Body::Text(text.to_string()),
                    count: 1,
                });
            }
            let bene = beneficiary(state, access.beneficiary).await?;
            let resource = resources::patient(version, &bene);
            let identifier_matches = query.last("identifier").is_none_or(|raw| {
                let value = raw.rsplit('|').next().unwrap_or(raw);
                [
                    bene.fhir_id.as_str(),
                    bene.mbi.as_str(),
                    bene.hicn_hash.as_str(),
                ]
                .contains(&value)
            });
            let found = if asks_for_other || !identifier_matches {
                vec![]
            } else {
                vec![(full_url(patient_id), resource)]
            };
            let total = found.len();
            let shown: Vec<(String, Value)> = found
                .into_iter()
                .skip(window(total).start)
                .take(window(total).len())
                .collect();
            let count = shown.len() as u64;
            Ok(Answer::json(searchset(&ctx, total as u64, shown), count))
        }
        Kind::Coverage => {
            let bene = beneficiary(state, access.beneficiary).await?;
            if let Some(id) = id {
                let stored = coverages(state, access.beneficiary)
                    .await?
                    .iter()
                    .find(|c| c.id == id)
                    .cloned()
                    .ok_or_else(not_found)?;
                return Ok(Answer::json(
                    resources::coverage(version, &stored, patient_id, &bene.mbi),
                    1,
                ));
            }
            let all = if asks_for_other {
                Arc::new(vec![])
            } else {
                coverages(state, access.beneficiary).await?
            };
            let shown: Vec<(String, Value)> = all[window(all.len())]
                .iter()
                .map(|c| {
                    (
                        full_url(&c.id),
                        resources::coverage(version, c, patient_id, &bene.mbi),
                    )
                })
                .collect();
            let count = shown.len() as u64;
            Ok(Answer::json(
                searchset(&ctx, all.len() as u64, shown),
                count,
            ))
        }
        Kind::ExplanationOfBenefit => {
            if let Some(id) = id {
                let stored = medicare::claim(&state.db, access.beneficiary, id)
                    .await?
                    .ok_or_else(not_found)?;
                return Ok(Answer::json(
                    resources::explanation_of_benefit(version, &stored, patient_id),
                    1,
                ));
            }
            let filter = claim_filter(&query)?;
            let index = if asks_for_other {
                Arc::new(vec![])
            } else {
                claim_index(state, access.beneficiary).await?
            };
            let matching: Vec<&ClaimRef> = index.iter().filter(|c| filter.matches(c)).collect();
            let shown = &matching[window(matching.len())];
            let rendered =
                rendered_claims(state, version, access.beneficiary, patient_id, shown).await?;
            let entries: Vec<(String, Arc<str>)> = shown
                .iter()
                .zip(rendered)
                .filter_map(|(c, text)| Some((full_url(&c.resource_id), text?)))
                .collect();
            let count = entries.len() as u64;
            Ok(Answer {
                body: Body::Text(searchset_text(&ctx, matching.len() as u64, &entries)),
                count,
            })
        }
    }
}
