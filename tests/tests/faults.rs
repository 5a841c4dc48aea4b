//! Faults and hostile input (issue 19): a panic anywhere becomes a 500 with
//! the request id instead of a dropped connection, and the inputs that used
//! to panic get the answer they deserve.
use axum::{routing::get, Router};
use portal_tests::{access::*, db_tests, fhir, location, Backend, TestApp};
use server::ids::Role;

async fn boom() -> &'static str {
    panic!("on purpose")
}

/// Routes that panic on purpose, inside the portal's own layer stack.
async fn panicking_server(app: &TestApp) -> String {
    let routes = Router::new()
        .route("/boom", get(boom))
        .route("/v2/fhir/Patient/boom", get(boom))
        .route("/fine", get(|| async { "still serving" }));
    let router = app::serve::with_common_layers(routes, &app.state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_answers_500_with_its_request_id() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let base = panicking_server(&app).await;
    // One client, so later requests reuse the connection the panic happened on.
    let client = reqwest::Client::new();
    let page = client
        .get(format!("{base}/boom"))
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(page.status(), 500);
    let id = page.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(
        page.headers()["content-security-policy"].to_str().is_ok(),
        "headers still set"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Something went wrong") && html.contains(&id),
        "{html}"
    );

    let fhir = client
        .get(format!("{base}/v2/fhir/Patient/boom"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(fhir.status(), 500);
    let outcome: serde_json::Value = fhir.json().await.unwrap();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert_eq!(outcome["issue"][0]["code"], "exception");

    let after = client.get(format!("{base}/fine")).send().await.unwrap();
    assert_eq!(after.text().await.unwrap(), "still serving");
    app.stop().await;
}

async fn inputs_that_used_to_panic_get_a_clear_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    let token = fhir::enrollee_token(&app, "BBUser00000").await;
    let (status, _, outcome) = fhir::get(
        &app,
        &token,
        "/v2/fhir/ExplanationOfBenefit/?startIndex=18446744073709551615",
    )
    .await;
    assert_eq!(status, 400, "{outcome}");
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert!(outcome.to_string().contains("startIndex must be at most"));
    // The largest offset there is is a valid, empty page without a next link.
    let (status, _, bundle) = fhir::get(
        &app,
        &token,
        "/v2/fhir/ExplanationOfBenefit/?startIndex=9223372036854775807&_count=50",
    )
    .await;
    assert_eq!(status, 200, "{bundle}");
    assert!(fhir::entries(&bundle).is_empty());
    assert_eq!(fhir::link(&bundle, "next"), None);

    // The test client with an app that is not one of yours: 404, said plainly.
    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let other = account(&app, "eve@other.example.com", Role::Developer).await;
    let res = app
        .post_form(
            &other,
            "apps/register",
            &[
                ("name", "Eve's App"),
                ("description", "Not yours."),
                ("website_url", "https://eve.example.com"),
                ("privacy_policy_url", "https://eve.example.com/privacy"),
                ("terms_url", "https://eve.example.com/terms"),
                ("support_email", "help@eve.example.com"),
                ("support_phone", "+1 410-555-0101"),
                ("client_type", "confidential"),
                ("grant_type", "authorization-code"),
                ("redirect_uris", "https://eve.example.com/callback"),
                ("requires_demographics", "yes"),
                ("accept_terms", "yes"),
            ],
        )
        .await;
    let eves = location(&res)
        .trim_start_matches("/apps/")
        .trim_end_matches("?created=1")
        .to_string();
    start_application(&app, &dev, "Acme Claims Viewer").await;
    for app_param in [
        eves.as_str(),
        "not-an-id",
        "00000000-0000-0000-0000-000000000000",
    ] {
        let res = dev
            .get(app.url(&format!("/test-client?app={app_param}")))
            .send()
            .await
            .expect("an answer, not a dropped connection");
        assert_eq!(res.status(), 404, "app={app_param}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("That app is not one of your sandbox apps"),
            "{html}"
        );
        assert!(!html.contains("Eve"), "nothing of the other app is shown");
    }
    app.stop().await;
}

/// A refusal or a field error is the caller's (4xx), so that a 5xx alert
/// means something broke on our side.
async fn server_functions_answer_with_the_status_of_their_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    verified_account(&app, "dev@acme.example.com", Role::Developer).await;
    let anonymous = app.client();
    let wrong = app
        .post_form(
            &anonymous,
            "log_in",
            &[
                ("email", "dev@acme.example.com"),
                ("password", "not-it-at-all"),
                ("next", ""),
            ],
        )
        .await;
    assert_eq!(
        wrong.status(),
        400,
        "a wrong password is the caller's fault"
    );
    assert!(wrong.text().await.unwrap().contains("do not match"));
    let fields = app
        .post_form(
            &anonymous,
            "sign_up",
            &[
                ("name", ""),
                ("email", "not an email"),
                ("organization", ""),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(fields.status(), 400);
    assert!(fields.text().await.unwrap().contains("email"));
    let garbled = app
        .post_form(&anonymous, "log_in", &[("nothing", "useful")])
        .await;
    assert_eq!(garbled.status(), 400, "arguments that do not parse");
    let signed_out = app.post_form(&anonymous, "admin/audit", &[]).await;
    assert_eq!(signed_out.status(), 401);
    let dev = sign_in(&app, "dev@acme.example.com").await;
    let forbidden = app.post_form(&dev, "admin/audit", &[]).await;
    assert_eq!(forbidden.status(), 403);
    assert!(forbidden.text().await.unwrap().contains("Forbidden"));
    // Success is untouched.
    let viewer = app.post_form(&dev, "viewer", &[]).await;
    assert_eq!(viewer.status(), 200);
    app.stop().await;
}

db_tests!(
    inputs_that_used_to_panic_get_a_clear_answer,
    server_functions_answer_with_the_status_of_their_error,
);
