//! The real `portal` binary as a separate process on a test's database and
//! data directory, so that a test can kill it with SIGKILL mid-request and
//! start it again, as a crash or an OOM kill would. The test's in-process
//! portal keeps running beside it on the same database: it sets things up
//! and checks what the killed process left.
use std::process::{Child, Command, Stdio};

use crate::TestApp;

pub struct PortalProcess {
    pub base: String,
    child: Child,
}

/// `target/debug/portal`, next to this test binary's `deps` directory
/// (`./scripts/test.sh` builds it first; so does `cargo build`).
fn binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let debug = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/debug");
    let portal = debug.join("portal");
    assert!(
        portal.exists(),
        "{} is missing: run cargo build first",
        portal.display()
    );
    portal
}

impl PortalProcess {
    /// Starts the binary on `app`'s database, data directory and SMTP server,
    /// and waits until it answers.
    pub async fn start(app: &TestApp) -> Self {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let settings = &app.state.settings;
        let child = Command::new(binary())
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &settings.database_url)
            .env("DATA_DIR", &settings.data_dir)
            .env("PORTAL_ADDR", format!("127.0.0.1:{port}"))
            .env("SMTP_URL", app.smtp.url())
            .env("SITE_ROOT", &settings.site_root)
            .env("RATE_LIMIT_ACCOUNT_PER_IP_PER_MINUTE", "100000")
            .env("RATE_LIMIT_API_PER_MINUTE", "100000")
            .env("MAX_CONCURRENT_REQUESTS_PER_IP", "100000")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the portal binary");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if let Ok(res) = reqwest::get(format!("{base}/healthz")).await {
                if res.status() == 200 {
                    break;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the portal binary started"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Self { base, child }
    }

    /// SIGKILL: no shutdown, no drain, no flush.
    pub fn kill(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }
}

impl Drop for PortalProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
