//! `/metrics` for a Prometheus scraper (issue 19): only with the scraper's
//! token, requests counted by route template (never a raw path), and the
//! levels an operator alerts on.
use portal_tests::{db_tests, fhir, Backend, TestApp, TestOptions};

db_tests!(metrics_need_the_token_and_count_what_an_operator_watches);

/// The value of the sample whose line starts with `prefix`, if any.
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn metrics_need_the_token_and_count_what_an_operator_watches(backend: Backend) {
    // Without the setting there is nothing to find.
    let plain = TestApp::spawn(Backend::Sqlite).await;
    let res = plain
        .client()
        .get(plain.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    plain.stop().await;

    let mut options = TestOptions::default();
    options
        .settings
        .push(("METRICS_TOKEN", "scrape-token-of-some-length".to_string()));
    let app = TestApp::spawn_with(backend, options).await;
    let scrape = |token: Option<&'static str>| {
        let mut request = app.client().get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let res = scrape(None).await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        scrape(Some("scrape-token-of-some-lengtH"))
            .await
            .unwrap()
            .status(),
        401
    );

    app.enrollees(0..1).await;
    let token = fhir::enrollee_token(&app, "BBUser00000").await;
    let (status, _, patient) = fhir::get(&app, &token, "/v2/fhir/Patient/").await;
    assert_eq!(status, 200);
    let patient_id = patient["entry"][0]["resource"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _, _) = fhir::get(&app, &token, &format!("/v2/fhir/Patient/{patient_id}")).await;
    assert_eq!(status, 200);
    let (status, _, _) = fhir::get(&app, &token, "/v2/fhir/Patient/").await;
    assert_eq!(status, 200);
    let missing = app
        .client()
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let res = scrape(Some("scrape-token-of-some-length")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = res.text().await.unwrap();
    let searches = sample(
        &text,
        "portal_http_requests_total{route=\"/v2/fhir/Patient/\",status=\"200\"}",
    );
    assert_eq!(searches, Some(2.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "portal_http_requests_total{route=\"/v2/fhir/Patient/{id}\",status=\"200\"}"
        ),
        Some(1.0),
        "a read is counted under its template: {text}"
    );
    assert!(!text.contains(&patient_id), "no raw path is a label");
    assert!(
        sample(&text, "portal_http_request_duration_seconds_count{route=\"/v2/fhir/Patient/\",status=\"200\"}") == Some(2.0)
            && text.contains("portal_http_request_duration_seconds_bucket{route=\"/v2/fhir/Patient/\",status=\"200\",le=\"+Inf\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("route=\"unmatched\",status=\"404\"") || text.contains(",status=\"404\"}"),
        "{text}"
    );
    assert!(sample(&text, "portal_db_pool_connections{state=\"idle\"}").is_some());
    assert!(sample(&text, "portal_db_pool_max_connections").unwrap() >= 1.0);
    assert!(sample(&text, "portal_outbox_messages{status=\"pending\"}").is_some());
    assert!(sample(&text, "portal_outbox_oldest_waiting_seconds").is_some());
    assert_eq!(sample(&text, "portal_access_log_writing"), Some(1.0));
    assert!(sample(&text, "portal_access_log_queue_depth").is_some());
    assert!(
        sample(&text, "portal_cache_hits_total{cache=\"access\"}").unwrap() >= 1.0,
        "the second read's token came from the cache: {text}"
    );
    // The start-up retention run counts once it has finished.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let text = loop {
        let text = scrape(Some("scrape-token-of-some-length"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if sample(&text, "portal_job_runs_total{job=\"retention\"}").is_some() {
            break text;
        }
        assert!(std::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(
        sample(&text, "portal_job_failures_total{job=\"retention\"}"),
        Some(0.0)
    );
    app.stop().await;
}
