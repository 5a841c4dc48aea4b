//! Many simultaneous requests to one server: each must see its own session
//! and its own request, never another's.
use portal_tests::{Backend, TestApp};

async fn account(app: &TestApp, email: &str, role: server::ids::Role) -> reqwest::Client {
    server::accounts::create_verified_account(
        &app.state.db,
        server::accounts::NewStaffAccount {
            email: email.into(),
            name: format!("Name of {email}"),
            organization: "Org".into(),
            role,
        },
        "tangerine-kettle-42",
        app.state.clock.now(),
    )
    .await
    .unwrap();
    portal_tests::access::sign_in_with(app, email, "tangerine-kettle-42").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_page_loads_each_see_their_own_account() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = account(&app, "admin@example.com", server::ids::Role::Admin).await;
    let developer = account(&app, "dev@example.com", server::ids::Role::Developer).await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (client, is_admin) = if i % 2 == 0 {
            (admin.clone(), true)
        } else {
            (developer.clone(), false)
        };
        let url = app.url(if i % 3 == 0 {
            "/admin/audit"
        } else {
            "/account"
        });
        tasks.push(tokio::spawn(async move {
            let res = client.get(&url).send().await.expect("response");
            let status = res.status().as_u16();
            let body = res.text().await.expect("body");
            (url, is_admin, status, body)
        }));
    }
    for task in tasks {
        let (url, is_admin, status, body) = task.await.unwrap();
        let me = if is_admin {
            "admin@example.com"
        } else {
            "dev@example.com"
        };
        let other = if is_admin {
            "dev@example.com"
        } else {
            "admin@example.com"
        };
        if url.ends_with("/admin/audit") {
            assert_eq!(status, if is_admin { 200 } else { 403 }, "{url} as {me}");
        } else {
            assert_eq!(status, 200, "{url} as {me}");
            assert!(body.contains(me), "{url} as {me} shows my account");
            assert!(
                !body.contains(other),
                "{url} as {me} never shows the other account"
            );
        }
    }
    app.stop().await;
}
