//! Incident response over HTTP on both databases (seed 004): an admin
//! suspends one app or all production access, its tokens are refused with a
//! body naming the suspension, the token endpoint and the authorization screen
//! refuse it, and restoring brings it back with the same credentials; forced
//! re-authentication ends every grant. Admin-only, confirmed, audited, emailed.
use portal_tests::{
    access::*,
    db_tests, location,
    oauth::{authorize_url_at, client_post, read_with, token_for, AppSpec},
    Backend, TestApp,
};
use server::{entities::audit_event, ids::Role, sea_orm::EntityTrait};

async fn suspended_apps_are_refused_everywhere_and_come_back_with_the_same_credentials(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    app.enrollees(0..2).await;
    let admin = account(&app, "ada@cms.example.gov", Role::Admin).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;
    let sandbox = app.register(AppSpec::confidential("Sandbox Tracker")).await;
    let sandbox_token = token_for(
        &app,
        "",
        &sandbox.client_id,
        &sandbox.client_secret,
        &sandbox.redirect_uri,
        "BBUser00000",
    )
    .await;
    let live = live_production_app(&app, &reviewer).await;
    let (prod_id, prod_secret) = (live.client_id, live.client_secret);
    let prod_token = token_for(
        &app,
        "/production",
        &prod_id,
        &prod_secret,
        "https://app.example.com/callback",
        "BBUser00001",
    )
    .await;
    assert_eq!(
        read_with(
            &app,
            "/production/v2/fhir/ExplanationOfBenefit/",
            &prod_token
        )
        .await
        .0,
        200
    );

    // Only admins, and only when confirmed, with a reason.
    let res = app
        .post_form(
            &reviewer,
            "admin/incidents/suspend",
            &[("target", "all"), ("reason", "x"), ("confirm", "yes")],
        )
        .await;
    assert!(res.text().await.unwrap().contains("Forbidden"));
    let res = app
        .post_form(
            &admin,
            "admin/incidents/suspend",
            &[("target", "all"), ("reason", "Investigating a data mix-up")],
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Tick the box to confirm"));
    let res = app
        .post_form(
            &admin,
            "admin/incidents/suspend",
            &[("target", "all"), ("reason", " "), ("confirm", "yes")],
        )
        .await;
    assert!(res.text().await.unwrap().contains("Give the reason"));

    // All production access at once: production refused, the sandbox untouched.
    let res = app
        .post_form(
            &admin,
            "admin/incidents/suspend",
            &[
                ("target", "all"),
                ("reason", "Investigating a data mix-up"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/admin/incidents?suspended=1");
    let (status, body) = read_with(
        &app,
        "/production/v2/fhir/ExplanationOfBenefit/",
        &prod_token,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("suspended") && body.contains("Investigating a data mix-up"),
        "{body}"
    );
    assert!(body.contains("OperationOutcome"), "{body}");
    assert_eq!(
        read_with(&app, "/v2/fhir/ExplanationOfBenefit/", &sandbox_token)
            .await
            .0,
        200
    );
    let (status, body) = client_post(
        &app,
        "/production/v2/o/token/",
        &prod_id,
        &prod_secret,
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "unauthorized_client");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("suspended"));
    let screen = page(
        &app,
        &app.client(),
        &authorize_url_at(
            &app,
            "/production/v2/o/authorize/",
            &[
                ("response_type", "code"),
                ("client_id", &prod_id),
                ("redirect_uri", "https://app.example.com/callback"),
            ],
        )
        .replacen(&app.base, "", 1),
    )
    .await;
    assert!(
        screen.contains("cannot connect to Medicare right now"),
        "{screen}"
    );
    app.smtp
        .wait_for(
            "dev@acme.example.com",
            "API access suspended: all production apps",
        )
        .await;
    let admin_page = page(&app, &admin, "/admin/incidents").await;
    assert!(
        admin_page.contains("All production access")
            && admin_page.contains("Investigating a data mix-up"),
        "{admin_page}"
    );

    // Restored: the same token works again, nothing re-registered.
    let suspension = server::incidents::active(&app.state.db)
        .await
        .unwrap()
        .remove(0)
        .id
        .to_string();
    let res = app
        .post_form(&admin, "admin/incidents/restore", &[("id", &suspension)])
        .await;
    assert!(res.text().await.unwrap().contains("Tick the box"));
    let res = app
        .post_form(
            &admin,
            "admin/incidents/restore",
            &[("id", &suspension), ("confirm", "yes")],
        )
        .await;
    assert_eq!(location(&res), "/admin/incidents?restored=1");
    assert_eq!(
        read_with(
            &app,
            "/production/v2/fhir/ExplanationOfBenefit/",
            &prod_token
        )
        .await
        .0,
        200
    );
    app.smtp
        .wait_for(
            "dev@acme.example.com",
            "API access restored: all production apps",
        )
        .await;

    // One app (the sandbox app here): its tokens and userinfo refused, other apps fine.
    let res = app
        .post_form(
            &admin,
            "admin/incidents/suspend",
            &[
                ("target", &sandbox.id.to_string()),
                ("reason", "Sent data to the wrong user"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/admin/incidents?suspended=1");
    let (status, body) = read_with(&app, "/v2/fhir/Patient/", &sandbox_token).await;
    assert_eq!(status, 403);
    assert!(body.contains("Sent data to the wrong user"), "{body}");
    assert_eq!(
        read_with(
            &app,
            "/production/v2/fhir/ExplanationOfBenefit/",
            &prod_token
        )
        .await
        .0,
        200
    );
    let userinfo = reqwest::Client::new()
        .get(app.url("/v2/connect/userinfo"))
        .bearer_auth(&sandbox_token)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 403);
    let again = app
        .post_form(
            &admin,
            "admin/incidents/suspend",
            &[
                ("target", &sandbox.id.to_string()),
                ("reason", "Twice"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert!(again.text().await.unwrap().contains("already suspended"));
    let suspension = server::incidents::active(&app.state.db)
        .await
        .unwrap()
        .remove(0)
        .id
        .to_string();
    app.post_form(
        &admin,
        "admin/incidents/restore",
        &[("id", &suspension), ("confirm", "yes")],
    )
    .await;
    assert_eq!(
        read_with(&app, "/v2/fhir/Patient/", &sandbox_token).await.0,
        200
    );

    // Suspending the live production app itself hides it from the public
    // directory until it is restored.
    use server::sea_orm::{ColumnTrait, QueryFilter};
    let prod_app = server::entities::application::Entity::find()
        .filter(server::entities::application::Column::ClientId.eq(prod_id.as_str()))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    assert!(page(&app, &app.client(), "/directory")
        .await
        .contains("Acme Claims Viewer"));
    app.post_form(
        &admin,
        "admin/incidents/suspend",
        &[
            ("target", &prod_app),
            ("reason", "Under review"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert!(!page(&app, &app.client(), "/directory")
        .await
        .contains("Acme Claims Viewer"));
    assert_eq!(
        read_with(
            &app,
            "/production/v2/fhir/ExplanationOfBenefit/",
            &prod_token
        )
        .await
        .0,
        403
    );
    let suspension = server::incidents::active(&app.state.db)
        .await
        .unwrap()
        .remove(0)
        .id
        .to_string();
    app.post_form(
        &admin,
        "admin/incidents/restore",
        &[("id", &suspension), ("confirm", "yes")],
    )
    .await;
    assert!(page(&app, &app.client(), "/directory")
        .await
        .contains("Acme Claims Viewer"));
    assert_eq!(
        read_with(
            &app,
            "/production/v2/fhir/ExplanationOfBenefit/",
            &prod_token
        )
        .await
        .0,
        200
    );

    // Forced re-authentication: every grant and token of the app ends.
    let res = app
        .post_form(
            &admin,
            "admin/incidents/reauthenticate",
            &[("target", "all")],
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Tick the box to confirm"));
    let res = app
        .post_form(
            &admin,
            "admin/incidents/reauthenticate",
            &[("target", "all"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(location(&res), "/admin/incidents?reauthenticated=1");
    assert_eq!(
        read_with(
            &app,
            "/production/v2/fhir/ExplanationOfBenefit/",
            &prod_token
        )
        .await
        .0,
        401
    );
    assert_eq!(
        read_with(&app, "/v2/fhir/Patient/", &sandbox_token).await.0,
        200,
        "only production apps were chosen"
    );
    // Consenting again works.
    let fresh = token_for(
        &app,
        "/production",
        &prod_id,
        &prod_secret,
        "https://app.example.com/callback",
        "BBUser00001",
    )
    .await;
    assert_eq!(
        read_with(&app, "/production/v2/fhir/ExplanationOfBenefit/", &fresh)
            .await
            .0,
        200
    );

    // An incident notice reaches every contact of the production apps, one
    // email each, and the admin page follows each delivery.
    let notice = [
        ("target", "all"),
        ("subject", "Incident update"),
        ("body", "We found the cause.\n\nNo action is needed."),
    ];
    let res = app
        .post_form(&admin, "admin/incidents/notice", &notice)
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Tick the box to confirm"));
    let res = app
        .post_form(
            &admin,
            "admin/incidents/notice",
            &[
                ("target", "all"),
                ("subject", ""),
                ("body", ""),
                ("confirm", "yes"),
            ],
        )
        .await;
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Enter a subject") && body.contains("Write the message"),
        "{body}"
    );
    let mut confirmed = notice.to_vec();
    confirmed.push(("confirm", "yes"));
    let res = app
        .post_form(&admin, "admin/incidents/notice", &confirmed)
        .await;
    assert_eq!(location(&res), "/admin/incidents?notice=1");
    for contact in [
        "privacy@acme.example.com",
        "cto@acme.example.com",
        "dev@acme.example.com",
        "help@acme.example.com",
    ] {
        let mail = app.smtp.wait_for(contact, "Incident update").await;
        assert_eq!(mail.to, vec![contact.to_string()], "one email per contact");
        assert!(mail.text().contains("No action is needed."));
    }
    let mut admin_page = String::new();
    for _ in 0..50 {
        admin_page = page(&app, &admin, "/admin/incidents").await;
        if admin_page
            .matches("<td>Delivered to the mail server</td>")
            .count()
            == 4
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        admin_page
            .matches("<td>Delivered to the mail server</td>")
            .count(),
        4,
        "{admin_page}"
    );
    assert!(admin_page.contains("<td>cto@acme.example.com</td>"));
    let res = app
        .post_form(&reviewer, "admin/incidents/notice", &confirmed)
        .await;
    assert!(res.text().await.unwrap().contains("Forbidden"));

    let actions: Vec<String> = audit_event::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "suspension.created",
        "suspension.lifted",
        "oauth.forced_reauthentication",
        "incident_notice.sent",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} audited");
    }
    app.stop().await;
}

db_tests!(suspended_apps_are_refused_everywhere_and_come_back_with_the_same_credentials);
