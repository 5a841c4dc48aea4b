//! Sandbox app registration and credentials.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr::{internal, Call};
use crate::error::AppError;

/// An app as its owner sees it (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppDetails {
    pub id: String,
    pub name: String,
    pub description: String,
    pub environment: String,
    pub website_url: String,
    pub privacy_policy_url: String,
    pub terms_url: String,
    pub support_email: String,
    pub support_phone: String,
    pub client_type: String,
    pub grant_type: String,
    pub redirect_uris: Vec<String>,
    pub requires_demographics: bool,
    pub scopes: Vec<String>,
    pub client_id: String,
    pub created: String,
    /// Where the logo is served (changes with each upload), if there is one.
    pub logo_url: Option<String>,
    /// Until when (Eastern time, in words) a rotated-out secret still works.
    pub retiring_secret_until: Option<String>,
    pub live_since: Option<String>,
    pub renewal_due: Option<String>,
    /// Where the app's environment serves the API.
    pub api_base_url: String,
}

impl AppDetails {
    pub fn is_production(&self) -> bool {
        self.environment == "production"
    }
}

#[cfg(feature = "ssr")]
impl From<server::apps::AppView> for AppDetails {
    fn from(v: server::apps::AppView) -> Self {
        Self {
            id: v.id.to_string(),
            name: v.name,
            description: v.description,
            environment: v.environment,
            website_url: v.website_url,
            privacy_policy_url: v.privacy_policy_url,
            terms_url: v.terms_url,
            support_email: v.support_email,
            support_phone: v.support_phone,
            client_type: v.client_type,
            grant_type: v.grant_type,
            redirect_uris: v.redirect_uris,
            requires_demographics: v.requires_demographics,
            scopes: v.scopes,
            logo_url: v
                .logo_uploaded_at
                .map(|t| format!("/app-logos/{}?v={}", v.id, t.timestamp())),
            client_id: v.client_id,
            created: super::format::date(v.created_at),
            retiring_secret_until: v.retiring_secret_until.map(super::format::date_time),
            live_since: v.live_at.map(super::format::date),
            renewal_due: v.renewal_due_at.map(super::format::date),
            api_base_url: String::new(),
        }
    }
}

#[cfg(feature = "ssr")]
pub(crate) fn apps_error(error: server::apps::AppsError) -> AppError {
    use server::apps::AppsError;
    match error {
        AppsError::Common(c) => super::ssr::common(c, "We could not find that app in your account."),
        AppsError::Unverified => {
            AppError::Message("Confirm your email address before you register apps. Check your inbox, or send the link again from your account page.".into())
        }
        AppsError::HasApplication => AppError::Message("This app has a submitted production-access application, which is kept as a record, so the app cannot be deleted.".into()),
        AppsError::Logo(problem) => AppError::Message(problem.to_string()),
    }
}

#[cfg(feature = "ssr")]
fn parse_id(id: &str) -> Result<uuid::Uuid, AppError> {
    super::format::id(id, "We could not find that app in your account.")
}

/// The new secret travels to the app's page in a short-lived HttpOnly cookie,
/// so it can be shown once even when the form was posted without JavaScript.
#[cfg(feature = "ssr")]
pub(crate) const NEW_SECRET_COOKIE: &str = "bb_new_secret";

#[cfg(feature = "ssr")]
pub(crate) fn hand_over_secret(call: &Call, app: &str, secret: &server::secrets::Secret) {
    let secure = if call.state.settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let value = format!(
        "{NEW_SECRET_COOKIE}={app}.{}; Path=/; HttpOnly; SameSite=Strict; Max-Age=300{secure}",
        secret.expose()
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
        call.append_header(axum::http::header::SET_COOKIE, value);
    }
}

#[server(endpoint = "apps/list")]
pub async fn list_apps() -> Result<Vec<AppDetails>, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let apps = server::apps::list_for_owner(&call.state.db, user.id)
        .await
        .map_err(internal)?;
    Ok(apps.into_iter().map(Into::into).collect())
}

#[server(endpoint = "apps/get")]
pub async fn get_app(id: String) -> Result<AppDetails, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let app = server::apps::get_for_owner(&call.state.db, user.id, parse_id(&id)?)
        .await
        .map_err(apps_error)?;
    let environment = server::apps::Environment::parse(&app.environment)
        .unwrap_or(server::apps::Environment::Sandbox);
    let mut details: AppDetails = app.into();
    details.api_base_url = environment.base_url(&call.state.settings.public_url);
    Ok(details)
}

/// The secret created or rotated a moment ago, once; `None` afterwards.
#[server(endpoint = "apps/new_secret")]
pub async fn take_new_secret(id: String) -> Result<Option<String>, AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let app = parse_id(&id)?;
    let Some(value) = call.cookie(NEW_SECRET_COOKIE) else {
        return Ok(None);
    };
    let Some((for_app, secret)) = value.split_once('.') else {
        return Ok(None);
    };
    if for_app != app.to_string()
        || server::apps::get_for_owner(&call.state.db, user.id, app)
            .await
            .is_err()
    {
        return Ok(None);
    }
    let clear = format!("{NEW_SECRET_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(clear) = axum::http::HeaderValue::from_str(&clear) {
        call.append_header(axum::http::header::SET_COOKIE, clear);
    }
    Ok(Some(secret.to_string()))
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "apps/register")]
pub async fn register_app(
    name: String,
    description: String,
    website_url: String,
    privacy_policy_url: String,
    terms_url: String,
    support_email: String,
    support_phone: String,
    client_type: String,
    grant_type: String,
    redirect_uris: String,
    requires_demographics: String,
    accept_terms: Option<String>,
) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let kept: Vec<(String, String)> = vec![
        ("name".into(), name.clone()),
        ("description".into(), description.clone()),
        ("website_url".into(), website_url.clone()),
        ("privacy_policy_url".into(), privacy_policy_url.clone()),
        ("terms_url".into(), terms_url.clone()),
        ("support_email".into(), support_email.clone()),
        ("support_phone".into(), support_phone.clone()),
        ("redirect_uris".into(), redirect_uris.clone()),
    ];
    let form = server::apps::Registration {
        name,
        description,
        website_url,
        privacy_policy_url,
        terms_url,
        support_email,
        support_phone,
        client_type,
        grant_type,
        redirect_uris,
        requires_demographics: requires_demographics == "yes",
        accept_terms: accept_terms.is_some(),
    };
    let created = server::apps::register(
        &call.state.db,
        &call.audit_as(&user),
        &user,
        form,
        call.now(),
    )
    .await
    .map_err(|e| {
        let kept: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        apps_error(e).keeping(&kept)
    })?;
    let id = created.app.id.to_string();
    hand_over_secret(&call, &id, &created.client_secret);
    call.redirect(&format!("/apps/{id}?created=1"));
    Ok(())
}

#[server(endpoint = "apps/rotate_secret")]
pub async fn rotate_secret(
    id: String,
    confirm: Option<String>,
    #[server(default)] grace_hours: String,
) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let grace: i64 = if grace_hours.trim().is_empty() {
        0
    } else {
        grace_hours.trim().parse().unwrap_or(-1)
    };
    if confirm.is_none() {
        let mut errors = std::collections::BTreeMap::new();
        errors.insert(
            "confirm".into(),
            "Tick the box to confirm that you want a new secret.".into(),
        );
        return Err(AppError::Fields(errors));
    }
    let app = parse_id(&id)?;
    let secret = server::apps::rotate_secret(
        &call.state.db,
        &call.audit_as(&user),
        user.id,
        app,
        grace,
        call.now(),
    )
    .await
    .map_err(apps_error)?;
    hand_over_secret(&call, &id, &secret);
    call.redirect(&format!("/apps/{id}?rotated=1"));
    Ok(())
}

#[server(endpoint = "apps/delete")]
pub async fn delete_app(id: String, confirm: Option<String>) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    if confirm.is_none() {
        let mut errors = std::collections::BTreeMap::new();
        errors.insert(
            "confirm".into(),
            "Tick the box to confirm that you want to delete this app.".into(),
        );
        return Err(AppError::Fields(errors));
    }
    server::apps::delete(
        &call.state.db,
        &call.audit_as(&user),
        user.id,
        parse_id(&id)?,
        call.now(),
    )
    .await
    .map_err(apps_error)?;
    call.redirect("/apps?deleted=1");
    Ok(())
}
