//! The OAuth 2.0 authorization server, driven by a real OAuth client library
//! (the `oauth2` crate) and by hand for what libraries refuse to send.
use oauth2::{
    basic::BasicClient, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    IntrospectionUrl, PkceCodeChallenge, RedirectUrl, StandardRevocableToken,
    TokenIntrospectionResponse, TokenResponse, TokenUrl,
};
use portal_tests::{
    db_tests, location,
    oauth::{authorize_url, consent, param, Answer, AppSpec, RegisteredApp, PKCE_VERIFIER},
    Backend, TestApp, TestOptions,
};
use server::{
    entities::{access_token, api_access, audit_event, refresh_token},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter},
};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `oauth2` crate's client for `registered`, talking to the v2 endpoints.
fn oauth_client(
    app: &TestApp,
    registered: &RegisteredApp,
) -> oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
> {
    BasicClient::new(ClientId::new(registered.client_id.clone()))
        .set_client_secret(ClientSecret::new(registered.client_secret.clone()))
        .set_auth_uri(AuthUrl::new(app.url("/v2/o/authorize/")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/v2/o/token/")).unwrap())
        .set_introspection_url(IntrospectionUrl::new(app.url("/v2/o/introspect/")).unwrap())
        .set_redirect_uri(RedirectUrl::new(registered.redirect_uri.clone()).unwrap())
}

async fn userinfo(app: &TestApp, token: &str) -> reqwest::Response {
    http()
        .get(app.url("/v2/connect/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn actions(app: &TestApp) -> Vec<String> {
    audit_event::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

async fn authorization_code_flow_with_pkce_refresh_introspect_and_revoke(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..3).await;
    let registered = app.register(AppSpec::confidential("Claims Explorer")).await;
    let client = oauth_client(&app, &registered);

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge)
        .url();
    let callback = consent(&app, url.as_str(), "BBUser00001", Answer::ALLOW).await;
    assert!(callback.starts_with(&registered.redirect_uri), "{callback}");
    assert_eq!(
        param(&callback, "state").as_deref(),
        Some(csrf.secret().as_str()),
        "state is echoed exactly"
    );
    let code = param(&callback, "code").expect("a code");

    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .expect("code exchange");
    let access = token.access_token().secret().clone();
    let expires_in = token.expires_in().expect("expires_in").as_secs();
    assert!(
        (35_990..=36_000).contains(&expires_in),
        "10 hours: {expires_in}"
    );
    let scopes: Vec<String> = token
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        scopes,
        [
            "profile",
            "patient/Patient.read",
            "patient/Coverage.read",
            "patient/ExplanationOfBenefit.read"
        ],
        "no scope parameter: the app's full registered set"
    );
    let lucille = server::synthetic::person(1);
    let info: serde_json::Value = userinfo(&app, &access).await.json().await.unwrap();
    assert_eq!(info["patient"], lucille.fhir_id);
    assert_eq!(info["sub"], lucille.fhir_id);
    assert_eq!(info["given_name"], "Lucille");
    assert!(info["iat"].is_i64());

    // Refresh rotates: a new pair, and the old refresh token is spent.
    let first_refresh = token.refresh_token().unwrap().clone();
    let refreshed = client
        .exchange_refresh_token(&first_refresh)
        .request_async(&http())
        .await
        .expect("refresh");
    assert_ne!(refreshed.access_token().secret(), &access);
    let second_refresh = refreshed
        .refresh_token()
        .expect("a new refresh token")
        .clone();
    assert_ne!(second_refresh.secret(), first_refresh.secret());
    assert_eq!(
        userinfo(&app, refreshed.access_token().secret())
            .await
            .status(),
        200
    );

    let introspected = client
        .introspect(refreshed.access_token())
        .request_async(&http())
        .await
        .expect("introspect");
    assert!(introspected.active());
    assert_eq!(
        introspected.client_id().map(|c| c.as_str()),
        Some(registered.client_id.as_str())
    );

    // The oauth2 crate revokes only over https (RFC 7009 §2), so this request is by hand.
    let revoked = http()
        .post(app.url("/v2/o/revoke_token/"))
        .basic_auth(&registered.client_id, Some(&registered.client_secret))
        .form(&[
            ("token", refreshed.access_token().secret().as_str()),
            ("token_type_hint", "access_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let after = userinfo(&app, refreshed.access_token().secret()).await;
    assert_eq!(after.status(), 401);
    assert!(after.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("revoked"));
    let introspected = client
        .introspect(refreshed.access_token())
        .request_async(&http())
        .await
        .unwrap();
    assert!(!introspected.active());

    // Only digests are stored.
    let stored = access_token::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(stored
        .iter()
        .all(|t| t.token_hash.len() == 64 && t.token_hash != access));
    let logged = actions(&app).await;
    for action in [
        "oauth.authorize_requested",
        "oauth.consent_granted",
        "oauth.token_issued",
        "oauth.token_refreshed",
        "oauth.token_revoked",
        "beneficiary.login",
    ] {
        assert!(
            logged.iter().any(|a| a == action),
            "audit has {action}: {logged:?}"
        );
    }
    let consent_row = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("oauth.consent_granted"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let after = consent_row.after.unwrap();
    assert!(
        after.contains("\"share_demographic_scopes\":true"),
        "{after}"
    );
    assert!(!after.contains(&access), "no tokens in the audit trail");
    app.stop().await;
}

async fn the_token_endpoint_takes_multipart_bodies_and_ignores_a_stray_bearer_header(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let registered = app.register(AppSpec::confidential("Multipart App")).await;
    let url = authorize_url(
        &app,
        "v2",
        &[
            ("client_id", &registered.client_id),
            ("redirect_uri", &registered.redirect_uri),
            ("response_type", "code"),
            ("state", "x="),
        ],
    );
    let callback = consent(&app, &url, "BBUser00000", Answer::ALLOW).await;
    assert_eq!(param(&callback, "state").as_deref(), Some("x="));
    let form = reqwest::multipart::Form::new()
        .text("grant_type", "authorization_code")
        .text("code_verifier", PKCE_VERIFIER)
        .text("code", param(&callback, "code").unwrap())
        .text("redirect_uri", registered.redirect_uri.clone())
        .text("client_id", registered.client_id.clone())
        .text("client_secret", registered.client_secret.clone());
    let res = http()
        .post(app.url("/v2/o/token/"))
        .bearer_auth("left-over-from-an-earlier-call")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["expires_in"].is_number(),
        "expires_in is a JSON number: {body}"
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["patient"], server::synthetic::fhir_id(0));
    assert!(body["access_grant_expiration"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert!(body["refresh_token"].as_str().unwrap().len() >= 43);
    assert!(
        body.get("expires_at").is_none(),
        "the SDKs disagree on expires_at; it is never sent"
    );
    app.stop().await;
}

/// Posts a token request by hand.
async fn token_request(app: &TestApp, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let res = http()
        .post(app.url("/v2/o/token/"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or_default())
}

/// The authorization-code exchange of a confidential client, with PKCE.
async fn exchange(app: &TestApp, web: &RegisteredApp, code: &str) -> (u16, serde_json::Value) {
    token_request(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code_verifier", PKCE_VERIFIER),
            ("code", code),
            ("redirect_uri", &web.redirect_uri),
            ("client_id", &web.client_id),
            ("client_secret", &web.client_secret),
        ],
    )
    .await
}

async fn fresh_code(
    app: &TestApp,
    registered: &RegisteredApp,
    extra: &[(&str, &str)],
    user: &str,
) -> String {
    let mut query = vec![
        ("client_id", registered.client_id.as_str()),
        ("redirect_uri", registered.redirect_uri.as_str()),
        ("response_type", "code"),
    ];
    query.extend_from_slice(extra);
    let callback = consent(app, &authorize_url(app, "v2", &query), user, Answer::ALLOW).await;
    param(&callback, "code").unwrap_or_else(|| panic!("no code in {callback}"))
}

async fn the_negative_matrix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..2).await;
    let web = app.register(AppSpec::confidential("Web App")).await;
    let other = app.register(AppSpec::confidential("Other App")).await;
    let native = app
        .register(AppSpec::public(
            "Native App",
            "com.example.native:/callback",
        ))
        .await;
    let secret = web.client_secret.as_str();
    let exchange = |code: String, client: &RegisteredApp, secret: &str| {
        let (client_id, redirect) = (client.client_id.clone(), client.redirect_uri.clone());
        let secret = secret.to_string();
        let app = &app;
        async move {
            token_request(
                app,
                &[
                    ("grant_type", "authorization_code"),
                    ("code_verifier", PKCE_VERIFIER),
                    ("code", &code),
                    ("redirect_uri", &redirect),
                    ("client_id", &client_id),
                    ("client_secret", &secret),
                ],
            )
            .await
        }
    };

    // Wrong redirect URI: our own error page, never a redirect.
    let res = app
        .client()
        .get(authorize_url(
            &app,
            "v2",
            &[
                ("client_id", &web.client_id),
                ("redirect_uri", "http://evil.example/cb"),
                ("response_type", "code"),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        location(&res).is_empty(),
        "no redirect to an unregistered address"
    );
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("unregistered return address"));
    // Unknown client: the same.
    let res = app
        .client()
        .get(authorize_url(
            &app,
            "v2",
            &[
                ("client_id", "nobody"),
                ("redirect_uri", &web.redirect_uri),
                ("response_type", "code"),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("do not recognize this app"));

    // `plain` PKCE is refused back to the (registered) redirect URI.
    let res = app
        .client()
        .get(authorize_url(
            &app,
            "v2",
            &[
                ("client_id", &web.client_id),
                ("redirect_uri", &web.redirect_uri),
                ("response_type", "code"),
                ("state", "s1"),
                (
                    "code_challenge",
                    "abcdefghijabcdefghijabcdefghijabcdefghij123",
                ),
                ("code_challenge_method", "plain"),
            ],
        ))
        .send()
        .await
        .unwrap();
    let target = location(&res);
    assert!(target.starts_with(&web.redirect_uri), "{target}");
    assert_eq!(param(&target, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&target, "state").as_deref(), Some("s1"));

    // Any client without PKCE is refused, confidential ones too (RFC 9700).
    for client in [&native, &web] {
        let mut url = url::Url::parse(&app.url("/v2/o/authorize/")).unwrap();
        url.query_pairs_mut().extend_pairs([
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("response_type", "code"),
        ]);
        let res = app.client().get(url.as_str()).send().await.unwrap();
        let target = location(&res);
        assert!(target.starts_with(&client.redirect_uri), "{target}");
        assert_eq!(param(&target, "error").as_deref(), Some("invalid_request"));
        assert!(param(&target, "error_description")
            .unwrap()
            .contains("code_challenge"));
    }

    // A code issued without a challenge (before PKCE was required) cannot be
    // redeemed with a verifier: the client believes it used PKCE and did not.
    let code = fresh_code(&app, &web, &[], "BBUser00000").await;
    let digest = server::secrets::Secret::from_presented(&code).digest();
    server::entities::authorization_code::Entity::update_many()
        .col_expr(
            server::entities::authorization_code::Column::CodeChallenge,
            server::sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .filter(server::entities::authorization_code::Column::CodeHash.eq(digest.as_str()))
        .exec(&app.state.db)
        .await
        .unwrap();
    let (status, body) = exchange(code, &web, secret).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("without a code_challenge"));

    // Wrong secret: 401 invalid_client, audited.
    let code = fresh_code(&app, &web, &[], "BBUser00000").await;
    let (status, body) = exchange(code.clone(), &web, "not-the-secret").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(actions(&app)
        .await
        .contains(&"oauth.client_auth_failed".to_string()));

    // Another client's code.
    let (status, body) = exchange(code.clone(), &other, &other.client_secret).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // Code reuse: refused, and the tokens issued from it are revoked.
    let (status, first) = exchange(code.clone(), &web, secret).await;
    assert_eq!(status, 200, "{first}");
    let access = first["access_token"].as_str().unwrap().to_string();
    assert_eq!(userinfo(&app, &access).await.status(), 200);
    let (status, body) = exchange(code, &web, secret).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        userinfo(&app, &access).await.status(),
        401,
        "tokens from a replayed code are revoked"
    );
    let (status, _) = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
            ("client_id", &web.client_id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!(status, 400, "its refresh token too");

    // PKCE verifier mismatch and missing verifier.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let code = fresh_code(
        &app,
        &native,
        &[
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
        "BBUser00001",
    )
    .await;
    let public = |code: String, verifier: Option<String>| {
        let app = &app;
        let native = native.clone();
        async move {
            let mut form = vec![
                ("grant_type", "authorization_code".to_string()),
                ("code", code),
                ("redirect_uri", native.redirect_uri.clone()),
                ("client_id", native.client_id.clone()),
            ];
            if let Some(v) = verifier {
                form.push(("code_verifier", v));
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            token_request(app, &form).await
        }
    };
    let (status, body) = public(code.clone(), Some("x".repeat(43))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = public(code.clone(), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("code_verifier"));
    let (status, body) = public(code, Some(verifier.secret().clone())).await;
    assert_eq!(
        status, 200,
        "the right verifier, without a secret, works for a public client: {body}"
    );

    // Refresh reuse revokes the whole family.
    let code = fresh_code(&app, &web, &[], "BBUser00001").await;
    let (_, issued) = exchange(code, &web, secret).await;
    let refresh = |token: String| {
        let app = &app;
        let web = web.clone();
        async move {
            token_request(
                app,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &token),
                    ("client_id", &web.client_id),
                    ("client_secret", &web.client_secret),
                ],
            )
            .await
        }
    };
    let old_refresh = issued["refresh_token"].as_str().unwrap().to_string();
    let (status, rotated) = refresh(old_refresh.clone()).await;
    assert_eq!(status, 200);
    let (status, body) = refresh(old_refresh).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        userinfo(&app, rotated["access_token"].as_str().unwrap())
            .await
            .status(),
        401,
        "family revoked"
    );
    let (status, _) = refresh(rotated["refresh_token"].as_str().unwrap().to_string()).await;
    assert_eq!(
        status, 400,
        "the rotated refresh token died with its family"
    );
    assert!(actions(&app)
        .await
        .contains(&"oauth.refresh_reused".to_string()));

    // A refresh may narrow the scope, never widen it.
    let code = fresh_code(
        &app,
        &web,
        &[("scope", "patient/Coverage.read profile")],
        "BBUser00000",
    )
    .await;
    let (_, issued) = exchange(code, &web, secret).await;
    assert_eq!(issued["scope"], "profile patient/Coverage.read");
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", issued["refresh_token"].as_str().unwrap()),
            ("scope", "patient/ExplanationOfBenefit.read"),
            ("client_id", &web.client_id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", issued["refresh_token"].as_str().unwrap()),
            ("scope", "patient/Coverage.read"),
            ("client_id", &web.client_id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("patient/Coverage.read"))
    );
    assert_eq!(
        userinfo(&app, body["access_token"].as_str().unwrap())
            .await
            .status(),
        403,
        "profile was dropped"
    );

    // Unknown grant types and missing fields are explained.
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "password"),
            ("client_id", &web.client_id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );

    // A deleted app's tokens stop working.
    let code = fresh_code(&app, &other, &[], "BBUser00000").await;
    let (_, issued) = exchange(code, &other, &other.client_secret).await;
    let access = issued["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, access).await.status(), 200);
    let owner = server::accounts::find_user(&app.state.db, &other.owner_email)
        .await
        .unwrap()
        .unwrap();
    server::apps::delete(
        &app.state.db,
        &Default::default(),
        owner.id,
        other.id,
        app.state.clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(userinfo(&app, access).await.status(), 401);
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", issued["refresh_token"].as_str().unwrap()),
            ("client_id", &other.client_id),
            ("client_secret", &other.client_secret),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(refresh_token::Entity::find()
        .filter(refresh_token::Column::ApplicationId.eq(other.id))
        .all(&app.state.db)
        .await
        .unwrap()
        .is_empty());
    app.stop().await;
}

async fn expired_codes_and_grants_stop_working(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let web = app.register(AppSpec::confidential("Clocked App")).await;
    let form = |code: &str| {
        vec![
            ("grant_type".to_string(), "authorization_code".to_string()),
            ("code".into(), code.to_string()),
            ("redirect_uri".into(), web.redirect_uri.clone()),
            ("client_id".into(), web.client_id.clone()),
            ("client_secret".into(), web.client_secret.clone()),
            ("code_verifier".into(), PKCE_VERIFIER.into()),
        ]
    };
    let send = |form: Vec<(String, String)>| {
        let app = &app;
        async move {
            let form: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            token_request(app, &form).await
        }
    };
    let code = fresh_code(&app, &web, &[], "BBUser00000").await;
    app.state.clock.advance(chrono::Duration::seconds(61));
    let (status, body) = send(form(&code)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "codes last 60 seconds"
    );

    let code = fresh_code(&app, &web, &[], "BBUser00000").await;
    let (status, issued) = send(form(&code)).await;
    assert_eq!(status, 200);
    app.state.clock.advance(chrono::Duration::hours(11));
    let res = userinfo(&app, issued["access_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("expired"));
    // Thirteen months later the grant itself has ended: refresh fails too.
    app.state.clock.advance(chrono::Duration::days(400));
    let (status, body) = send(vec![
        ("grant_type".into(), "refresh_token".into()),
        (
            "refresh_token".into(),
            issued["refresh_token"].as_str().unwrap().into(),
        ),
        ("client_id".into(), web.client_id.clone()),
        ("client_secret".into(), web.client_secret.clone()),
    ])
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("consent has ended"));
    app.stop().await;
}

async fn declining_demographics_removes_patient_and_profile(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let web = app.register(AppSpec::confidential("Curious App")).await;
    let url = authorize_url(
        &app,
        "v2",
        &[
            ("client_id", &web.client_id),
            ("redirect_uri", &web.redirect_uri),
            ("response_type", "code"),
        ],
    );
    let callback = consent(
        &app,
        &url,
        "BBUser00000",
        Answer::ALLOW_WITHOUT_DEMOGRAPHICS,
    )
    .await;
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code_verifier", PKCE_VERIFIER),
            ("code", &param(&callback, "code").unwrap()),
            ("redirect_uri", &web.redirect_uri),
            ("client_id", &web.client_id),
            ("client_secret", &web.client_secret),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["scope"],
        "patient/Coverage.read patient/ExplanationOfBenefit.read"
    );
    let res = userinfo(&app, body["access_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), 403);
    let consent_row = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("oauth.consent_granted"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(consent_row
        .after
        .unwrap()
        .contains("\"share_demographic_scopes\":false"));

    // An app registered without demographics never offers the choice and never gets them.
    let mut spec = AppSpec::confidential("Private App");
    spec.requires_demographics = false;
    let private = app.register(spec).await;
    let url = authorize_url(
        &app,
        "v2",
        &[
            ("client_id", &private.client_id),
            ("redirect_uri", &private.redirect_uri),
            ("response_type", "code"),
            (
                "scope",
                "profile patient/Patient.read patient/Coverage.read",
            ),
        ],
    );
    let callback = consent(&app, &url, "BBUser00000", Answer::ALLOW).await;
    let (_, body) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code_verifier", PKCE_VERIFIER),
            ("code", &param(&callback, "code").unwrap()),
            ("redirect_uri", &private.redirect_uri),
            ("client_id", &private.client_id),
            ("client_secret", &private.client_secret),
        ],
    )
    .await;
    assert_eq!(body["scope"], "patient/Coverage.read");
    app.stop().await;
}

async fn denying_and_implicit_grants_answer_the_redirect_uri(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let web = app.register(AppSpec::confidential("Denied App")).await;
    let url = authorize_url(
        &app,
        "v1",
        &[
            ("client_id", &web.client_id),
            ("redirect_uri", &web.redirect_uri),
            ("response_type", "code"),
            ("state", "st"),
        ],
    );
    let callback = consent(&app, &url, "BBUser00000", Answer::DENY).await;
    assert_eq!(param(&callback, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&callback, "state").as_deref(), Some("st"));
    assert!(param(&callback, "code").is_none());

    let mut spec = AppSpec::public("Browser App", "https://browser.example/cb");
    spec.grant_type = "implicit";
    let implicit = app.register(spec).await;
    let url = authorize_url(
        &app,
        "v1",
        &[
            ("client_id", &implicit.client_id),
            ("redirect_uri", &implicit.redirect_uri),
            ("response_type", "token"),
            ("state", "st2"),
        ],
    );
    let callback = consent(&app, &url, "BBUser00000", Answer::ALLOW).await;
    let fragment = url::Url::parse(&callback)
        .unwrap()
        .fragment()
        .unwrap()
        .to_string();
    assert!(
        fragment.contains("access_token=") && fragment.contains("token_type=Bearer"),
        "{callback}"
    );
    assert!(
        url::Url::parse(&callback).unwrap().query().is_none(),
        "the token is in the fragment only"
    );
    assert_eq!(param(&callback, "state").as_deref(), Some("st2"));
    assert_eq!(
        userinfo(&app, &param(&callback, "access_token").unwrap())
            .await
            .status(),
        200
    );

    // A confidential app may not use the implicit grant.
    let res = app
        .client()
        .get(authorize_url(
            &app,
            "v1",
            &[
                ("client_id", &web.client_id),
                ("redirect_uri", &web.redirect_uri),
                ("response_type", "token"),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        param(&location(&res), "error").as_deref(),
        Some("unauthorized_client")
    );
    app.stop().await;
}

async fn revoking_on_the_connected_apps_page_ends_access_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..2).await;
    let web = app.register(AppSpec::confidential("Revocable App")).await;
    let code = fresh_code(&app, &web, &[], "BBUser00001").await;
    let (_, issued) = exchange(&app, &web, &code).await;
    let access = issued["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, access).await.status(), 200);

    let enrollee = app.client();
    let res = app
        .post_form(
            &enrollee,
            "mymedicare/log_in",
            &[
                ("username", "BBUser00001"),
                ("password", "PW00001!"),
                ("next", ""),
            ],
        )
        .await;
    assert_eq!(location(&res), "/mymedicare/connected-apps");
    let page = enrollee
        .get(app.url("/mymedicare/connected-apps"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Revocable App") && page.contains("for 13 months"),
        "{page}"
    );
    let grant_id = page
        .split("name=\"grant_id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();

    // Another enrollee cannot revoke it, and does not see it.
    let other = app.client();
    app.post_form(
        &other,
        "mymedicare/log_in",
        &[
            ("username", "BBUser00000"),
            ("password", "PW00000!"),
            ("next", ""),
        ],
    )
    .await;
    let page = other
        .get(app.url("/mymedicare/connected-apps"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Revocable App") && page.contains("No apps can see your Medicare data"));
    let res = app
        .post_form(
            &other,
            "mymedicare/revoke",
            &[("grant_id", &grant_id), ("confirm", "yes")],
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("could not find that app"));
    assert_eq!(userinfo(&app, access).await.status(), 200);

    let res = app
        .post_form(&enrollee, "mymedicare/revoke", &[("grant_id", &grant_id)])
        .await;
    assert!(
        res.text().await.unwrap().contains("Tick the box"),
        "revoking asks for confirmation"
    );
    let res = app
        .post_form(
            &enrollee,
            "mymedicare/revoke",
            &[("grant_id", &grant_id), ("confirm", "yes")],
        )
        .await;
    assert_eq!(location(&res), "/mymedicare/connected-apps?revoked=1");
    assert_eq!(
        userinfo(&app, access).await.status(),
        401,
        "revocation takes effect on the next call"
    );
    assert!(actions(&app)
        .await
        .contains(&"oauth.grant_revoked".to_string()));
    app.stop().await;
}

async fn reconsenting_replaces_earlier_tokens_and_one_time_access_has_no_refresh(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let web = app.register(AppSpec::confidential("Again App")).await;
    let exchange = |code: String| {
        let app = &app;
        let web = web.clone();
        async move {
            token_request(
                app,
                &[
                    ("grant_type", "authorization_code"),
                    ("code_verifier", PKCE_VERIFIER),
                    ("code", &code),
                    ("redirect_uri", &web.redirect_uri),
                    ("client_id", &web.client_id),
                    ("client_secret", &web.client_secret),
                ],
            )
            .await
        }
    };
    let (_, first) = exchange(fresh_code(&app, &web, &[], "BBUser00000").await).await;
    let (_, second) = exchange(fresh_code(&app, &web, &[], "BBUser00000").await).await;
    assert_eq!(
        userinfo(&app, first["access_token"].as_str().unwrap())
            .await
            .status(),
        401,
        "consenting again ends the earlier grant's tokens"
    );
    assert_eq!(
        userinfo(&app, second["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );

    use server::sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let row = server::entities::application::Entity::find_by_id(web.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut row = row.into_active_model();
    row.data_access_type = Set("one-time".into());
    row.update(&app.state.db).await.unwrap();
    let (status, once) = exchange(fresh_code(&app, &web, &[], "BBUser00000").await).await;
    assert_eq!(status, 200);
    assert!(
        once.get("refresh_token").is_none(),
        "one-time access gets no refresh token: {once}"
    );
    assert!(once["expires_in"].as_i64().unwrap() <= 3600);
    app.stop().await;
}

async fn tokens_in_query_strings_are_refused_and_limits_are_announced(backend: Backend) {
    let mut options = TestOptions::default();
    options
        .settings
        .push(("RATE_LIMIT_TOKEN_PER_MINUTE", "3".into()));
    options
        .settings
        .push(("RATE_LIMIT_API_PER_MINUTE", "2".into()));
    let app = TestApp::spawn_with(backend, options).await;
    app.enrollees(0..2).await;
    let web = app.register(AppSpec::confidential("Busy App")).await;
    let code = fresh_code(&app, &web, &[], "BBUser00001").await;
    let (_, issued) = exchange(&app, &web, &code).await;
    let other = issued["access_token"].as_str().unwrap().to_string();
    let code = fresh_code(&app, &web, &[], "BBUser00000").await;
    let (status, issued) = exchange(&app, &web, &code).await;
    assert_eq!(status, 200);
    let access = issued["access_token"].as_str().unwrap();

    let res = http()
        .get(app.url(&format!("/v2/connect/userinfo?access_token={access}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    let first = userinfo(&app, access).await;
    assert_eq!(first.headers()["x-ratelimit-limit"], "2");
    assert_eq!(first.headers()["x-ratelimit-remaining"], "1");
    assert_eq!(userinfo(&app, access).await.status(), 200);
    let limited = userinfo(&app, access).await;
    assert_eq!(limited.status(), 429);
    assert!(
        limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    // The token's 429s are in the access log, up to the budget per token.
    for _ in 0..15 {
        assert_eq!(userinfo(&app, access).await.status(), 429);
    }
    // Records are queued before their responses go out and written in queue
    // order, so once this read's record is in, every refusal before it is.
    let read = userinfo(&app, &other).await;
    assert_eq!(read.status(), 200);
    let read_id = read.headers()["x-request-id"].to_str().unwrap().to_string();
    let logged = loop {
        let logged = api_access::Entity::find().all(&app.state.db).await.unwrap();
        if logged
            .iter()
            .any(|r| r.request_id.as_deref() == Some(read_id.as_str()))
        {
            break logged;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let throttled: Vec<_> = logged
        .iter()
        .filter(|r| r.interaction == "throttled")
        .collect();
    assert_eq!(
        throttled.len(),
        server::LOGGED_THROTTLES_PER_MINUTE as usize,
        "16 refusals, as many as the budget logged"
    );
    assert!(throttled.iter().all(|r| r.status == 429
        && r.resource == "userinfo"
        && r.token_id.is_some()
        && r.token_id == throttled[0].token_id
        && r.beneficiary_id.is_some()));
    assert_eq!(
        logged
            .iter()
            .filter(|r| r.status == 200 && r.token_id == throttled[0].token_id)
            .count(),
        2,
        "the same token's two served reads"
    );
    assert!(
        logged
            .iter()
            .any(|r| r.status == 200 && r.token_id != throttled[0].token_id),
        "the other token's read"
    );

    for _ in 0..2 {
        token_request(
            &app,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &web.client_id),
                ("client_secret", &web.client_secret),
            ],
        )
        .await;
    }
    let (status, _) = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &web.client_id),
            ("client_secret", &web.client_secret),
        ],
    )
    .await;
    assert_eq!(status, 429, "per-client limit on the token endpoint");
    app.stop().await;
}

async fn discovery_documents_describe_the_server(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in [
        "/.well-known/openid-configuration",
        "/v2/fhir/.well-known/smart-configuration",
        "/v1/fhir/.well-known/smart-configuration",
    ] {
        let doc: serde_json::Value = http()
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256"]),
            "{path}"
        );
        assert_eq!(doc["token_endpoint"], app.url("/v2/o/token/"), "{path}");
        let scopes = doc["scopes_supported"].as_array().unwrap();
        assert!(scopes
            .iter()
            .any(|s| s == "patient/ExplanationOfBenefit.read"));
    }
    app.stop().await;
}

db_tests!(
    authorization_code_flow_with_pkce_refresh_introspect_and_revoke,
    the_token_endpoint_takes_multipart_bodies_and_ignores_a_stray_bearer_header,
    the_negative_matrix,
    expired_codes_and_grants_stop_working,
    declining_demographics_removes_patient_and_profile,
    denying_and_implicit_grants_answer_the_redirect_uri,
    revoking_on_the_connected_apps_page_ends_access_at_once,
    reconsenting_replaces_earlier_tokens_and_one_time_access_has_no_refresh,
    tokens_in_query_strings_are_refused_and_limits_are_announced,
    discovery_documents_describe_the_server,
);
