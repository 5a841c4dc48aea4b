//! Re-review campaigns over HTTP on both databases, on the portal's clock: an
//! admin publishes new terms and attestations with a deadline; contacts are
//! reminded 30, 14, 7 and 1 days before, once each; at the deadline the app
//! that has not re-attested is suspended and its token refused; re-attesting
//! restores it with the same credentials. An app that re-attests in time is
//! left alone.
use chrono::{DateTime, TimeZone, Utc};
use portal_tests::{
    access::*,
    db_tests, location,
    oauth::{read_with, token_for},
    Backend, TestApp,
};
use server::{entities::suspension, ids::Role, sea_orm::EntityTrait};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn campaign<'a>(deadline: &'a str, confirm: bool) -> Vec<(&'static str, &'a str)> {
    let mut form = vec![
        ("title", "Spring 2027 re-review"),
        ("terms_version", "2027-02"),
        (
            "terms_text",
            "Apps must delete an enrollee's data within 30 days of a revocation.",
        ),
        (
            "attestations",
            "Our privacy policy says how long we keep data.\nWe never sell Medicare data.",
        ),
        ("deadline", deadline),
    ];
    if confirm {
        form.push(("confirm", "yes"));
    }
    form
}

async fn reminded_on_the_right_days_suspended_at_the_deadline_and_restored_by_re_attesting(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..1).await;
    // Monday, January 4, 2027, 10:00 Eastern.
    app.set_clock(utc(2027, 1, 4, 15, 0));
    let admin = account(&app, "ada@cms.example.gov", Role::Admin).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let live = live_production_app(&app, &reviewer).await;
    let rid = live.request_id.clone();

    // The preview names the live app before anything is sent.
    let admin_page = page(&app, &admin, "/admin/campaigns").await;
    let preview = &admin_page[admin_page.find("id=\"campaign-preview\"").expect("preview")..];
    assert!(
        preview[..preview.find("</ul>").unwrap()].contains("Acme Claims Viewer"),
        "{admin_page}"
    );
    // Not confirmed, or too soon: refused, nothing sent.
    let body = app
        .post_form(
            &admin,
            "admin/campaigns/start",
            &campaign("2027-02-12", false),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("Tick the box to confirm"), "{body}");
    let body = app
        .post_form(
            &admin,
            "admin/campaigns/start",
            &campaign("2027-01-04", true),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("at least one day from now"), "{body}");
    // Developers cannot start one.
    let res = app
        .post_form(
            &live.developer,
            "admin/campaigns/start",
            &campaign("2027-02-12", true),
        )
        .await;
    assert!(!res.status().is_success());
    assert_eq!(app.queued_mail("Re-review required").await, 0);

    // Deadline: the end of Friday, February 12, Eastern (04:59 UTC on the 13th).
    let res = app
        .post_form(
            &admin,
            "admin/campaigns/start",
            &campaign("2027-02-12", true),
        )
        .await;
    assert_eq!(location(&res), "/admin/campaigns?started=1");
    let asked = app
        .smtp
        .wait_for("privacy@acme.example.com", "Re-review required")
        .await;
    let link = asked
        .link_containing("/re-review/")
        .expect("a link to the re-review");
    let re_review_path = link[link.find("/access/").unwrap()..].to_string();
    assert!(re_review_path.starts_with(&format!("/access/{rid}/re-review/")));

    // Reminders: none 39 days out, then one per window, each once.
    let remind = |at: DateTime<Utc>| {
        let app = &app;
        async move {
            app.set_clock(at);
            server::campaigns::send_reminders(&app.state.db, &app.state.notifier(), at)
                .await
                .unwrap();
            server::campaigns::send_reminders(&app.state.db, &app.state.notifier(), at)
                .await
                .unwrap();
        }
    };
    remind(utc(2027, 1, 5, 15, 0)).await;
    assert_eq!(app.queued_mail("Re-review due").await, 0);
    for (at, subject) in [
        (utc(2027, 1, 14, 5, 0), "Re-review due in 30 days"),
        (utc(2027, 1, 30, 5, 0), "Re-review due in 14 days"),
        (utc(2027, 2, 6, 5, 0), "Re-review due in 7 days"),
        (utc(2027, 2, 12, 5, 0), "Re-review due in 1 day:"),
    ] {
        // A minute before the window opens: nothing new.
        let before = app.queued_mail("Re-review due").await;
        remind(at - chrono::Duration::minutes(2)).await;
        assert_eq!(
            app.queued_mail("Re-review due").await,
            before,
            "{subject} early"
        );
        remind(at).await;
        assert_eq!(app.queued_mail(subject).await, 1, "{subject}");
        app.smtp.wait_for("cto@acme.example.com", subject).await;
    }
    assert_eq!(app.queued_mail("Re-review due").await, 4);

    // An hour before the deadline the app still works.
    app.set_clock(utc(2027, 2, 13, 4, 0));
    let token = token_for(
        &app,
        "/production",
        &live.client_id,
        &live.client_secret,
        "https://app.example.com/callback",
        "BBUser00000",
    )
    .await;
    assert_eq!(
        read_with(&app, "/production/v2/fhir/Patient/", &token)
            .await
            .0,
        200
    );

    // The deadline passes: suspended once, its token refused with the reason.
    let deadline = utc(2027, 2, 13, 5, 0);
    app.set_clock(deadline);
    server::campaigns::enforce_deadlines(&app.state.db, &app.state.notifier(), deadline)
        .await
        .unwrap();
    server::campaigns::enforce_deadlines(&app.state.db, &app.state.notifier(), deadline)
        .await
        .unwrap();
    let suspensions = suspension::Entity::find().all(&app.state.db).await.unwrap();
    assert_eq!(suspensions.len(), 1);
    let (status, body) = read_with(&app, "/production/v2/fhir/Patient/", &token).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("Missed the re-review deadline"), "{body}");
    app.smtp
        .wait_for("dev@acme.example.com", "API access suspended")
        .await;
    let admin = sign_in(&app, "ada@cms.example.gov").await;
    let admin_page = page(&app, &admin, "/admin/campaigns").await;
    assert!(
        admin_page.contains("Suspended: missed the deadline"),
        "{admin_page}"
    );

    // Re-attesting: every statement is required; then access is back at once.
    let dev = sign_in(&app, "dev@acme.example.com").await;
    let re_review = page(&app, &dev, &re_review_path).await;
    assert!(
        re_review.contains("Re-attesting restores it"),
        "{re_review}"
    );
    let campaign_id = re_review_path.rsplit('/').next().unwrap().to_string();
    let body = app
        .post_form(
            &dev,
            "campaigns/attest",
            &[
                ("request_id", &rid),
                ("campaign_id", &campaign_id),
                ("accept_terms", "yes"),
                ("attest[0]", "yes"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("Attest every statement"), "{body}");
    let res = app
        .post_form(
            &dev,
            "campaigns/attest",
            &[
                ("request_id", &rid),
                ("campaign_id", &campaign_id),
                ("accept_terms", "yes"),
                ("attest[0]", "yes"),
                ("attest[1]", "yes"),
            ],
        )
        .await;
    assert_eq!(location(&res), format!("{re_review_path}?attested=1"));
    assert_eq!(
        read_with(&app, "/production/v2/fhir/Patient/", &token)
            .await
            .0,
        200
    );
    let done = app
        .smtp
        .wait_for("privacy@acme.example.com", "Re-review complete")
        .await;
    assert!(done
        .text()
        .contains("suspension for the missed deadline is lifted"));
    // Someone else's attestation is refused as if the campaign did not exist.
    let stranger = account(&app, "eve@other.example.com", Role::Developer).await;
    let body = app
        .post_form(
            &stranger,
            "campaigns/attest",
            &[
                ("request_id", &rid),
                ("campaign_id", &campaign_id),
                ("accept_terms", "yes"),
                ("attest[0]", "yes"),
                ("attest[1]", "yes"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("does not exist or is not yours"), "{body}");

    // A second campaign, answered in time: nobody is suspended at its deadline.
    let admin = sign_in(&app, "ada@cms.example.gov").await;
    let res = app
        .post_form(
            &admin,
            "admin/campaigns/start",
            &campaign("2027-03-31", true),
        )
        .await;
    assert_eq!(location(&res), "/admin/campaigns?started=1");
    let mut links: Vec<String> = Vec::new();
    for _ in 0..100 {
        links = app
            .smtp
            .messages()
            .await
            .into_iter()
            .filter(|m| {
                m.to.iter().any(|t| t == "privacy@acme.example.com")
                    && m.subject().contains("Re-review required")
            })
            .filter_map(|m| m.link_containing("/re-review/"))
            .collect();
        if links.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let second = links
        .iter()
        .find(|l| !l.ends_with(&campaign_id))
        .expect("the second request");
    let second_id = second.rsplit('/').next().unwrap().to_string();
    let status_page = page(&app, &dev, &format!("/access/{rid}")).await;
    assert!(
        status_page.contains(&format!("/re-review/{second_id}")),
        "the status page links the pending re-review"
    );
    let res = app
        .post_form(
            &dev,
            "campaigns/attest",
            &[
                ("request_id", &rid),
                ("campaign_id", &second_id),
                ("accept_terms", "yes"),
                ("attest[0]", "yes"),
                ("attest[1]", "yes"),
            ],
        )
        .await;
    assert!(location(&res).ends_with("?attested=1"));
    let admin_page = page(&app, &admin, "/admin/campaigns").await;
    assert!(
        admin_page.contains("Every app has re-attested: none will be suspended."),
        "{admin_page}"
    );
    let after = utc(2027, 4, 1, 5, 0);
    app.set_clock(after);
    server::campaigns::enforce_deadlines(&app.state.db, &app.state.notifier(), after)
        .await
        .unwrap();
    assert_eq!(
        suspension::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .len(),
        1
    );
    let live_id = server::entities::application::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.environment == "production")
        .unwrap()
        .id;
    assert_eq!(
        server::suspensions::active_reason(
            &app.state.db,
            live_id,
            server::apps::Environment::Production
        )
        .await
        .unwrap(),
        None
    );
    app.stop().await;
}

/// `client` books demo `slot` for the application `rid`.
async fn book(app: &TestApp, client: &reqwest::Client, rid: &str, slot: &str) -> reqwest::Response {
    app.post_form(client, "review/book", &[("id", rid), ("slot", slot)])
        .await
}

/// A campaign that asks for a new demo: a live app may book one of the
/// reviewers' slots only then, stays live while it is booked and held, and
/// the admin's page shows it passed once the reviewer records the outcome.
async fn a_campaign_that_asks_for_a_demo_lets_the_live_app_book_one_and_records_it(
    backend: Backend,
) {
    use server::entities::{access_request, campaign_app};
    let app = TestApp::spawn(backend).await;
    app.set_clock(utc(2027, 1, 4, 15, 0));
    let admin = account(&app, "ada@cms.example.gov", Role::Admin).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let live = live_production_app(&app, &reviewer).await;
    let rid = live.request_id.clone();
    let dev = &live.developer;
    let slot = publish_slot(&app, &reviewer, 48).await;
    let state_of = || async {
        access_request::Entity::find_by_id(rid.parse::<uuid::Uuid>().unwrap())
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .state
    };

    // No campaign asks for a demo: a live app cannot book one.
    let body = book(&app, dev, &rid, &slot).await.text().await.unwrap();
    assert!(
        body.contains("not possible while the application is live"),
        "{body}"
    );
    assert!(!page(&app, dev, &format!("/access/{rid}"))
        .await
        .contains("id=\"re-review-demo\""));

    let mut form = campaign("2027-02-12", true);
    form.push(("demo_required", "yes"));
    let res = app.post_form(&admin, "admin/campaigns/start", &form).await;
    assert_eq!(location(&res), "/admin/campaigns?started=1");
    let asked = app
        .smtp
        .wait_for("privacy@acme.example.com", "Re-review required")
        .await;
    assert!(asked.text().contains("new 1-hour demo"), "{}", asked.text());
    let overview = page(&app, dev, &format!("/access/{rid}")).await;
    assert!(overview.contains("id=\"re-review-demo\""), "{overview}");
    let admin_page = page(&app, &admin, "/admin/campaigns").await;
    assert!(admin_page.contains("Not held yet"), "{admin_page}");

    // Another developer cannot book it for them.
    let booked_before = app.queued_mail("Demo booked").await;
    let stranger = account(&app, "eve@other.example.com", Role::Developer).await;
    let body = book(&app, &stranger, &rid, &slot)
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("could not find that application"), "{body}");
    assert_eq!(app.queued_mail("Demo booked").await, booked_before);

    let res = book(&app, dev, &rid, &slot).await;
    assert_eq!(location(&res), format!("/access/{rid}?booked=1#demo"));
    app.smtp
        .wait_for("privacy@acme.example.com", "Demo booked")
        .await;
    assert_eq!(state_of().await, "live");
    let review = page(&app, &reviewer, &format!("/review/{rid}")).await;
    assert!(review.contains("id=\"record-demo-form\""), "{review}");

    // "Another demo needed" keeps it owed; "passed" settles it.
    let res = app
        .post_form(
            &reviewer,
            "review/record_demo",
            &[("id", &rid), ("outcome", "another_demo")],
        )
        .await;
    assert_eq!(
        location(&res),
        format!("/review/{rid}?demo_recorded=1#demo")
    );
    assert!(
        server::campaigns::demo_requested(&app.state.db, rid.parse().unwrap())
            .await
            .unwrap()
    );
    let again = publish_slot(&app, &reviewer, 72).await;
    book(&app, dev, &rid, &again).await;
    let res = app
        .post_form(
            &reviewer,
            "review/record_demo",
            &[
                ("id", &rid),
                ("outcome", "passed"),
                ("notes[sharing]", "No sharing."),
            ],
        )
        .await;
    assert_eq!(
        location(&res),
        format!("/review/{rid}?demo_recorded=1#demo")
    );
    app.smtp
        .wait_for_saying(
            "privacy@acme.example.com",
            "Demo outcome",
            "completes the demo the re-review asked for",
        )
        .await;
    assert_eq!(state_of().await, "live");
    let rows = campaign_app::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(rows[0].demo_passed_at.is_some());
    let admin_page = page(&app, &admin, "/admin/campaigns").await;
    assert!(
        admin_page.contains("Passed January 4, 2027"),
        "{admin_page}"
    );
    // Owed no more: no third booking.
    let third = publish_slot(&app, &reviewer, 96).await;
    let body = book(&app, dev, &rid, &third).await.text().await.unwrap();
    assert!(
        body.contains("not possible while the application is live"),
        "{body}"
    );
    app.stop().await;
}

db_tests!(
    reminded_on_the_right_days_suspended_at_the_deadline_and_restored_by_re_attesting,
    a_campaign_that_asks_for_a_demo_lets_the_live_app_book_one_and_records_it
);

/// How many database sessions are waiting for a lock (PostgreSQL).
async fn waiting_on_locks(app: &TestApp) -> i64 {
    use server::sea_orm::{ConnectionTrait, Statement};
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// The deadline is enforced while the developer's re-attestation commits.
/// The interleaving that used to lose is forced on PostgreSQL: the test
/// holds the app's campaign row, both wait on it, then both go. In either
/// order, the attestation wins: the app is never left suspended after it
/// attested. (SQLite takes its write lock at BEGIN, so there the two
/// cannot interleave at all.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_re_attestation_at_the_deadline_is_never_left_suspended() {
    let Some(backend) = Backend::postgres() else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    for enforcement_first in [false, true] {
        let app = TestApp::spawn(backend.clone()).await;
        app.enrollees(0..1).await;
        app.set_clock(utc(2027, 1, 4, 15, 0));
        let admin = account(&app, "ada@cms.example.gov", Role::Admin).await;
        let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
        let live = live_production_app(&app, &reviewer).await;
        let res = app
            .post_form(
                &admin,
                "admin/campaigns/start",
                &campaign("2027-02-12", true),
            )
            .await;
        assert_eq!(location(&res), "/admin/campaigns?started=1");
        let campaign_id = server::entities::review_campaign::Entity::find()
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .id;
        let deadline = utc(2027, 2, 13, 5, 0);
        app.set_clock(deadline);
        let dev = sign_in(&app, "dev@acme.example.com").await;

        use server::sea_orm::{ConnectionTrait, TransactionTrait};
        let holder = app.state.db.begin().await.unwrap();
        holder
            .execute_unprepared(&format!(
                "SELECT 1 FROM campaign_apps WHERE campaign_id = '{campaign_id}' FOR UPDATE"
            ))
            .await
            .unwrap();
        let attest = {
            let (url, origin, rid) = (
                app.url("/api/campaigns/attest"),
                app.base.clone(),
                live.request_id.clone(),
            );
            let campaign_id = campaign_id.to_string();
            move || {
                tokio::spawn(async move {
                    dev.post(url)
                        .header("origin", origin)
                        .header("accept", "application/json")
                        .form(&[
                            ("request_id", rid.as_str()),
                            ("campaign_id", campaign_id.as_str()),
                            ("accept_terms", "yes"),
                            ("attest[0]", "yes"),
                            ("attest[1]", "yes"),
                        ])
                        .send()
                        .await
                        .unwrap()
                })
            }
        };
        let enforce = {
            let state = app.state.clone();
            move || {
                let state = state.clone();
                tokio::spawn(async move {
                    server::campaigns::enforce_deadlines(&state.db, &state.notifier(), deadline)
                        .await
                })
            }
        };
        let wait_for_waiters = |n: i64| {
            let app = &app;
            async move {
                for _ in 0..200 {
                    if waiting_on_locks(app).await >= n {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                }
                panic!("{n} sessions never waited on the held row");
            }
        };
        let (attested, enforced) = if enforcement_first {
            let enforced = enforce();
            wait_for_waiters(1).await;
            let attested = attest();
            wait_for_waiters(2).await;
            (attested, enforced)
        } else {
            let attested = attest();
            wait_for_waiters(1).await;
            let enforced = enforce();
            wait_for_waiters(2).await;
            (attested, enforced)
        };
        holder.commit().await.unwrap();
        let attested = attested.await.unwrap();
        assert!(
            location(&attested).ends_with("?attested=1"),
            "the attestation went through (enforcement first: {enforcement_first})"
        );
        enforced.await.unwrap().unwrap();
        let active: Vec<_> = suspension::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|s| s.lifted_at.is_none())
            .collect();
        assert!(
            active.is_empty(),
            "attested, yet suspended (enforcement first: {enforcement_first}): {active:?}"
        );
        app.stop().await;
    }
}
