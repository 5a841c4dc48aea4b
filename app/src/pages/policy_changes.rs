//! Policy changes of live apps: the developer's page (propose, upload,
//! submit, withdraw), the reviewers' service-level board, and the review of
//! one change with the text diff.
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use super::application_parts::{server_upload_problem, DocumentAnalysis, DocumentUpload};
use crate::{
    api::{
        access::DocumentDto,
        policy_changes::{
            app_policy_changes, policy_change_board, policy_change_review, AppPolicyChangesDto,
            ComparisonDto, DecidePolicyChange, PolicyChangeDto, StartPolicyChange,
            SubmitPolicyChange, WithdrawPolicyChange,
        },
        Viewer,
    },
    components::{field_error, form_error, kept_value, FormAlert, Guarded, Notice},
};

const KINDS: [(&str, &str); 2] = [
    ("privacy_policy", "Privacy policy"),
    ("terms_of_service", "Terms of service"),
];

#[component]
pub fn PolicyChangesPage() -> impl IntoView {
    view! {
        <Title text="Privacy policy and terms changes"/>
        <Guarded>
            <PolicyChanges/>
        </Guarded>
    }
}

#[component]
fn PolicyChanges() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let start = ServerAction::<StartPolicyChange>::new();
    let submit = ServerAction::<SubmitPolicyChange>::new();
    let withdraw = ServerAction::<WithdrawPolicyChange>::new();
    let changes = Resource::new(
        move || {
            (
                params.with(|p| p.get("id").unwrap_or_default()),
                location.search.get(),
                start.version().get() + submit.version().get() + withdraw.version().get(),
            )
        },
        |(id, _, _)| app_policy_changes(id),
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match changes.await {
                    Err(e) => Either::Left(view! {
                        <h1>"Privacy policy and terms changes"</h1>
                        <div class="alert alert-error" role="alert">{e.to_string()}</div>
                    }),
                    Ok(app) => Either::Right(view! { <AppChanges app=app start=start submit=submit withdraw=withdraw/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AppChanges(
    app: AppPolicyChangesDto,
    start: ServerAction<StartPolicyChange>,
    submit: ServerAction<SubmitPolicyChange>,
    withdraw: ServerAction<WithdrawPolicyChange>,
) -> impl IntoView {
    let query = use_query_map();
    let notice = query.with_untracked(|q| {
        if q.get("submitted").is_some() {
            Some("Submitted. A reviewer will answer within five business days; we emailed your contacts the due date.".to_string())
        } else if q.get("withdrawn").is_some() {
            Some("The change was withdrawn. Nothing of it was published.".to_string())
        } else {
            q.get("uploaded").map(|k| {
                format!(
                    "{} uploaded.",
                    if k == "terms_of_service" { "Terms of service" } else { "Privacy policy" }
                )
            })
        }
    });
    let upload_error = query
        .with_untracked(|q| q.get("upload_error"))
        .map(|c| server_upload_problem(&c));
    let past = app.past.clone();
    view! {
        <p><a href=format!("/access/{}", app.request_id)>"Back to the application"</a></p>
        <h1>{format!("Privacy policy and terms changes: {}", app.app_name)}</h1>
        <p>"A live app must have changes to its privacy policy or terms of service approved before it publishes them. Upload the new versions and the notice you will send enrollees; a reviewer answers within five federal business days."</p>
        {notice.map(|n| view! { <Notice>{n}</Notice> })}
        <section aria-labelledby="approved-heading">
            <h2 id="approved-heading">"Approved versions"</h2>
            <p>"The connected-apps directory links to these versions. They stay in place until a reviewer approves a change."</p>
            {if app.approved.is_empty() {
                Either::Left(view! { <p class="empty-state">"No approved documents are on file."</p> })
            } else {
                Either::Right(view! {
                    <ul id="approved-documents">
                        {app.approved.iter().map(|d| view! {
                            <li><a href=d.href.clone()>{format!("{}: {}", d.kind_label, d.filename)}</a>{format!(" (approved version, uploaded {})", d.uploaded)}</li>
                        }).collect_view()}
                    </ul>
                })
            }}
        </section>
        {match app.open.clone() {
            Some(change) => Either::Left(view! { <OpenChange change=change upload_error=upload_error submit=submit withdraw=withdraw/> }),
            None => Either::Right(if app.live {
                Either::Left(view! {
                    <section aria-labelledby="propose-heading">
                        <h2 id="propose-heading">"Propose a change"</h2>
                        <FormAlert message=form_error(start)/>
                        <ActionForm action=start>
                            <input type="hidden" name="request_id" value=app.request_id.clone()/>
                            <button type="submit" class="button">"Propose new documents"</button>
                        </ActionForm>
                    </section>
                })
            } else {
                Either::Right(view! { <p class="alert alert-info" role="status">"Policy changes can be proposed once the app is live in production."</p> })
            }),
        }}
        <section aria-labelledby="past-heading">
            <h2 id="past-heading">"Earlier changes"</h2>
            {if past.is_empty() {
                Either::Left(view! { <p class="empty-state">"No earlier changes."</p> })
            } else {
                Either::Right(view! {
                    <table id="past-changes">
                        <caption>"Earlier policy changes"</caption>
                        <thead><tr><th scope="col">"Started"</th><th scope="col">"Documents"</th><th scope="col">"Outcome"</th><th scope="col">"Closed"</th></tr></thead>
                        <tbody>
                            {past.into_iter().map(|c| view! {
                                <tr>
                                    <td>{c.created.clone()}</td>
                                    <td>{c.proposed.iter().map(|d| d.kind_label.clone()).collect::<Vec<_>>().join(", ")}</td>
                                    <td>{c.state_label.clone()}</td>
                                    <td>{c.closed.clone().unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            }}
        </section>
    }
}

#[component]
fn OpenChange(
    change: PolicyChangeDto,
    upload_error: Option<String>,
    submit: ServerAction<SubmitPolicyChange>,
    withdraw: ServerAction<WithdrawPolicyChange>,
) -> impl IntoView {
    let id = change.id.clone();
    let saved_notice = change.enrollee_notice.clone();
    view! {
        <section aria-labelledby="open-heading" id="open-change">
            <h2 id="open-heading">"Your proposed change"</h2>
            <p>"Status: "<strong id="change-state">{change.state_label.clone()}</strong>
                {change.due.clone().map(|d| format!(" · a reviewer answers by {d}"))}</p>
            {change.requested_changes.clone().map(|c| view! {
                <div class="alert alert-warning" role="alert" id="requested-changes">
                    <h3>"The reviewer asked for changes"</h3>
                    <p>{c}</p>
                </div>
            })}
            <section id="documents" aria-labelledby="proposed-heading">
                <h3 id="proposed-heading">"Proposed documents"</h3>
                <p>"PDF files of at most 10 MB, not password-protected, with selectable text; we show their readability and, for the privacy policy, where each checklist item seems covered. Upload only what changes."</p>
                {KINDS.into_iter().map(|(kind, label)| {
                    let doc: Option<DocumentDto> = change.proposed.iter().find(|d| d.kind == kind).cloned();
                    let error = upload_error.clone();
                    let action = format!("/policy-changes/{id}/documents/{kind}");
                    view! {
                        <div class="document">
                            <h4>{label}</h4>
                            {match doc {
                                Some(d) => Either::Left(view! { <DocumentAnalysis doc=d/> }),
                                None => Either::Right(view! { <p class="empty-state">"No new version: the approved one stays."</p> }),
                            }}
                            {change.editable.then(|| view! { <DocumentUpload action=action kind=kind label=label error=error/> })}
                        </div>
                    }
                }).collect_view()}
                <script src="/upload.js" defer=true></script>
            </section>
            {if change.editable {
                Either::Left(view! {
                    <section aria-labelledby="submit-heading" class="narrow">
                        <h3 id="submit-heading">"Notice to enrollees, and submit"</h3>
                        <FormAlert message=form_error(submit)/>
                        {move || field_error(submit, "documents").get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                        <ActionForm action=submit attr:novalidate=true attr:id="submit-change">
                            <input type="hidden" name="id" value=id.clone()/>
                            <div class="field" class:field-invalid=move || field_error(submit, "enrollee_notice").get().is_some()>
                                <label for="enrollee-notice">"The notice you will send enrollees about this change"</label>
                                <p class="hint" id="enrollee-notice-hint">"Say what changes, from when, and what enrollees can do (for example, revoke the app's access). You send it yourself once the change is approved."</p>
                                {move || field_error(submit, "enrollee_notice").get().map(|e| view! { <p class="field-error" id="enrollee-notice-error">{e}</p> })}
                                <textarea id="enrollee-notice" name="enrollee_notice" rows="6" aria-describedby="enrollee-notice-hint"
                                    prop:value=move || kept_value(submit, "enrollee_notice").get().unwrap_or_else(|| saved_notice.clone())></textarea>
                            </div>
                            <button type="submit" class="button">"Submit for review"</button>
                        </ActionForm>
                    </section>
                })
            } else {
                Either::Right(view! {
                    <section aria-labelledby="notice-heading">
                        <h3 id="notice-heading">"Notice to enrollees"</h3>
                        <blockquote id="submitted-notice">{change.enrollee_notice.clone()}</blockquote>
                    </section>
                })
            }}
            <section aria-labelledby="withdraw-heading" class="narrow">
                <h3 id="withdraw-heading">"Withdraw the change"</h3>
                <FormAlert message=form_error(withdraw)/>
                <ActionForm action=withdraw>
                    <input type="hidden" name="id" value=change.id.clone()/>
                    <div class="field checkbox" class:field-invalid=move || field_error(withdraw, "confirm").get().is_some()>
                        {move || field_error(withdraw, "confirm").get().map(|e| view! { <p class="field-error">{e}</p> })}
                        <input type="checkbox" id="withdraw-confirm" name="confirm" value="yes"/>
                        <label for="withdraw-confirm">"Yes, withdraw it: the approved versions stay"</label>
                    </div>
                    <button type="submit" class="button button-secondary">"Withdraw"</button>
                </ActionForm>
            </section>
        </section>
    }
}

#[component]
pub fn PolicyChangeBoardPage() -> impl IntoView {
    view! {
        <Title text="Policy changes: five-day board"/>
        <Guarded allow=Viewer::can_review>
            <ChangeBoard/>
        </Guarded>
    }
}

#[component]
fn ChangeBoard() -> impl IntoView {
    let board = Resource::new(|| (), |_| policy_change_board());
    view! {
        <p><a href="/review">"Back to the review queue"</a></p>
        <h1>"Policy changes"</h1>
        <p>"Live apps must have privacy-policy and terms changes approved before they publish them, and we promise an answer within five federal business days. Admins are emailed one business day before an answer is due and again when it is overdue."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Err(e) => Either::Left(view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }),
                    Ok(b) => Either::Right(view! {
                        <p class="stat" id="on-time-share">
                            "Answered within five business days: "<strong>{b.on_time_share.clone()}</strong>
                            {format!(" ({} of {}; the goal is 100%)", b.answered_on_time, b.counted)}
                        </p>
                        {if b.open.is_empty() {
                            Either::Left(view! { <p class="empty-state" id="no-open-changes">"No policy change is waiting for an answer."</p> })
                        } else {
                            Either::Right(view! {
                                <table id="open-changes">
                                    <caption>"Waiting for an answer, least time left first"</caption>
                                    <thead><tr><th scope="col">"App"</th><th scope="col">"Submitted"</th><th scope="col">"Due"</th><th scope="col">"Time left"</th><th scope="col">"Status"</th></tr></thead>
                                    <tbody>
                                        {b.open.into_iter().map(|r| {
                                            let status = match r.urgency.as_str() {
                                                "overdue" => "Overdue",
                                                "due_soon" => "Due within one business day",
                                                _ => "On track",
                                            };
                                            view! {
                                                <tr class=format!("urgency-{}", r.urgency)>
                                                    <td><a href=format!("/review/policy-changes/{}", r.change_id)>{r.app_name}</a></td>
                                                    <td>{r.submitted}</td>
                                                    <td>{r.due}</td>
                                                    <td>{r.time_left}</td>
                                                    <td><strong>{status}</strong></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            })
                        }}
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn PolicyChangeReviewPage() -> impl IntoView {
    view! {
        <Title text="Review a policy change"/>
        <Guarded allow=Viewer::can_review>
            <ChangeReview/>
        </Guarded>
    }
}

#[component]
fn ChangeReview() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let decide = ServerAction::<DecidePolicyChange>::new();
    let review = Resource::new(
        move || {
            (
                params.with(|p| p.get("id").unwrap_or_default()),
                location.search.get(),
                decide.version().get(),
            )
        },
        |(id, _, _)| policy_change_review(id),
    );
    let query = use_query_map();
    view! {
        <p><a href="/review/policy-changes">"Back to policy changes"</a></p>
        {move || query.with(|q| q.get("approved")).map(|_| view! { <Notice>"Approved. The new versions are published and every contact was emailed."</Notice> })}
        {move || query.with(|q| q.get("changes_requested")).map(|_| view! { <Notice>"Changes requested. The developer and every contact were emailed your comment."</Notice> })}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match review.await {
                    Err(e) => Either::Left(view! {
                        <h1>"Policy change"</h1>
                        <div class="alert alert-error" role="alert">{e.to_string()}</div>
                    }),
                    Ok(r) => Either::Right(view! {
                        <h1>{format!("Policy change: {}", r.app_name)}</h1>
                        <p>"Status: "<strong id="change-state">{r.change.state_label.clone()}</strong>
                            {r.change.due.clone().map(|d| format!(" · answer due by {d}"))}</p>
                        <section aria-labelledby="enrollee-notice-heading">
                            <h2 id="enrollee-notice-heading">"Draft notice to enrollees"</h2>
                            <blockquote id="enrollee-notice">{r.change.enrollee_notice.clone()}</blockquote>
                        </section>
                        {r.comparisons.clone().into_iter().map(|c| view! { <ChangeComparison comparison=c/> }).collect_view()}
                        {r.answerable.then(|| view! { <ChangeDecision id=r.change.id.clone() decide=decide/> })}
                        <section aria-labelledby="history-heading">
                            <h2 id="history-heading">"Submissions"</h2>
                            <ol id="rounds">
                                {r.history.clone().into_iter().map(|(submitted, answer)| view! { <li>{format!("Submitted {submitted}: {answer}")}</li> }).collect_view()}
                            </ol>
                        </section>
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChangeComparison(comparison: ComparisonDto) -> impl IntoView {
    let c = comparison;
    let heading_id = format!("compare-{}", c.proposed.kind);
    let labelled_by = heading_id.clone();
    let figures = |d: &DocumentDto| {
        format!(
            "{} words · reading ease {:.1} · grade {:.1}",
            d.words, d.reading_ease, d.grade_level
        )
    };
    view! {
        <section aria-labelledby=labelled_by class="comparison">
            <h2 id=heading_id>{c.kind_label.clone()}</h2>
            <dl class="definitions">
                <dt>"Approved version"</dt>
                <dd>{match c.approved.clone() {
                    Some(a) => Either::Left(view! { <span><a href=a.href.clone()>{a.filename.clone()}</a>{format!(" · {}", figures(&a))}</span> }),
                    None => Either::Right(view! { <span>"None on file: everything below is new."</span> }),
                }}</dd>
                <dt>"Proposed version"</dt>
                <dd><a href=c.proposed.href.clone()>{c.proposed.filename.clone()}</a>{format!(" · {}", figures(&c.proposed))}</dd>
            </dl>
            {(!c.hints_lost.is_empty()).then(|| view! {
                <div class="alert alert-warning" role="note">
                    <p>"The approved version seemed to cover these checklist items; we could not find them in the proposed one:"</p>
                    <ul class="hints-lost">{c.hints_lost.clone().into_iter().map(|h| view! { <li>{h}</li> }).collect_view()}</ul>
                </div>
            })}
            <h3>"What changed"</h3>
            <p class="diff-summary">{format!("{} sentence(s) added, {} removed.", c.added, c.removed)}</p>
            {if c.hunks.is_empty() {
                Either::Left(view! { <p class="empty-state">"The text is the same as the approved version."</p> })
            } else {
                Either::Right(view! {
                    <div class="diff">
                        {c.hunks.clone().into_iter().map(|hunk| view! {
                            <div class="diff-hunk">
                                {hunk.into_iter().map(|line| match line.kind.as_str() {
                                    "removed" => view! { <p class="diff-removed"><span class="visually-hidden">"Removed: "</span><del>{line.text}</del></p> }.into_any(),
                                    "added" => view! { <p class="diff-added"><span class="visually-hidden">"Added: "</span><ins>{line.text}</ins></p> }.into_any(),
                                    _ => view! { <p class="diff-same">{line.text}</p> }.into_any(),
                                }).collect_view()}
                            </div>
                        }).collect_view()}
                    </div>
                })
            }}
            <details>
                <summary>"Readability and checklist hints of the proposed version"</summary>
                <DocumentAnalysis doc=c.proposed.clone()/>
            </details>
        </section>
    }
}

#[component]
fn ChangeDecision(id: String, decide: ServerAction<DecidePolicyChange>) -> impl IntoView {
    view! {
        <section aria-labelledby="decide-heading" class="narrow">
            <h2 id="decide-heading">"Your answer"</h2>
            <FormAlert message=form_error(decide)/>
            <ActionForm action=decide attr:novalidate=true attr:id="decide-form">
                <input type="hidden" name="id" value=id/>
                <fieldset class="field choice">
                    <legend>"Decision"</legend>
                    <div><input type="radio" id="decision-approve" name="decision" value="approve"/>
                        <label for="decision-approve">"Approve: the new versions become the approved ones"</label></div>
                    <div><input type="radio" id="decision-changes" name="decision" value="request_changes"/>
                        <label for="decision-changes">"Request changes"</label></div>
                </fieldset>
                <div class="field" class:field-invalid=move || field_error(decide, "comment").get().is_some()>
                    <label for="decision-comment">"Comment for the developer (required to request changes)"</label>
                    {move || field_error(decide, "comment").get().map(|e| view! { <p class="field-error" id="decision-comment-error">{e}</p> })}
                    <textarea id="decision-comment" name="comment" rows="4" prop:value=move || kept_value(decide, "comment").get().unwrap_or_default()></textarea>
                </div>
                <button type="submit" class="button">"Send the answer"</button>
            </ActionForm>
        </section>
    }
}
