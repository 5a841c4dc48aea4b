//! `portal`: serves the portal and runs its administrative commands.
//!
//! ```text
//! portal [serve] [--demo]      migrate, (seed demo accounts,) serve
//! portal migrate               apply database migrations and exit
//! portal user create --role reviewer|admin|developer --email E --name N [--organization O]
//! ```
use std::process::ExitCode;

use server::{
    accounts::{self, NewStaffAccount},
    audit::AuditContext,
    ids::Role,
    Settings,
};

fn usage() -> ExitCode {
    eprintln!(
        "usage:\n  portal [serve] [--demo]\n  portal migrate\n  portal user create --role reviewer|admin|developer --email EMAIL --name NAME [--organization ORG]"
    );
    ExitCode::from(2)
}

/// `--flag value` pairs after the subcommand.
fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    server::telemetry::init(settings.json_logs);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command: Vec<&str> = args
        .iter()
        .take_while(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let result = match command.as_slice() {
        [] | ["serve"] => serve(settings, args.iter().any(|a| a == "--demo")).await,
        ["migrate"] => app::serve::prepare(settings)
            .await
            .map(|_| println!("Database is up to date."))
            .map_err(|e| e.to_string()),
        ["user", "create"] => create_user(settings, &args).await,
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings, demo: bool) -> Result<(), String> {
    let state = app::serve::prepare(settings)
        .await
        .map_err(|e| e.to_string())?;
    if demo {
        server::demo::seed(&state.db)
            .await
            .map_err(|e| e.to_string())?;
    }
    let running = app::serve::start(state, Default::default())
        .await
        .map_err(|e| e.to_string())?;
    let url = &running.state.settings.public_url;
    println!(
        "\nBlue Button portal is running at {url}  (listening on {})",
        running.addr
    );
    if demo {
        println!("\nDemo logins:");
        for (role, email, password) in server::demo::DEMO_LOGINS {
            println!("  {:<10} {email:<36} {password}", role.as_str());
        }
    }
    match &running.state.settings.smtp_url {
        Some(_) => println!("\nEmail is sent through SMTP_URL."),
        None => println!(
            "\nEmail is written as .eml files to {}",
            running.state.settings.outbox_dir().display()
        ),
    }
    println!("Press Ctrl-C to stop.\n");
    running.wait().await;
    Ok(())
}

/// Commands run without the background worker, so they deliver what they
/// queued themselves; anything that fails stays queued for the server.
async fn deliver_queued_mail(state: &server::AppState) -> Result<(), String> {
    use server::mail::worker::{OutboxWorker, Transport};
    let transport = Transport::from_settings(
        state.settings.smtp_url.as_deref(),
        &state.settings.outbox_dir(),
    )
    .map_err(|e| e.to_string())?;
    let worker = OutboxWorker::new(
        state.db.clone(),
        transport,
        &state.settings.mail_from,
        Default::default(),
        state.mail_wake.clone(),
    )
    .map_err(|e| e.to_string())?;
    worker
        .deliver_due()
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn create_user(settings: Settings, args: &[String]) -> Result<(), String> {
    let (Some(role), Some(email), Some(name)) = (
        flag(args, "--role"),
        flag(args, "--email"),
        flag(args, "--name"),
    ) else {
        usage();
        return Err("--role, --email and --name are required".into());
    };
    let role = Role::parse(&role).ok_or("--role must be developer, reviewer or admin")?;
    let organization = flag(args, "--organization").unwrap_or_else(|| "Blue Button program".into());
    let state = app::serve::prepare(settings)
        .await
        .map_err(|e| e.to_string())?;
    let ctx = AuditContext::default();
    let input = NewStaffAccount {
        email,
        name,
        organization,
        role,
    };
    match accounts::create_account(
        &state.db,
        &ctx,
        input,
        &state.settings.public_url,
        chrono::Utc::now(),
    )
    .await
    {
        Ok((id, link)) => {
            println!("Created {} account {id}.", role.as_str());
            println!("One-time link to set the password (valid 7 days; also emailed):\n{link}");
            deliver_queued_mail(&state).await
        }
        Err(accounts::AccountError::Invalid(errors)) => Err(errors
            .into_map()
            .into_iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("; ")),
        Err(e) => Err(e.to_string()),
    }
}
