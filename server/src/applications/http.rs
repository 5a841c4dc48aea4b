//! Document upload and download. Upload is a plain multipart form (works
//! without JavaScript: the answer is a redirect back to the section); the
//! page's script sends the same form with `Accept: application/json` to show
//! progress and gets JSON back.
use axum::{
    extract::{multipart::MultipartRejection, DefaultBodyLimit, Multipart, Path, State},
    http::{header, request::Parts, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Json, Router,
};
use uuid::Uuid;

use super::{documents::policy_pdf::MAX_BYTES, ApplicationError, DocumentError, DocumentKind};
use crate::{
    accounts::{self, CurrentUser},
    errors::Common,
    http::{request::meta_from_parts, session_cookie},
    AppState,
};

/// Bodies above this are cut off; between [`MAX_BYTES`] and this the upload
/// is read to the end and refused with a message.
pub(crate) const BODY_CAP: usize = 64 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/access/{id}/documents/{kind}", post(upload))
        .route("/access/documents/{id}", get(download))
        .layer(DefaultBodyLimit::disable())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(BODY_CAP))
}

pub(crate) async fn signed_in(state: &AppState, headers: &HeaderMap) -> Option<CurrentUser> {
    let token = session_cookie::read(headers)?;
    accounts::session_user(&state.db, &token, state.clock.now())
        .await
        .ok()
        .flatten()
}

pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// Reads the `file` field, keeping at most [`MAX_BYTES`] + 1 bytes of it.
/// A refused upload: JSON for the page's script, else a redirect back to
/// `back` naming the problem.
pub(crate) fn upload_refused(
    json: bool,
    back: &str,
    kind: DocumentKind,
    message: String,
    code: &str,
) -> Response {
    if json {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({ "error": message, "code": code })),
        )
            .into_response()
    } else {
        Redirect::to(&format!(
            "{back}?upload_error={code}&kind={}#documents",
            kind.as_str()
        ))
        .into_response()
    }
}

/// A body that is not multipart at all, or has no boundary, is refused like
/// a form without a file.
pub(crate) async fn read_file(
    form: Result<Multipart, MultipartRejection>,
) -> Result<(String, Vec<u8>), DocumentError> {
    let Ok(mut form) = form else {
        return Err(DocumentError::Empty);
    };
    let mut found = None;
    while let Ok(Some(mut field)) = form.next_field().await {
        if field.name() != Some("file") {
            continue;
        }
        let filename = field.file_name().unwrap_or("").to_string();
        let mut bytes = Vec::new();
        let mut too_large = false;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > MAX_BYTES {
                        too_large = true;
                    } else {
                        bytes.extend_from_slice(&chunk);
                    }
                }
                Ok(None) => break,
                // The connection broke mid-upload: nothing has been stored.
                Err(_) => return Err(DocumentError::Empty),
            }
        }
        if too_large {
            return Err(DocumentError::TooLarge);
        }
        found = Some((filename, bytes));
    }
    found.ok_or(DocumentError::Empty)
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
            Redirect::to(&format!("/login?next=/access/{id}/policies")).into_response()
        };
    };
    let back = format!("/access/{id}/policies");
    let refused = |message: String, code: &str| upload_refused(json, &back, kind, message, code);
    let (filename, bytes) = match read_file(form).await {
        Ok(file) => file,
        Err(problem) => return refused(problem.to_string(), problem.code()),
    };
    let ctx = user.audit(meta_from_parts(&parts));
    let now = state.clock.now();
    match super::upload_document(
        &state.db,
        &state.blobs,
        &ctx,
        user.id,
        id,
        kind,
        &filename,
        bytes,
        now,
    )
    .await
    {
        Ok(doc) if json => Json(serde_json::json!({ "document": doc })).into_response(),
        Ok(_) => {
            Redirect::to(&format!("{back}?uploaded={}#documents", kind.as_str())).into_response()
        }
        Err(ApplicationError::Document(problem)) => refused(problem.to_string(), problem.code()),
        Err(ApplicationError::Common(Common::NotFound)) => StatusCode::NOT_FOUND.into_response(),
        Err(ApplicationError::NotEditable(state)) => refused(
            format!(
                "The application is {} and cannot be changed now.",
                state.label().to_lowercase()
            ),
            "not_editable",
        ),
        Err(error) => {
            tracing::error!(%error, "document upload failed");
            refused(
                "Something went wrong on our side and the file was not saved. Please try again."
                    .into(),
                "server",
            )
        }
    }
}

pub(crate) fn pdf_response(filename: &str, bytes: Vec<u8>) -> Response {
    let safe: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{safe}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            (header::CACHE_CONTROL, "private, no-store".into()),
        ],
        bytes,
    )
        .into_response()
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
    match super::download_document(&state.db, &state.blobs, &ctx, &user, id, now).await {
        Ok((filename, bytes)) => pdf_response(&filename, bytes),
        Err(ApplicationError::Common(Common::NotFound)) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "document download failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
