//! Admin-only reads and actions: the audit trail and undelivered mail.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr::{internal, Call};
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub occurred_at: String,
    pub actor: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

pub const AUDIT_PAGE_SIZE: u64 = 50;

#[server(endpoint = "admin/audit")]
pub async fn list_audit(
    action: Option<String>,
    target: Option<String>,
    page: Option<u64>,
) -> Result<AuditPage, AppError> {
    let call = Call::capture();
    call.require_admin().await?;
    let query = server::audit::AuditQuery {
        action_prefix: action,
        actor: None,
        target_id: target,
        page: page.unwrap_or(0),
        per_page: AUDIT_PAGE_SIZE,
    };
    let (rows, total) = server::audit::search(&call.state.db, &query)
        .await
        .map_err(internal)?;
    Ok(AuditPage {
        rows: rows
            .into_iter()
            .map(|r| AuditRow {
                id: r.id,
                occurred_at: r.occurred_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                actor: r.actor_id.map(|a| a.to_string()),
                actor_role: r.actor_role,
                action: r.action,
                target: match r.target_id {
                    Some(id) => format!("{} {}", r.target_type, id),
                    None => r.target_type,
                },
                before: r.before,
                after: r.after,
                request_id: r.request_id,
                ip: r.ip,
            })
            .collect(),
        total,
        page: query.page,
        per_page: AUDIT_PAGE_SIZE,
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndeliveredMail {
    pub id: String,
    pub recipients: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// When it is tried next, if it is still queued.
    pub next_attempt_at: Option<String>,
    pub queued_at: String,
}

/// The outbox page: the first messages needing attention and the backlog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxView {
    pub messages: Vec<UndeliveredMail>,
    pub total: u64,
    /// How long the oldest message still waiting has waited ("6 hours").
    pub oldest_waiting: Option<String>,
    pub failed: u64,
}

/// The outbox page lists this many; the rest are counted.
pub const OUTBOX_PAGE_SIZE: u64 = 100;

#[server(endpoint = "admin/outbox")]
pub async fn list_undelivered_mail() -> Result<OutboxView, AppError> {
    let call = Call::capture();
    call.require_admin().await?;
    let found = server::mail::outbox::undelivered(&call.state.db, OUTBOX_PAGE_SIZE)
        .await
        .map_err(internal)?;
    let now = call.now();
    Ok(OutboxView {
        total: found.total,
        failed: found.failed,
        oldest_waiting: found.oldest_waiting.map(|at| super::review::age(now - at)),
        messages: found
            .messages
            .into_iter()
            .map(|m| UndeliveredMail {
                id: m.id.to_string(),
                recipients: serde_json::from_str::<Vec<String>>(&m.recipients)
                    .unwrap_or_default()
                    .join(", "),
                subject: m.subject,
                attempts: m.attempts,
                last_error: m.last_error,
                next_attempt_at: (m.status == server::mail::worker::PENDING)
                    .then(|| super::review::eastern(m.next_attempt_at)),
                queued_at: super::review::eastern(m.created_at),
                status: match m.status.as_str() {
                    server::mail::worker::PENDING => "Retrying".to_string(),
                    server::mail::worker::FAILED => "Failed".to_string(),
                    _ => "Some addresses rejected".to_string(),
                },
            })
            .collect(),
    })
}

#[cfg(feature = "ssr")]
fn retry_refusal(outcome: server::mail::outbox::Retry) -> Result<(), AppError> {
    use server::mail::outbox::Retry;
    match outcome {
        Retry::Queued => Ok(()),
        Retry::AlreadyDelivered | Retry::NotFound => Err(AppError::Message(
            "That message was already delivered or no longer exists.".into(),
        )),
        Retry::BeingSent => Err(AppError::Message(
            "That message is being sent right now, so it was not queued again. Reload in a minute to see how it went.".into(),
        )),
    }
}

#[server(endpoint = "admin/outbox/retry")]
pub async fn retry_mail(id: String) -> Result<(), AppError> {
    let call = Call::capture();
    let admin = call.require_admin().await?;
    let id =
        uuid::Uuid::parse_str(&id).map_err(|_| AppError::Message("Unknown message.".into()))?;
    let outcome =
        server::mail::outbox::retry(&call.state.db, &call.audit_as(&admin), id, call.now())
            .await
            .map_err(internal)?;
    retry_refusal(outcome)?;
    call.redirect("/admin/outbox?retried=1");
    Ok(())
}

#[server(endpoint = "admin/outbox/retry-all")]
pub async fn retry_all_failed_mail() -> Result<usize, AppError> {
    let call = Call::capture();
    let admin = call.require_admin().await?;
    let queued =
        server::mail::outbox::retry_all_failed(&call.state.db, &call.audit_as(&admin), call.now())
            .await
            .map_err(internal)?;
    call.redirect(&format!("/admin/outbox?retried_all={queued}"));
    Ok(queued)
}

/// A day offices are closed, for the calendar page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The day in words, like "Thursday, November 26, 2026".
    pub label: String,
    pub reason: String,
    /// Closure days can be removed; holidays cannot.
    pub removable: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDays {
    pub holidays: Vec<ClosedDay>,
    pub closures: Vec<ClosedDay>,
}

#[cfg(feature = "ssr")]
fn closure_error(error: server::calendar::closures::ClosureError) -> AppError {
    use server::calendar::closures::ClosureError;
    match error {
        ClosureError::Common(c) => super::ssr::common(c, "That day is not on the calendar."),
    }
}

#[server(endpoint = "admin/calendar")]
pub async fn calendar_view() -> Result<CalendarDays, AppError> {
    use chrono::Datelike;
    let call = Call::capture();
    call.require_admin().await?;
    let today = call.now().date_naive();
    let label = |d: chrono::NaiveDate| d.format("%A, %B %-d, %Y").to_string();
    let holidays = [today.year(), today.year() + 1]
        .into_iter()
        .flat_map(server::calendar::federal_holidays)
        .filter(|(d, _)| *d >= today)
        .map(|(d, name)| ClosedDay {
            date: d.to_string(),
            label: label(d),
            reason: name.into(),
            removable: false,
        })
        .collect();
    let closures = server::calendar::closures::upcoming(&call.state.db, today)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|c| ClosedDay {
            date: c.day.to_string(),
            label: label(c.day),
            reason: c.reason,
            removable: true,
        })
        .collect();
    Ok(CalendarDays { holidays, closures })
}

#[server(endpoint = "admin/calendar/add")]
pub async fn add_closure(day: String, reason: String) -> Result<(), AppError> {
    let call = Call::capture();
    let admin = call.require_admin().await?;
    let kept = [("day", day.as_str()), ("reason", reason.as_str())];
    let date = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| server::validation::is_plausible_date(*d))
        .ok_or(())
        .map_err(|_| {
            let mut errors = std::collections::BTreeMap::new();
            errors.insert(
                "day".to_string(),
                "Enter a date, like 2026-12-24.".to_string(),
            );
            AppError::Fields(errors).keeping(&kept)
        })?;
    server::calendar::closures::add(
        &call.state.db,
        &call.audit_as(&admin),
        &admin,
        date,
        &reason,
        call.now(),
    )
    .await
    .map_err(|e| closure_error(e).keeping(&kept))?;
    call.redirect("/admin/calendar?added=1");
    Ok(())
}

#[server(endpoint = "admin/calendar/remove")]
pub async fn remove_closure(day: String, confirm: Option<String>) -> Result<(), AppError> {
    let call = Call::capture();
    let admin = call.require_admin().await?;
    if confirm.is_none() {
        return Err(AppError::Message(
            "Tick the box beside the day to confirm: service-level clocks will count it as a working day again.".into(),
        ));
    }
    let date = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::Message("That is not a date.".into()))?;
    server::calendar::closures::remove(
        &call.state.db,
        &call.audit_as(&admin),
        &admin,
        date,
        call.now(),
    )
    .await
    .map_err(closure_error)?;
    call.redirect("/admin/calendar?removed=1");
    Ok(())
}

/// A staff account on the admins' staff page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    /// "On since December 5, 2026", or "Not set up yet".
    pub second_factor: String,
    pub enrolled: bool,
}

#[server(endpoint = "admin/staff")]
pub async fn list_staff() -> Result<Vec<StaffRow>, AppError> {
    let call = Call::capture();
    let admin = call.require_admin().await?;
    let staff = server::second_factor::staff(&call.state.db, admin.role)
        .await
        .map_err(|e| call.account_error(e))?;
    Ok(staff
        .into_iter()
        .map(|s| StaffRow {
            id: s.id.0.to_string(),
            name: s.name,
            email: s.email,
            role: s.role.as_str().into(),
            enrolled: s.second_factor_since.is_some(),
            second_factor: match s.second_factor_since {
                Some(at) => format!("On since {}", super::format::date(at)),
                None => "Not set up yet".into(),
            },
        })
        .collect())
}

/// Removes a staff member's authenticator after a lost device (confirmed):
/// they are signed out everywhere, emailed, and set one up again.
#[server(endpoint = "admin/staff/reset_second_factor")]
pub async fn reset_second_factor(id: String, confirm: Option<String>) -> Result<(), AppError> {
    let call = Call::capture();
    let admin = call.require_admin().await?;
    if confirm.is_none() {
        return Err(AppError::Message(
            "Tick “Confirm” to reset: the person is signed out everywhere and must set up an authenticator again.".into(),
        ));
    }
    let target = uuid::Uuid::parse_str(&id)
        .map_err(|_| AppError::Message("We could not find that account.".into()))?;
    server::second_factor::reset(
        &call.state.db,
        &call.audit_as(&admin),
        server::ids::AccountId(target),
        &call.notifier(),
        call.now(),
    )
    .await
    .map_err(|e| call.account_error(e))?;
    call.redirect("/admin/staff?reset=1");
    Ok(())
}
