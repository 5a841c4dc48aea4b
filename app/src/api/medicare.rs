//! What Medicare enrollees do here: sign in (as with their Medicare account),
//! decide what an app may see, and review or revoke connected apps.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr::{database, internal, Call};
use crate::error::AppError;

/// The consent page's content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentPage {
    pub request_id: String,
    pub enrollee_name: String,
    pub app_name: String,
    pub app_website: String,
    pub logo_url: Option<String>,
    pub privacy_policy_url: String,
    pub terms_url: String,
    /// What the app will see, in plain words.
    pub sees: Vec<String>,
    pub asks_demographics: bool,
    /// "for 13 months, until March 4, 2027", "for 1 hour", …
    pub access_period: String,
}

/// One connected app on the connected-apps page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedAppRow {
    pub grant_id: String,
    pub app_name: String,
    pub app_website: String,
    pub sees: Vec<String>,
    pub granted: String,
    pub until: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedAppsPage {
    pub enrollee_name: String,
    pub apps: Vec<ConnectedAppRow>,
}

/// Plain-language descriptions of what each scope lets an app see.
#[cfg(feature = "ssr")]
fn describe(scopes: &[String]) -> Vec<String> {
    scopes
        .iter()
        .filter_map(|s| match s.as_str() {
            "patient/ExplanationOfBenefit.read" => {
                Some("Your Medicare claims: doctor visits, hospital visits and prescriptions")
            }
            "patient/Coverage.read" => {
                Some("Your Medicare coverage: which parts (A, B, C, D) you have and since when")
            }
            "patient/Patient.read" => {
                Some("Your demographic information: name, gender, race and address")
            }
            "profile" => Some("Your name and email address from your Medicare account"),
            _ => None,
        })
        .map(str::to_string)
        .collect()
}

#[cfg(feature = "ssr")]
fn period(
    access: server::oauth::grants::DataAccessType,
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    use server::oauth::grants::DataAccessType;
    let date = super::format::date;
    match (access, until) {
        (DataAccessType::OneTime, _) => "for 1 hour".into(),
        (DataAccessType::ThirteenMonth, Some(t)) => format!("for 13 months, until {}", date(t)),
        (_, Some(t)) => format!("until {}", date(t)),
        (_, None) => "with no end date (an approved research app), until you revoke it".into(),
    }
}

/// Only same-site paths are followed after sign-in, never another host.
#[cfg(feature = "ssr")]
/// Where to go after signing in: `next` if it is a path on this site.
fn safe_next(next: Option<String>) -> String {
    server::http::LocalPath::or(next.as_deref(), "/mymedicare/connected-apps").into_string()
}

#[server(endpoint = "mymedicare/log_in")]
pub async fn medicare_log_in(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use server::beneficiaries::SignInError;
    let call = Call::capture();
    call.throttle_account_action()
        .map_err(|e| e.keeping(&[("username", &username)]))?;
    let session =
        server::beneficiaries::sign_in(&call.state.db, &call.anonymous(), &username, &password, call.now())
            .await
            .map_err(|e| {
                let error = match e {
                    SignInError::InvalidCredentials => AppError::Message(
                        "That user name and password do not match. Sandbox enrollees are BBUser00000 to BBUser29999, with passwords PW00000! to PW29999!."
                            .into(),
                    ),
                    SignInError::NotLoaded => AppError::Message(
                        "This synthetic enrollee exists in the sandbox, but this server has not loaded their Medicare data yet. Sign in as another enrollee (BBUser00000 to BBUser00099 are always loaded), or ask the administrator to run: portal beneficiaries load --all"
                            .into(),
                    ),
                    SignInError::NotLinked => AppError::Message(
                        "You signed in, but no Medicare record is linked to this account, so there is no data an app could see."
                            .into(),
                    ),
                    SignInError::Busy => call.too_busy(),
                    SignInError::Db(e) => database(e),
                };
                error.keeping(&[("username", &username)])
            })?;
    call.append_header(
        axum::http::header::SET_COOKIE,
        server::http::session_cookie::set_named(
            server::http::session_cookie::BENEFICIARY,
            session.token.expose(),
            session.expires_at,
            call.now(),
            call.state.settings.secure_cookies(),
        ),
    );
    call.redirect(&safe_next(next));
    Ok(())
}

#[server(endpoint = "mymedicare/log_out")]
pub async fn medicare_log_out() -> Result<(), AppError> {
    let call = Call::capture();
    if let Some(token) = call.beneficiary_session_token() {
        server::beneficiaries::sign_out(&call.state.db, &call.anonymous(), &token, call.now())
            .await
            .map_err(internal)?;
    }
    call.append_header(
        axum::http::header::SET_COOKIE,
        server::http::session_cookie::clear_named(
            server::http::session_cookie::BENEFICIARY,
            call.state.settings.secure_cookies(),
        ),
    );
    call.redirect("/mymedicare/login?signed_out=1");
    Ok(())
}

/// The pending authorization request behind the consent page.
#[server(endpoint = "mymedicare/consent")]
pub async fn get_consent(id: String) -> Result<ConsentPage, AppError> {
    use server::oauth::authorize::ConsentError;
    let call = Call::capture();
    let who = call.require_beneficiary().await?;
    let id = uuid::Uuid::parse_str(&id)
        .map_err(|_| AppError::Message(ConsentError::NotFound.to_string()))?;
    let request = server::oauth::authorize::pending(&call.state.db, id, call.now())
        .await
        .map_err(|e| match e {
            ConsentError::Db(e) => database(e),
            ConsentError::NotFound => AppError::Message(
                "We could not find this request for access. Go back to the app and start again.".into(),
            ),
            ConsentError::Expired => AppError::Message(
                "This request for access has expired. Go back to the app and start again.".into(),
            ),
            ConsentError::AlreadyDecided => AppError::Message(
                "You already answered this request for access. To change your answer, revoke the app below or start again from the app."
                    .into(),
            ),
        })?;
    Ok(ConsentPage {
        request_id: request.request_id.to_string(),
        enrollee_name: format!(
            "{} {}",
            who.beneficiary.given_name, who.beneficiary.family_name
        ),
        sees: describe(&request.scopes),
        access_period: period(request.data_access_type, request.access_until),
        asks_demographics: request.asks_demographics,
        logo_url: request
            .has_logo
            .then(|| format!("/app-logos/{}", request.application_id)),
        app_name: request.app_name,
        app_website: request.app_website,
        privacy_policy_url: request.privacy_policy_url,
        terms_url: request.terms_url,
    })
}

#[server(endpoint = "mymedicare/connected_apps")]
pub async fn get_connected_apps() -> Result<ConnectedAppsPage, AppError> {
    let call = Call::capture();
    let who = call.require_beneficiary().await?;
    let apps =
        server::oauth::grants::connected_apps(&call.state.db, who.beneficiary.id, call.now())
            .await
            .map_err(internal)?;
    Ok(ConnectedAppsPage {
        enrollee_name: format!(
            "{} {}",
            who.beneficiary.given_name, who.beneficiary.family_name
        ),
        apps: apps
            .into_iter()
            .map(|a| ConnectedAppRow {
                grant_id: a.grant_id.to_string(),
                sees: describe(&a.scopes),
                granted: super::format::date(a.granted_at),
                until: period(a.data_access_type, a.expires_at),
                app_name: a.app_name,
                app_website: a.app_website,
            })
            .collect(),
    })
}

#[server(endpoint = "mymedicare/revoke")]
pub async fn revoke_app(grant_id: String, confirm: Option<String>) -> Result<(), AppError> {
    let call = Call::capture();
    let who = call.require_beneficiary().await?;
    if confirm.is_none() {
        let mut errors = std::collections::BTreeMap::new();
        errors.insert(
            "confirm".into(),
            "Tick the box to confirm: the app will no longer get your Medicare data.".into(),
        );
        return Err(AppError::Fields(errors));
    }
    let grant = uuid::Uuid::parse_str(&grant_id).map_err(|_| {
        AppError::Message("We could not find that app among your connected apps.".into())
    })?;
    let ctx = server::audit::AuditContext::anonymous(call.meta());
    let revoked = server::oauth::grants::revoke_by_beneficiary(
        &call.state.db,
        &ctx,
        who.beneficiary.id,
        grant,
        call.now(),
    )
    .await
    .map_err(internal)?;
    if !revoked {
        return Err(AppError::Message(
            "We could not find that app among your connected apps.".into(),
        ));
    }
    call.redirect("/mymedicare/connected-apps?revoked=1");
    Ok(())
}
