//! The test client: a developer runs the authorization-code flow with PKCE
//! for one of their own apps against this server, then calls the API with the
//! token, all from the portal. It is a real OAuth client: it sends the browser
//! to `/v2/o/authorize/`, receives the code at its callback, and exchanges and
//! calls over HTTP like any app.
//!
//! Nothing is stored on the server. The flow's PKCE verifier and state (and
//! the client secret the developer typed, for confidential apps) live for ten
//! minutes in an HttpOnly cookie; the tokens then live in another such cookie,
//! in the developer's own browser.
use axum::{
    extract::{Query, State},
    http::{header, request::Parts, HeaderValue},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Router,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};
use server::{
    accounts::{self, CurrentUser},
    http::session_cookie,
    secrets::Secret,
    AppState,
};
use sha2::{Digest, Sha256};

pub const FLOW_COOKIE: &str = "bb_test_flow";
pub const TOKENS_COOKIE: &str = "bb_test_tokens";
pub const CALLBACK_PATH: &str = "/test-client/callback";
/// The whole site: the test-client page also loads its data through server functions.
const COOKIE_PATH: &str = "/";

/// What the flow cookie carries between "start" and the callback.
#[derive(Serialize, Deserialize)]
struct Flow {
    app: uuid::Uuid,
    client_id: String,
    state: String,
    verifier: String,
    secret: Option<String>,
}

/// What the tokens cookie carries after a successful exchange.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    pub app: uuid::Uuid,
    pub access_token: String,
    /// The token endpoint's whole answer, pretty-printed, to show the developer.
    pub token_response: String,
}

/// The test client's callback address on this portal.
pub fn callback_url(state: &AppState) -> String {
    format!("{}{CALLBACK_PATH}", state.settings.public_url)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/test-client/start", post(start))
        .route(CALLBACK_PATH, get(callback))
        .route("/test-client/reset", post(reset))
}

fn encode<T: Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("serializable"))
}

fn decode<T: for<'de> Deserialize<'de>>(value: &str) -> Option<T> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(value).ok()?).ok()
}

fn cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={COOKIE_PATH}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("base64url cookie value")
}

/// The tokens of the current test-client session, from the tokens cookie's value.
pub fn session_from_cookie(value: &str) -> Option<Session> {
    decode(value)
}

async fn developer(state: &AppState, parts: &Parts) -> Option<CurrentUser> {
    let token = session_cookie::read(&parts.headers)?;
    accounts::session_user(&state.db, &token, state.clock.now())
        .await
        .ok()
        .flatten()
}

fn back(query: &str) -> Response {
    Redirect::to(&format!("/test-client?{query}")).into_response()
}

#[derive(Deserialize)]
struct StartForm {
    app: String,
    client_secret: Option<String>,
}

/// Starts the flow: PKCE verifier and state into the flow cookie, browser to `authorize`.
async fn start(
    State(state): State<AppState>,
    parts: Parts,
    Form(form): Form<StartForm>,
) -> Response {
    let Some(user) = developer(&state, &parts).await else {
        return Redirect::to("/login?next=/test-client").into_response();
    };
    let Ok(app_id) = uuid::Uuid::parse_str(&form.app) else {
        return back("flow_error=no_app");
    };
    let Ok(app) = server::apps::get_for_owner(&state.db, user.id, app_id).await else {
        return back("flow_error=no_app");
    };
    let secret = form
        .client_secret
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if app.client_type == "confidential" && secret.is_none() {
        return back(&format!("app={app_id}&flow_error=secret_needed"));
    }
    let verifier = Secret::generate().expose().to_string();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let flow = Flow {
        app: app_id,
        client_id: app.client_id.clone(),
        state: Secret::generate().expose().to_string(),
        verifier,
        secret,
    };
    let mut authorize = url::Url::parse(&format!("{}/v2/o/authorize/", state.settings.public_url))
        .expect("public URL");
    authorize
        .query_pairs_mut()
        .append_pair("client_id", &app.client_id)
        .append_pair("redirect_uri", &callback_url(&state))
        .append_pair("response_type", "code")
        .append_pair("state", &flow.state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let mut response = Redirect::to(authorize.as_str()).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie(&state, FLOW_COOKIE, &encode(&flow), 600),
    );
    response
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Receives the code, checks the state, exchanges the code at the token endpoint.
async fn callback(
    State(state): State<AppState>,
    parts: Parts,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(flow) =
        session_cookie::read_named(&parts.headers, FLOW_COOKIE).and_then(|v| decode::<Flow>(&v))
    else {
        return back("flow_error=expired");
    };
    let app = flow.app;
    let clear_flow = cookie(&state, FLOW_COOKIE, "", 0);
    let fail = |code: &str| {
        let mut response = back(&format!("app={app}&flow_error={code}"));
        response
            .headers_mut()
            .append(header::SET_COOKIE, clear_flow.clone());
        response
    };
    if query.error.as_deref() == Some("access_denied") {
        return fail("access_denied");
    }
    if query.state.as_deref() != Some(flow.state.as_str()) {
        return fail("state_mismatch");
    }
    let Some(code) = query.code else {
        return fail("no_code");
    };
    let mut form = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", code),
        ("redirect_uri", callback_url(&state)),
        ("code_verifier", flow.verifier.clone()),
        ("client_id", flow.client_id.clone()),
    ];
    if let Some(secret) = &flow.secret {
        form.push(("client_secret", secret.clone()));
    }
    let answer = loopback(&state)
        .post(format!("{}/v2/o/token/", loopback_base(&state)))
        .form(&form)
        .send()
        .await;
    let body: serde_json::Value = match answer {
        Ok(res) if res.status().is_success() => res.json().await.unwrap_or_default(),
        Ok(res) if res.status() == 401 => return fail("wrong_secret"),
        _ => return fail("exchange_failed"),
    };
    let Some(access_token) = body["access_token"].as_str().map(str::to_string) else {
        return fail("exchange_failed");
    };
    let session = Session {
        app,
        access_token,
        token_response: serde_json::to_string_pretty(&body).unwrap_or_default(),
    };
    let mut response = back(&format!("app={app}&authorized=1"));
    let lifetime = body["expires_in"]
        .as_i64()
        .unwrap_or(3600)
        .clamp(60, 36_000);
    response
        .headers_mut()
        .append(header::SET_COOKIE, clear_flow);
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie(&state, TOKENS_COOKIE, &encode(&session), lifetime),
    );
    response
}

/// Forgets the test client's tokens.
async fn reset(State(state): State<AppState>) -> Response {
    let mut response = back("reset=1");
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookie(&state, TOKENS_COOKIE, "", 0));
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookie(&state, FLOW_COOKIE, "", 0));
    response
}

/// This server's own listening address: the test client calls the API as an
/// app would, over HTTP, without depending on how `PUBLIC_URL` resolves from here.
fn loopback_base(state: &AppState) -> String {
    let mut addr = state.settings.bind_addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{addr}")
}

/// An HTTP client whose requests say they came through `PUBLIC_URL`, so the
/// links in the answers (paging) point where the developer can follow them.
fn loopback(state: &AppState) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Ok(public) = url::Url::parse(&state.settings.public_url) {
        let host = match public.port() {
            Some(port) => format!("{}:{port}", public.host_str().unwrap_or_default()),
            None => public.host_str().unwrap_or_default().to_string(),
        };
        if let (Ok(host), Ok(proto)) = (host.parse(), public.scheme().parse()) {
            headers.insert("x-forwarded-host", host);
            headers.insert("x-forwarded-proto", proto);
        }
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

/// The answer to one API call made by the test client.
pub struct CallResult {
    pub status: u16,
    pub body: serde_json::Value,
}

/// Calls `path_and_query` (under this server) with the session's token.
pub async fn call(
    state: &AppState,
    session: &Session,
    path_and_query: &str,
) -> Result<CallResult, String> {
    let res = loopback(state)
        .get(format!("{}{path_and_query}", loopback_base(state)))
        .bearer_auth(&session.access_token)
        .send()
        .await
        .map_err(|e| format!("the request failed: {e}"))?;
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(serde_json::Value::Null);
    Ok(CallResult { status, body })
}
