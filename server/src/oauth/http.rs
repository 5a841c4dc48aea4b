//! The OAuth endpoints over HTTP, under both `/v1` and `/v2`:
//! `o/authorize`, `o/token`, `o/revoke_token`, `o/introspect`,
//! `connect/userinfo`, and the discovery documents. Handlers only translate
//! between HTTP and the services in this module's siblings.
use std::collections::HashMap;

use axum::{
    extract::{FromRequest, Path, Request, State},
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Json, Router,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    authorize::{self, AuthorizeError, AuthorizeParams, ConsentError, Decision},
    bearer::{self, AccessContext, AccessError},
    clients::{self, ClientApp, ClientType, PresentedClient},
    scopes::Scope,
    tokens, ApiVersion, ErrorCode, OAuthError,
};
use crate::{
    audit::AuditContext,
    beneficiaries,
    environment::Environment,
    html::escape as escape_html,
    http::{
        rate_limit::{network_of, Verdict},
        request::{client_ip, meta_from_parts},
        session_cookie::{self, BENEFICIARY},
    },
    ids::ApplicationId,
    AppState,
};

/// The OAuth routes of `environment`, both API versions, with and without trailing slashes.
pub fn router(environment: Environment) -> Router<AppState> {
    let mut router = Router::new();
    let p = environment.path_prefix();
    for version in ApiVersion::ALL {
        let v = format!("{p}/{}", version.as_str());
        let authorize = get(move |state, parts| authorize(state, parts, environment, version));
        let token = post(move |state, req| token(state, req, environment));
        let revoke = post(move |state, req| revoke(state, req, environment));
        let introspect = post(move |state, req| introspect(state, req, environment));
        let userinfo = get(move |state, parts| userinfo(state, parts, environment))
            .post(move |state, parts| userinfo(state, parts, environment));
        router = router
            .route(&format!("{v}/o/authorize"), authorize.clone())
            .route(&format!("{v}/o/authorize/"), authorize)
            .route(&format!("{v}/o/token"), token.clone())
            .route(&format!("{v}/o/token/"), token)
            .route(&format!("{v}/o/revoke_token"), revoke.clone())
            .route(&format!("{v}/o/revoke_token/"), revoke)
            .route(&format!("{v}/o/introspect"), introspect.clone())
            .route(&format!("{v}/o/introspect/"), introspect)
            .route(&format!("{v}/connect/userinfo"), userinfo.clone())
            .route(&format!("{v}/connect/userinfo/"), userinfo)
            .route(
                &format!("{v}/fhir/.well-known/smart-configuration"),
                get(move |state| smart_configuration(state, environment)),
            )
            .route(
                &format!("{v}/connect/.well-known/openid-configuration"),
                get(move |state| openid_configuration(state, environment)),
            );
    }
    router
        .route(
            &format!("{p}/.well-known/openid-configuration"),
            get(move |state| openid_configuration(state, environment)),
        )
        .route(
            &format!("{p}/.well-known/openid-configuration-v2"),
            get(move |state| openid_configuration(state, environment)),
        )
        .route(
            &format!("{p}/.well-known/smart-configuration"),
            get(move |state| smart_configuration(state, environment)),
        )
}

/// Routes every environment shares: the enrollee's consent decision (the
/// authorization request it answers knows its app, and so its environment).
pub fn shared_router() -> Router<AppState> {
    Router::new().route("/authorize/{id}/decision", post(decision))
}

fn audit_ctx(parts: &axum::http::request::Parts) -> AuditContext {
    AuditContext::anonymous(meta_from_parts(parts))
}

/// A page of our own for authorization requests we will not redirect
/// (unknown client, unregistered redirect URI): plain, accessible HTML.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} | Blue Button 2.0 API</title><link rel=\"stylesheet\" href=\"/pkg/app.css\"></head>\
         <body><header class=\"site-header\"><div class=\"header-inner\"><a class=\"brand\" href=\"/\">Blue Button 2.0 API</a></div></header>\
         <main id=\"main\"><div class=\"narrow\"><h1>{title}</h1><p>{message}</p>\
         <p>You have not shared any Medicare data. You can close this page.</p></div></main></body></html>",
        title = escape_html(title),
        message = escape_html(message),
    );
    (status, Html(html)).into_response()
}

/// Parses a query string, refusing repeated parameters (RFC 6749 §3.1).
fn single_valued(query: &str) -> Result<HashMap<String, String>, String> {
    let mut map = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if map.insert(key.to_string(), value.into_owned()).is_some() {
            return Err(key.into_owned());
        }
    }
    Ok(map)
}

impl IntoResponse for AuthorizeError {
    fn into_response(self) -> Response {
        match self {
            AuthorizeError::Page { title, message } => {
                error_page(StatusCode::BAD_REQUEST, title, &message)
            }
            AuthorizeError::Redirect(target) => Redirect::to(&target).into_response(),
            AuthorizeError::Db(error) => {
                tracing::error!(%error, "authorize failed");
                error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side",
                    "We could not start the authorization. Nothing was shared. Go back to the app and try again.",
                )
            }
        }
    }
}

async fn authorize(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    environment: Environment,
    version: ApiVersion,
) -> Result<Redirect, AuthorizeError> {
    let mut query = single_valued(parts.uri.query().unwrap_or_default()).map_err(|repeated| {
        AuthorizeError::Page {
            title: "The app's sign-in link is not valid",
            message: format!("The parameter {repeated} appears more than once in the link. Contact the app's support."),
        }
    })?;
    let params = AuthorizeParams {
        client_id: query.remove("client_id"),
        redirect_uri: query.remove("redirect_uri"),
        response_type: query.remove("response_type"),
        state: query.remove("state"),
        scope: query.remove("scope"),
        code_challenge: query.remove("code_challenge"),
        code_challenge_method: query.remove("code_challenge_method"),
    };
    let now = state.clock.now();
    let id = authorize::begin(
        &state.db,
        &audit_ctx(&parts),
        environment,
        version,
        params,
        now,
    )
    .await?;
    Ok(Redirect::to(&format!("/authorize/{id}")))
}

async fn decision(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(
            StatusCode::NOT_FOUND,
            "Authorization request not found",
            "Start again from the app.",
        );
    };
    let consent_page = format!("/authorize/{id}");
    let now = state.clock.now();
    let signed_in = match session_cookie::read_named(&parts.headers, BENEFICIARY) {
        Some(token) => beneficiaries::session(&state.db, &token, now)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let Some(who) = signed_in else {
        let next =
            url::form_urlencoded::byte_serialize(consent_page.as_bytes()).collect::<String>();
        return Redirect::to(&format!("/mymedicare/login?next={next}")).into_response();
    };
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let form: HashMap<String, String> = url::form_urlencoded::parse(&bytes).into_owned().collect();
    let allow = form
        .get("allow")
        .is_some_and(|v| matches!(v.as_str(), "true" | "True" | "Allow" | "yes"));
    let share = form
        .get("share_demographic_scopes")
        .is_none_or(|v| matches!(v.as_str(), "true" | "True" | "share" | "yes" | "on"));
    let ctx = AuditContext::anonymous(meta_from_parts(&parts));
    match authorize::decide(
        &state.db,
        &ctx,
        id,
        &who,
        Decision {
            allow,
            share_demographics: share,
        },
        now,
    )
    .await
    {
        Ok(target) => Redirect::to(&target).into_response(),
        Err(ConsentError::Db(error)) => {
            tracing::error!(%error, "consent decision failed");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side",
                "Your decision was not saved and nothing was shared. Go back to the app and try again.",
            )
        }
        // The consent page explains expired, answered and unknown requests.
        Err(_) => Redirect::to(&consent_page).into_response(),
    }
}

/// The form fields of a token, revoke or introspect request, from
/// `application/x-www-form-urlencoded` or `multipart/form-data` (the Python SDK).
async fn read_form(
    req: Request,
) -> Result<(axum::http::request::Parts, HashMap<String, String>), OAuthError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut fields = HashMap::new();
    let mut add = |name: String, value: String| -> Result<(), OAuthError> {
        if fields.insert(name.clone(), value).is_some() {
            return Err(OAuthError::invalid_request(format!(
                "{name} appears more than once"
            )));
        }
        Ok(())
    };
    if content_type.starts_with("multipart/form-data") {
        let (parts, body) = req.into_parts();
        let rebuilt = Request::from_parts(parts.clone(), body);
        let mut multipart = axum::extract::Multipart::from_request(rebuilt, &())
            .await
            .map_err(|_| OAuthError::invalid_request("the multipart body could not be read"))?;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|_| OAuthError::invalid_request("the multipart body could not be read"))?
        {
            let name = field.name().unwrap_or_default().to_string();
            let value = field
                .text()
                .await
                .map_err(|_| OAuthError::invalid_request("a multipart field is not text"))?;
            add(name, value)?;
        }
        return Ok((parts, fields));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| OAuthError::invalid_request("the request body could not be read"))?;
    for (k, v) in url::form_urlencoded::parse(&bytes) {
        add(k.into_owned(), v.into_owned())?;
    }
    Ok((parts, fields))
}

/// Tokens, introspection answers and token-endpoint errors must not be
/// cached (RFC 6749 §5.1).
const NO_STORE: [(header::HeaderName, &str); 2] = [
    (header::CACHE_CONTROL, "no-store"),
    (header::PRAGMA, "no-cache"),
];

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_REQUEST);
        (status, NO_STORE, Json(&self)).into_response()
    }
}

/// Why the token, revoke or introspect endpoint refused a request.
enum ClientRefusal {
    /// `basic`: the client authenticated with HTTP Basic, so a failed
    /// authentication answers with that challenge (RFC 6749 §5.2).
    OAuth {
        error: OAuthError,
        basic: bool,
    },
    RateLimited(Verdict),
}

impl From<OAuthError> for ClientRefusal {
    fn from(error: OAuthError) -> Self {
        ClientRefusal::OAuth {
            error,
            basic: false,
        }
    }
}

impl IntoResponse for ClientRefusal {
    fn into_response(self) -> Response {
        match self {
            ClientRefusal::OAuth { error, basic } => {
                let challenge = basic && error.error == ErrorCode::InvalidClient;
                let mut response = error.into_response();
                if challenge {
                    response.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Basic realm=\"bluebutton\""),
                    );
                }
                response
            }
            ClientRefusal::RateLimited(verdict) => (
                StatusCode::TOO_MANY_REQUESTS,
                verdict,
                Json(json!({ "error": "rate_limited", "error_description": "Too many requests. Wait until the time in Retry-After, then try again." })),
            )
                .into_response(),
        }
    }
}

/// The per-address limit of the client endpoints, charged before the body is
/// read or anything is looked up: this is all a stranger can spend.
fn check_address(state: &AppState, req: &Request) -> Result<(), ClientRefusal> {
    let Some(ip) = client_ip(req.extensions()) else {
        return Ok(());
    };
    let verdict = state.limits.token_per_ip.check(&network_of(ip));
    if verdict.allowed {
        Ok(())
    } else {
        Err(ClientRefusal::RateLimited(verdict))
    }
}

/// A client that authenticated on a client endpoint, within its limit.
struct Caller {
    app: ClientApp,
    via_basic: bool,
    verdict: Verdict,
}

impl Caller {
    fn refuse(&self, error: OAuthError) -> ClientRefusal {
        ClientRefusal::OAuth {
            error,
            basic: self.via_basic,
        }
    }
}

/// Authenticates the calling client and applies the per-client limit, which
/// only an authenticated caller can spend. A public client has no secret, so
/// anyone can name it: its limit is counted per address, as the app runs on
/// its users' own devices.
async fn authenticated_client(
    state: &AppState,
    ctx: &AuditContext,
    environment: Environment,
    parts: &axum::http::request::Parts,
    form: &HashMap<String, String>,
) -> Result<Caller, ClientRefusal> {
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let basic = authorization.is_some_and(|a| a.len() > 6 && a[..6].eq_ignore_ascii_case("basic "));
    let presented = PresentedClient::from_request(
        authorization,
        form.get("client_id").map(String::as_str),
        form.get("client_secret").map(String::as_str),
    )
    .map_err(|error| ClientRefusal::OAuth { error, basic })?;
    let within_audit_budget =
        |app: ApplicationId| state.limits.audited_client_failures.check(&app.0).allowed;
    let app = clients::authenticate(
        &state.db,
        ctx,
        environment,
        &presented,
        state.clock.now(),
        within_audit_budget,
    )
    .await
    .map_err(|error| ClientRefusal::OAuth {
        error,
        basic: presented.via_basic,
    })?;
    let address = match app.client_type {
        ClientType::Confidential => None,
        ClientType::Public => client_ip(&parts.extensions).map(network_of),
    };
    let verdict = state
        .limits
        .token_per_client
        .check(&(app.client_id.clone(), address));
    if !verdict.allowed {
        return Err(ClientRefusal::RateLimited(verdict));
    }
    Ok(Caller {
        app,
        via_basic: presented.via_basic,
        verdict,
    })
}

/// A request to a client endpoint (token, revoke, introspect) that got past
/// every check they share, in the order that keeps a stranger's cost lowest:
/// the address's limit before the body is read, then the form, then the
/// client's own credentials and limit.
struct ClientRequest {
    caller: Caller,
    ctx: AuditContext,
    form: HashMap<String, String>,
}

async fn client_request(
    state: &AppState,
    req: Request,
    environment: Environment,
) -> Result<ClientRequest, ClientRefusal> {
    check_address(state, &req)?;
    let (parts, form) = read_form(req).await?;
    let ctx = audit_ctx(&parts);
    let caller = authenticated_client(state, &ctx, environment, &parts, &form).await?;
    Ok(ClientRequest { caller, ctx, form })
}

async fn token(
    State(state): State<AppState>,
    req: Request,
    environment: Environment,
) -> Result<impl IntoResponse, ClientRefusal> {
    let ClientRequest { caller, ctx, form } = client_request(&state, req, environment).await?;
    let issued = grant(&state, &ctx, environment, &caller.app, &form)
        .await
        .map_err(|e| caller.refuse(e));
    // The client's limit is reported on the grant's answer, refused or not.
    Ok((
        caller.verdict,
        issued.map(|issued| (NO_STORE, Json(issued))),
    ))
}

/// The grant the token request's `grant_type` names.
async fn grant(
    state: &AppState,
    ctx: &AuditContext,
    environment: Environment,
    client: &ClientApp,
    form: &HashMap<String, String>,
) -> Result<tokens::TokenResponse, OAuthError> {
    let now = state.clock.now();
    let field = |name: &str| form.get(name).map(String::as_str);
    match field("grant_type") {
        Some("authorization_code") => {
            tokens::exchange_code(
                &state.db,
                ctx,
                environment,
                client,
                field("code"),
                field("redirect_uri"),
                field("code_verifier"),
                now,
            )
            .await
        }
        Some("refresh_token") => {
            tokens::refresh(
                &state.db,
                ctx,
                environment,
                client,
                field("refresh_token"),
                field("scope"),
                now,
            )
            .await
        }
        Some(other) => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!(
                "grant_type {other:?} is not supported; use authorization_code or refresh_token"
            ),
        )),
        None => Err(OAuthError::invalid_request("grant_type is required")),
    }
}

async fn revoke(
    State(state): State<AppState>,
    req: Request,
    environment: Environment,
) -> Result<StatusCode, ClientRefusal> {
    let ClientRequest { caller, ctx, form } = client_request(&state, req, environment).await?;
    let token = form.get("token").map(String::as_str);
    tokens::revoke(&state.db, &ctx, &caller.app, token, state.clock.now())
        .await
        .map_err(|e| caller.refuse(e))?;
    Ok(StatusCode::OK)
}

async fn introspect(
    State(state): State<AppState>,
    req: Request,
    environment: Environment,
) -> Result<impl IntoResponse, ClientRefusal> {
    let ClientRequest { caller, form, .. } = client_request(&state, req, environment).await?;
    let token = form.get("token").map(String::as_str);
    let body = tokens::introspect(
        &state.db,
        environment,
        &caller.app,
        token,
        state.clock.now(),
    )
    .await
    .map_err(|e| caller.refuse(e))?;
    Ok((NO_STORE, Json(body)))
}

/// Why a protected-resource request was refused before reaching its handler.
pub enum Refusal {
    Access(AccessError),
    RateLimited(Verdict),
}

impl Refusal {
    /// The HTTP status and the `WWW-Authenticate` challenge (RFC 6750) for this refusal.
    pub fn status_and_challenge(&self, realm: &str) -> (StatusCode, Option<HeaderValue>) {
        match self {
            Refusal::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, None),
            Refusal::Access(AccessError::TokenInQuery) => (StatusCode::BAD_REQUEST, None),
            Refusal::Access(AccessError::Unavailable) => (StatusCode::SERVICE_UNAVAILABLE, None),
            Refusal::Access(AccessError::Suspended(_)) => (StatusCode::FORBIDDEN, None),
            Refusal::Access(error) => {
                let challenge = match error.bearer_error() {
                    Some(code) => format!(
                        "Bearer realm=\"{realm}\", error=\"{code}\", error_description=\"{error}\""
                    ),
                    None => format!("Bearer realm=\"{realm}\""),
                };
                (
                    StatusCode::UNAUTHORIZED,
                    HeaderValue::from_str(&challenge).ok(),
                )
            }
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::Access(error) => error.to_string(),
            Refusal::RateLimited(_) => {
                "Too many requests. Wait until the time in Retry-After, then try again.".into()
            }
        }
    }
}

/// Checks a protected-resource request: no token in the query string, a valid
/// bearer token, and the per-token rate limit. Every API handler starts here.
///
/// A token that is not valid costs its sender: the answer is remembered for a
/// minute (so repeating it never reaches the database), each refusal spends
/// the address's bad-token budget, and once that is spent the address gets
/// 429 for any token not already known to be valid. Refusals within the
/// budget are written to the access log; those beyond it only to the request
/// log, so that a flood cannot grow the table faster than the budget allows.
pub async fn protect(
    state: &AppState,
    environment: Environment,
    parts: &axum::http::request::Parts,
    resource: &'static str,
) -> Result<(AccessContext, Verdict), Refusal> {
    let in_query = parts.uri.query().is_some_and(|q| {
        url::form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "access_token")
    });
    if in_query {
        return Err(Refusal::Access(AccessError::TokenInQuery));
    }
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = bearer::bearer_token(authorization).map_err(Refusal::Access)?;
    let now = state.clock.now();
    let key = format!(
        "{}:{}",
        environment.as_str(),
        crate::secrets::Secret::from_presented(token)
            .digest()
            .as_str()
    );
    let cached = state
        .token_caches
        .access
        .get(&key)
        .filter(|c| c.valid_until.is_none_or(|end| end > now));
    let context = match cached {
        Some(context) => context,
        None => {
            let address = client_ip(&parts.extensions).map(network_of);
            if let Some(verdict) = address.and_then(|a| state.limits.bad_token_per_ip.blocked(&a)) {
                tracing::warn!(
                    resource,
                    "refused a bearer token: this address sent too many that were not valid"
                );
                return Err(Refusal::RateLimited(verdict));
            }
            let refused = match state.token_caches.refused_tokens.get(&key) {
                Some(error) => Err(error),
                None => {
                    let generation = state.token_caches.access.generation();
                    match bearer::resolve(&state.db, environment, token, now).await {
                        Ok(context) => {
                            state
                                .token_caches
                                .access
                                .insert(key, context.clone(), generation, 512);
                            Ok(context)
                        }
                        Err(error) => {
                            if error.is_final() {
                                state.token_caches.refused_tokens.insert(
                                    key,
                                    error.clone(),
                                    state.token_caches.refused_tokens.generation(),
                                    160,
                                );
                            }
                            Err(error)
                        }
                    }
                }
            };
            match refused {
                Ok(context) => context,
                Err(error) => {
                    if let Some(address) = address {
                        state.limits.bad_token_per_ip.check(&address);
                    }
                    record_refusal(state, parts, resource, &error);
                    return Err(Refusal::Access(error));
                }
            }
        }
    };
    let verdict = state.limits.api.check(&context.token_id);
    if !verdict.allowed {
        if state
            .limits
            .logged_throttles
            .check(&context.token_id)
            .allowed
        {
            let record = access_record(
                state,
                parts,
                Some(&context),
                resource,
                "throttled",
                429,
                None,
            );
            state.api_log.record_refusal(record);
        } else {
            tracing::info!(resource, "refused a token over its rate limit");
        }
        return Err(Refusal::RateLimited(verdict));
    }
    Ok((context, verdict))
}

/// The access-log record of a response to `parts`: the token's own ids when
/// it was valid, none when it was not (it named nothing we could trust).
pub fn access_record(
    state: &AppState,
    parts: &axum::http::request::Parts,
    token: Option<&AccessContext>,
    resource: &'static str,
    interaction: &'static str,
    status: u16,
    result_count: Option<u64>,
) -> crate::api_log::AccessRecord {
    let meta = meta_from_parts(parts);
    crate::api_log::AccessRecord {
        at: state.clock.now(),
        token_id: token.map(|t| t.token_id),
        application_id: token.map(|t| t.application.0),
        beneficiary_id: token.map(|t| t.beneficiary.0),
        method: parts.method.to_string(),
        path: parts.uri.to_string(),
        resource: resource.into(),
        interaction: interaction.into(),
        status,
        result_count,
        request_id: meta.request_id,
        ip: meta.ip,
    }
}

/// Writes a refused token to the access log (no token, app or enrollee: the
/// token named none that we could trust).
fn record_refusal(
    state: &AppState,
    parts: &axum::http::request::Parts,
    resource: &'static str,
    error: &AccessError,
) {
    let (status, _) = Refusal::Access(error.clone()).status_and_challenge("bluebutton");
    tracing::info!(resource, %error, "refused a bearer token");
    let record = access_record(
        state,
        parts,
        None,
        resource,
        "refused",
        status.as_u16(),
        None,
    );
    state.api_log.record_refusal(record);
}

/// The OAuth-shaped answer (`{"error", "error_description"}`) of a refusal,
/// as userinfo sends it; the FHIR endpoints send an `OperationOutcome`.
impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, challenge) = self.status_and_challenge("bluebutton");
        let code = match &self {
            Refusal::Access(e) => e.bearer_error().unwrap_or("invalid_token"),
            Refusal::RateLimited(_) => "rate_limited",
        };
        let mut response = (
            status,
            Json(json!({ "error": code, "error_description": self.message() })),
        )
            .into_response();
        if let Some(challenge) = challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        if let Refusal::RateLimited(verdict) = self {
            verdict.write_headers(response.headers_mut());
        }
        response
    }
}

async fn userinfo(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    environment: Environment,
) -> Result<impl IntoResponse, Refusal> {
    let (context, verdict) = protect(&state, environment, &parts, "userinfo").await?;
    // Demographics are data too: none go out unless the read can be recorded.
    if !state.api_log.is_writing() {
        let record = access_record(
            &state,
            &parts,
            Some(&context),
            "userinfo",
            "read",
            503,
            None,
        );
        state.api_log.record_refusal(record);
        return Err(Refusal::Access(AccessError::Unavailable));
    }
    let response = profile(&state, &context).await.into_response();
    let status = response.status();
    let record = access_record(
        &state,
        &parts,
        Some(&context),
        "userinfo",
        "read",
        status.as_u16(),
        status.is_success().then_some(1),
    );
    state.api_log.record(record).await;
    Ok((verdict, response))
}

/// The enrollee's profile claims, if the token carries `profile`.
async fn profile(state: &AppState, context: &AccessContext) -> Result<Response, Refusal> {
    if !context.allows(Scope::Profile) {
        return Ok((
            StatusCode::FORBIDDEN,
            Json(json!({
                "error": "insufficient_scope",
                "error_description": "This token does not carry the profile scope: the app does not ask for demographics, or the enrollee chose not to share them.",
            })),
        )
            .into_response());
    }
    let bene = beneficiaries::get(&state.db, context.beneficiary)
        .await
        .map_err(|error| {
            tracing::error!(%error, "userinfo failed");
            Refusal::Access(AccessError::Unavailable)
        })?
        .ok_or(Refusal::Access(AccessError::Invalid))?;
    Ok(Json(json!({
        "sub": bene.fhir_id,
        "patient": bene.fhir_id,
        "name": format!("{} {}", bene.given_name, bene.family_name),
        "given_name": bene.given_name,
        "family_name": bene.family_name,
        "email": bene.email,
        "iat": context.issued_at.timestamp(),
    }))
    .into_response())
}

/// Each environment is its own issuer.
fn issuer(state: &AppState, environment: Environment) -> String {
    environment.base_url(&state.settings.public_url)
}

async fn openid_configuration(State(state): State<AppState>, environment: Environment) -> Response {
    let base = issuer(&state, environment);
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/v2/o/authorize/"),
        "token_endpoint": format!("{base}/v2/o/token/"),
        "revocation_endpoint": format!("{base}/v2/o/revoke_token/"),
        "introspection_endpoint": format!("{base}/v2/o/introspect/"),
        "userinfo_endpoint": format!("{base}/v2/connect/userinfo"),
        "ui_locales_supported": ["en-US"],
        "service_documentation": format!("{base}/api-docs"),
        "op_tos_uri": format!("{base}/terms"),
        "grant_types_supported": ["authorization_code", "refresh_token", "implicit"],
        "response_types_supported": ["code", "token"],
        "response_modes_supported": ["query", "fragment"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "claims_supported": ["sub", "patient", "name", "given_name", "family_name", "email", "iat"],
    }))
    .into_response()
}

async fn smart_configuration(State(state): State<AppState>, environment: Environment) -> Response {
    let base = issuer(&state, environment);
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/v2/o/authorize/"),
        "token_endpoint": format!("{base}/v2/o/token/"),
        "revocation_endpoint": format!("{base}/v2/o/revoke_token/"),
        "introspection_endpoint": format!("{base}/v2/o/introspect/"),
        "userinfo_endpoint": format!("{base}/v2/connect/userinfo"),
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "response_types_supported": ["code", "token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "scopes_supported": Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "capabilities": [
            "client-confidential-symmetric", "client-public", "launch-standalone",
            "context-standalone-patient", "permission-patient", "permission-offline", "sso-openid-connect",
        ],
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_named() {
        assert_eq!(single_valued("a=1&b=2").unwrap().len(), 2);
        assert_eq!(single_valued("a=1&a=2").unwrap_err(), "a");
        assert_eq!(
            single_valued("redirect_uri=http%3A%2F%2Fx%2Fcb").unwrap()["redirect_uri"],
            "http://x/cb"
        );
    }
}
