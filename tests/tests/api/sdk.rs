//! The official SDKs (PyPI and npm `cms-bluebutton-sdk`), unmodified but for
//! their base URL, against the real server; the enrollee signs in and consents
//! in headless Chromium, with the accessibility check on each page.
use std::process::Stdio;

use portal_tests::{browser::Browser, oauth::AppSpec, Backend, TestApp};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::Command,
};

/// The Python SDK's script (`scripts/test.sh` makes the venv in target/sdk-venv).
fn python_script() -> Command {
    let python = std::env::var("BLUEBUTTON_SDK_PYTHON").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/sdk-venv/bin/python").to_string()
    });
    assert!(
        std::path::Path::new(&python).exists(),
        "{python} is missing: run ./scripts/test.sh, which installs cms-bluebutton-sdk into target/sdk-venv"
    );
    let mut command = Command::new(python);
    command.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sdk/python_sdk_flow.py"
    ));
    command
}

/// The npm SDK's script (`scripts/test.sh` installs it into tests/node_modules).
fn node_script() -> Command {
    let mut command = Command::new("node");
    command
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/sdk/node_sdk_flow.js"))
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_sdk_completes_the_flow() {
    sdk_flow(python_script()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_npm_sdk_completes_the_flow() {
    sdk_flow(node_script()).await;
}

/// Runs an SDK script through the whole flow and checks what it saw.
async fn sdk_flow(mut command: Command) {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.enrollees(29_999..30_000).await;
    let callback = app.url("/sdk-test/callback/");
    let registered = app
        .register(AppSpec {
            redirect_uris: callback.clone(),
            ..AppSpec::confidential("SDK App")
        })
        .await;

    let mut script = command
        .env("BB_BASE_URL", &app.base)
        .env("BB_CLIENT_ID", &registered.client_id)
        .env("BB_CLIENT_SECRET", &registered.client_secret)
        .env("BB_CALLBACK", &callback)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the SDK script");
    let mut stdin = script.stdin.take().unwrap();
    let mut lines = BufReader::new(script.stdout.take().unwrap()).lines();
    let first: serde_json::Value =
        serde_json::from_str(&lines.next_line().await.unwrap().expect("authorize URL")).unwrap();
    let authorize_url = first["authorize_url"].as_str().unwrap().to_string();
    assert!(
        authorize_url.starts_with(&app.url("/v2/o/authorize?")),
        "{authorize_url}"
    );
    assert!(authorize_url.contains("code_challenge_method=S256"));

    let browser = Browser::start(true).await;
    browser.visit(&authorize_url).await;
    browser.wait_for_path("/mymedicare/login").await;
    browser.fill("username", "BBUser29999").await;
    browser.fill("password", "PW29999!").await;
    browser.click("main form button[type=submit]").await;
    browser
        .wait_for_text("main h1", "wants to see your Medicare data")
        .await;
    browser.check_accessibility().await;
    assert!(browser.text("main").await.contains("SDK App"));
    browser.click("button[name=allow][value=true]").await;
    let landed = browser
        .wait_for_url(|u| u.as_str().starts_with(&callback))
        .await;
    browser.close().await;

    stdin
        .write_all(format!("{landed}\n").as_bytes())
        .await
        .unwrap();
    stdin.flush().await.unwrap();
    let line = lines.next_line().await.unwrap().expect("the SDK's results");
    let results: serde_json::Value = serde_json::from_str(&line).unwrap();
    let status = script.wait().await.unwrap();
    assert!(status.success(), "the SDK script failed");

    assert_eq!(results["token"]["patient"], "20140000008325");
    assert!(results["token"]["access_token"].as_str().unwrap().len() >= 43);
    assert_eq!(results["calls"]["userinfo"]["status"], 200);
    assert_eq!(
        results["calls"]["userinfo"]["body"]["patient"],
        "20140000008325"
    );
    assert_eq!(results["calls"]["userinfo"]["body"]["family_name"], "Doe");
    assert_ne!(
        results["refreshed"]["access_token"],
        results["token"]["access_token"]
    );
    assert_ne!(
        results["refreshed"]["refresh_token"],
        results["token"]["refresh_token"]
    );
    assert_eq!(results["calls"]["userinfo_after_refresh"]["status"], 200);

    // FHIR through the SDK: Patient, Coverage, and every EOB page by its `next` links.
    assert_eq!(results["calls"]["patient"]["status"], 200);
    assert_eq!(
        results["calls"]["patient"]["body"]["entry"][0]["resource"]["id"],
        "20140000008325"
    );
    assert_eq!(results["calls"]["coverage"]["status"], 200);
    assert!(
        results["calls"]["coverage"]["body"]["total"]
            .as_u64()
            .unwrap()
            >= 2,
        "Parts A and B at least"
    );
    assert_eq!(results["calls"]["eob"]["status"], 200);
    let pages = results["eob_pages"]
        .as_array()
        .expect("the SDK followed the pages");
    assert_eq!(pages.len(), 4, "32 claims, 10 per page");
    let ids: std::collections::HashSet<&str> = pages
        .iter()
        .flat_map(|p| p["entry"].as_array().unwrap().iter())
        .map(|e| e["resource"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 32, "every claim exactly once across the pages");
    app.stop().await;
}
