//! Proposed documents: upload (plain multipart form, or with progress from
//! the page's script, as for the application), download for the developer and
//! reviewers, and the public download of each listed app's approved versions.
use axum::{
    extract::{multipart::MultipartRejection, DefaultBodyLimit, Multipart, Path, State},
    http::{request::Parts, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Json, Router,
};
use uuid::Uuid;

use super::PolicyChangeError;
use crate::{
    applications::{
        http::{pdf_response, read_file, signed_in, upload_refused, wants_json, BODY_CAP},
        DocumentKind,
    },
    errors::Common,
    http::request::meta_from_parts,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/policy-changes/{id}/documents/{kind}", post(upload))
        .route("/policy-changes/documents/{id}", get(download))
        .route("/directory/{app}/documents/{id}", get(published))
        .layer(DefaultBodyLimit::disable())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(BODY_CAP))
}

async fn upload(
    State(state): State<AppState>,
    Path((id, kind)): Path<(String, String)>,
    parts: Parts,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let (Ok(id), Some(kind)) = (Uuid::parse_str(&id), DocumentKind::parse(&kind)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let json = wants_json(&parts.headers);
    let Some(user) = signed_in(&state, &parts.headers).await else {
        return if json {
            (
                StatusCode::UNAUTHORIZED,
                Json(serde_json::json!({ "error": "Please sign in again." })),
            )
                .into_response()
        } else {
            Redirect::to("/login").into_response()
        };
    };
    // The page to go back to is the app's policy-change page.
    let back = match super::get(&state.db, &user, id).await {
        Ok(change) => format!("/access/{}/policy-changes", change.request_id),
        Err(_) => return StatusCode::NOT_FOUND.into_response(),
    };
    let refused = |message: String, code: &str| upload_refused(json, &back, kind, message, code);
    let (filename, bytes) = match read_file(form).await {
        Ok(file) => file,
        Err(problem) => return refused(problem.to_string(), problem.code()),
    };
    let ctx = user.audit(meta_from_parts(&parts));
    match super::upload(
        &state.db,
        &state.blobs,
        &ctx,
        &user,
        id,
        kind,
        &filename,
        bytes,
        state.clock.now(),
    )
    .await
    {
        Ok((_, doc)) if json => Json(serde_json::json!({ "document": doc })).into_response(),
        Ok(_) => {
            Redirect::to(&format!("{back}?uploaded={}#documents", kind.as_str())).into_response()
        }
        Err(PolicyChangeError::Document(problem)) => refused(problem.to_string(), problem.code()),
        Err(PolicyChangeError::Common(Common::NotFound)) => StatusCode::NOT_FOUND.into_response(),
        Err(PolicyChangeError::NotEditable(now)) => refused(
            format!(
                "The change is {} and cannot be changed now.",
                now.label().to_lowercase()
            ),
            "not_editable",
        ),
        Err(error) => {
            tracing::error!(%error, "policy-change upload failed");
            refused(
                "Something went wrong on our side and the file was not saved. Please try again."
                    .into(),
                "server",
            )
        }
    }
}

async fn download(State(state): State<AppState>, Path(id): Path<String>, parts: Parts) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(user) = signed_in(&state, &parts.headers).await else {
        return Redirect::to("/login").into_response();
    };
    let ctx = user.audit(meta_from_parts(&parts));
    let now = state.clock.now();
    match super::download(&state.db, &state.blobs, &ctx, &user, id, now).await {
        Ok((filename, bytes)) => pdf_response(&filename, bytes),
        Err(PolicyChangeError::Common(Common::NotFound)) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "policy-change download failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// A listed app's approved privacy policy or terms of service, for anyone.
async fn published(
    State(state): State<AppState>,
    Path((app, id)): Path<(String, String)>,
) -> Response {
    let (Ok(app), Ok(id)) = (Uuid::parse_str(&app), Uuid::parse_str(&id)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match super::published_file(&state.db, &state.blobs, app, id).await {
        Ok((filename, bytes)) => pdf_response(&filename, bytes),
        Err(PolicyChangeError::Common(Common::NotFound)) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "published document download failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
