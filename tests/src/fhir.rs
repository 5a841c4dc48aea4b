//! FHIR test helpers: an enrollee's token for an app, and JSON fetches.
use crate::{
    oauth::{authorize_url, consent, param, Answer, AppSpec, RegisteredApp, PKCE_VERIFIER},
    TestApp,
};

/// A token of `registered` for enrollee `username`, answered with `answer`.
pub async fn token_for(
    app: &TestApp,
    registered: &RegisteredApp,
    username: &str,
    answer: Answer,
) -> String {
    let url = authorize_url(
        app,
        "v2",
        &[
            ("client_id", &registered.client_id),
            ("redirect_uri", &registered.redirect_uri),
            ("response_type", "code"),
        ],
    );
    let callback = consent(app, &url, username, answer).await;
    let body: serde_json::Value = reqwest::Client::new()
        .post(app.url("/v2/o/token/"))
        .basic_auth(&registered.client_id, Some(&registered.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", param(&callback, "code").expect("a code").as_str()),
            ("redirect_uri", registered.redirect_uri.as_str()),
            ("code_verifier", PKCE_VERIFIER),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token json");
    body["access_token"]
        .as_str()
        .expect("access token")
        .to_string()
}

/// An app that asks for everything, and a token of it for `username`.
pub async fn enrollee_token(app: &TestApp, username: &str) -> String {
    let registered = app
        .register(AppSpec::confidential(&format!(
            "FHIR reader {}",
            uuid::Uuid::new_v4().simple()
        )))
        .await;
    token_for(app, &registered, username, Answer::ALLOW).await
}

/// GETs `url` (absolute or a path) with the token; returns status, headers and JSON body.
pub async fn get(
    app: &TestApp,
    token: &str,
    url: &str,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let url = if url.starts_with("http") {
        url.to_string()
    } else {
        app.url(url)
    };
    let res = reqwest::Client::new()
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .expect("FHIR request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.json().await.unwrap_or(serde_json::Value::Null);
    (status, headers, body)
}

/// The `url` of a bundle's link `relation`.
pub fn link(bundle: &serde_json::Value, relation: &str) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == relation)
        .and_then(|l| l["url"].as_str().map(str::to_string))
}

/// The resources of a bundle.
pub fn entries(bundle: &serde_json::Value) -> Vec<serde_json::Value> {
    bundle["entry"]
        .as_array()
        .map(|e| e.iter().map(|x| x["resource"].clone()).collect())
        .unwrap_or_default()
}
