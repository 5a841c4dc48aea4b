//! The `portal` binary's administrative commands, run as a person would.
use std::process::Command;

fn portal(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(args)
        .env("DATA_DIR", data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("SMTP_URL")
        .env("PUBLIC_URL", "https://portal.example.gov")
        .output()
        .expect("run portal")
}

#[test]
fn user_create_prints_a_one_time_link_and_refuses_duplicates() {
    let dir = std::env::temp_dir().join(format!("portal-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let migrate = portal(&dir, &["migrate"]);
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    assert!(
        dir.join("portal.db").exists(),
        "the embedded SQLite database is created under DATA_DIR"
    );

    let created = portal(
        &dir,
        &[
            "user",
            "create",
            "--role",
            "reviewer",
            "--email",
            "Rae@Example.gov",
            "--name",
            "Rae Viewer",
        ],
    );
    let stdout = String::from_utf8_lossy(&created.stdout);
    assert!(
        created.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(stdout.contains("Created reviewer account"), "{stdout}");
    assert!(
        stdout.contains("https://portal.example.gov/reset-password?token="),
        "{stdout}"
    );
    let emailed = std::fs::read_dir(dir.join("outbox")).unwrap().count();
    assert_eq!(emailed, 1, "the link is also emailed (file outbox)");

    let duplicate = portal(
        &dir,
        &[
            "user",
            "create",
            "--role",
            "admin",
            "--email",
            "rae@example.gov",
            "--name",
            "Rae",
        ],
    );
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already exists"));

    let bad_role = portal(
        &dir,
        &[
            "user",
            "create",
            "--role",
            "root",
            "--email",
            "x@example.gov",
            "--name",
            "X",
        ],
    );
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("--role must be"));

    // A reviewer who lost their authenticator: the operator resets it, and
    // the reviewer is told by email.
    let reset = portal(
        &dir,
        &["user", "reset-second-factor", "--email", "rae@example.gov"],
    );
    let stdout = String::from_utf8_lossy(&reset.stdout);
    assert!(
        reset.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    assert!(
        stdout.contains("Two-step sign-in was reset for rae@example.gov"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_dir(dir.join("outbox")).unwrap().count(),
        2,
        "and emailed"
    );
    let unknown = portal(
        &dir,
        &[
            "user",
            "reset-second-factor",
            "--email",
            "nobody@example.gov",
        ],
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no account uses"));

    // The key that seals authenticator secrets was made once, owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("secrets.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Creates a verified developer directly in the embedded database under `dir`.
fn verified_developer(dir: &std::path::Path, email: &str) {
    let url = format!("sqlite://{}?mode=rwc", dir.join("portal.db").display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = server::db::connect(&url).await.unwrap();
        server::accounts::create_verified_account(
            &db,
            server::accounts::NewStaffAccount {
                email: email.into(),
                name: "Verified Dev".into(),
                organization: "Scripted Apps".into(),
                role: server::ids::Role::Developer,
            },
            "tangerine-kettle-42",
            server::Clock::default().now(),
        )
        .await
        .unwrap();
        db.close().await.unwrap();
    });
}

#[test]
fn beneficiaries_load_and_app_create_set_up_a_sandbox_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("portal-cli-apps-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let loaded = portal(&dir, &["beneficiaries", "load", "--first", "20"]);
    let stdout = String::from_utf8_lossy(&loaded.stdout);
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    assert!(
        stdout.contains("Loaded 21 synthetic enrollees"),
        "20 plus the featured BBUser29999: {stdout}"
    );
    let again = portal(&dir, &["beneficiaries", "load", "--first", "20"]);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains(
            "Loaded 0 synthetic enrollees with 0 claims (21 enrollees were already there)"
        ),
        "loading is idempotent"
    );

    let refreshed = portal(&dir, &["claims", "refresh"]);
    let stdout = String::from_utf8_lossy(&refreshed.stdout);
    assert!(
        refreshed.status.success(),
        "{}",
        String::from_utf8_lossy(&refreshed.stderr)
    );
    let added: u32 = stdout
        .split_whitespace()
        .filter_map(|w| w.parse::<u32>().ok())
        .sum();
    assert!(
        added >= 1 && stdout.contains("last updated now"),
        "{stdout}"
    );

    let nobody = portal(
        &dir,
        &[
            "app",
            "create",
            "--owner",
            "nobody@example.com",
            "--name",
            "X",
            "--redirect-uris",
            "https://x.example/cb",
        ],
    );
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr)
        .contains("no account with email nobody@example.com"));

    let user = portal(
        &dir,
        &[
            "user",
            "create",
            "--role",
            "developer",
            "--email",
            "dev@example.gov",
            "--name",
            "Dev",
        ],
    );
    assert!(user.status.success());
    let created = portal(
        &dir,
        &[
            "app",
            "create",
            "--owner",
            "dev@example.gov",
            "--name",
            "Scripted App",
            "--client-type",
            "public",
            "--redirect-uris",
            "com.example.scripted:/callback",
            "--demographics",
            "no",
        ],
    );
    let stderr = String::from_utf8_lossy(&created.stderr);
    // A developer who has not confirmed their email cannot register apps, from the CLI either.
    assert!(!created.status.success());
    assert!(stderr.contains("confirm your email"), "{stderr}");

    // A verified developer registers an app; the secret is printed once and stored hashed.
    verified_developer(&dir, "verified@example.gov");
    let created = portal(
        &dir,
        &[
            "app",
            "create",
            "--owner",
            "verified@example.gov",
            "--name",
            "Scripted App",
            "--client-type",
            "public",
            "--redirect-uris",
            "com.example.scripted:/callback",
            "--demographics",
            "no",
        ],
    );
    let stdout = String::from_utf8_lossy(&created.stdout);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let value = |label: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let (client_id, secret) = (value("client_id"), value("client_secret"));
    assert_eq!(client_id.len(), 40, "{stdout}");
    assert!(secret.len() >= 43, "{stdout}");
    let stored = std::fs::read(dir.join("portal.db")).unwrap();
    assert!(
        !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the secret itself is nowhere in the database file"
    );
    let duplicate = portal(
        &dir,
        &[
            "app",
            "create",
            "--owner",
            "verified@example.gov",
            "--name",
            "scripted app",
            "--redirect-uris",
            "https://x.example/cb",
        ],
    );
    assert!(
        String::from_utf8_lossy(&duplicate.stderr).contains("already exists"),
        "names are unique regardless of case"
    );

    let bad = portal(
        &dir,
        &[
            "app",
            "create",
            "--owner",
            "dev@example.gov",
            "--name",
            "Y",
            "--redirect-uris",
            "ftp://x",
            "--demographics",
            "maybe",
        ],
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--demographics must be yes or no"));
    let _ = std::fs::remove_dir_all(&dir);
}
