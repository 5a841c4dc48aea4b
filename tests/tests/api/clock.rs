//! The portal keeps working whatever date its clock reads (issue 17).
//!
//! Until issue 17 a session cookie's Max-Age was measured by the wall clock
//! while the session's expiry came from the portal's clock, so every test that
//! pinned a date signed its users out once that date had passed. These tests
//! move the clock years away from today, in both directions, and use the
//! portal as its users would; the last one keeps any new reading of the wall
//! clock from creeping back in.
use chrono::{DateTime, Duration, Utc};
use portal_tests::{
    access::{start_application, verified_account, PASSWORD},
    db_tests, location,
    oauth::{read_with, token_for, AppSpec},
    Backend, TestApp,
};
use server::{
    entities::audit_event,
    ids::Role,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter},
};

db_tests!(signs_in_browses_and_signs_out_years_in_the_past_and_the_future);

/// Today's wall time, read through a fresh clock (which starts at the wall).
fn today() -> DateTime<Utc> {
    server::Clock::default().now()
}

async fn signs_in_browses_and_signs_out_years_in_the_past_and_the_future(backend: Backend) {
    for (years, label) in [(-7, "seven years ago"), (9, "nine years ahead")] {
        let app = TestApp::spawn(backend.clone()).await;
        let at = today() + Duration::days(365 * years);
        app.set_clock(at);

        let email = format!("time-{}@example.com", years.abs());
        verified_account(&app, &email, Role::Developer).await;

        let dev = app.client();
        let res = app
            .post_form(
                &dev,
                "log_in",
                &[("email", &email), ("password", PASSWORD), ("next", "")],
            )
            .await;
        assert_eq!(location(&res), "/account", "{label}: signs in");
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("bb_session="))
            .expect("a session cookie");
        // 12 hours less the moment between starting the session and writing
        // the header (the clock runs on); a wall-clock Max-Age was 0 here in
        // the past and years too long in the future.
        let max_age: i64 = cookie
            .split("Max-Age=")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .and_then(|n| n.parse().ok())
            .expect("a Max-Age");
        assert!(
            (43_140..=43_200).contains(&max_age),
            "{label}: the cookie lives the session's 12 hours by the portal's clock: {cookie}"
        );

        let account = dev.get(app.url("/account")).send().await.unwrap();
        assert_eq!(account.status(), 200, "{label}: still signed in");
        assert!(account.text().await.unwrap().contains("Pat Applicant"));
        // Registers an app, opens its production page and starts an
        // application: the pages the pinned-date tests were locked out of.
        let application = start_application(&app, &dev, "Clockwise Claims").await;
        assert!(!application.is_empty());

        app.enrollees(0..1).await;
        let registered = app.register(AppSpec::confidential("Time Traveller")).await;
        let token = token_for(
            &app,
            "",
            &registered.client_id,
            &registered.client_secret,
            &registered.redirect_uri,
            "BBUser00000",
        )
        .await;
        let (status, body) = read_with(&app, "/v2/fhir/Patient/", &token).await;
        assert_eq!(
            status, 200,
            "{label}: an app reads with a fresh token: {body}"
        );
        let bundle: serde_json::Value = serde_json::from_str(&body).unwrap();
        let updated = bundle["meta"]["lastUpdated"].as_str().unwrap();
        assert!(
            updated.starts_with(&at.format("%Y-").to_string()),
            "{label}: the Bundle is stamped by the portal's clock: {updated}"
        );

        let res = app.post_form(&dev, "log_out", &[]).await;
        assert_eq!(location(&res), "/login?signed_out=1", "{label}");
        let after = dev.get(app.url("/account")).send().await.unwrap();
        assert_eq!(
            location(&after),
            "/login?next=/account",
            "{label}: signed out"
        );

        let login = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("account.login"))
            .one(&app.state.db)
            .await
            .unwrap()
            .expect("the sign-in is audited");
        assert!(
            (login.occurred_at - at).num_minutes().abs() < 5,
            "{label}: audited at the portal's time, not the wall's: {}",
            login.occurred_at
        );
        app.stop().await;
    }
}

/// Every read of the current time goes through `server::Clock`. The wall
/// clock is read only by the clock itself and by S3 request signing, whose
/// server checks the wall time (each says why where it does so).
#[test]
fn no_code_reads_the_wall_clock_but_the_clock_itself() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let allowed = ["server/src/lib.rs", "server/src/blobs/s3.rs"];
    // Spelled in pieces so that this file does not match itself.
    let readers = ["Utc", "Local", "SystemTime", "OffsetDateTime"].map(|t| format!("{t}::now("));
    let mut offenders = Vec::new();
    let mut scanned = 0;
    for dir in [
        "server/src",
        "app/src",
        "app/tests",
        "tests/src",
        "tests/tests",
    ] {
        let mut stack = vec![root.join(dir)];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            scanned += 1;
            let relative = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if allowed.contains(&relative.as_str()) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                if readers.iter().any(|r| line.contains(r.as_str())) {
                    offenders.push(format!("{relative}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(scanned > 50, "the scan found the sources ({scanned} files)");
    assert!(
        offenders.is_empty(),
        "read the time from the injected server::Clock instead:\n{}",
        offenders.join("\n")
    );
}
