//! Admins' incident response: suspend and restore API access, force
//! re-authentication. Every function checks the admin role on the server.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr::{internal, Call};
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuspensionDto {
    pub id: String,
    /// The app's name, or "All production access".
    pub scope: String,
    pub reason: String,
    pub since: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeDto {
    pub subject: String,
    pub audience: String,
    pub sent: String,
    /// Contact, delivery status in words.
    pub recipients: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentsDto {
    pub suspensions: Vec<SuspensionDto>,
    pub notices: Vec<NoticeDto>,
    /// Production apps: id, name, state label.
    pub apps: Vec<(String, String, String)>,
}

#[cfg(feature = "ssr")]
fn incident_error(error: server::incidents::IncidentError) -> AppError {
    use server::incidents::IncidentError;
    match error {
        IncidentError::Common(c) => super::ssr::common(
            c,
            "That app or suspension no longer exists; reload the page.",
        ),
    }
}

/// `all` or an app id.
#[cfg(feature = "ssr")]
fn parse_target(value: &str) -> Result<server::incidents::Target, AppError> {
    if value == "all" {
        return Ok(server::incidents::Target::AllProduction);
    }
    uuid::Uuid::parse_str(value)
        .map(server::incidents::Target::App)
        .map_err(|_| {
            let mut errors = std::collections::BTreeMap::new();
            errors.insert(
                "target".to_string(),
                "Choose an app, or all production access.".to_string(),
            );
            AppError::Fields(errors)
        })
}

#[cfg(feature = "ssr")]
fn unconfirmed(message: &str) -> AppError {
    let mut errors = std::collections::BTreeMap::new();
    errors.insert("confirm".to_string(), message.to_string());
    AppError::Fields(errors)
}

#[server(endpoint = "admin/incidents")]
pub async fn incidents() -> Result<IncidentsDto, AppError> {
    let call = Call::capture();
    call.require_admin().await?;
    let db = &call.state.db;
    let suspensions = server::incidents::active(db).await.map_err(internal)?;
    let apps = server::incidents::production_apps(db)
        .await
        .map_err(internal)?;
    let notices = server::incidents::notices(db).await.map_err(internal)?;
    Ok(IncidentsDto {
        notices: notices
            .into_iter()
            .map(|n| NoticeDto {
                subject: n.subject,
                audience: n.audience,
                sent: server::calendar::format_eastern(n.created_at, "%b %-d, %Y, %-I:%M %p"),
                recipients: n
                    .recipients
                    .into_iter()
                    .map(|(email, status, error)| {
                        let words = match (status.as_str(), error) {
                            ("sent", _) => "Delivered to the mail server".to_string(),
                            ("failed", Some(e)) => format!("Failed: {e}"),
                            ("failed", None) => "Failed".to_string(),
                            (_, Some(e)) => format!("Retrying after: {e}"),
                            _ => "Waiting to be sent".to_string(),
                        };
                        (email, words)
                    })
                    .collect(),
            })
            .collect(),
        suspensions: suspensions
            .into_iter()
            .map(|s| SuspensionDto {
                id: s.id.to_string(),
                scope: s
                    .app
                    .map(|(_, name)| name)
                    .unwrap_or_else(|| "All production access".into()),
                reason: s.reason,
                since: server::calendar::format_eastern(s.created_at, "%b %-d, %Y, %-I:%M %p"),
            })
            .collect(),
        apps: apps
            .into_iter()
            .map(|(id, name, state)| (id.to_string(), name, state.label().to_string()))
            .collect(),
    })
}

#[server(endpoint = "admin/incidents/suspend")]
pub async fn suspend_access(
    target: String,
    reason: String,
    confirm: Option<String>,
) -> Result<(), AppError> {
    let call = Call::capture();
    let admin = call.require_admin().await?;
    let kept = [("reason", reason.as_str()), ("target", target.as_str())];
    let chosen = parse_target(&target).map_err(|e| e.keeping(&kept))?;
    if confirm.is_none() {
        return Err(unconfirmed(
            "Tick the box to confirm: the app's tokens will be refused at once.",
        )
        .keeping(&kept));
    }
    server::incidents::suspend(
        &call.state.db,
        &call.audit_as(&admin),
        &admin,
        chosen,
        &reason,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| incident_error(e).keeping(&kept))?;
    call.redirect("/admin/incidents?suspended=1");
    Ok(())
}

#[server(endpoint = "admin/incidents/restore")]
pub async fn restore_access(id: String, confirm: Option<String>) -> Result<(), AppError> {
    let call = Call::capture();
    let admin = call.require_admin().await?;
    if confirm.is_none() {
        return Err(AppError::Message(
            "Tick the box beside the suspension to confirm the restore.".into(),
        ));
    }
    let id = uuid::Uuid::parse_str(&id)
        .map_err(|_| AppError::Message("That suspension no longer exists.".into()))?;
    server::incidents::restore(
        &call.state.db,
        &call.audit_as(&admin),
        &admin,
        id,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(incident_error)?;
    call.redirect("/admin/incidents?restored=1");
    Ok(())
}

#[server(endpoint = "admin/incidents/reauthenticate")]
pub async fn force_reauthentication(
    target: String,
    confirm: Option<String>,
) -> Result<(), AppError> {
    let call = Call::capture();
    let admin = call.require_admin().await?;
    let chosen = parse_target(&target)?;
    if confirm.is_none() {
        return Err(unconfirmed("Tick the box to confirm: every enrollee of these apps will have to sign in and consent again. This cannot be undone."));
    }
    let ended = server::incidents::force_reauthentication(
        &call.state.db,
        &call.audit_as(&admin),
        &admin,
        chosen,
        call.now(),
    )
    .await
    .map_err(incident_error)?;
    call.redirect(&format!("/admin/incidents?reauthenticated={ended}"));
    Ok(())
}

#[server(endpoint = "admin/incidents/notice")]
pub async fn send_incident_notice(
    target: String,
    subject: String,
    body: String,
    confirm: Option<String>,
) -> Result<(), AppError> {
    let call = Call::capture();
    let admin = call.require_admin().await?;
    let kept = [("subject", subject.as_str()), ("body", body.as_str())];
    let chosen = parse_target(&target).map_err(|e| e.keeping(&kept))?;
    if confirm.is_none() {
        return Err(unconfirmed(
            "Tick the box to confirm: the message goes to every contact of these apps.",
        )
        .keeping(&kept));
    }
    server::incidents::send_notice(
        &call.state.db,
        &call.audit_as(&admin),
        &admin,
        chosen,
        &subject,
        &body,
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| incident_error(e).keeping(&kept))?;
    call.redirect("/admin/incidents?notice=1");
    Ok(())
}
