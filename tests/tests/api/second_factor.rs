//! Two-step sign-in over HTTP on both databases: staff must set up an
//! authenticator before any staff page or action accepts them, codes work
//! once, wrong codes lock like wrong passwords, recovery codes work once and
//! are reported, developers may turn it on and off, an admin reset starts
//! over, and nothing readable is stored.
use portal_tests::{access::*, db_tests, location, Backend, TestApp};
use server::{
    entities::{account, audit_event, recovery_code},
    ids::Role,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter},
};

const REVIEWER: &str = "rae@cms.example.gov";

/// Signs in with the password; returns where that leads and the session cookie set.
async fn password_step_with_cookie(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
) -> (String, String) {
    let res = app
        .post_form(
            client,
            "log_in",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("next", "/review"),
            ],
        )
        .await;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("bb_session="))
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .to_string();
    (location(&res), cookie)
}

async fn password_step(app: &TestApp, client: &reqwest::Client, email: &str) -> String {
    password_step_with_cookie(app, client, email).await.0
}

async fn present(app: &TestApp, client: &reqwest::Client, code: &str) -> reqwest::Response {
    app.post_form(
        client,
        "second_factor/present",
        &[("code", code), ("next", "/review")],
    )
    .await
}

async fn audit_actions(app: &TestApp, email: &str) -> Vec<String> {
    let id = account_row(app, email).await.id;
    audit_event::Entity::find()
        .filter(audit_event::Column::TargetId.eq(id.to_string()))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

async fn account_row(app: &TestApp, email: &str) -> account::Model {
    account::Entity::find()
        .filter(account::Column::Email.eq(email))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

/// A page's answer: its status and where it sends the browser.
async fn visit(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let res = client.get(app.url(path)).send().await.unwrap();
    (res.status().as_u16(), location(&res))
}

async fn staff_set_up_an_authenticator_before_any_staff_page_accepts_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    verified_account(&app, REVIEWER, Role::Reviewer).await;
    verified_account(&app, "ada@cms.example.gov", Role::Admin).await;
    let client = app.client();
    let (to, old_cookie) = password_step_with_cookie(&app, &client, REVIEWER).await;
    assert_eq!(to, "/login/set-up?next=%2Freview");

    // The password alone reaches no staff page or action.
    let (status, to) = visit(&app, &client, "/review").await;
    assert_eq!((status, to.as_str()), (302, "/login?next=/review"));
    let admin = app.client();
    password_step(&app, &admin, "ada@cms.example.gov").await;
    let audit = app.post_form(&admin, "admin/audit", &[]).await;
    assert!(!audit.status().is_success(), "the audit trail is refused");
    let refusal = audit.text().await.unwrap();
    assert!(refusal.contains("Unauthorized"), "{refusal}");

    // The set-up page shows the same key on every load until confirmed.
    let first: serde_json::Value = app
        .post_form(&client, "second_factor/enrolment", &[])
        .await
        .json()
        .await
        .unwrap();
    let again: serde_json::Value = app
        .post_form(&client, "second_factor/enrolment", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first, again);
    let key = first["key"].as_str().unwrap();
    assert!(first["uri"].as_str().unwrap().starts_with(
        "otpauth://totp/Blue%20Button%202%2E0%20API%20portal:rae%40cms%2Eexample%2Egov?secret="
    ));
    let res = app
        .post_form(
            &client,
            "second_factor/confirm",
            &[("code", "000000"), ("next", "/review")],
        )
        .await;
    assert!(res.text().await.unwrap().contains("That code did not work"));
    assert!(account_row(&app, REVIEWER).await.totp_enabled_at.is_none());

    // The first right code turns it on, and the session under a new token.
    let secret = server::totp::TotpSecret::from_base32(key).unwrap();
    let now = app.state.clock.now();
    let code = server::totp::code_at(&secret, now).unwrap();
    let res = app
        .post_form(
            &client,
            "second_factor/confirm",
            &[("code", &code), ("next", "/review")],
        )
        .await;
    assert_eq!(location(&res), "/review");
    assert_eq!(visit(&app, &client, "/review").await.0, 200);
    let stale = app
        .client()
        .get(app.url("/review"))
        .header("cookie", &old_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&stale),
        "/login?next=/review",
        "the pre-code token ended"
    );
    app.smtp.wait_for(REVIEWER, "Two-step sign-in is on").await;
    assert!(audit_actions(&app, REVIEWER)
        .await
        .contains(&"account.second_factor_enabled".to_string()));

    // Nothing readable at rest: the key is sealed, recovery codes digested.
    let row = account_row(&app, REVIEWER).await;
    let sealed = row.totp_secret.clone().unwrap();
    assert!(!sealed.contains(&key.replace(' ', "")));
    assert!(row.totp_pending.is_none(), "the shown codes are gone");
    let stored: Vec<String> = recovery_code::Entity::find()
        .filter(recovery_code::Column::AccountId.eq(row.id))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.code_hash)
        .collect();
    assert_eq!(stored.len(), 10);
    for shown in first["recovery_codes"].as_array().unwrap() {
        let shown = shown.as_str().unwrap();
        assert!(!stored.iter().any(|h| h.contains(&shown.replace('-', ""))));
    }

    // Later sign-ins ask for a code; the one just used does not work again.
    let later = app.client();
    assert_eq!(
        password_step(&app, &later, REVIEWER).await,
        "/login/code?next=%2Freview"
    );
    let replay = present(&app, &later, &code).await;
    assert!(replay
        .text()
        .await
        .unwrap()
        .contains("That code did not work"));
    app.remember_authenticator(
        REVIEWER,
        secret,
        vec![],
        server::totp::step_at(now).unwrap(),
    );
    let fresh = app.sign_in_code(REVIEWER).await;
    assert_eq!(location(&present(&app, &later, &fresh).await), "/review");
    assert_eq!(visit(&app, &later, "/review").await.0, 200);
    app.stop().await;
}

async fn recovery_codes_work_once_and_their_use_is_reported(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    account(&app, REVIEWER, Role::Reviewer).await;
    let codes = app.authenticator(REVIEWER).unwrap().recovery_codes;
    let typed = codes[3].to_uppercase().replace('-', " ");
    let client = app.client();
    password_step(&app, &client, REVIEWER).await;
    assert_eq!(location(&present(&app, &client, &typed).await), "/review");
    let mail = app
        .smtp
        .wait_for(REVIEWER, "A recovery code was used")
        .await;
    assert!(
        mail.text().contains("9 of your recovery codes are left"),
        "{}",
        mail.text()
    );
    assert!(audit_actions(&app, REVIEWER)
        .await
        .contains(&"account.recovery_code_used".to_string()));

    let again = app.client();
    password_step(&app, &again, REVIEWER).await;
    let reused = present(&app, &again, &codes[3]).await;
    assert!(reused
        .text()
        .await
        .unwrap()
        .contains("That code did not work"));
    let (status, _) = visit(&app, &again, "/review").await;
    assert_eq!(status, 302, "still not signed in");
    app.stop().await;
}

async fn wrong_codes_pause_sign_in_like_wrong_passwords(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    account(&app, REVIEWER, Role::Reviewer).await;
    let client = app.client();
    password_step(&app, &client, REVIEWER).await;
    for n in 0..4 {
        let res = present(&app, &client, &format!("12345{n}")).await;
        assert!(res.text().await.unwrap().contains("That code did not work"));
    }
    let fifth = present(&app, &client, "999999").await;
    assert!(fifth
        .text()
        .await
        .unwrap()
        .contains("paused for 15 minutes"));
    app.smtp.wait_for(REVIEWER, "paused").await;
    // Now even the right code waits out the pause.
    let code = app.sign_in_code(REVIEWER).await;
    let right = present(&app, &client, &code).await;
    assert!(right
        .text()
        .await
        .unwrap()
        .contains("paused for 15 minutes"));
    assert_eq!(visit(&app, &client, "/review").await.0, 302);
    assert!(account_row(&app, REVIEWER).await.locked_until.is_some());
    app.stop().await;
}

async fn the_second_step_must_follow_the_password_within_ten_minutes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    account(&app, REVIEWER, Role::Reviewer).await;
    let client = app.client();
    password_step(&app, &client, REVIEWER).await;
    app.state.clock.advance(chrono::Duration::minutes(11));
    let code = app.sign_in_code(REVIEWER).await;
    let late = present(&app, &client, &code).await;
    assert!(late
        .text()
        .await
        .unwrap()
        .contains("This sign-in has expired"));
    app.stop().await;
}

async fn developers_may_turn_two_step_sign_in_on_and_off_and_staff_may_not(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "dev@acme.example.com";
    let dev = account(&app, email, Role::Developer).await;
    let page_before = page(&app, &dev, "/account").await;
    assert!(
        page_before.contains("Turn on two-step sign-in"),
        "{page_before}"
    );

    set_up_authenticator(&app, &dev, email).await;
    app.smtp.wait_for(email, "Two-step sign-in is on").await;
    let later = app.client();
    assert_eq!(
        password_step(&app, &later, email).await,
        "/login/code?next=%2Freview"
    );
    let code = app.sign_in_code(email).await;
    present(&app, &later, &code).await;
    assert!(page(&app, &later, "/account")
        .await
        .contains("10 of your recovery codes are unused"));

    let wrong = app
        .post_form(&later, "second_factor/disable", &[("code", "000000")])
        .await;
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("That code did not work"));
    // A recovery code confirms it as well as the app's code would.
    let code = app.authenticator(email).unwrap().recovery_codes[0].clone();
    let off = app
        .post_form(&later, "second_factor/disable", &[("code", &code)])
        .await;
    assert_eq!(location(&off), "/account?second_factor=off");
    app.smtp.wait_for(email, "Two-step sign-in is off").await;
    assert!(audit_actions(&app, email)
        .await
        .contains(&"account.second_factor_disabled".to_string()));
    assert_eq!(password_step(&app, &app.client(), email).await, "/review");

    let reviewer = account(&app, REVIEWER, Role::Reviewer).await;
    let code = app.sign_in_code(REVIEWER).await;
    let refused = app
        .post_form(&reviewer, "second_factor/disable", &[("code", &code)])
        .await;
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("must keep two-step sign-in on"));
    assert!(account_row(&app, REVIEWER).await.totp_enabled_at.is_some());
    app.stop().await;
}

async fn an_admin_reset_signs_the_owner_out_and_starts_the_set_up_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reviewer = account(&app, REVIEWER, Role::Reviewer).await;
    let admin = account(&app, "ada@cms.example.gov", Role::Admin).await;
    let target = account_row(&app, REVIEWER).await.id.to_string();
    let staff = page(&app, &admin, "/admin/staff").await;
    assert!(
        staff.contains(REVIEWER) && staff.contains("On since"),
        "{staff}"
    );

    // Only an admin may, and only when confirmed.
    let refused = app
        .post_form(
            &reviewer,
            "admin/staff/reset_second_factor",
            &[("id", &target), ("confirm", "yes")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(refused.contains("Forbidden"), "{refused}");
    let unconfirmed = app
        .post_form(
            &admin,
            "admin/staff/reset_second_factor",
            &[("id", &target)],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(unconfirmed.contains("Tick"), "{unconfirmed}");
    assert!(account_row(&app, REVIEWER).await.totp_enabled_at.is_some());

    let res = app
        .post_form(
            &admin,
            "admin/staff/reset_second_factor",
            &[("id", &target), ("confirm", "yes")],
        )
        .await;
    assert_eq!(location(&res), "/admin/staff?reset=1");
    app.smtp
        .wait_for(REVIEWER, "two-step sign-in was reset")
        .await;
    assert_eq!(visit(&app, &reviewer, "/review").await.0, 302, "signed out");
    assert!(audit_actions(&app, REVIEWER)
        .await
        .contains(&"account.second_factor_reset".to_string()));
    assert!(page(&app, &admin, "/admin/staff")
        .await
        .contains("Not set up yet"));
    let client = app.client();
    assert_eq!(
        password_step(&app, &client, REVIEWER).await,
        "/login/set-up?next=%2Freview"
    );
    // The old recovery codes are gone with the authenticator.
    assert_eq!(
        recovery_code::Entity::find()
            .filter(recovery_code::Column::AccountId.eq(target.parse::<uuid::Uuid>().unwrap()))
            .all(&app.state.db)
            .await
            .unwrap()
            .len(),
        0
    );
    app.stop().await;
}

db_tests!(
    staff_set_up_an_authenticator_before_any_staff_page_accepts_them,
    recovery_codes_work_once_and_their_use_is_reported,
    wrong_codes_pause_sign_in_like_wrong_passwords,
    the_second_step_must_follow_the_password_within_ten_minutes,
    developers_may_turn_two_step_sign_in_on_and_off_and_staff_may_not,
    an_admin_reset_signs_the_owner_out_and_starts_the_set_up_again,
);
