//! `portal`: serves the portal and runs its administrative commands.
//!
//! ```text
//! portal [serve] [--demo]      migrate, (seed demo accounts,) serve
//! portal migrate               apply database migrations and exit
//! portal user create --role reviewer|admin|developer --email E --name N [--organization O]
//! portal user reset-second-factor --email E    (a lost authenticator; audited and emailed)
//! portal beneficiaries load [--first N | --all]
//! portal claims refresh        append a week's Part A/B claims and a month's Part D events
//! portal app create --owner EMAIL --name NAME --redirect-uris "URI …" [--client-type confidential|public]
//!                   [--grant-type authorization-code|implicit] [--demographics yes|no]
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
        "usage:\n  portal [serve] [--demo]\n  portal migrate\n  portal user create --role reviewer|admin|developer --email EMAIL --name NAME [--organization ORG]\n  portal user reset-second-factor --email EMAIL\n  portal beneficiaries load [--first N | --all]\n  portal claims refresh\n  portal app create --owner EMAIL --name NAME --redirect-uris \"URI ...\" [--client-type confidential|public] [--grant-type authorization-code|implicit] [--demographics yes|no]"
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
        ["user", "reset-second-factor"] => reset_second_factor(settings, &args).await,
        ["beneficiaries", "load"] => load_beneficiaries(settings, &args).await,
        ["app", "create"] => create_app(settings, &args).await,
        ["claims", "refresh"] => refresh_claims(settings).await,
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
    let seeded = if demo {
        Some(
            server::seed_data::seed(
                &state.db,
                &state.blobs,
                &state.settings.public_url,
                state.clock.now(),
            )
            .await
            .map_err(|e| e.to_string())?,
        )
    } else {
        None
    };
    let running = app::serve::start(state, Default::default())
        .await
        .map_err(|e| e.to_string())?;
    let url = &running.state.settings.public_url;
    println!(
        "\nBlue Button portal is running at {url}  (listening on {})",
        running.addr
    );
    if let Some(seeded) = seeded {
        println!("\nDemo logins:");
        for (role, email, password) in server::seed_data::DEMO_LOGINS {
            println!("  {:<10} {email:<36} {password}", role.as_str());
        }
        println!(
            "\nThe review queue ({url}/review, as the reviewer) holds the demo developer's application for \"{}\".",
            server::seed_data::DEMO_SUBMITTED_APP_NAME
        );
        println!(
            "\nSynthetic Medicare enrollees: BBUser00000-BBUser{:05} and BBUser29999 (password PW<number>!, e.g. PW29999!).",
            server::seed_data::DEMO_ENROLLEES - 1
        );
        println!("  Load all 30,000 with: target/debug/portal beneficiaries load --all");
        match seeded.new_app {
            Some((client_id, secret)) => println!(
                "\nDemo sandbox app \"{}\" (owned by the demo developer); the secret is shown only now:\n  client_id     {client_id}\n  client_secret {secret}",
                server::seed_data::DEMO_APP_NAME
            ),
            None => println!(
                "\nThe demo developer's sandbox app exists; create a new secret on its page if you need one."
            ),
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

/// Removes an account's authenticator and recovery codes (a lost device):
/// the owner is signed out everywhere, emailed, and sets one up again.
async fn reset_second_factor(settings: Settings, args: &[String]) -> Result<(), String> {
    let Some(email) = flag(args, "--email") else {
        usage();
        return Err("--email is required".into());
    };
    let state = app::serve::prepare(settings)
        .await
        .map_err(|e| e.to_string())?;
    let user = accounts::find_user(&state.db, &email)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no account uses {email}"))?;
    server::second_factor::reset(
        &state.db,
        &AuditContext::default(),
        user.id,
        &state.notifier(),
        state.clock.now(),
    )
    .await
    .map_err(|e| e.to_string())?;
    println!("Two-step sign-in was reset for {email}; every session ended. They set it up again at their next sign-in.");
    deliver_queued_mail(&state).await
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
    match accounts::create_account(&state.db, &ctx, input, &state.notifier(), state.clock.now())
        .await
    {
        Ok((id, link)) => {
            println!("Created {} account {id}.", role.as_str());
            println!("One-time link to set the password (valid 7 days; also emailed):\n{link}");
            deliver_queued_mail(&state).await
        }
        Err(accounts::AccountError::Common(server::errors::Common::Invalid(errors))) => Err(errors
            .into_map()
            .into_iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("; ")),
        Err(e) => Err(e.to_string()),
    }
}

async fn load_beneficiaries(settings: Settings, args: &[String]) -> Result<(), String> {
    let total = server::synthetic::POPULATION;
    let count = if args.iter().any(|a| a == "--all") {
        total
    } else {
        match flag(args, "--first") {
            Some(n) => n
                .parse::<u32>()
                .map_err(|_| "--first takes a number".to_string())?
                .min(total),
            None => server::seed_data::DEMO_ENROLLEES,
        }
    };
    let state = app::serve::prepare(settings)
        .await
        .map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let ctx = AuditContext::default();
    let now = state.clock.now();
    let mut report = server::medicare::load::load_synthetic(&state.db, &ctx, 0..count, now)
        .await
        .map_err(|e| e.to_string())?;
    // The documentation's featured enrollee (BBUser29999) is always there.
    let featured = server::synthetic::FEATURED_NUMBER;
    if count <= featured {
        let more =
            server::medicare::load::load_synthetic(&state.db, &ctx, featured..featured + 1, now)
                .await
                .map_err(|e| e.to_string())?;
        report.add(more);
    }
    println!(
        "Loaded {} synthetic enrollees with {} claims ({} enrollees were already there) in {:.1} s.",
        report.created,
        report.claims,
        report.already_present,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn create_app(settings: Settings, args: &[String]) -> Result<(), String> {
    let (Some(owner), Some(name), Some(redirect_uris)) = (
        flag(args, "--owner"),
        flag(args, "--name"),
        flag(args, "--redirect-uris"),
    ) else {
        usage();
        return Err("--owner, --name and --redirect-uris are required".into());
    };
    let client_type = flag(args, "--client-type").unwrap_or_else(|| "confidential".into());
    let grant_type = flag(args, "--grant-type").unwrap_or_else(|| "authorization-code".into());
    let demographics = match flag(args, "--demographics").as_deref() {
        None | Some("yes") => true,
        Some("no") => false,
        Some(_) => return Err("--demographics must be yes or no".into()),
    };
    let state = app::serve::prepare(settings)
        .await
        .map_err(|e| e.to_string())?;
    let user = accounts::find_user(&state.db, &owner)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no account with email {owner}"))?;
    let registration = server::apps::Registration::scripted(
        &name,
        &client_type,
        &grant_type,
        &redirect_uris,
        demographics,
        &user.email,
    );
    let ctx = user.audit(Default::default());
    match server::apps::register(&state.db, &ctx, &user, registration, state.clock.now()).await {
        Ok(created) => {
            println!(
                "Registered sandbox app {:?} for {}.",
                created.app.name, user.email
            );
            println!("client_id     {}", created.app.client_id);
            println!("client_secret {}", created.client_secret.expose());
            println!("(The secret is stored only as a hash: this is the only time it is shown.)");
            Ok(())
        }
        Err(server::apps::AppsError::Common(server::errors::Common::Invalid(errors))) => {
            Err(errors
                .into_map()
                .into_iter()
                .map(|(f, m)| format!("{f}: {m}"))
                .collect::<Vec<_>>()
                .join("; "))
        }
        Err(e) => Err(e.to_string()),
    }
}

async fn refresh_claims(settings: Settings) -> Result<(), String> {
    let state = app::serve::prepare(settings)
        .await
        .map_err(|e| e.to_string())?;
    let report =
        server::medicare::load::refresh(&state.db, &AuditContext::default(), state.clock.now())
            .await
            .map_err(|e| e.to_string())?;
    println!(
        "Added {} Part A/B claims (service in the past week) and {} Part D events (past month), last updated now.",
        report.part_ab_claims, report.part_d_events
    );
    Ok(())
}
