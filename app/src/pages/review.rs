//! Reviewers' pages: the queue and the review of one application; and the
//! review as the applicant sees it (requested changes and messages).
pub(crate) use crate::api::review::{access_feedback, demo_and_decision};
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use super::{
    application_parts::{AnswersSummary, Changes, DocumentAnalysis},
    demos::{DemoResource, ReviewerDemo},
};
use crate::{
    api::{
        access::get_access_request,
        review::{
            review_detail, review_queue, AssignToMe, CommentDto, FeedbackDto, PostComment,
            Reassign, RequestChanges, ReviewDto, SaveEvaluations,
        },
        Viewer,
    },
    components::{field_error, form_error, kept_value, FormAlert, Guarded, Notice},
};

/// Created by the page (never inside a `Suspend`) and handed to the parts
/// that show it.
pub(crate) type FeedbackResource = Resource<Result<FeedbackDto, crate::error::AppError>>;

#[component]
pub fn ReviewQueuePage() -> impl IntoView {
    view! {
        <Title text="Review queue"/>
        <Guarded allow=Viewer::can_review>
            <Queue/>
        </Guarded>
    }
}

#[component]
fn Queue() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.with(|q| q.get(name)).filter(|v| !v.is_empty());
    let queue = Resource::new(
        move || {
            (
                param("state"),
                param("assignee"),
                param("overdue"),
                param("q"),
                param("sort"),
                param("page").and_then(|p| p.parse::<u64>().ok()),
            )
        },
        |(state, assignee, overdue, q, sort, page)| {
            review_queue(state, assignee, overdue, q, sort, page)
        },
    );
    let assign = ServerAction::<AssignToMe>::new();
    // Live apps' policy changes run on their own five-day clock and board;
    // the queue says how many are open so they are not forgotten.
    let policy_changes =
        Resource::new(|| (), |_| crate::api::policy_changes::policy_change_board());
    let selected =
        move |name: &'static str, value: &'static str| param(name).as_deref() == Some(value);
    view! {
        <h1>"Review queue"</h1>
        <p><a href="/review/slots">"Your demo slots"</a>" · "<a href="/review/policy-changes">"Policy changes of live apps"</a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    policy_changes.await.ok().map(|board| {
                        let overdue = board.open.iter().filter(|r| r.urgency == "overdue").count();
                        let overdue = if overdue > 0 { format!(", {overdue} overdue") } else { String::new() };
                        view! { <span id="open-policy-changes">{format!(" ({} open{overdue})", board.open.len())}</span> }
                    })
                })}
            </Suspense>
        </p>
        <p>"Every submitted production-access application. The guide promises a first response within 24 business hours (9:00–17:00 Eastern, Monday to Friday, without federal holidays); the clock is shown until a reviewer starts the review."</p>
        <form method="get" action="/review" class="filters" role="search">
            <div class="field">
                <label for="filter-q">"Search app or organization"</label>
                <input id="filter-q" name="q" type="search" value=move || param("q").unwrap_or_default()/>
            </div>
            <div class="field">
                <label for="filter-state">"State"</label>
                <select id="filter-state" name="state">
                    <option value="">"Any state"</option>
                    {[("submitted", "Submitted"), ("in_review", "In review"), ("changes_requested", "Changes requested"), ("demo_scheduled", "Demo scheduled"), ("demo_held", "Demo held"), ("approved", "Approved"), ("denied", "Denied")]
                        .into_iter().map(|(v, l)| view! { <option value=v selected=move || selected("state", v)>{l}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-assignee">"Assigned to"</label>
                <select id="filter-assignee" name="assignee">
                    <option value="">"Anyone"</option>
                    <option value="me" selected=move || selected("assignee", "me")>"Me"</option>
                    <option value="unassigned" selected=move || selected("assignee", "unassigned")>"No one yet"</option>
                </select>
            </div>
            <div class="field">
                <label for="filter-sort">"Sort by"</label>
                <select id="filter-sort" name="sort">
                    <option value="due">"Response due"</option>
                    <option value="age" selected=move || selected("sort", "age")>"Oldest first"</option>
                    <option value="app" selected=move || selected("sort", "app")>"App name"</option>
                    <option value="state" selected=move || selected("sort", "state")>"State"</option>
                </select>
            </div>
            <div class="field checkbox">
                <input id="filter-overdue" name="overdue" type="checkbox" value="1" checked=move || param("overdue").is_some()/>
                <label for="filter-overdue">"Overdue only"</label>
            </div>
            <button type="submit" class="button button-secondary">"Show"</button>
        </form>
        <FormAlert message=form_error(assign)/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Err(e) => EitherOf3::A(view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }),
                    Ok(q) if q.rows.is_empty() => EitherOf3::B(view! {
                        <div class="empty-state"><p>{if q.total == 0 { "No applications match. When developers submit applications, they appear here." } else { "No applications on this page." }}</p></div>
                    }),
                    Ok(q) => {
                        let (page, pages) = (q.page, q.total.div_ceil(q.per_page).max(1));
                        EitherOf3::C(view! {
                            <table class="queue">
                                <caption>{format!("{} application(s)", q.total)}</caption>
                                <thead><tr>
                                    <th scope="col">"App"</th><th scope="col">"Organization"</th><th scope="col">"State"</th>
                                    <th scope="col">"Submitted"</th><th scope="col">"Age"</th><th scope="col">"Assigned to"</th><th scope="col">"First response due"</th>
                                </tr></thead>
                                <tbody>
                                    {q.rows.into_iter().map(|r| view! {
                                        <tr class:overdue=r.overdue>
                                            <td><a href=format!("/review/{}", r.id)>{r.app_name.clone()}</a>{format!(" (v{})", r.version)}</td>
                                            <td>{r.organization.clone()}</td>
                                            <td>{r.state_label.clone()}</td>
                                            <td>{r.submitted.clone()}</td>
                                            <td>{r.age.clone()}</td>
                                            <td>{match r.assignee.clone() {
                                                Some(name) => Either::Left(view! { <span>{name}</span> }),
                                                None => Either::Right(view! {
                                                    <ActionForm action=assign>
                                                        <input type="hidden" name="id" value=r.id.clone()/>
                                                        <button type="submit" class="button button-small" aria-label=format!("Assign {} to me", r.app_name)>"Assign to me"</button>
                                                    </ActionForm>
                                                }),
                                            }}</td>
                                            <td>{match (r.due.clone(), r.overdue) {
                                                (Some(due), true) => format!("Overdue: was due {due}"),
                                                (Some(due), false) => due,
                                                (None, _) => "Responded".to_string(),
                                            }}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <nav aria-label="Pages" class="pagination">
                                <p>{format!("Page {} of {pages}", page + 1)}</p>
                                {(page > 0).then(|| view! { <a href=move || page_link(&query.get(), page - 1)>"Previous page"</a> })}
                                {(page + 1 < pages).then(|| view! { <a href=move || page_link(&query.get(), page + 1)>"Next page"</a> })}
                            </nav>
                        })
                    }
                }
            })}
        </Suspense>
    }
}

fn page_link(query: &leptos_router::params::ParamsMap, page: u64) -> String {
    let mut parts: Vec<String> = ["state", "assignee", "overdue", "q", "sort"]
        .iter()
        .filter_map(|k| {
            query
                .get(k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", crate::components::urlencode(&v)))
        })
        .collect();
    parts.push(format!("page={page}"));
    format!("/review?{}", parts.join("&"))
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    view! {
        <Title text="Review an application"/>
        <Guarded allow=Viewer::can_review>
            <Review/>
        </Guarded>
    }
}

#[component]
fn Review() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let location = use_location();
    // Actions live outside the Suspense (never created after an await), and
    // their versions are part of the resources' key, so the page reloads its
    // data whenever one completes, whatever the address does.
    let assign = ServerAction::<AssignToMe>::new();
    let reassign = ServerAction::<Reassign>::new();
    let request = ServerAction::<RequestChanges>::new();
    let key = move || {
        (
            params.with(|p| p.get("id").unwrap_or_default()),
            location.search.get(),
            assign.version().get() + reassign.version().get() + request.version().get(),
        )
    };
    let access = Resource::new(key, |(id, _, _)| get_access_request(id));
    let review = Resource::new(key, |(id, _, _)| review_detail(id));
    let demo: DemoResource = Resource::new(key, |(id, _, _)| demo_and_decision(id));
    let listing: super::production::ListingResource =
        Resource::new(key, |(id, _, _)| crate::api::production::get_listing(id));
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let notice = [("assigned", "The application is assigned to you."), ("reassigned", "The application is assigned and the reviewer can start."), ("saved", "Checklist saved."), ("changes_requested", "Changes requested. The applicant has been emailed the items and your comments."), ("sent", "Message posted."), ("invited", "The applicant is invited to book a demo."), ("demo_recorded", "The demo outcome is recorded and the applicant emailed."), ("decided", "The decision is recorded and the letter emailed to every contact."), ("demo_cancelled", "The demo is cancelled; everyone got the calendar cancellation."), ("listing_saved", "Listing checks saved."), ("listing_returned", "Listing changes requested. The applicant has been emailed your comments."), ("listing_approved", "The listing is approved and in the directory."), ("handoff", "The production app is created and the link emailed to the point of contact."), ("reissued", "New link sent; the previous production secret no longer works.")]
                    .into_iter()
                    .find(|(k, _)| query.with(|q| q.get(k)).is_some())
                    .map(|(_, text)| text);
                Suspend::new(async move {
                let (a, r) = match (access.await, review.await) {
                    (Ok(a), Ok(r)) => (a, r),
                    (Err(e), _) | (_, Err(e)) => return Either::Left(view! { <h1>"Application not found"</h1><div class="alert alert-error" role="alert">{e.to_string()}</div> }),
                };
                let (assign_id, request_id, thread_id) = (r.id.clone(), r.id.clone(), r.id.clone());
                let start_label = match (r.assigned_to_me, r.taking_starts_review) {
                    (true, _) => "Start the review",
                    (false, true) => "Assign to me and start the review",
                    (false, false) => "Assign to me",
                };
                let show_assign = r.may_take;
                let reassign_id = r.id.clone();
                let assignable = r.assignable.clone();
                let needs_change = r.needs_change;
                Either::Right(view! {
                    <p><a href="/review">"Review queue"</a></p>
                    <h1>{format!("Review: {}", a.app_name)}</h1>
                    {notice.map(|n| view! { <Notice>{n}</Notice> })}
                    <dl class="definitions review-status">
                        <dt>"State"</dt><dd id="review-state">{r.state_label.clone()}</dd>
                        <dt>"Version"</dt><dd>{a.current_version}</dd>
                        <dt>"Assigned to"</dt><dd>{r.assignee.clone().unwrap_or_else(|| "No one yet".into())}</dd>
                        <dt>"Response clock"</dt><dd class:overdue=r.overdue id="review-sla">{r.sla.clone()}</dd>
                    </dl>
                    {r.conflict.clone().map(|why| view! {
                        <div class="alert alert-warning" role="status" id="conflict-of-interest"><p><strong>"Conflict of interest. "</strong>{why}</p></div>
                    })}
                    {(!assignable.is_empty()).then(|| view! {
                        <section class="narrow" aria-labelledby="reassign-heading">
                            <h2 id="reassign-heading">"Assign to a reviewer"</h2>
                            <p class="hint">"Only staff without a conflict of interest with this application are listed."</p>
                            <FormAlert message=form_error(reassign)/>
                            <ActionForm action=reassign attr:id="reassign-form">
                                <input type="hidden" name="id" value=reassign_id/>
                                <div class="field" class:field-invalid=move || field_error(reassign, "assignee").get().is_some()>
                                    <label for="field-assignee">"Reviewer"</label>
                                    {move || field_error(reassign, "assignee").get().map(|e| view! { <p class="field-error" id="field-assignee-error">{e}</p> })}
                                    <select id="field-assignee" name="assignee" required=true>
                                        <option value="">"Choose…"</option>
                                        {assignable.iter().map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> }).collect_view()}
                                    </select>
                                </div>
                                <button type="submit" class="button button-secondary">"Assign"</button>
                            </ActionForm>
                        </section>
                    })}
                    {show_assign.then(|| view! {
                        <FormAlert message=form_error(assign)/>
                        <ActionForm action=assign attr:id="assign-form">
                            <input type="hidden" name="id" value=assign_id/>
                            <button type="submit" class="button">{start_label}</button>
                        </ActionForm>
                    })}
                    {(!a.changes.is_empty()).then(|| view! { <Changes changes=a.changes.clone()/> })}
                    <Checklist review=r.clone()/>
                    {r.can_request_changes.then(|| view! {
                        <section class="narrow" aria-labelledby="request-heading">
                            <h2 id="request-heading">"Request changes"</h2>
                            <p>{format!("The applicant will see the {needs_change} item(s) marked “needs change” with your comments, and can resubmit.")}</p>
                            <FormAlert message=form_error(request)/>
                            <ActionForm action=request>
                                <input type="hidden" name="id" value=request_id/>
                                <button type="submit" class="button button-secondary">"Request changes"</button>
                            </ActionForm>
                        </section>
                    })}
                    <ReviewerDemo id=r.id.clone() demo=demo can_decide_checklist=r.evaluated == r.checklist.len() && r.needs_change == 0/>
                    <super::production::ReviewerListing listing=listing/>
                    <section aria-labelledby="activity-heading">
                        <h2 id="activity-heading">"Sandbox activity"</h2>
                        <dl class="definitions">
                            <dt>"Enrollee authorizations"</dt><dd>{r.authorizations}</dd>
                            <dt>"Successful API calls"</dt><dd>{r.successful_calls}</dd>
                            <dt>"Failed API calls"</dt><dd>{r.failed_calls}</dd>
                            <dt>"Last call"</dt><dd>{r.last_call.clone().unwrap_or_else(|| "Never".into())}</dd>
                        </dl>
                    </section>
                    <section aria-labelledby="documents-heading">
                        <h2 id="documents-heading">"Documents"</h2>
                        {a.documents.iter().map(|d| view! {
                            <div class="document">
                                <h3>{d.kind_label.clone()}</h3>
                                <DocumentAnalysis doc=d.clone()/>
                                <object class="pdf-viewer" data=format!("/access/documents/{}", d.id) type="application/pdf" aria-label=format!("{} (PDF)", d.kind_label)>
                                    <p><a href=format!("/access/documents/{}", d.id)>{format!("Open {}", d.filename)}</a></p>
                                </object>
                            </div>
                        }).collect_view()}
                    </section>
                    {(a.history.len() > 1).then(|| view! {
                        <section aria-labelledby="history-heading">
                            <h2 id="history-heading">"Version history"</h2>
                            {a.history.iter().cloned().map(|v| view! {
                                <details class="version">
                                    <summary>{format!("Version {}, submitted {} ({} change(s))", v.version, v.submitted, v.changes.len())}</summary>
                                    {if v.changes.is_empty() {
                                        Either::Left(view! { <p>"The first submission."</p> })
                                    } else {
                                        Either::Right(view! {
                                            <table>
                                                <caption>{format!("Changes in version {}", v.version)}</caption>
                                                <thead><tr><th scope="col">"Section"</th><th scope="col">"Question"</th><th scope="col">"Before"</th><th scope="col">"After"</th></tr></thead>
                                                <tbody>
                                                    {v.changes.into_iter().map(|c| view! {
                                                        <tr><td>{c.section}</td><td>{c.label}</td><td class="before"><del>{c.before}</del></td><td class="after"><ins>{c.after}</ins></td></tr>
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                        })
                                    }}
                                </details>
                            }).collect_view()}
                        </section>
                    })}
                    <section aria-labelledby="answers-heading">
                        <h2 id="answers-heading">"Answers"</h2>
                        <AnswersSummary access=a.clone()/>
                    </section>
                    <Messages id=thread_id comments=r.comments.clone() reviewer=true/>
                })
            })}}
        </Suspense>
    }
}

#[component]
fn Checklist(review: ReviewDto) -> impl IntoView {
    let save = ServerAction::<SaveEvaluations>::new();
    let editable = review.can_evaluate;
    let total = review.checklist.len();
    let mut groups: Vec<(String, Vec<_>)> = Vec::new();
    for row in review.checklist.iter().cloned() {
        match groups.last_mut() {
            Some((g, rows)) if *g == row.group => rows.push(row),
            _ => groups.push((row.group.clone(), vec![row])),
        }
    }
    view! {
        <section id="checklist" aria-labelledby="checklist-heading">
            <h2 id="checklist-heading">"Checklist"</h2>
            <p id="checklist-progress">{format!("{} of {total} items evaluated; {} need(s) change.", review.evaluated, review.needs_change)}</p>
            {(!editable).then(|| view! { <p class="hint">"Assign the application to yourself to evaluate it."</p> })}
            <FormAlert message=form_error(save)/>
            <ActionForm action=save attr:novalidate=true>
                <input type="hidden" name="id" value=review.id.clone()/>
                {groups.into_iter().map(|(group, rows)| view! {
                    <h3>{group}</h3>
                    {rows.into_iter().map(|row| {
                        let key: &'static str = Box::leak(format!("comment.{}", row.key).into_boxed_str());
                        let error = field_error(save, key);
                        let kept = kept_value(save, key);
                        let saved_comment = row.comment.clone();
                        let comment_id = format!("comment-{}", row.key);
                        view! {
                            <fieldset class="choice checklist-item" class:field-invalid=move || error.get().is_some()>
                                <legend>{row.text.clone()}</legend>
                                <div class="choice-row">
                                    {[("pass", "Pass"), ("needs_change", "Needs change"), ("not_applicable", "Not applicable")].into_iter().map(|(v, l)| {
                                        let id = format!("verdict-{}-{v}", row.key);
                                        view! {
                                            <span class="choice-option">
                                                <input type="radio" id=id.clone() name=format!("verdict[{}]", row.key) value=v checked=row.verdict == v disabled=!editable/>
                                                <label for=id>{l}</label>
                                            </span>
                                        }
                                    }).collect_view()}
                                </div>
                                {move || error.get().map(|e| view! { <p class="field-error">{e}</p> })}
                                <label for=comment_id.clone()>"Comment (the applicant sees it if the item needs change)"</label>
                                <textarea id=comment_id name=format!("comment[{}]", row.key) rows="2" disabled=!editable
                                    prop:value=move || kept.get().unwrap_or_else(|| saved_comment.clone())>{row.comment.clone()}</textarea>
                            </fieldset>
                        }
                    }).collect_view()}
                }).collect_view()}
                {editable.then(|| view! { <button type="submit" class="button">"Save checklist"</button> })}
            </ActionForm>
        </section>
    }
}

/// The message thread. Reviewers also see and write internal notes.
#[component]
fn Messages(id: String, comments: Vec<CommentDto>, reviewer: bool) -> impl IntoView {
    let post = ServerAction::<PostComment>::new();
    view! {
        <section id="messages" aria-labelledby="messages-heading">
            <h2 id="messages-heading">"Messages"</h2>
            {if comments.is_empty() {
                Either::Left(view! { <p class="empty-state">"No messages yet."</p> })
            } else {
                Either::Right(view! {
                    <ol class="messages">
                        {comments.into_iter().map(|c| view! {
                            <li class:internal=c.internal class:from-reviewer=c.from_reviewer>
                                <p class="meta">{format!("{}{} · {}", c.author, if c.internal { " (internal note)" } else { "" }, c.at)}</p>
                                <p class="body">{c.body}</p>
                            </li>
                        }).collect_view()}
                    </ol>
                })
            }}
            <FormAlert message=form_error(post)/>
            <ActionForm action=post attr:novalidate=true>
                <input type="hidden" name="id" value=id/>
                <div class="field" class:field-invalid=move || field_error(post, "body").get().is_some()>
                    <label for="message-body">{if reviewer { "Write to the applicant, or an internal note" } else { "Write to your reviewer" }}</label>
                    {move || field_error(post, "body").get().map(|e| view! { <p class="field-error" id="message-body-error">{e}</p> })}
                    <textarea id="message-body" name="body" rows="4" prop:value=move || kept_value(post, "body").get().unwrap_or_default()></textarea>
                </div>
                {reviewer.then(|| view! {
                    <div class="field checkbox">
                        <input type="checkbox" id="message-internal" name="internal" value="yes"/>
                        <label for="message-internal">"Internal note: only reviewers see it"</label>
                    </div>
                })}
                <button type="submit" class="button button-secondary">"Post message"</button>
            </ActionForm>
        </section>
    }
}

/// What the applicant sees of the review on their application's page.
#[component]
pub(crate) fn ApplicantFeedback(id: String, feedback: FeedbackResource) -> impl IntoView {
    let thread_id = id;
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let id = thread_id.clone();
                Suspend::new(async move {
                feedback.await.ok().map(|f| {
                    view! {
                        {(!f.requested.is_empty()).then(|| view! {
                            <section class="alert alert-warning requested-changes" aria-labelledby="requested-heading">
                                <h2 id="requested-heading">"Changes your reviewer asked for"</h2>
                                <ul>
                                    {f.requested.into_iter().map(|c| view! { <li><strong>{c.item}</strong><p>{c.comment}</p></li> }).collect_view()}
                                </ul>
                            </section>
                        })}
                        {f.can_write.then(|| view! { <Messages id=id comments=f.comments reviewer=false/> })}
                    }
                })
            })}}
        </Suspense>
    }
}
