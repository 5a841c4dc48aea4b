//! The test client page's data: the developer's apps, the test session, and
//! the answer of the API call they asked for.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr::{internal, Call};
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestApp {
    pub id: String,
    pub name: String,
    pub client_id: String,
    pub confidential: bool,
    /// The test client's callback is among the app's redirect URIs.
    pub callback_registered: bool,
}

/// The answer to one API call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallView {
    pub request: String,
    pub status: u16,
    pub body: String,
    /// Test-client page links to the next and previous pages of a bundle.
    pub next: Option<String>,
    pub previous: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestClientView {
    pub apps: Vec<TestApp>,
    pub selected: Option<TestApp>,
    pub callback_url: String,
    /// The token response of a session for the selected app.
    pub token_response: Option<String>,
    pub result: Option<CallView>,
}

/// The API paths the page's buttons call.
pub const CALLS: &[(&str, &str, &str)] = &[
    ("patient", "Patient", "/v2/fhir/Patient/"),
    ("coverage", "Coverage", "/v2/fhir/Coverage/"),
    (
        "eob",
        "ExplanationOfBenefit",
        "/v2/fhir/ExplanationOfBenefit/",
    ),
    ("userinfo", "userinfo", "/v2/connect/userinfo"),
];

#[server(endpoint = "test_client/view")]
pub async fn get_test_client(
    app: Option<String>,
    call: Option<String>,
    page: Option<String>,
) -> Result<TestClientView, AppError> {
    let call_ctx = Call::capture();
    let user = call_ctx.require_user().await?;
    let state = call_ctx.state.clone();
    let callback = crate::test_client::callback_url(&state);
    let owned = server::apps::list_for_owner(&state.db, user.id)
        .await
        .map_err(internal)?;
    let apps: Vec<TestApp> = owned
        .iter()
        .filter(|a| a.environment == "sandbox")
        .map(|a| TestApp {
            id: a.id.to_string(),
            name: a.name.clone(),
            client_id: a.client_id.clone(),
            confidential: a.client_type == "confidential",
            callback_registered: a.redirect_uris.iter().any(|u| *u == callback),
        })
        .collect();
    let selected = match app.as_deref() {
        Some(id) => apps.iter().find(|a| a.id == id).cloned(),
        None => apps.first().cloned(),
    };
    let session = call_ctx
        .cookie(crate::test_client::TOKENS_COOKIE)
        .and_then(|v| crate::test_client::session_from_cookie(&v))
        .filter(|s| selected.as_ref().is_some_and(|a| a.id == s.app.to_string()));
    let mut result = None;
    if let (Some(session), Some(name)) = (&session, call.as_deref()) {
        let (_, _, default_path) =
            CALLS
                .iter()
                .find(|(key, _, _)| *key == name)
                .ok_or_else(|| {
                    AppError::Message("That is not one of the test client's calls.".into())
                })?;
        let public = &state.settings.public_url;
        // A paging link from a previous answer: only ever this server's EOB search.
        let path = match page.as_deref() {
            Some(url) if name == "eob" => url
                .strip_prefix(public.as_str())
                .filter(|p| p.starts_with("/v2/fhir/ExplanationOfBenefit/"))
                .ok_or_else(|| {
                    AppError::Message("That page link does not belong to this server.".into())
                })?
                .to_string(),
            _ => default_path.to_string(),
        };
        let answer = crate::test_client::call(&state, session, &path)
            .await
            .map_err(AppError::Message)?;
        let page_link = |relation: &str| {
            answer.body["link"].as_array().and_then(|links| {
                links
                    .iter()
                    .find(|l| l["relation"] == relation)
                    .and_then(|l| l["url"].as_str())
                    .map(|url| {
                        format!(
                            "/test-client?app={}&call=eob&page={}",
                            session.app,
                            url::form_urlencoded::byte_serialize(url.as_bytes())
                                .collect::<String>()
                        )
                    })
            })
        };
        result = Some(CallView {
            request: format!("GET {public}{path}"),
            status: answer.status,
            body: serde_json::to_string_pretty(&answer.body).unwrap_or_default(),
            next: page_link("next"),
            previous: page_link("previous"),
        });
    }
    Ok(TestClientView {
        apps,
        selected,
        callback_url: callback,
        token_response: session.map(|s| s.token_response),
        result,
    })
}

/// Adds the test client's callback to one of the developer's apps.
#[server(endpoint = "test_client/add_callback")]
pub async fn add_test_client_callback(app: String) -> Result<(), AppError> {
    let call = Call::capture();
    let user = call.require_user().await?;
    let id = uuid::Uuid::parse_str(&app)
        .map_err(|_| AppError::Message("We could not find that app in your account.".into()))?;
    let callback = crate::test_client::callback_url(&call.state);
    server::apps::add_redirect_uri(
        &call.state.db,
        &call.audit_as(&user),
        user.id,
        id,
        &callback,
        call.now(),
    )
    .await
    .map_err(|e| match e {
        server::apps::AppsError::Common(common) => {
            super::ssr::common(common, "We could not find that app in your account.")
        }
        other => internal(other),
    })?;
    call.redirect(&format!("/test-client?app={id}&added=1"));
    Ok(())
}
