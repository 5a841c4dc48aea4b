//! Headless Chromium through chromedriver, with an accessibility check (axe-core)
//! on every page a test visits.
use std::{process::Stdio, time::Duration};

use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

/// The flags every session starts Chromium with (no network beyond loopback here).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1280,1000",
];

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    axe: String,
    /// With JavaScript off, axe-core cannot run in the page (its timers never
    /// fire), so a second, JavaScript-enabled browser audits a copy of it.
    auditor: Option<Box<Browser>>,
}

fn axe_source() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/node_modules/axe-core/axe.min.js"
    );
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("{path}: {e}. Run ./scripts/test.sh, which installs axe-core with npm.")
    })
}

impl Browser {
    /// Starts chromedriver on a free port and a fresh Chromium profile.
    pub async fn start(javascript: bool) -> Self {
        let auditor = if javascript {
            None
        } else {
            Some(Box::new(Box::pin(Self::start(true)).await))
        };
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let driver =
            Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect(
                    "chromedriver (apt-get install chromium-driver; ./scripts/test.sh does it)",
                );
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut options = json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": args,
        });
        if !javascript {
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Self {
                        client,
                        driver,
                        _profile: profile,
                        axe: axe_source(),
                        auditor,
                    };
                }
                Err(e) => {
                    last_error = Some(e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!("could not start a Chromium session: {last_error:?}");
    }

    /// Loads `url`, then checks the page for accessibility problems.
    pub async fn visit(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
        self.check_accessibility().await;
    }

    /// Fails on any serious or critical axe-core violation on the current page.
    pub async fn check_accessibility(&self) {
        let url = self.client.current_url().await.expect("url");
        if let Some(auditor) = &self.auditor {
            let html = self.client.source().await.expect("page source");
            return auditor.audit_copy(&url, &html).await;
        }
        self.run_axe(url.as_str()).await;
    }

    /// Shows `html` (scripts removed) on `url`'s origin, so its stylesheet
    /// applies, and runs axe-core on it.
    async fn audit_copy(&self, url: &url::Url, html: &str) {
        // An http(s) page is copied onto a page of the same origin so that its
        // stylesheet loads; anything else (data: URLs) onto a blank page.
        let host_page = match url.scheme() {
            "http" | "https" => format!("{}/terms", url.origin().ascii_serialization()),
            _ => "about:blank".to_string(),
        };
        let here = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        if here != host_page {
            self.client
                .goto(&host_page)
                .await
                .expect("open auditor page");
        }
        let without_scripts = strip_scripts(html);
        self.client
            .execute_async(
                r#"const [html, done] = [arguments[0], arguments[arguments.length - 1]];
                   document.open(); document.write(html); document.close();
                   const sheet = document.querySelector('link[rel=stylesheet]');
                   if (!sheet || sheet.sheet) { done(true); } else { sheet.onload = sheet.onerror = () => done(true); }"#,
                vec![json!(without_scripts)],
            )
            .await
            .expect("show page copy");
        self.run_axe(url.as_str()).await;
    }

    async fn run_axe(&self, url: &str) {
        let injected = self
            .client
            .execute(&format!("{}\n;return typeof window.axe;", self.axe), vec![])
            .await
            .expect("inject axe-core");
        assert_eq!(injected, json!("object"), "axe-core did not load");
        let violations = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   axe.run(document, { resultTypes: ['violations'] })
                     .then(r => done(r.violations
                        .filter(v => v.impact === 'serious' || v.impact === 'critical')
                        .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)))
                     .catch(e => done(['axe failed: ' + e]));"#,
                vec![],
            )
            .await
            .expect("run axe-core");
        let list: Vec<String> = serde_json::from_value(violations).unwrap_or_default();
        assert!(
            list.is_empty(),
            "accessibility violations on {url}:\n{}",
            list.join("\n")
        );
    }

    /// Waits until the page has hydrated (the app marks `<body data-hydrated>`).
    pub async fn wait_for_hydration(&self) {
        self.find("body[data-hydrated='true']").await;
    }

    /// Waits (up to 10 s) for an element matching `css`.
    pub async fn find(&self, css: &str) -> Element {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(found) = self.client.find(Locator::Css(css)).await {
                return found;
            }
            if tokio::time::Instant::now() > deadline {
                let url = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let body = self.text("body").await;
                panic!("no element {css} on {url}; page says:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `value` into the input named `name` (after clearing it).
    pub async fn fill(&self, name: &str, value: &str) {
        let input = self.find(&format!("[name='{name}']")).await;
        input.clear().await.expect("clear");
        input.send_keys(value).await.expect("type");
    }

    /// Sets the input named `name` to `value` as a script would. For date
    /// inputs, whose typed form follows the browser's locale (mm/dd/yyyy
    /// here, another order elsewhere), while the value is always ISO.
    pub async fn set_value(&self, name: &str, value: &str) {
        self.find(&format!("[name='{name}']")).await;
        self.client
            .execute(
                "const input = document.querySelector(`[name='${arguments[0]}']`);\n\
                 input.value = arguments[1];\n\
                 input.dispatchEvent(new Event('input', { bubbles: true }));\n\
                 input.dispatchEvent(new Event('change', { bubbles: true }));",
                vec![Value::from(name), Value::from(value)],
            )
            .await
            .expect("set value");
        assert_eq!(
            self.value_of(name).await,
            value,
            "{name} did not take {value:?}"
        );
    }

    pub async fn value_of(&self, name: &str) -> String {
        self.find(&format!("[name='{name}']"))
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// The visible text of the first element matching `css` (empty if none).
    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the address bar shows `path` (and optionally a query).
    pub async fn wait_for_path(&self, path_and_query: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let url = self.client.current_url().await.expect("url");
            let here = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            };
            if here == path_and_query
                || (!path_and_query.contains('?') && url.path() == path_and_query)
            {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "expected to be at {path_and_query}, still at {here}; page says:\n{}",
                    self.text("main").await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the address bar satisfies `arrived` (e.g. an app's redirect URI) and returns it.
    pub async fn wait_for_url(&self, arrived: impl Fn(&url::Url) -> bool) -> url::Url {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let url = self.client.current_url().await.expect("url");
            if arrived(&url) {
                return url;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "never arrived; still at {url}; page says:\n{}",
                    self.text("main").await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the text of `css` contains `needle`.
    pub async fn wait_for_text(&self, css: &str, needle: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if self.text(css).await.contains(needle) {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "{css} never said {needle:?}; it says:\n{}",
                    self.text(css).await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn status_of_last_navigation(&self) -> Value {
        self.client
            .execute(
                "return performance.getEntriesByType('navigation')[0]?.responseStatus ?? null;",
                vec![],
            )
            .await
            .unwrap_or(Value::Null)
    }

    pub async fn close(mut self) {
        if let Some(auditor) = self.auditor.take() {
            Box::pin(auditor.close()).await;
        }
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
    }
}

fn strip_scripts(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        out.push_str(&rest[..start]);
        match rest[start..].find("</script>") {
            Some(end) => rest = &rest[start + end + "</script>".len()..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Signs in to the portal through its pages as `email` with the tests'
/// password, typing the authenticator's code at the second step when the
/// account has one (staff always do, once `access::account` has signed them in).
pub async fn sign_in(browser: &Browser, app: &crate::TestApp, email: &str) {
    browser.visit(&app.url("/login")).await;
    browser.fill("email", email).await;
    browser.fill("password", crate::access::PASSWORD).await;
    browser.click("main form button[type=submit]").await;
    let at = browser
        .wait_for_url(|u| matches!(u.path(), "/account" | "/login/code" | "/login/set-up"))
        .await;
    if at.path() == "/login/code" {
        browser.wait_for_hydration().await;
        let code = app.sign_in_code(email).await;
        browser.fill("code", &code).await;
        browser.click("main form button[type=submit]").await;
    }
    assert_ne!(
        at.path(),
        "/login/set-up",
        "{email} has no authenticator yet"
    );
    browser.wait_for_path("/account").await;
    browser.wait_for_hydration().await;
}
