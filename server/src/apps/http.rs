//! App endpoints that are not pages: logo upload (a plain multipart form, so
//! it works without JavaScript) and logo images.
use axum::{
    extract::{multipart::MultipartRejection, Multipart, Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use uuid::Uuid;

use super::{logo::MAX_BYTES, AppsError};
use crate::{
    accounts,
    errors::Common,
    http::{request::meta_from_parts, session_cookie},
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/apps/{id}/logo", post(upload_logo))
        .route("/app-logos/{id}", get(serve_logo))
}

fn back_to(app: Uuid, outcome: &str) -> Response {
    Redirect::to(&format!("/apps/{app}?{outcome}")).into_response()
}

async fn upload_logo(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: axum::http::request::Parts,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let Ok(app) = Uuid::parse_str(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let now = state.clock.now();
    let user = match session_cookie::read(&parts.headers) {
        Some(token) => accounts::session_user(&state.db, &token, now)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let Some(user) = user else {
        return Redirect::to(&format!("/login?next=/apps/{app}")).into_response();
    };
    let Ok(mut form) = form else {
        return back_to(app, "logo_error=unreadable");
    };
    let mut bytes = Vec::new();
    loop {
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("logo") => match field.bytes().await {
                Ok(content) => bytes = content.to_vec(),
                Err(_) => return back_to(app, "logo_error=unreadable"),
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => return back_to(app, "logo_error=unreadable"),
        }
        if bytes.len() > MAX_BYTES * 2 {
            break;
        }
    }
    let ctx = user.audit(meta_from_parts(&parts));
    match super::set_logo(&state.db, &ctx, user.id, app, bytes, now).await {
        Ok(()) => back_to(app, "logo=uploaded"),
        Err(AppsError::Logo(problem)) => back_to(app, &format!("logo_error={}", problem.code())),
        Err(AppsError::Common(Common::NotFound)) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "logo upload failed");
            back_to(app, "logo_error=server")
        }
    }
}

async fn serve_logo(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(app) = Uuid::parse_str(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match super::logo(&state.db, app).await {
        Ok(Some((content_type, bytes))) => {
            let mut headers = HeaderMap::new();
            if let Ok(value) = content_type.parse() {
                headers.insert(header::CONTENT_TYPE, value);
            }
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".parse().expect("ascii"),
            );
            headers.insert(
                header::CACHE_CONTROL,
                "public, max-age=300".parse().expect("ascii"),
            );
            (headers, bytes).into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "serving a logo failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
