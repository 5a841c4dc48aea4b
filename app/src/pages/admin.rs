//! Admin pages: the audit trail and mail that could not be delivered.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        admin::{list_audit, list_undelivered_mail, RetryMail},
        Viewer,
    },
    components::{form_error, FormAlert, Guarded, Notice},
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
    let messages = Resource::new(move || retry.version().get(), |_| list_undelivered_mail());
    let params = use_query_map();
    view! {
        <h1>"Undelivered email"</h1>
        <p>"Messages that failed at least once. They are retried with growing delays; after the last attempt they wait here until you queue them again."</p>
        {move || params.with(|p| p.get("retried")).map(|_| view! { <Notice>"The message is queued again."</Notice> })}
        <FormAlert message=form_error(retry)/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match messages.await {
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"Every message has been delivered."</p> }.into_any(),
                    Ok(rows) => view! {
                        <table>
                            <caption>"Messages waiting for delivery"</caption>
                            <thead><tr><th scope="col">"To"</th><th scope="col">"Subject"</th><th scope="col">"Status"</th>
                                <th scope="col">"Attempts"</th><th scope="col">"Last error"</th><th scope="col">"Next try"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|m| view! {
                                    <tr>
                                        <td>{m.recipients}</td><td>{m.subject}</td><td>{m.status}</td><td>{m.attempts}</td>
                                        <td>{m.last_error}</td><td>{m.next_attempt_at}</td>
                                        <td><ActionForm action=retry>
                                            <input type="hidden" name="id" value=m.id/>
                                            <button type="submit" class="button button-secondary">"Retry now"</button>
                                        </ActionForm></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
