//! The production-access application: readiness, the guided sections with
//! document uploads, review and submit, and the status tracker.
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use crate::{
    api::access::{
        access_readiness, get_access_request, list_access_requests, AccessDto, FieldDto,
        SaveAccessSection, StartAccessRequest, SubmitAccessRequest,
    },
    components::{field_error, form_error, kept_value, Field, FormAlert, Guarded, Notice},
    error::AppError,
};

use super::application_parts::{
    server_upload_problem, AnswersSummary, Changes, DocumentAnalysis, DocumentUpload,
};

fn error_box(e: AppError) -> impl IntoView {
    view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }
}

#[component]
pub fn ProductionStartPage() -> impl IntoView {
    view! {
        <Title text="Apply for production access"/>
        <Guarded>
            <Readiness/>
        </Guarded>
    }
}

#[component]
fn Readiness() -> impl IntoView {
    let params = use_params_map();
    let app = move || params.with(|p| p.get("id").unwrap_or_default());
    let readiness = Resource::new(app, access_readiness);
    let start = ServerAction::<StartAccessRequest>::new();
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match readiness.await {
                    Err(e) => Either::Left(error_box(e)),
                    Ok(r) => Either::Right(view! {
                        <p><a href=format!("/apps/{}", r.app_id)>{format!("Back to {}", r.app_name)}</a></p>
                        <h1>{format!("Production access for {}", r.app_name)}</h1>
                        <p>"Before you apply, check what the production-access guide expects and what your sandbox work already shows. Items not yet met do not stop you from starting; they will come up in the review and the demo."</p>
                        <ul class="readiness">
                            {r.items.into_iter().map(|item| view! {
                                <li class=if item.met { "ready" } else { "not-ready" }>
                                    <strong>{format!("{}{}", if item.met { "Done: " } else { "Not yet: " }, item.label)}</strong>
                                    <p>{item.explanation}</p>
                                </li>
                            }).collect_view()}
                        </ul>
                        {match r.existing {
                            Some(id) => Either::Left(view! {
                                <p><a class="button" href=format!("/access/{id}")>"Continue your application"</a></p>
                            }),
                            None => Either::Right(view! {
                                <FormAlert message=form_error(start)/>
                                <ActionForm action=start>
                                    <input type="hidden" name="app_id" value=r.app_id.clone()/>
                                    <button type="submit" class="button">"Start the application"</button>
                                </ActionForm>
                            }),
                        }}
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn AccessListPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_access_requests());
    view! {
        <Title text="Production access applications"/>
        <Guarded>
            <h1>"Production access applications"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => EitherOf3::A(error_box(e)),
                        Ok(list) if list.is_empty() => EitherOf3::B(view! {
                            <div class="empty-state">
                                <p>"You have not started an application yet. Open one of "<a href="/apps">"your sandbox apps"</a>" and choose “Apply for production access”."</p>
                            </div>
                        }),
                        Ok(list) => EitherOf3::C(view! {
                            <table>
                                <caption>"Your applications"</caption>
                                <thead><tr><th scope="col">"App"</th><th scope="col">"Status"</th><th scope="col">"Version"</th><th scope="col">"Last change"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|r| view! {
                                        <tr>
                                            <td><a href=format!("/access/{}", r.id)>{r.app_name}</a></td>
                                            <td>{r.state_label}</td>
                                            <td>{if r.version == 0 { "Not submitted".to_string() } else { r.version.to_string() }}</td>
                                            <td>{r.updated}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }),
                    }
                })}
            </Suspense>
        </Guarded>
    }
}

/// The steps of the form, with the current one marked and how much each still needs.
#[component]
fn Steps(access: AccessDto, #[prop(into)] current: String) -> impl IntoView {
    let id = access.id.clone();
    let missing_total = access.missing.len();
    view! {
        <nav aria-label="Application sections" class="steps">
            <ol>
                {access.sections.iter().map(|s| {
                    let here = s.key == current;
                    let status = if s.missing == 0 { "complete".to_string() } else { format!("{} to do", s.missing) };
                    view! {
                        <li class:current=here class:complete=s.missing == 0>
                            <a href=format!("/access/{}/{}", id, s.key) aria-current=here.then_some("step")>{s.title.clone()}</a>
                            <span class="step-status">{status}</span>
                        </li>
                    }
                }).collect_view()}
                <li class:current=current == "review">
                    <a href=format!("/access/{id}/review") aria-current=(current == "review").then_some("step")>"Review and submit"</a>
                    <span class="step-status">{if missing_total == 0 { "ready".to_string() } else { format!("{missing_total} to do") }}</span>
                </li>
            </ol>
        </nav>
    }
}

#[component]
pub fn AccessOverviewPage() -> impl IntoView {
    view! {
        <Title text="Production access application"/>
        <Guarded>
            <Overview/>
        </Guarded>
    }
}

#[component]
fn Overview() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let location = use_location();
    let key = move || {
        (
            params.with(|p| p.get("id").unwrap_or_default()),
            location.search.get(),
        )
    };
    let access = Resource::new(key, |(id, _)| get_access_request(id));
    let feedback: super::review::FeedbackResource =
        Resource::new(key, |(id, _)| super::review::access_feedback(id));
    let demo: super::demos::DemoResource =
        Resource::new(key, |(id, _)| super::review::demo_and_decision(id));
    let listing: super::production::ListingResource =
        Resource::new(key, |(id, _)| crate::api::production::get_listing(id));
    let re_reviews = Resource::new(key, |(id, _)| crate::api::campaigns::pending_re_reviews(id));
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let submitted = query.with(|q| q.get("submitted")).is_some();
                let booked = query.with(|q| q.get("booked")).is_some();
                let listing_submitted = query.with(|q| q.get("listing_submitted")).is_some();
                Suspend::new(async move {
                match access.await {
                    Err(e) => Either::Left(view! { <h1>"Application not found"</h1>{error_box(e)} }),
                    Ok(a) => Either::Right(view! {
                        <p><a href="/access">"Your applications"</a></p>
                        <h1>{format!("Production access: {}", a.app_name)}</h1>
                        {submitted.then(|| view! { <Notice>"Your application was submitted. We emailed a PDF summary to your contacts."</Notice> })}
                        {booked.then(|| view! { <Notice>"Your demo is booked. The calendar invitation is in your email."</Notice> })}
                        {listing_submitted.then(|| view! { <Notice>"Your directory listing was submitted. A reviewer will check it."</Notice> })}
                        <section class="status-tracker" aria-labelledby="status-heading">
                            <h2 id="status-heading">"Status"</h2>
                            <dl class="definitions">
                                <dt>"Current state"</dt><dd id="access-state">{a.state_label.clone()}</dd>
                                <dt>"Waiting on"</dt><dd>{a.waiting_on.clone()}</dd>
                                <dt>"What happens next"</dt><dd>{a.next_step.clone()}</dd>
                                <dt>"Submitted version"</dt><dd>{if a.current_version == 0 { "Not submitted yet".to_string() } else { a.current_version.to_string() }}</dd>
                            </dl>
                        </section>
                        {a.editable.then(|| view! { <Steps access=a.clone() current=""/> })}
                        <Suspense fallback=|| ()>
                            {move || Suspend::new(async move {
                                let pending = re_reviews.await.unwrap_or_default();
                                (!pending.is_empty()).then(|| view! {
                                    <section class="alert alert-warning" aria-labelledby="re-review-heading" id="pending-re-reviews">
                                        <h2 id="re-review-heading">"Re-review required"</h2>
                                        <ul>
                                            {pending.into_iter().map(|p| view! {
                                                <li><a href=p.href.clone() class="re-review-link">{p.title}</a>{format!(": accept the new terms and re-attest by {}", p.deadline)}</li>
                                            }).collect_view()}
                                        </ul>
                                    </section>
                                })
                            })}
                        </Suspense>
                        {a.may_propose_policy_changes.then(|| view! {
                            <section aria-labelledby="policy-changes-heading">
                                <h2 id="policy-changes-heading">"Privacy policy and terms of service"</h2>
                                <p>"Changes to either must be approved before you publish them. "
                                    <a id="policy-changes-link" href=format!("/access/{}/policy-changes", a.id)>"Propose or follow a policy change"</a></p>
                            </section>
                        })}
                        <super::production::AfterApproval listing=listing/>
                        <super::review::ApplicantFeedback id=a.id.clone() feedback=feedback/>
                        <super::demos::ApplicantDemo id=a.id.clone() demo=demo/>
                        {(!a.changes.is_empty()).then(|| view! { <Changes changes=a.changes.clone()/> })}
                        <section aria-labelledby="timeline-heading">
                            <h2 id="timeline-heading">"Timeline"</h2>
                            <ol class="timeline">
                                {a.timeline.iter().map(|t| view! { <li><span class="when">{t.at.clone()}</span>" "{t.detail.clone()}</li> }).collect_view()}
                            </ol>
                        </section>
                    }),
                }
            })}}
        </Suspense>
    }
}

#[component]
pub fn AccessSectionPage() -> impl IntoView {
    view! {
        <Title text="Production access application"/>
        <Guarded>
            <SectionView/>
        </Guarded>
    }
}

#[component]
fn SectionView() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let location = use_location();
    // Keyed on the whole address: saving moves to the next section, and the
    // answers, counts and notices must be fetched afresh.
    let access = Resource::new(
        move || {
            (
                params.with(|p| p.get("id").unwrap_or_default()),
                location.pathname.get(),
                location.search.get(),
            )
        },
        |(id, _, _)| get_access_request(id),
    );
    let save = ServerAction::<SaveAccessSection>::new();
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let key = params.with(|p| p.get("section").unwrap_or_default());
                let saved = query.with(|q| q.get("saved"));
                let uploaded = query.with(|q| q.get("uploaded"));
                let upload_error = query.with(|q| q.get("upload_error")).map(|code| {
                    server_upload_problem(&code)
                });
                Suspend::new(async move {
                let a = match access.await {
                    Err(e) => return EitherOf3::A(view! { <h1>"Application not found"</h1>{error_box(e)} }),
                    Ok(a) => a,
                };
                let Some(section) = a.section(&key).cloned() else {
                    return EitherOf3::B(view! { <h1>"No such section"</h1><p><a href=format!("/access/{}", a.id)>"Back to the application"</a></p> });
                };
                let saved_title = saved.and_then(|s| a.section(&s).map(|s| s.title.clone()));
                let next_label = a.next_section(&key).map(|s| s.title.clone()).unwrap_or_else(|| "Review and submit".into());
                let is_policies = section.key == "policies";
                let editable = a.editable;
                EitherOf3::C(view! {
                    <p><a href=format!("/access/{}", a.id)>{format!("Application for {}", a.app_name)}</a></p>
                    <h1>{section.title.clone()}</h1>
                    <Steps access=a.clone() current=section.key.clone()/>
                    {saved_title.map(|t| view! { <Notice>{format!("{t} saved.")}</Notice> })}
                    {(!editable).then(|| view! { <div class="alert alert-warning" role="status">{format!("The application is {} and cannot be changed now.", a.state_label.to_lowercase())}</div> })}
                    <p>{section.intro.clone()}</p>
                    {is_policies.then(|| view! { <Documents access=a.clone() uploaded=uploaded.clone() upload_error=upload_error/> })}
                    <FormAlert message=form_error(save)/>
                    <ActionForm action=save attr:novalidate=true attr:class="application-form">
                        <input type="hidden" name="id" value=a.id.clone()/>
                        <input type="hidden" name="section" value=section.key.clone()/>
                        <input type="hidden" name="revision" value=section.revision.to_string()/>
                        {section.fields.iter().cloned().map(|f| view! { <SectionField field=f action=save/> }).collect_view()}
                        <button type="submit" class="button" disabled=move || save.pending().get() || !editable>{format!("Save and continue to {next_label}")}</button>
                    </ActionForm>
                })
            })}}
        </Suspense>
    }
}

/// One question rendered by its kind, named `answers[key]` for the server function.
#[component]
fn SectionField(field: FieldDto, action: ServerAction<SaveAccessSection>) -> impl IntoView {
    let key: &'static str = Box::leak(field.key.clone().into_boxed_str());
    let error = field_error(action, key);
    let kept = kept_value(action, key);
    let saved = field.value.clone();
    let value = Signal::derive(move || {
        if action.value().get().is_some_and(|r| r.is_err()) {
            kept.get().unwrap_or_default()
        } else {
            saved.clone()
        }
    });
    let name = format!("answers[{}]", field.key);
    let id = format!("field-{}", field.key);
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (hint_id, error_id, has_hint) =
            (hint_id.clone(), error_id.clone(), field.hint.is_some());
        move || {
            let mut ids = vec![];
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let optional = (!field.required).then_some(" (optional)");
    let hint = field
        .hint
        .clone()
        .map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> });
    let error_view = {
        let error_id = error_id.clone();
        move || {
            error
                .get()
                .map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })
        }
    };
    match field.kind.as_str() {
        "yes_no" | "choice" => EitherOf3::A(view! {
            <fieldset class="field choice" class:field-invalid=move || error.get().is_some() aria-describedby=described>
                <legend>{field.label.clone()}{optional}</legend>
                {hint}
                {error_view}
                {field.options.iter().map(|(v, label)| {
                    let option_id = format!("{id}-{v}");
                    let v2 = v.clone();
                    view! {
                        <div class="choice-option">
                            <input type="radio" id=option_id.clone() name=name.clone() value=v.clone()
                                prop:checked=move || value.get() == v2/>
                            <label for=option_id>{label.clone()}</label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
        }),
        "attest" => EitherOf3::B(view! {
            <div class="field checkbox attest" class:field-invalid=move || error.get().is_some()>
                {error_view}
                <input type="checkbox" id=id.clone() name=name value="yes" prop:checked=move || value.get() == "yes"
                    aria-describedby=described/>
                <label for=id>{format!("My privacy policy covers: {}", field.label)}</label>
            </div>
        }),
        kind => {
            let multiline = matches!(kind, "long_text" | "email_list" | "redirect_uris");
            let input_type = match kind {
                "email" => "email",
                "phone" => "tel",
                "url" => "url",
                _ => "text",
            };
            EitherOf3::C(view! {
                <div class="field" class:field-invalid=move || error.get().is_some()>
                    <label for=id.clone()>{field.label.clone()}{optional}</label>
                    {hint}
                    {error_view}
                    {if multiline {
                        Either::Left(view! {
                            <textarea id=id.clone() name=name.clone() rows="4"
                                aria-invalid=move || error.get().is_some().then_some("true")
                                aria-describedby=described.clone()
                                prop:value=move || value.get()>{move || value.get()}</textarea>
                        })
                    } else {
                        Either::Right(view! {
                            <input id=id.clone() name=name.clone() type=input_type
                                aria-invalid=move || error.get().is_some().then_some("true")
                                aria-describedby=described.clone()
                                prop:value=move || value.get() value=move || value.get()/>
                        })
                    }}
                </div>
            })
        }
    }
}

/// The two policy documents: what was uploaded, its analysis, and the upload forms.
#[component]
fn Documents(
    access: AccessDto,
    uploaded: Option<String>,
    upload_error: Option<String>,
) -> impl IntoView {
    let id = access.id.clone();
    let editable = access.editable;
    view! {
        <section id="documents" aria-labelledby="documents-heading" class="documents">
            <h2 id="documents-heading">"Documents"</h2>
            <p>"Upload your privacy policy and your terms of service as PDF files (at most 10 MB each, not password-protected, with selectable text). We check how readable they are and where the privacy policy seems to cover each checklist item, to help you before a reviewer reads them."</p>
            {uploaded.map(|k| view! { <Notice>{format!("{} uploaded.", if k == "terms_of_service" { "Terms of service" } else { "Privacy policy" })}</Notice> })}
            {[("privacy_policy", "Privacy policy"), ("terms_of_service", "Terms of service")].into_iter().map(|(kind, label)| {
                let doc = access.documents.iter().find(|d| d.kind == kind).cloned();
                let error_here = upload_error.clone();
                view! {
                    <div class="document">
                        <h3>{label}</h3>
                        {doc.map(|d| view! { <DocumentAnalysis doc=d/> })}
                        {editable.then(|| view! {
                            <DocumentUpload action=format!("/access/{id}/documents/{kind}") kind=kind label=label error=error_here/>
                        })}
                    </div>
                }
            }).collect_view()}
            <script src="/upload.js" defer=true></script>
        </section>
    }
}

#[component]
pub fn AccessReviewPage() -> impl IntoView {
    view! {
        <Title text="Review and submit"/>
        <Guarded>
            <ReviewAndSubmit/>
        </Guarded>
    }
}

#[component]
fn ReviewAndSubmit() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let location = use_location();
    let access = Resource::new(
        move || {
            (
                params.with(|p| p.get("id").unwrap_or_default()),
                location.search.get(),
            )
        },
        |(id, _)| get_access_request(id),
    );
    let submit = ServerAction::<SubmitAccessRequest>::new();
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let saved = query.with(|q| q.get("saved"));
                Suspend::new(async move {
                match access.await {
                    Err(e) => Either::Left(view! { <h1>"Application not found"</h1>{error_box(e)} }),
                    Ok(a) => Either::Right(view! {
                        <p><a href=format!("/access/{}", a.id)>{format!("Application for {}", a.app_name)}</a></p>
                        <h1>"Review and submit"</h1>
                        <Steps access=a.clone() current="review"/>
                        {saved.and_then(|k| a.section(&k).map(|s| s.title.clone())).map(|t| view! { <Notice>{format!("{t} saved.")}</Notice> })}
                        {(!a.missing.is_empty()).then(|| view! {
                            <div class="alert alert-warning" role="status" id="missing">
                                <p><strong>{format!("{} thing(s) to finish before you can submit:", a.missing.len())}</strong></p>
                                <ul>
                                    {a.missing.iter().map(|m| view! {
                                        <li><a href=format!("/access/{}/{}", a.id, m.section)>{m.section_title.clone()}</a>": "{m.message.clone()}</li>
                                    }).collect_view()}
                                </ul>
                            </div>
                        })}
                        <AnswersSummary access=a.clone() edit_links=a.editable/>
                        {a.editable.then(|| view! {
                            <section class="narrow" aria-labelledby="attest-heading">
                                <h2 id="attest-heading">"Attestation"</h2>
                                <FormAlert message=form_error(submit)/>
                                <ActionForm action=submit attr:novalidate=true>
                                    <input type="hidden" name="id" value=a.id.clone()/>
                                    <input type="hidden" name="version" value=a.current_version.to_string()/>
                                    <Field label="Your full name" name="attest_name" autocomplete="name" error=field_error(submit, "attest_name") value=kept_value(submit, "attest_name")/>
                                    <Field label="Your title" name="attest_title" autocomplete="organization-title" error=field_error(submit, "attest_title") value=kept_value(submit, "attest_title")/>
                                    <div class="field checkbox" class:field-invalid=move || field_error(submit, "attest_terms").get().is_some()>
                                        {move || field_error(submit, "attest_terms").get().map(|e| view! { <p class="field-error" id="field-attest_terms-error">{e}</p> })}
                                        <input type="checkbox" id="field-attest_terms" name="attest_terms" value="yes"
                                            aria-describedby=move || field_error(submit, "attest_terms").get().map(|_| "field-attest_terms-error")/>
                                        <label for="field-attest_terms">"I have read the "<a href="/terms" target="_blank">"Blue Button 2.0 API Terms of Service"</a>", and this application and its privacy policy meet them."</label>
                                    </div>
                                    <button type="submit" class="button" disabled=move || submit.pending().get()>
                                        {if a.current_version == 0 { "Submit the application".to_string() } else { format!("Submit version {}", a.current_version + 1) }}
                                    </button>
                                </ActionForm>
                            </section>
                        })}
                    }),
                }
            })}}
        </Suspense>
    }
}
