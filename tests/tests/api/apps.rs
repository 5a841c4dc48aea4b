//! Sandbox app registration: credentials shown once and stored hashed, the
//! redirect URI rules, confirmations, and no access to another developer's app.
use portal_tests::{db_tests, location, Backend, TestApp};
use server::{
    entities::{application, audit_event},
    ids::Role,
    sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter},
};

const PASSWORD: &str = "tangerine-kettle-42";

async fn developer(app: &TestApp, email: &str, verified: bool) -> reqwest::Client {
    server::accounts::create_verified_account(
        &app.state.db,
        server::accounts::NewStaffAccount {
            email: email.into(),
            name: "Dev".into(),
            organization: "Org".into(),
            role: Role::Developer,
        },
        PASSWORD,
        app.state.clock.now(),
    )
    .await
    .unwrap();
    if !verified {
        app.state
            .db
            .execute_unprepared(&format!(
                "UPDATE accounts SET verified_at = NULL WHERE email = '{email}'"
            ))
            .await
            .unwrap();
    }
    let client = app.client();
    let res = app
        .post_form(
            &client,
            "log_in",
            &[("email", email), ("password", PASSWORD), ("next", "")],
        )
        .await;
    assert_eq!(location(&res), "/account");
    client
}

fn registration<'a>(name: &'a str, redirect_uris: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("description", "Shows your Medicare claims."),
        ("website_url", "https://app.example.com"),
        ("privacy_policy_url", "https://app.example.com/privacy"),
        ("terms_url", "https://app.example.com/terms"),
        ("support_email", "help@app.example.com"),
        ("support_phone", "+1 410-555-0100"),
        ("client_type", "confidential"),
        ("grant_type", "authorization-code"),
        ("redirect_uris", redirect_uris),
        ("requires_demographics", "yes"),
        ("accept_terms", "yes"),
    ]
}

/// Registers an app and returns (app id, client id, secret) as the owner sees them.
async fn register(app: &TestApp, client: &reqwest::Client, name: &str) -> (String, String, String) {
    let res = app
        .post_form(
            client,
            "apps/register",
            &registration(name, "http://localhost:8080/callback\ncom.example.app:/cb"),
        )
        .await;
    let target = location(&res);
    assert!(
        target.starts_with("/apps/") && target.ends_with("?created=1"),
        "{target}"
    );
    let id = target
        .trim_start_matches("/apps/")
        .trim_end_matches("?created=1")
        .to_string();
    let page = client
        .get(app.url(&target))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let secret = between(&page, "<code id=\"client-secret\">", "</code>")
        .expect("secret shown after registration");
    let client_id = between(&page, "<code id=\"client-id\">", "</code>").expect("client id shown");
    (id, client_id, secret)
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    Some(text[from..from + text[from..].find(end)?].to_string())
}

fn sha256_hex(value: &str) -> String {
    server::secrets::Secret::from_presented(value)
        .digest()
        .as_str()
        .to_string()
}

async fn registering_shows_the_secret_once_and_stores_only_its_digest(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dev = developer(&app, "dev@example.com", true).await;
    let (id, client_id, secret) = register(&app, &dev, "Claims Viewer").await;
    assert_eq!(client_id.len(), 40);
    assert!(secret.len() >= 43, "256-bit secret");

    let again = dev
        .get(app.url(&format!("/apps/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(again.contains(&client_id));
    assert!(!again.contains(&secret), "the secret is shown only once");

    let row = application::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.secret_hash, sha256_hex(&secret));
    assert_eq!(
        row.redirect_uris,
        "http://localhost:8080/callback\ncom.example.app:/cb"
    );
    let audit = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("application.registered"))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("audited");
    assert!(
        !audit.after.unwrap_or_default().contains(&secret),
        "secrets never enter the audit trail"
    );

    let list = dev
        .get(app.url("/apps"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("Claims Viewer") && list.contains(&client_id));
    app.stop().await;
}

async fn unverified_developers_cannot_register(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dev = developer(&app, "new@example.com", false).await;
    let res = app
        .post_form(
            &dev,
            "apps/register",
            &registration("Early Bird", "https://a.example/cb"),
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Confirm your email address"));
    assert_eq!(
        application::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    app.stop().await;
}

async fn bad_registrations_are_explained_and_nothing_is_saved(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dev = developer(&app, "dev@example.com", true).await;
    register(&app, &dev, "Taken Name").await;

    let mut form = registration(
        "taken name",
        "https://a.example/cb#frag javascript:alert(1)",
    );
    form.retain(|(k, _)| *k != "accept_terms" && *k != "description" && *k != "grant_type");
    form.push(("description", "<script>x</script>"));
    form.push(("grant_type", "implicit"));
    let body = app
        .post_form(&dev, "apps/register", &form)
        .await
        .text()
        .await
        .unwrap();
    for message in [
        "already exists",
        "fragment",
        "scheme that is not allowed",
        "only for public clients",
        "plain text",
        "accept the API Terms",
    ] {
        assert!(body.contains(message), "missing {message:?} in {body}");
    }
    assert_eq!(
        application::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        1
    );
    app.stop().await;
}

async fn another_developer_cannot_see_rotate_or_delete_my_app(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = developer(&app, "owner@example.com", true).await;
    let intruder = developer(&app, "intruder@example.com", true).await;
    let (id, client_id, _) = register(&app, &owner, "Private App").await;

    let page = intruder
        .get(app.url(&format!("/apps/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("App not found") && !page.contains(&client_id));
    let data = app
        .post_form(&intruder, "apps/get", &[("id", &id)])
        .await
        .text()
        .await
        .unwrap();
    assert!(!data.contains(&client_id));
    let list = intruder
        .get(app.url("/apps"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains("Private App") && list.contains("not registered any apps"));

    let before = application::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let rotate = app
        .post_form(
            &intruder,
            "apps/rotate_secret",
            &[("id", &id), ("confirm", "yes")],
        )
        .await;
    assert!(rotate
        .text()
        .await
        .unwrap()
        .contains("could not find that app"));
    let delete = app
        .post_form(&intruder, "apps/delete", &[("id", &id), ("confirm", "yes")])
        .await;
    assert!(delete
        .text()
        .await
        .unwrap()
        .contains("could not find that app"));
    let after = application::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before, after, "the app is untouched");
    app.stop().await;
}

async fn rotating_and_deleting_need_confirmation_and_are_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dev = developer(&app, "dev@example.com", true).await;
    let (id, _, old_secret) = register(&app, &dev, "Rotator").await;

    let unconfirmed = app
        .post_form(&dev, "apps/rotate_secret", &[("id", &id)])
        .await;
    assert!(unconfirmed.text().await.unwrap().contains("Tick the box"));
    let res = app
        .post_form(
            &dev,
            "apps/rotate_secret",
            &[("id", &id), ("confirm", "yes")],
        )
        .await;
    assert_eq!(location(&res), format!("/apps/{id}?rotated=1"));
    let page = dev
        .get(app.url(&location(&res)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let new_secret =
        between(&page, "<code id=\"client-secret\">", "</code>").expect("new secret shown");
    assert_ne!(new_secret, old_secret);
    let row = application::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.secret_hash, sha256_hex(&new_secret));

    let unconfirmed = app.post_form(&dev, "apps/delete", &[("id", &id)]).await;
    assert!(unconfirmed.text().await.unwrap().contains("Tick the box"));
    assert_eq!(
        application::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        1
    );
    let res = app
        .post_form(&dev, "apps/delete", &[("id", &id), ("confirm", "yes")])
        .await;
    assert_eq!(location(&res), "/apps?deleted=1");
    assert_eq!(
        application::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );

    let actions: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::TargetType.eq("application"))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "application.registered",
            "application.secret_rotated",
            "application.deleted"
        ]
    );
    if app.state.db.get_database_backend() == server::sea_orm::DbBackend::Postgres {
        let row = app
            .state
            .db
            .query_one_raw(server::sea_orm::Statement::from_string(
                server::sea_orm::DbBackend::Postgres,
                "SELECT count(*) AS n, bool_or(new_row ? 'secret_hash' OR old_row ? 'secret_hash') AS leaked \
                 FROM row_changes WHERE table_name = 'applications'",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.try_get::<i64>("", "n").unwrap(),
            3,
            "insert, update and delete logged by the database"
        );
        assert!(!row.try_get::<bool>("", "leaked").unwrap());
    }
    app.stop().await;
}

/// A real 2×2 PNG (blue pixels).
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06, 0x00, 0x00, 0x00, 0x72, 0xb6, 0x0d,
    0x24, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x88, 0x5b, 0xf4,
    0x1f, 0x8c, 0x61, 0x0c, 0x00, 0x41, 0x6c, 0x07, 0xfd, 0xf0, 0x2e, 0x50, 0x70, 0x00, 0x00, 0x00,
    0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

async fn upload_logo(
    app: &TestApp,
    client: &reqwest::Client,
    id: &str,
    name: &str,
    bytes: Vec<u8>,
) -> String {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str("image/png")
        .unwrap();
    let res = client
        .post(app.url(&format!("/apps/{id}/logo")))
        .header(reqwest::header::ORIGIN, &app.base)
        .multipart(reqwest::multipart::Form::new().part("logo", part))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        303,
        "uploads answer with a redirect back to the app page"
    );
    location(&res)
}

async fn logos_are_checked_by_content_and_only_the_owner_can_set_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dev = developer(&app, "dev@example.com", true).await;
    let (id, _, _) = register(&app, &dev, "Logo App").await;

    let mut too_wide = TINY_PNG.to_vec();
    too_wide[16..20].copy_from_slice(&600u32.to_be_bytes());
    let mut exe = b"MZ\x90\x00".to_vec();
    exe.resize(2048, 0);
    for (name, bytes, code) in [
        ("logo.png", exe, "not_image"),
        ("wide.png", too_wide, "too_big"),
        (
            "huge.png",
            [TINY_PNG.to_vec(), vec![0; 101 * 1024]].concat(),
            "too_large",
        ),
        ("empty.png", vec![], "empty"),
    ] {
        let target = upload_logo(&app, &dev, &id, name, bytes).await;
        assert_eq!(target, format!("/apps/{id}?logo_error={code}"), "{name}");
        let page = dev
            .get(app.url(&target))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("field-error"),
            "the page explains the problem with {name}"
        );
    }
    assert_eq!(
        app.client()
            .get(app.url(&format!("/app-logos/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        404,
        "nothing was stored"
    );

    let intruder = developer(&app, "intruder@example.com", true).await;
    let res = intruder
        .post(app.url(&format!("/apps/{id}/logo")))
        .header(reqwest::header::ORIGIN, &app.base)
        .multipart(reqwest::multipart::Form::new().part(
            "logo",
            reqwest::multipart::Part::bytes(TINY_PNG.to_vec()).file_name("x.png"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        404,
        "another developer cannot set my app's logo"
    );
    let anonymous = app
        .client()
        .post(app.url(&format!("/apps/{id}/logo")))
        .header(reqwest::header::ORIGIN, &app.base)
        .multipart(reqwest::multipart::Form::new().part(
            "logo",
            reqwest::multipart::Part::bytes(TINY_PNG.to_vec()).file_name("x.png"),
        ))
        .send()
        .await
        .unwrap();
    assert!(location(&anonymous).starts_with("/login"));

    let target = upload_logo(&app, &dev, &id, "logo.png", TINY_PNG.to_vec()).await;
    assert_eq!(target, format!("/apps/{id}?logo=uploaded"));
    let image = app
        .client()
        .get(app.url(&format!("/app-logos/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(image.headers()["content-type"], "image/png");
    assert_eq!(image.bytes().await.unwrap().as_ref(), TINY_PNG);
    let page = dev
        .get(app.url(&format!("/apps/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("src=\"/app-logos/{id}?v="))
            && page.contains("alt=\"Logo App logo\"")
    );
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("application.logo_uploaded"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
    app.stop().await;
}

db_tests!(
    logos_are_checked_by_content_and_only_the_owner_can_set_them,
    registering_shows_the_secret_once_and_stores_only_its_digest,
    unverified_developers_cannot_register,
    bad_registrations_are_explained_and_nothing_is_saved,
    another_developer_cannot_see_rotate_or_delete_my_app,
    rotating_and_deleting_need_confirmation_and_are_audited,
);
