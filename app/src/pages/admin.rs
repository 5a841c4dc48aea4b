//! Admin pages: the audit trail, mail that could not be delivered, the
//! federal calendar, and the staff with their two-step sign-in.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        admin::{
            calendar_view, list_audit, list_staff, list_undelivered_mail, AddClosure,
            RemoveClosure, ResetSecondFactor, RetryAllFailedMail, RetryMail,
        },
        Viewer,
    },
    components::{field_error, form_error, kept_value, FormAlert, Guarded, Notice},
};

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <Title text="Audit trail"/>
        <Guarded allow=Viewer::is_admin>
            <AuditTrail/>
        </Guarded>
    }
}

#[component]
fn AuditTrail() -> impl IntoView {
    let params = use_query_map();
    let filters = move || {
        params.with(|p| {
            (
                p.get("action"),
                p.get("target"),
                p.get("page").and_then(|n| n.parse::<u64>().ok()),
            )
        })
    };
    let events = Resource::new(filters, |(action, target, page)| {
        list_audit(action, target, page)
    });
    view! {
        <h1>"Audit trail"</h1>
        <p>"Every change of state, newest first. Records cannot be edited or deleted."</p>
        <form method="get" class="filters" role="search" aria-label="Filter audit events">
            <div class="field">
                <label for="filter-action">"Action starts with"</label>
                <input id="filter-action" name="action" placeholder="account." value=move || params.with(|p| p.get("action"))/>
            </div>
            <div class="field">
                <label for="filter-target">"Target id"</label>
                <input id="filter-target" name="target" value=move || params.with(|p| p.get("target"))/>
            </div>
            <button type="submit" class="button button-secondary">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                // Read before awaiting: reactive values are not reliable after an await on the server.
                let (action, target, _) = filters();
                Suspend::new(async move {
                match events.await {
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                    Ok(page) if page.rows.is_empty() => view! { <p class="empty">"No audit events match these filters."</p> }.into_any(),
                    Ok(page) => {
                        let last_page = page.total.saturating_sub(1) / page.per_page;
                        let link = move |n: u64| {
                            let (action, target) = (action.clone(), target.clone());
                            format!("/admin/audit?action={}&target={}&page={n}",
                                crate::components::urlencode(&action.unwrap_or_default()),
                                crate::components::urlencode(&target.unwrap_or_default()))
                        };
                        view! {
                            <table class="audit">
                                <caption>{format!("{} events (page {} of {})", page.total, page.page + 1, last_page + 1)}</caption>
                                <thead><tr>
                                    <th scope="col">"When"</th><th scope="col">"Action"</th><th scope="col">"Actor"</th>
                                    <th scope="col">"Target"</th><th scope="col">"Change"</th><th scope="col">"Request"</th>
                                </tr></thead>
                                <tbody>
                                    {page.rows.into_iter().map(|r| view! {
                                        <tr>
                                            <td>{r.occurred_at}</td>
                                            <td><code>{r.action}</code></td>
                                            <td>{r.actor.map(|a| format!("{a} ({})", r.actor_role.unwrap_or_default())).unwrap_or_else(|| "anonymous".into())}</td>
                                            <td>{r.target}</td>
                                            <td class="json">{r.before.map(|b| format!("before: {b}"))}" "{r.after.map(|a| format!("after: {a}"))}</td>
                                            <td>{r.request_id}<br/>{r.ip}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <nav class="pagination" aria-label="Audit pages">
                                {(page.page > 0).then(|| view! { <a href=link(page.page - 1) rel="prev">"Newer"</a> })}
                                {(page.page < last_page).then(|| view! { <a href=link(page.page + 1) rel="next">"Older"</a> })}
                            </nav>
                        }.into_any()
                    }
                }
            })
            }}
        </Suspense>
    }
}

#[component]
pub fn OutboxPage() -> impl IntoView {
    view! {
        <Title text="Undelivered email"/>
        <Guarded allow=Viewer::is_admin>
            <Undelivered/>
        </Guarded>
    }
}

#[component]
fn Undelivered() -> impl IntoView {
    let retry = ServerAction::<RetryMail>::new();
    let retry_all = ServerAction::<RetryAllFailedMail>::new();
    let messages = Resource::new(
        move || retry.version().get() + retry_all.version().get(),
        |_| list_undelivered_mail(),
    );
    let params = use_query_map();
    view! {
        <h1>"Undelivered email"</h1>
        <p>"Messages that failed at least once, or that some addresses refused. A message that cannot reach the mail server is retried with growing delays (at most half an hour apart) for three days; an address the server refuses for good fails alone, and the others still get the message. You can queue failed messages again; nobody who has a message gets it twice."</p>
        {move || params.with(|p| p.get("retried")).map(|_| view! { <Notice>"The message is queued again."</Notice> })}
        {move || params.with(|p| p.get("retried_all")).map(|n| view! { <Notice>{format!("{n} failed message(s) queued again.")}</Notice> })}
        <FormAlert message=form_error(retry)/>
        <FormAlert message=form_error(retry_all)/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match messages.await {
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                    Ok(outbox) => {
                        let backlog = match outbox.oldest_waiting.clone() {
                            Some(age) => format!("Oldest message waiting to go out: queued {age} ago."),
                            None => "No message is waiting to go out.".to_string(),
                        };
                        let shown = outbox.messages.len() as u64;
                        let failed = outbox.failed;
                        view! {
                            <p class="outbox-backlog">{backlog}</p>
                            {(failed > 0).then(|| view! {
                                <ActionForm action=retry_all attr:id="retry-all">
                                    <button type="submit" class="button">{format!("Retry all {failed} failed message(s)")}</button>
                                </ActionForm>
                            })}
                            {if outbox.messages.is_empty() {
                                view! { <p class="empty" id="outbox-empty">"No message needs attention."</p> }.into_any()
                            } else {
                                view! {
                                    {(outbox.total > shown).then(|| view! { <p>{format!("Showing the newest {shown} of {}.", outbox.total)}</p> })}
                                    <table>
                                        <caption>"Messages needing attention, newest first"</caption>
                                        <thead><tr><th scope="col">"To"</th><th scope="col">"Subject"</th><th scope="col">"Queued"</th><th scope="col">"Status"</th>
                                            <th scope="col">"Attempts"</th><th scope="col">"Last error"</th><th scope="col">"Next try"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                                        <tbody>
                                            {outbox.messages.into_iter().map(|m| view! {
                                                <tr>
                                                    <td>{m.recipients}</td><td>{m.subject}</td><td>{m.queued_at}</td><td>{m.status}</td><td>{m.attempts}</td>
                                                    <td>{m.last_error}</td><td>{m.next_attempt_at.unwrap_or_else(|| "—".into())}</td>
                                                    <td><ActionForm action=retry>
                                                        <input type="hidden" name="id" value=m.id/>
                                                        <button type="submit" class="button button-secondary">"Retry now"</button>
                                                    </ActionForm></td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    view! {
        <Title text="Federal calendar"/>
        <Guarded allow=Viewer::is_admin>
            <Calendar/>
        </Guarded>
    }
}

#[component]
fn Calendar() -> impl IntoView {
    let query = use_query_map();
    let add = ServerAction::<AddClosure>::new();
    let remove = ServerAction::<RemoveClosure>::new();
    let days = Resource::new(
        move || {
            (
                query.with(|q| (q.get("added"), q.get("removed"))),
                add.version().get() + remove.version().get(),
            )
        },
        |_| calendar_view(),
    );
    view! {
        <h1>"Federal calendar"</h1>
        <p>"Service-level clocks (the 24-business-hour first response, the five-business-day policy review) skip weekends, federal holidays and the closure days below."</p>
        {move || query.with(|q| q.get("added")).map(|_| view! { <Notice>"The closure day is added."</Notice> })}
        {move || query.with(|q| q.get("removed")).map(|_| view! { <Notice>"The closure day is removed."</Notice> })}
        <section class="narrow" aria-labelledby="add-closure-heading">
            <h2 id="add-closure-heading">"Add a closure day"</h2>
            <FormAlert message=form_error(add)/>
            <ActionForm action=add attr:novalidate=true>
                <div class="field" class:field-invalid=move || field_error(add, "day").get().is_some()>
                    <label for="closure-day">"Date"</label>
                    {move || field_error(add, "day").get().map(|e| view! { <p class="field-error" id="closure-day-error">{e}</p> })}
                    <input id="closure-day" name="day" type="date" required=true prop:value=move || kept_value(add, "day").get().unwrap_or_default()/>
                </div>
                <div class="field" class:field-invalid=move || field_error(add, "reason").get().is_some()>
                    <label for="closure-reason">"Reason"</label>
                    {move || field_error(add, "reason").get().map(|e| view! { <p class="field-error" id="closure-reason-error">{e}</p> })}
                    <input id="closure-reason" name="reason" type="text" required=true prop:value=move || kept_value(add, "reason").get().unwrap_or_default()/>
                </div>
                <button type="submit" class="button">"Add closure day"</button>
            </ActionForm>
        </section>
        <FormAlert message=form_error(remove)/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match days.await {
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                    Ok(view_) => view! {
                        <h2>"Closure days"</h2>
                        {if view_.closures.is_empty() {
                            view! { <p class="empty-state">"No closure days ahead."</p> }.into_any()
                        } else {
                            view! {
                                <table>
                                    <caption>"Upcoming closure days"</caption>
                                    <thead><tr><th scope="col">"Day"</th><th scope="col">"Reason"</th><th scope="col">"Remove"</th></tr></thead>
                                    <tbody>
                                        {view_.closures.into_iter().map(|c| {
                                            let confirm_id = format!("remove-{}", c.date);
                                            view! {
                                                <tr>
                                                    <td>{c.label}</td>
                                                    <td>{c.reason}</td>
                                                    <td>
                                                        <ActionForm action=remove>
                                                            <input type="hidden" name="day" value=c.date.clone()/>
                                                            <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes"/>
                                                            <label for=confirm_id>"Confirm"</label>" "
                                                            <button type="submit" class="button button-small button-secondary">"Remove"</button>
                                                        </ActionForm>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }}
                        <h2>"Federal holidays"</h2>
                        <table>
                            <caption>"Federal holidays (as observed) this year and next"</caption>
                            <thead><tr><th scope="col">"Day"</th><th scope="col">"Holiday"</th></tr></thead>
                            <tbody>
                                {view_.holidays.into_iter().map(|h| view! { <tr><td>{h.label}</td><td>{h.reason}</td></tr> }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn IncidentsPage() -> impl IntoView {
    view! {
        <Title text="Incident response"/>
        <Guarded allow=Viewer::is_admin>
            <Incidents/>
        </Guarded>
    }
}

#[component]
fn Incidents() -> impl IntoView {
    use crate::api::incidents::{
        incidents, ForceReauthentication, RestoreAccess, SendIncidentNotice, SuspendAccess,
    };
    let query = use_query_map();
    let suspend = ServerAction::<SuspendAccess>::new();
    let restore = ServerAction::<RestoreAccess>::new();
    let reauth = ServerAction::<ForceReauthentication>::new();
    let notice = ServerAction::<SendIncidentNotice>::new();
    let state = Resource::new(
        move || {
            (
                query.with(|q| {
                    (
                        q.get("suspended"),
                        q.get("restored"),
                        q.get("reauthenticated"),
                        q.get("notice"),
                    )
                }),
                suspend.version().get()
                    + restore.version().get()
                    + reauth.version().get()
                    + notice.version().get(),
            )
        },
        |_| incidents(),
    );
    view! {
        <h1>"Incident response"</h1>
        <p>"Suspend an app, or all production access, while an issue is investigated; restore it without re-registration; force enrollees to sign in and consent again. Every action is audited and the developers concerned are emailed."</p>
        {move || query.with(|q| q.get("suspended")).map(|_| view! { <Notice>"Access is suspended. Its tokens are refused from now on and the developers were emailed."</Notice> })}
        {move || query.with(|q| q.get("restored")).map(|_| view! { <Notice>"Access is restored and the developers were emailed."</Notice> })}
        {move || query.with(|q| q.get("notice")).map(|_| view! { <Notice>"The notice is on its way to every contact; delivery is shown below."</Notice> })}
        {move || query.with(|q| q.get("reauthenticated")).map(|n| view! { <Notice>{format!("{n} enrollee permission(s) ended: those enrollees must sign in and consent again.")}</Notice> })}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match state.await {
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                    Ok(s) => {
                        let options = s.apps.clone();
                        let options2 = s.apps.clone();
                        let options3 = s.apps.clone();
                        let sent_notices = s.notices.clone();
                        view! {
                            <section aria-labelledby="active-heading">
                                <h2 id="active-heading">"Active suspensions"</h2>
                                <FormAlert message=form_error(restore)/>
                                {if s.suspensions.is_empty() {
                                    view! { <p class="empty-state" id="no-suspensions">"No access is suspended."</p> }.into_any()
                                } else {
                                    view! {
                                        <table id="suspensions">
                                            <caption>"Suspended access"</caption>
                                            <thead><tr><th scope="col">"Scope"</th><th scope="col">"Reason"</th><th scope="col">"Since"</th><th scope="col">"Restore"</th></tr></thead>
                                            <tbody>
                                                {s.suspensions.into_iter().map(|x| {
                                                    let confirm_id = format!("restore-{}", x.id);
                                                    view! {
                                                        <tr>
                                                            <td>{x.scope}</td><td>{x.reason}</td><td>{x.since}</td>
                                                            <td>
                                                                <ActionForm action=restore>
                                                                    <input type="hidden" name="id" value=x.id.clone()/>
                                                                    <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes"/>
                                                                    <label for=confirm_id>"Confirm"</label>" "
                                                                    <button type="submit" class="button button-small button-secondary">"Restore"</button>
                                                                </ActionForm>
                                                            </td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                            </section>
                            <section class="narrow" aria-labelledby="suspend-heading">
                                <h2 id="suspend-heading">"Suspend access"</h2>
                                <FormAlert message=form_error(suspend)/>
                                <ActionForm action=suspend attr:novalidate=true attr:id="suspend-form">
                                    <div class="field" class:field-invalid=move || field_error(suspend, "target").get().is_some()>
                                        <label for="suspend-target">"Whose access"</label>
                                        {move || field_error(suspend, "target").get().map(|e| view! { <p class="field-error">{e}</p> })}
                                        <select id="suspend-target" name="target">
                                            <option value="all">"All production access"</option>
                                            {options.into_iter().map(|(id, name, state)| view! { <option value=id>{format!("{name} ({state})")}</option> }).collect_view()}
                                        </select>
                                    </div>
                                    <div class="field" class:field-invalid=move || field_error(suspend, "reason").get().is_some()>
                                        <label for="suspend-reason">"Reason (refused apps and their developers see it)"</label>
                                        {move || field_error(suspend, "reason").get().map(|e| view! { <p class="field-error">{e}</p> })}
                                        <textarea id="suspend-reason" name="reason" rows="2" prop:value=move || kept_value(suspend, "reason").get().unwrap_or_default()></textarea>
                                    </div>
                                    <div class="field checkbox" class:field-invalid=move || field_error(suspend, "confirm").get().is_some()>
                                        {move || field_error(suspend, "confirm").get().map(|e| view! { <p class="field-error">{e}</p> })}
                                        <input type="checkbox" id="suspend-confirm" name="confirm" value="yes"/>
                                        <label for="suspend-confirm">"Yes, refuse this access now"</label>
                                    </div>
                                    <button type="submit" class="button button-danger">"Suspend"</button>
                                </ActionForm>
                            </section>
                            <section class="narrow" aria-labelledby="notice-heading">
                                <h2 id="notice-heading">"Send an incident notice"</h2>
                                <p>"Emails every contact of the chosen apps (developers, points of contact, other contacts), one message each, so each delivery can be followed."</p>
                                <FormAlert message=form_error(notice)/>
                                <ActionForm action=notice attr:novalidate=true attr:id="notice-form">
                                    <div class="field">
                                        <label for="notice-target">"To the contacts of"</label>
                                        <select id="notice-target" name="target">
                                            <option value="all">"All production apps"</option>
                                            {options3.into_iter().map(|(id, name, _)| view! { <option value=id>{name}</option> }).collect_view()}
                                        </select>
                                    </div>
                                    <div class="field" class:field-invalid=move || field_error(notice, "subject").get().is_some()>
                                        <label for="notice-subject">"Subject"</label>
                                        {move || field_error(notice, "subject").get().map(|e| view! { <p class="field-error">{e}</p> })}
                                        <input id="notice-subject" name="subject" type="text" prop:value=move || kept_value(notice, "subject").get().unwrap_or_default()/>
                                    </div>
                                    <div class="field" class:field-invalid=move || field_error(notice, "body").get().is_some()>
                                        <label for="notice-body">"Message (blank lines separate paragraphs)"</label>
                                        {move || field_error(notice, "body").get().map(|e| view! { <p class="field-error">{e}</p> })}
                                        <textarea id="notice-body" name="body" rows="6" prop:value=move || kept_value(notice, "body").get().unwrap_or_default()></textarea>
                                    </div>
                                    <div class="field checkbox" class:field-invalid=move || field_error(notice, "confirm").get().is_some()>
                                        {move || field_error(notice, "confirm").get().map(|e| view! { <p class="field-error">{e}</p> })}
                                        <input type="checkbox" id="notice-confirm" name="confirm" value="yes"/>
                                        <label for="notice-confirm">"Yes, send it to every contact"</label>
                                    </div>
                                    <button type="submit" class="button">"Send the notice"</button>
                                </ActionForm>
                            </section>
                            <section aria-labelledby="notices-heading">
                                <h2 id="notices-heading">"Notices sent"</h2>
                                {if sent_notices.is_empty() {
                                    view! { <p class="empty-state">"No notices sent yet."</p> }.into_any()
                                } else {
                                    sent_notices.into_iter().map(|n| view! {
                                        <table class="notice-delivery">
                                            <caption>{format!("{} — to {} — {}", n.subject, n.audience, n.sent)}</caption>
                                            <thead><tr><th scope="col">"Contact"</th><th scope="col">"Delivery"</th></tr></thead>
                                            <tbody>
                                                {n.recipients.into_iter().map(|(email, status)| view! { <tr><td>{email}</td><td>{status}</td></tr> }).collect_view()}
                                            </tbody>
                                        </table>
                                    }).collect_view().into_any()
                                }}
                            </section>
                            <section class="narrow" aria-labelledby="reauth-heading">
                                <h2 id="reauth-heading">"Force re-authentication"</h2>
                                <p>"Ends every enrollee permission and token of the chosen apps: enrollees must sign in and consent again. This cannot be undone."</p>
                                <FormAlert message=form_error(reauth)/>
                                <ActionForm action=reauth attr:id="reauth-form">
                                    <div class="field">
                                        <label for="reauth-target">"Which apps"</label>
                                        <select id="reauth-target" name="target">
                                            <option value="all">"All production apps"</option>
                                            {options2.into_iter().map(|(id, name, _)| view! { <option value=id>{name}</option> }).collect_view()}
                                        </select>
                                    </div>
                                    <div class="field checkbox" class:field-invalid=move || field_error(reauth, "confirm").get().is_some()>
                                        {move || field_error(reauth, "confirm").get().map(|e| view! { <p class="field-error">{e}</p> })}
                                        <input type="checkbox" id="reauth-confirm" name="confirm" value="yes"/>
                                        <label for="reauth-confirm">"Yes, end these permissions"</label>
                                    </div>
                                    <button type="submit" class="button button-danger">"Force re-authentication"</button>
                                </ActionForm>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn StaffPage() -> impl IntoView {
    view! {
        <Title text="Staff"/>
        <Guarded allow=Viewer::is_admin>
            <Staff/>
        </Guarded>
    }
}

/// Reviewers and admins, and the reset for a lost authenticator.
#[component]
fn Staff() -> impl IntoView {
    let query = use_query_map();
    let reset = ServerAction::<ResetSecondFactor>::new();
    let staff = Resource::new(move || reset.version().get(), |_| list_staff());
    view! {
        <h1>"Staff"</h1>
        <p>"Reviewers and admins sign in with a password and an authenticator app. If someone lost their device and their recovery codes, reset their two-step sign-in: they are signed out everywhere, emailed, and set up a new authenticator at their next sign-in."</p>
        {move || query.with(|q| q.get("reset")).map(|_| view! { <Notice>"Two-step sign-in was reset and the person emailed."</Notice> })}
        <FormAlert message=form_error(reset)/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match staff.await {
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                    Ok(rows) => view! {
                        <table>
                            <caption>"Staff accounts"</caption>
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Two-step sign-in"</th><th scope="col">"Reset"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| {
                                    let confirm_id = format!("reset-{}", r.id);
                                    view! {
                                        <tr>
                                            <td>{r.name.clone()}</td>
                                            <td>{r.email.clone()}</td>
                                            <td>{r.role.clone()}</td>
                                            <td>{r.second_factor.clone()}</td>
                                            <td>
                                                {r.enrolled.then(|| view! {
                                                    <ActionForm action=reset>
                                                        <input type="hidden" name="id" value=r.id.clone()/>
                                                        <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes"/>
                                                        <label for=confirm_id.clone()>{format!("Confirm for {}", r.name)}</label>" "
                                                        <button type="submit" class="button button-small button-secondary">"Reset two-step sign-in"</button>
                                                    </ActionForm>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
