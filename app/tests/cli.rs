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
    let _ = std::fs::remove_dir_all(&dir);
}
