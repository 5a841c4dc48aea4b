//! OAuth test helpers: synthetic enrollees, registered apps, and an enrollee
//! who signs in and answers the consent page over plain HTTP (as a browser
//! without JavaScript would).
use std::ops::Range;

use reqwest::header;
use server::{accounts, apps, audit::AuditContext, ids::Role};

use crate::{location, TestApp};

/// An app registered for a test, with the credentials its developer saw.
#[derive(Clone, Debug)]
pub struct RegisteredApp {
    pub id: uuid::Uuid,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub owner_email: String,
}

/// What to register.
#[derive(Clone, Debug)]
pub struct AppSpec {
    pub name: String,
    pub client_type: &'static str,
    pub grant_type: &'static str,
    pub redirect_uris: String,
    pub requires_demographics: bool,
}

impl AppSpec {
    /// A confidential web app using the authorization-code grant.
    pub fn confidential(name: &str) -> Self {
        Self {
            name: name.into(),
            client_type: "confidential",
            grant_type: "authorization-code",
            redirect_uris: "http://localhost:8080/testclient/callback".into(),
            requires_demographics: true,
        }
    }

    pub fn public(name: &str, redirect_uri: &str) -> Self {
        Self {
            client_type: "public",
            redirect_uris: redirect_uri.into(),
            ..Self::confidential(name)
        }
    }
}

impl TestApp {
    /// Loads synthetic enrollees `numbers` (BBUser…, password PW…!).
    pub async fn enrollees(&self, numbers: Range<u32>) {
        server::medicare::load::load_synthetic(
            &self.state.db,
            &AuditContext::default(),
            numbers,
            self.state.clock.now(),
        )
        .await
        .expect("load synthetic enrollees");
    }

    /// Registers `spec` for a new verified developer and returns its credentials.
    pub async fn register(&self, spec: AppSpec) -> RegisteredApp {
        let owner_email = format!("dev-{}@example.com", uuid::Uuid::new_v4().simple());
        accounts::create_verified_account(
            &self.state.db,
            accounts::NewStaffAccount {
                email: owner_email.clone(),
                name: "App Developer".into(),
                organization: "Example Apps".into(),
                role: Role::Developer,
            },
            "tangerine-kettle-42",
            self.state.clock.now(),
        )
        .await
        .expect("developer account");
        let owner = accounts::find_user(&self.state.db, &owner_email)
            .await
            .unwrap()
            .unwrap();
        let registration = apps::Registration::scripted(
            &spec.name,
            spec.client_type,
            spec.grant_type,
            &spec.redirect_uris,
            spec.requires_demographics,
            &owner_email,
        );
        let created = apps::register(
            &self.state.db,
            &AuditContext::default(),
            &owner,
            registration,
            self.state.clock.now(),
        )
        .await
        .expect("register app");
        RegisteredApp {
            id: created.app.id,
            client_id: created.app.client_id,
            client_secret: created.client_secret.expose().to_string(),
            redirect_uri: spec
                .redirect_uris
                .split_whitespace()
                .next()
                .unwrap()
                .to_string(),
            owner_email,
        }
    }
}

/// How the enrollee answers the consent page.
#[derive(Clone, Copy, Debug)]
pub struct Answer {
    pub allow: bool,
    pub share_demographics: bool,
}

impl Answer {
    pub const ALLOW: Answer = Answer {
        allow: true,
        share_demographics: true,
    };
    pub const ALLOW_WITHOUT_DEMOGRAPHICS: Answer = Answer {
        allow: true,
        share_demographics: false,
    };
    pub const DENY: Answer = Answer {
        allow: false,
        share_demographics: true,
    };
}

/// An enrollee's browser: follows `authorize_url`, signs in as `username`
/// (password by the documented rule), answers the consent page, and returns
/// where the server sent the browser back to (the app's redirect URI).
pub async fn consent(app: &TestApp, authorize_url: &str, username: &str, answer: Answer) -> String {
    let number = username.trim_start_matches("BBUser");
    consent_as(
        app,
        authorize_url,
        username,
        &format!("PW{number}!"),
        answer,
    )
    .await
}

/// [`consent`] with an explicit password.
pub async fn consent_as(
    app: &TestApp,
    authorize_url: &str,
    username: &str,
    password: &str,
    answer: Answer,
) -> String {
    let browser = app.client();
    let res = browser.get(authorize_url).send().await.expect("authorize");
    assert_eq!(
        res.status(),
        303,
        "authorize sends the enrollee to the consent page: {}",
        res.text().await.unwrap()
    );
    let consent_path = location(&res);
    assert!(consent_path.starts_with("/authorize/"), "{consent_path}");

    let page = browser.get(app.url(&consent_path)).send().await.unwrap();
    assert_eq!(
        page.status(),
        302,
        "not signed in yet: sent to the Medicare sign-in page"
    );
    assert!(
        location(&page).starts_with("/mymedicare/login?next="),
        "{}",
        location(&page)
    );

    let signed_in = app
        .post_form(
            &browser,
            "mymedicare/log_in",
            &[
                ("username", username),
                ("password", password),
                ("next", &consent_path),
            ],
        )
        .await;
    assert_eq!(
        location(&signed_in),
        consent_path,
        "signed in and back to consent"
    );

    let page = browser.get(app.url(&consent_path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("wants to see your Medicare data"), "{html}");

    let mut form = vec![("allow", if answer.allow { "true" } else { "false" })];
    if html.contains("share_demographic_scopes") {
        form.push((
            "share_demographic_scopes",
            if answer.share_demographics {
                "true"
            } else {
                "false"
            },
        ));
    }
    let decided = browser
        .post(app.url(&format!("{consent_path}/decision")))
        .header(header::ORIGIN, &app.base)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), 303, "the decision redirects to the app");
    location(&decided)
}

/// A query or fragment parameter of a redirect URL.
pub fn param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let from_query = parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned());
    from_query.or_else(|| {
        let fragment = parsed.fragment()?;
        url::form_urlencoded::parse(fragment.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    })
}

/// The PKCE verifier of the helpers' flows: every app must send PKCE (S256),
/// so [`authorize_url`] adds this verifier's challenge to a code request that
/// names none, and the helpers' token requests send it. Tests of PKCE itself
/// make their own pairs.
pub const PKCE_VERIFIER: &str = "portal-tests-pkce-verifier-0123456789-abcdefghijklmnopq";

/// The S256 challenge of [`PKCE_VERIFIER`].
pub fn pkce_challenge() -> String {
    oauth2::PkceCodeChallenge::from_code_verifier_sha256(&oauth2::PkceCodeVerifier::new(
        PKCE_VERIFIER.into(),
    ))
    .as_str()
    .to_string()
}

/// The authorization URL an app would send an enrollee to, built by hand;
/// a code request without a `code_challenge` gets [`pkce_challenge`].
pub fn authorize_url(app: &TestApp, version: &str, query: &[(&str, &str)]) -> String {
    authorize_url_at(app, &format!("/{version}/o/authorize/"), query)
}

/// [`authorize_url`] at `path` (`/production/v2/o/authorize/`, say).
pub fn authorize_url_at(app: &TestApp, path: &str, query: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&app.url(path)).unwrap();
    url.query_pairs_mut().extend_pairs(query);
    let code_request = query.contains(&("response_type", "code"));
    if code_request && !query.iter().any(|(k, _)| *k == "code_challenge") {
        url.query_pairs_mut()
            .append_pair("code_challenge", &pkce_challenge())
            .append_pair("code_challenge_method", "S256");
    }
    url.to_string()
}

/// Posts `form` to `path` (token, introspect, revoke) with HTTP Basic client
/// credentials, as an app's server does; the status and the JSON body (or the
/// text as a JSON string when it is not JSON).
pub async fn client_post(
    app: &TestApp,
    path: &str,
    client_id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let res = reqwest::Client::new()
        .post(app.url(path))
        .basic_auth(client_id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// An access token for `client_id` from an enrollee's consent, through `base` (`""` or `/production`).
pub async fn token_for(
    app: &TestApp,
    base: &str,
    client_id: &str,
    secret: &str,
    redirect: &str,
    user: &str,
) -> String {
    let url = authorize_url_at(
        app,
        &format!("{base}/v2/o/authorize/"),
        &[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("state", "x1"),
        ],
    );
    let back = consent(app, &url, user, Answer::ALLOW).await;
    let code = param(&back, "code").expect("a code");
    let (status, body) = client_post(
        app,
        &format!("{base}/v2/o/token/"),
        client_id,
        secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", PKCE_VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

/// Status and body of a GET of `path` with `token`.
pub async fn read_with(app: &TestApp, path: &str, token: &str) -> (u16, String) {
    let res = reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}
