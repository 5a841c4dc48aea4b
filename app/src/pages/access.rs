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
        access_readiness, get_access_request, list_access_requests, AccessDto, DocumentDto,
        FieldDto, SaveAccessSection, StartAccessRequest, SubmitAccessRequest,
    },
    components::{field_error, form_error, kept_value, Field, FormAlert, Guarded, Notice},
    error::AppError,
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
    let demo: super::review::DemoResource =
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
                        {(a.state == "live").then(|| view! {
                            <section aria-labelledby="policy-changes-heading">
                                <h2 id="policy-changes-heading">"Privacy policy and terms of service"</h2>
                                <p>"Changes to either must be approved before you publish them. "
                                    <a id="policy-changes-link" href=format!("/access/{}/policy-changes", a.id)>"Propose or follow a policy change"</a></p>
                            </section>
                        })}
                        <super::production::AfterApproval listing=listing/>
                        <super::review::ApplicantFeedback id=a.id.clone() feedback=feedback/>
                        <super::review::ApplicantDemo id=a.id.clone() demo=demo/>
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
pub(crate) fn Changes(changes: Vec<crate::api::access::ChangeDto>) -> impl IntoView {
    view! {
        <section aria-labelledby="changes-heading">
            <h2 id="changes-heading">"What changed in the latest version"</h2>
            <table>
                <caption>"Answers and documents changed since the previous version"</caption>
                <thead><tr><th scope="col">"Section"</th><th scope="col">"Question"</th><th scope="col">"Before"</th><th scope="col">"After"</th></tr></thead>
                <tbody>
                    {changes.into_iter().map(|c| view! {
                        <tr><td>{c.section}</td><td>{c.label}</td><td class="before"><del>{c.before}</del></td><td class="after"><ins>{c.after}</ins></td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
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

/// The words for an upload refusal code from a plain form post.
pub(crate) fn server_upload_problem(code: &str) -> String {
    match code {
        "empty" => "Choose a PDF file to upload.",
        "too_large" => "The file is larger than 10 MB. Save a smaller PDF (for example without embedded images) and try again.",
        "not_pdf" => "The file is not a PDF, whatever its name says. Save or print the document as PDF and upload that.",
        "encrypted" => "The PDF is password-protected or encrypted. Save a copy without a password and upload that.",
        "corrupt" => "The PDF is damaged and cannot be read. Save or export it again and upload the new file.",
        "no_pages" => "The PDF has no pages.",
        "too_complex" => "The PDF unpacks to far more data than a policy needs (a page over 8 MB once decompressed). Export it again as a plain text PDF and upload that.",
        "no_text" => "The PDF has no text we can read (is it a scan?). Upload a PDF made from the text itself, so that reviewers and screen readers can read it.",
        "not_editable" => "The application cannot be changed now.",
        _ => "The upload did not work and nothing was saved. Please try again.",
    }
    .to_string()
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

/// The upload form of one policy document. It posts as a plain form; the
/// page's `/upload.js` sends it with a progress bar when scripts run.
#[component]
pub(crate) fn DocumentUpload(
    action: String,
    kind: &'static str,
    label: &'static str,
    error: Option<String>,
) -> impl IntoView {
    let input_id = format!("upload-{kind}");
    let error_id = format!("{input_id}-error");
    let status_id = format!("{input_id}-status");
    view! {
        <form method="post" action=action enctype="multipart/form-data"
            data-upload="true" data-error=error_id.clone() data-status=status_id.clone()>
            <div class="field">
                <label for=input_id.clone()>{format!("Upload the {} (PDF)", label.to_lowercase())}</label>
                <p class="field-error" id=error_id.clone() role="alert">{error}</p>
                <input type="file" id=input_id.clone() name="file" accept="application/pdf,.pdf" required=true
                    aria-describedby=error_id.clone()/>
            </div>
            <progress max="100" value="0" hidden=true aria-label=format!("Uploading the {}", label.to_lowercase())></progress>
            <p class="upload-status" id=status_id.clone() role="status" aria-live="polite"></p>
            <button type="submit" class="button button-secondary">{format!("Upload {}", label.to_lowercase())}</button>
        </form>
    }
}

#[component]
pub(crate) fn DocumentAnalysis(doc: DocumentDto) -> impl IntoView {
    let ease_words = match doc.reading_ease {
        e if e >= 60.0 => "plain English",
        e if e >= 50.0 => "fairly difficult",
        e if e >= 30.0 => "difficult",
        _ => "very difficult",
    };
    let hints = doc.hints.clone();
    view! {
        <div class="analysis">
            <p>
                <a href=doc.href.clone()>{doc.filename.clone()}</a>
                {format!(" · {} · {} pages · {} words · uploaded {}", doc.size, doc.pages, doc.words, doc.uploaded)}
            </p>
            <p class="sha">"SHA-256 "<code>{doc.sha256.clone()}</code></p>
            <dl class="definitions readability">
                <dt>"Flesch reading ease"</dt><dd class="reading-ease">{format!("{:.1} ({ease_words})", doc.reading_ease)}</dd>
                <dt>"Flesch–Kincaid grade level"</dt><dd class="grade-level">{format!("{:.1}", doc.grade_level)}</dd>
            </dl>
            {(doc.grade_level > 8.0).then(|| view! { <p class="hint">"Many Medicare enrollees read best at grade 8 or below: shorter sentences and everyday words help."</p> })}
            {(!hints.is_empty()).then(|| view! {
                <table class="hints">
                    <caption>"Privacy-policy checklist: where the text seems to cover each item"</caption>
                    <thead><tr><th scope="col">"Checklist item"</th><th scope="col">"Hint"</th></tr></thead>
                    <tbody>
                        {hints.into_iter().map(|h| view! {
                            <tr>
                                <td>{h.item}</td>
                                <td>{match h.excerpt {
                                    Some(e) => Either::Left(view! { <span class="likely">"Likely covered: "</span><q>{e}</q> }),
                                    None => Either::Right(view! { <span class="not-found">"Not found: check that the policy covers this."</span> }),
                                }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </div>
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

/// Every answer and the documents, as submitted or as they stand.
#[component]
pub(crate) fn AnswersSummary(
    access: AccessDto,
    #[prop(default = false)] edit_links: bool,
) -> impl IntoView {
    let a = access;
    view! {
                        {a.sections.iter().map(|s| view! {
                            <section class="summary">
                                <h2>{s.title.clone()}{edit_links.then(|| view! { " "<a class="edit-link" href=format!("/access/{}/{}", a.id, s.key)>{format!("Edit {}", s.title.to_lowercase())}</a> })}</h2>
                                <dl class="definitions">
                                    {s.fields.iter().map(|f| {
                                        let shown = match f.kind.as_str() {
                                            "attest" => if f.value == "yes" { "Confirmed".to_string() } else { "Not confirmed".to_string() },
                                            "yes_no" | "choice" => f.options.iter().find(|(v, _)| *v == f.value).map(|(_, l)| l.clone()).unwrap_or_default(),
                                            _ => f.value.clone(),
                                        };
                                        let shown = if shown.is_empty() { "Not answered".to_string() } else { shown };
                                        view! { <dt>{f.label.clone()}</dt><dd>{shown}</dd> }
                                    }).collect_view()}
                                </dl>
                            </section>
                        }).collect_view()}
                        <section class="summary">
                            <h2>"Documents"</h2>
                            <ul>
                                {a.documents.iter().map(|d| view! {
                                    <li>{format!("{}: ", d.kind_label)}<a href=format!("/access/documents/{}", d.id)>{d.filename.clone()}</a>{format!(" ({} pages, SHA-256 {})", d.pages, d.sha256)}</li>
                                }).collect_view()}
                            </ul>
                        </section>
    }
}
