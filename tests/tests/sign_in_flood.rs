//! A flood of anonymous sign-ins (issue 18), in a test binary of its own:
//! the password-hashing pool is per process, so a flood here would otherwise
//! turn away the sign-ins of tests running beside it.
use portal_tests::{db_tests, Backend, TestApp};

db_tests!(a_sign_in_flood_does_not_stall_the_server);

/// Password hashing is slow on purpose. An anonymous flood of sign-ins (here
/// 300 at once, for addresses that do not exist) must not take the server
/// with it: other requests are answered meanwhile, and attempts beyond what
/// the hashing pool can start within a moment get 429 with `Retry-After`.
async fn a_sign_in_flood_does_not_stall_the_server(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let flood_client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let flood: Vec<_> = (0..300)
        .map(|n| {
            let (client, base) = (flood_client.clone(), app.base.clone());
            tokio::spawn(async move {
                let res = client
                    .post(format!("{base}/api/log_in"))
                    .header("origin", &base)
                    .header("accept", "application/json")
                    .form(&[
                        ("email", format!("nobody-{n}@example.com")),
                        ("password", "guessing-a-password".to_string()),
                        ("next", String::new()),
                    ])
                    .send()
                    .await
                    .unwrap();
                let retry_after = res
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_string());
                (
                    res.status().as_u16(),
                    retry_after,
                    res.text().await.unwrap(),
                )
            })
        })
        .collect();
    // While the flood is being checked, the server still answers at once.
    let probe = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(2))
        .build()
        .unwrap();
    for _ in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let res = probe.get(app.url("/healthz")).send().await;
        assert!(
            res.is_ok_and(|r| r.status() == 200),
            "/healthz answers within 2 s during a sign-in flood"
        );
    }
    let (mut refused, mut busy) = (0, 0);
    for attempt in flood {
        let (status, retry_after, body) = attempt.await.unwrap();
        match status {
            429 => {
                busy += 1;
                assert_eq!(retry_after.as_deref(), Some("2"), "{body}");
                assert!(body.contains("Wait a few seconds"), "{body}");
            }
            _ => {
                refused += 1;
                assert!(body.contains("do not match"), "{status}: {body}");
            }
        }
    }
    assert!(
        busy > 0,
        "attempts beyond the hashing pool are turned away ({refused} checked)"
    );
    assert!(
        refused > 0,
        "attempts that got a slot were checked ({busy} turned away)"
    );
    app.stop().await;
}
