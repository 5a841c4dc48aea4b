//! Downloads about the synthetic data: the CSV of sample beneficiaries with
//! the richest claims (the API documentation links it by this name).
use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use crate::{synthetic::claims::ClaimType, AppState};

pub const SAMPLE_CSV_PATH: &str = "/synthetic_users_by_claim_count_full.csv";

pub fn router() -> Router<AppState> {
    Router::new().route(SAMPLE_CSV_PATH, get(sample_csv))
}

async fn sample_csv(State(state): State<AppState>) -> Response {
    let rows = match super::richest(&state.db, 100).await {
        Ok(rows) => rows,
        Err(error) => {
            tracing::error!(%error, "building the sample beneficiaries CSV failed");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "The list could not be built. Try again shortly.",
            )
                .into_response();
        }
    };
    let mut csv = String::from("username,password,fhir_id,total_claims");
    for claim_type in ClaimType::ALL {
        csv.push_str(&format!(",{}_claims", claim_type.as_str()));
    }
    csv.push_str("\r\n");
    for row in rows {
        csv.push_str(&format!(
            "{},{},{},{}",
            row.username, row.password, row.fhir_id, row.total
        ));
        for claim_type in ClaimType::ALL {
            let n = row
                .by_type
                .iter()
                .find(|(t, _)| *t == claim_type)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            csv.push_str(&format!(",{n}"));
        }
        csv.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"synthetic_users_by_claim_count_full.csv\"",
            ),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        csv,
    )
        .into_response()
}
