//! Decision letters as files. The route sits with the other document
//! downloads under `/access/…`, but the letter is the review's, so its
//! handler is here and applications know nothing of reviews.
use axum::{
    extract::{Path, State},
    http::{request::Parts, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use uuid::Uuid;

use crate::{
    applications::http::{pdf_response, signed_in},
    errors::Common,
    http::request::meta_from_parts,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/access/letters/{id}", get(download_letter))
}

/// A decision letter, for the applicant or a reviewer.
async fn download_letter(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(user) = signed_in(&state, &parts.headers).await else {
        return Redirect::to("/login").into_response();
    };
    let ctx = user.audit(meta_from_parts(&parts));
    let now = state.clock.now();
    match super::decisions::letter_file(&state.db, &state.blobs, &ctx, &user, id, now).await {
        Ok((filename, bytes)) => pdf_response(&filename, bytes),
        Err(super::ReviewError::Common(Common::NotFound)) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "letter download failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
