//! The authorization endpoint's logic: validate the request, keep it while
//! the enrollee signs in and decides, then answer the app with a code (or, for
//! implicit public clients, a token in the fragment) or `access_denied`.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    clients::{self, ClientApp, ClientType, GrantType},
    grants::{self, DataAccessType},
    pkce::CodeChallenge,
    scopes::ScopeSet,
    tokens, ApiVersion, ErrorCode, OAuthError,
};
use crate::{
    audit::{self, AuditContext, AuditRecord},
    beneficiaries::SignedInBeneficiary,
    entities::{authorization_code, authorization_request},
    environment::Environment,
    ids::ApplicationId,
    invalidation::{self, Stale},
    secrets::Secret,
};

/// How long an enrollee has to sign in and decide.
pub const REQUEST_TTL: Duration = Duration::minutes(15);
/// How long an authorization code can be exchanged.
pub const CODE_TTL: Duration = Duration::seconds(60);
const MAX_STATE_LENGTH: usize = 2048;

/// The query of `GET /o/authorize`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub state: Option<String>,
    pub scope: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// Why an authorization request cannot go ahead.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    /// Shown on this server's own error page, never sent to a redirect URI
    /// that is not known to belong to the app (RFC 6749 §4.1.2.1).
    #[error("{title}: {message}")]
    Page {
        title: &'static str,
        message: String,
    },
    /// Sent back to the app's registered redirect URI.
    #[error("redirect to {0}")]
    Redirect(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn page(title: &'static str, message: impl Into<String>) -> AuthorizeError {
    AuthorizeError::Page {
        title,
        message: message.into(),
    }
}

/// Appends `params` to `redirect_uri` as a query (code flow) or fragment (implicit).
pub fn redirect_with(redirect_uri: &str, params: &[(&str, &str)], fragment: bool) -> String {
    let mut encoded = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        encoded.append_pair(k, v);
    }
    let encoded = encoded.finish();
    let separator = if fragment {
        '#'
    } else if redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{redirect_uri}{separator}{encoded}")
}

fn error_redirect(
    redirect_uri: &str,
    state: Option<&str>,
    error: OAuthError,
    fragment: bool,
) -> String {
    let mut params = vec![
        ("error", error.error.as_str()),
        ("error_description", error.error_description.as_str()),
    ];
    if let Some(state) = state {
        params.push(("state", state));
    }
    redirect_with(redirect_uri, &params, fragment)
}

/// Validates an authorization request and stores it for the enrollee's
/// decision. Returns the request id the consent page works on.
pub async fn begin(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    environment: Environment,
    version: ApiVersion,
    params: AuthorizeParams,
    now: DateTime<Utc>,
) -> Result<Uuid, AuthorizeError> {
    let Some(client_id) = params.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return Err(page(
            "The app's sign-in link is incomplete",
            "The link that brought you here does not say which app is asking for access (client_id is missing). Go back to the app and try again, or contact the app's support.",
        ));
    };
    let Some(app) = clients::find(db, environment, client_id).await? else {
        return Err(page(
            "We do not recognize this app",
            format!("No app with the client id you were sent here with is registered in the {} environment. Go back to the app and contact its support.", environment.as_str()),
        ));
    };
    if crate::suspensions::active_reason(db, app.id.0, environment)
        .await?
        .is_some()
    {
        return Err(page(
            "This app cannot connect to Medicare right now",
            format!("{}'s access to Medicare data is suspended by the Blue Button 2.0 API team while an issue is looked into. Your data has not been shared. Try again later, or contact the app's support.", app.name),
        ));
    }
    let redirect_uri = match params.redirect_uri.as_deref().filter(|r| !r.is_empty()) {
        Some(presented) => match app.registered_redirect(presented) {
            Some(uri) => uri.as_str().to_string(),
            None => {
                return Err(page(
                    "This app sent you with an unregistered return address",
                    format!("The redirect address in the link is not one {} registered, so we will not send you there. Contact the app's support.", app.name),
                ))
            }
        },
        None if app.redirect_uris.len() == 1 => app.redirect_uris[0].as_str().to_string(),
        None => {
            return Err(page(
                "The app's sign-in link is incomplete",
                "The link does not say where to return you after you decide (redirect_uri is missing). Contact the app's support.",
            ))
        }
    };
    let state = params.state.as_deref();
    let response_type = params.response_type.as_deref().unwrap_or_default();
    let implicit = response_type == "token";
    let refuse = |error: OAuthError| {
        AuthorizeError::Redirect(error_redirect(&redirect_uri, state, error, implicit))
    };

    if state.is_some_and(|s| s.len() > MAX_STATE_LENGTH) {
        return Err(refuse(OAuthError::invalid_request(format!(
            "state is longer than {MAX_STATE_LENGTH} characters"
        ))));
    }
    match response_type {
        "code" => {}
        // The implicit grant puts the access token in the URL fragment, where
        // history, logs and scripts on the callback page can read it, with no
        // PKCE and no way to bind it to the app (RFC 9700 section 2.1.2 says
        // not to use it). A sandbox app may still try it against synthetic
        // data; production data goes only through the code flow.
        "token" if environment == Environment::Production => {
            return Err(refuse(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "response_type=token (the implicit grant) is not available in production; use the authorization code flow with PKCE",
            )))
        }
        "token"
            if app.client_type == ClientType::Public && app.grant_type == GrantType::Implicit => {}
        "token" => {
            return Err(refuse(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "response_type=token is only for public clients registered for the implicit grant",
            )))
        }
        "" => {
            return Err(refuse(OAuthError::invalid_request(
                "response_type is required",
            )))
        }
        other => {
            return Err(refuse(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                format!("response_type {other:?} is not supported; use code"),
            )))
        }
    }
    let challenge = if implicit {
        None
    } else {
        CodeChallenge::parse(
            params.code_challenge.as_deref(),
            params.code_challenge_method.as_deref(),
        )
        .map_err(|e| refuse(OAuthError::invalid_request(e.to_string())))?
    };
    // Every client, confidential ones too (RFC 9700 §2.1.1, and the real
    // program since 2024): a secret proves who redeems a code, not that the
    // code was not stolen or injected on its way back.
    if !implicit && challenge.is_none() {
        return Err(refuse(OAuthError::invalid_request(
            "code_challenge (PKCE, S256) is required: send the base64url SHA-256 of a fresh code_verifier, with code_challenge_method=S256",
        )));
    }
    let scopes = match params.scope.as_deref().filter(|s| !s.trim().is_empty()) {
        None => app.allowed_scopes,
        Some(text) => {
            let (requested, _unknown) = ScopeSet::parse_lenient(text);
            let granted = requested.intersection(app.allowed_scopes);
            if granted.is_empty() {
                return Err(refuse(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!(
                        "none of the requested scopes is available to this app; it may request: {}",
                        app.allowed_scopes
                    ),
                )));
            }
            granted
        }
    };

    let id = Uuid::new_v4();
    let txn = crate::db::begin_write(db).await?;
    authorization_request::ActiveModel {
        id: Set(id),
        application_id: Set(app.id.0),
        api_version: Set(version.as_str().into()),
        response_type: Set(response_type.into()),
        redirect_uri: Set(redirect_uri.clone()),
        redirect_uri_given: Set(params.redirect_uri.is_some()),
        state: Set(params.state.clone()),
        scopes: Set(scopes.to_string()),
        code_challenge: Set(challenge.map(|c| c.as_str().to_string())),
        created_at: Set(now),
        expires_at: Set(now + REQUEST_TTL),
        completed_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("oauth.authorize_requested", "authorization_request", id).after(serde_json::json!({
            "application_id": app.id, "response_type": response_type, "scopes": scopes.to_string(),
            "pkce": params.code_challenge.is_some(), "version": version.as_str(),
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// What the consent page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRequest {
    pub request_id: Uuid,
    pub application_id: ApplicationId,
    pub app_name: String,
    pub app_website: String,
    pub privacy_policy_url: String,
    pub terms_url: String,
    /// The app uploaded a logo (served at `/app-logos/{application_id}`).
    pub has_logo: bool,
    pub scopes: Vec<String>,
    /// The app asks for demographics, so the enrollee gets the choice.
    pub asks_demographics: bool,
    pub data_access_type: DataAccessType,
    /// When access would end if granted now (`None`: no expiry).
    pub access_until: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    #[error("this authorization request does not exist")]
    NotFound,
    #[error("this authorization request has expired; start again from the app")]
    Expired,
    #[error("this authorization request was already answered")]
    AlreadyDecided,
    #[error(transparent)]
    Db(#[from] DbErr),
}

async fn load_pending(
    db: &impl sea_orm::ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(authorization_request::Model, ClientApp), ConsentError> {
    let request = authorization_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ConsentError::NotFound)?;
    if request.completed_at.is_some() {
        return Err(ConsentError::AlreadyDecided);
    }
    if request.expires_at <= now {
        return Err(ConsentError::Expired);
    }
    // The app may have been deleted or deactivated since the request began.
    let app = crate::entities::application::Entity::find_by_id(request.application_id)
        .filter(crate::entities::application::Column::Active.eq(true))
        .one(db)
        .await?
        .map(ClientApp::from_model)
        .ok_or(ConsentError::NotFound)?;
    Ok((request, app))
}

/// The pending request behind the consent page.
pub async fn pending(
    db: &DatabaseConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<ConsentRequest, ConsentError> {
    let (request, app) = load_pending(db, id, now).await?;
    let scopes = ScopeSet::parse_stored(&request.scopes);
    let has_logo = crate::entities::application_logo::Entity::find_by_id(app.id.0)
        .select_only()
        .column(crate::entities::application_logo::Column::ApplicationId)
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .is_some();
    Ok(ConsentRequest {
        has_logo,
        request_id: request.id,
        application_id: app.id,
        app_name: app.name,
        app_website: app.website_url,
        privacy_policy_url: app.privacy_policy_url,
        terms_url: app.terms_url,
        scopes: scopes.iter().map(|s| s.as_str().to_string()).collect(),
        asks_demographics: scopes.has_demographics(),
        data_access_type: app.data_access_type,
        access_until: app.data_access_type.expiry(now),
    })
}

/// The enrollee's answer on the consent page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allow: bool,
    /// Only meaningful when the app asks for demographics.
    pub share_demographics: bool,
}

/// Applies the enrollee's decision and returns where to send the browser: the
/// app's redirect URI with a code, a token (implicit) or `access_denied`.
pub async fn decide(
    db: &DatabaseConnection,
    ctx: &AuditContext,
    id: Uuid,
    who: &SignedInBeneficiary,
    decision: Decision,
    now: DateTime<Utc>,
) -> Result<String, ConsentError> {
    let txn = crate::db::begin_write(db).await?;
    let (request, app) = load_pending(&txn, id, now).await?;
    // Exactly one decision per request, even from two tabs at once.
    let claimed = authorization_request::Entity::update_many()
        .col_expr(authorization_request::Column::CompletedAt, Expr::value(now))
        .filter(authorization_request::Column::Id.eq(id))
        .filter(authorization_request::Column::CompletedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(ConsentError::AlreadyDecided);
    }
    let implicit = request.response_type == "token";
    let state = request.state.as_deref();
    let requested = ScopeSet::parse_stored(&request.scopes);
    let scopes = if decision.share_demographics || !requested.has_demographics() {
        requested
    } else {
        requested.without_demographics()
    };
    let bene = &who.beneficiary;
    if !decision.allow || scopes.is_empty() {
        audit::record(
            &txn,
            ctx,
            now,
            AuditRecord::new("oauth.consent_denied", "authorization_request", id).after(
                serde_json::json!({
                    "application_id": app.id, "beneficiary_id": bene.id.0, "patient": bene.patient,
                }),
            ),
        )
        .await?;
        txn.commit().await?;
        let reason = if decision.allow {
            "the enrollee declined every scope this app asked for"
        } else {
            "the enrollee denied access"
        };
        return Ok(error_redirect(
            &request.redirect_uri,
            state,
            OAuthError::new(ErrorCode::AccessDenied, reason),
            implicit,
        ));
    }
    let shares_demographics = scopes.has_demographics();
    let grant = grants::replace(
        &txn,
        bene.id,
        app.id,
        scopes,
        shares_demographics,
        app.data_access_type,
        now,
    )
    .await?;
    audit::record(
        &txn,
        ctx,
        now,
        AuditRecord::new("oauth.consent_granted", "data_access_grant", grant.id).after(serde_json::json!({
            "application_id": app.id, "beneficiary_id": bene.id.0, "patient": bene.patient,
            "scopes": scopes.to_string(), "share_demographic_scopes": decision.share_demographics,
            "asked_for_demographics": requested.has_demographics(), "data_access_type": app.data_access_type.as_str(),
            "response_type": request.response_type,
        })),
    )
    .await?;
    let target = if implicit {
        let issued = tokens::issue(&txn, &grant, bene, scopes, Uuid::new_v4(), false, now).await?;
        audit::record(
            &txn,
            ctx,
            now,
            AuditRecord::new("oauth.token_issued", "access_token", issued.access_token_id).after(serde_json::json!({
                "grant": "implicit", "application_id": app.id, "patient": bene.patient, "scopes": scopes.to_string(),
            })),
        )
        .await?;
        let expires_in = issued.expires_in.to_string();
        let scope = scopes.to_string();
        let mut params = vec![
            ("access_token", issued.access_token.expose()),
            ("token_type", "Bearer"),
            ("expires_in", expires_in.as_str()),
            ("scope", scope.as_str()),
            ("patient", bene.patient.as_str()),
            ("environment", app.environment.as_str()),
        ];
        if let Some(state) = state {
            params.push(("state", state));
        }
        redirect_with(&request.redirect_uri, &params, true)
    } else {
        let code = Secret::generate();
        authorization_code::ActiveModel {
            id: Set(Uuid::new_v4()),
            code_hash: Set(code.digest().as_str().into()),
            grant_id: Set(grant.id),
            application_id: Set(app.id.0),
            beneficiary_id: Set(bene.id.0),
            redirect_uri: Set(request.redirect_uri.clone()),
            redirect_uri_given: Set(request.redirect_uri_given),
            code_challenge: Set(request.code_challenge.clone()),
            scopes: Set(scopes.to_string()),
            created_at: Set(now),
            expires_at: Set(now + CODE_TTL),
            used_at: Set(None),
        }
        .insert(&txn)
        .await?;
        let mut params = vec![("code", code.expose())];
        if let Some(state) = state {
            params.push(("state", state));
        }
        redirect_with(&request.redirect_uri, &params, false)
    };
    // Consent replaced any earlier grant of this enrollee to this app, and its tokens.
    invalidation::commit(txn, Some(Stale::Access)).await?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_keep_existing_queries_and_encode_values() {
        assert_eq!(
            redirect_with(
                "https://a.example/cb",
                &[("code", "x y"), ("state", "s=1&t")],
                false
            ),
            "https://a.example/cb?code=x+y&state=s%3D1%26t"
        );
        assert_eq!(
            redirect_with("https://a.example/cb?app=1", &[("code", "c")], false),
            "https://a.example/cb?app=1&code=c"
        );
        assert_eq!(
            redirect_with("com.example.app:/cb", &[("code", "c")], false),
            "com.example.app:/cb?code=c"
        );
        assert_eq!(
            redirect_with("https://a.example/cb", &[("access_token", "t")], true),
            "https://a.example/cb#access_token=t"
        );
    }
}
