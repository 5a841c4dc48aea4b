//! Re-review campaigns: the admin page (publish, preview who is affected,
//! follow each app) and the developer's re-attestation page.
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use crate::{
    api::{
        campaigns::{campaigns, re_review, AttestCampaign, ReReviewDto, StartCampaign},
        Viewer,
    },
    components::{field_error, form_error, kept_value, FormAlert, Guarded, Notice},
};

#[component]
pub fn CampaignsPage() -> impl IntoView {
    view! {
        <Title text="Re-review campaigns"/>
        <Guarded allow=Viewer::is_admin>
            <Campaigns/>
        </Guarded>
    }
}

#[component]
fn Campaigns() -> impl IntoView {
    let query = use_query_map();
    let start = ServerAction::<StartCampaign>::new();
    let state = Resource::new(
        move || (query.with(|q| q.get("started")), start.version().get()),
        |_| campaigns(),
    );
    let text_field = move |name: &'static str,
                           label: &'static str,
                           rows: Option<&'static str>,
                           initial: String| {
        let id = format!("campaign-{name}");
        let error = field_error(start, name);
        view! {
            <div class="field" class:field-invalid=move || error.get().is_some()>
                <label for=id.clone()>{label}</label>
                {move || error.get().map(|e| view! { <p class="field-error">{e}</p> })}
                {match rows {
                    Some(rows) => Either::Left(view! {
                        <textarea id=id.clone() name=name rows=rows prop:value=move || kept_value(start, name).get().unwrap_or_else(|| initial.clone())></textarea>
                    }),
                    None => Either::Right(view! {
                        <input id=id.clone() name=name type=if name == "deadline" { "date" } else { "text" }
                            prop:value=move || kept_value(start, name).get().unwrap_or_else(|| initial.clone())/>
                    }),
                }}
            </div>
        }
    };
    view! {
        <h1>"Re-review campaigns"</h1>
        <p>"Publish a new version of the terms of service and the statements every production app must attest, with a deadline. Every live app's contacts are asked at once and reminded 30, 14, 7 and 1 days before; apps that have not re-attested by the deadline are suspended until they do."</p>
        {move || query.with(|q| q.get("started")).map(|_| view! { <Notice>"The campaign started and every live app's contacts were emailed."</Notice> })}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match state.await {
                    Err(e) => Either::Left(view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }),
                    Ok(s) => Either::Right(view! {
                        <section class="narrow" aria-labelledby="start-heading">
                            <h2 id="start-heading">"Start a campaign"</h2>
                            <FormAlert message=form_error(start)/>
                            <ActionForm action=start attr:novalidate=true attr:id="campaign-form">
                                {text_field("title", "Title (developers see it)", None, String::new())}
                                {text_field("terms_version", "Terms of service version", None, String::new())}
                                {text_field("terms_text", "The new terms of service, or what changed in them", Some("8"), String::new())}
                                {text_field("attestations", "Statements to attest, one per line", Some("10"), s.default_attestations.clone())}
                                {text_field("deadline", "Deadline (the end of this day, Eastern time)", None, String::new())}
                                <div class="field checkbox">
                                    <input type="checkbox" id="campaign-demo" name="demo_required" value="yes"
                                        prop:checked=move || kept_value(start, "demo_required").get().as_deref() == Some("yes")/>
                                    <label for="campaign-demo">"Also ask each app for a new demo"</label>
                                </div>
                                <h3>"Who will be asked"</h3>
                                {if s.live_apps.is_empty() {
                                    Either::Left(view! { <p class="empty-state" id="campaign-preview">"No app is live in production yet."</p> })
                                } else {
                                    Either::Right(view! {
                                        <ul id="campaign-preview">{s.live_apps.iter().map(|a| view! { <li>{a.clone()}</li> }).collect_view()}</ul>
                                    })
                                }}
                                <div class="field checkbox" class:field-invalid=move || field_error(start, "confirm").get().is_some()>
                                    {move || field_error(start, "confirm").get().map(|e| view! { <p class="field-error">{e}</p> })}
                                    <input type="checkbox" id="campaign-confirm" name="confirm" value="yes"/>
                                    <label for="campaign-confirm">"Yes, ask every app listed and suspend those that miss the deadline"</label>
                                </div>
                                <button type="submit" class="button">"Start the campaign"</button>
                            </ActionForm>
                        </section>
                        <section aria-labelledby="campaigns-heading">
                            <h2 id="campaigns-heading">"Campaigns"</h2>
                            {if s.campaigns.is_empty() {
                                Either::Left(view! { <p class="empty-state">"No campaign has been started."</p> })
                            } else {
                                Either::Right(s.campaigns.clone().into_iter().map(|c| view! {
                                    <div class="campaign">
                                        <h3>{format!("{} (terms version {})", c.title, c.terms_version)}</h3>
                                        <p>{format!("Deadline: {} · {} statement(s){}", c.deadline, c.statements, if c.demo_required { " · new demo requested" } else { "" })}</p>
                                        {if c.enforced {
                                            Either::Left(view! { <p>"The deadline has passed: apps that had not re-attested were suspended."</p> })
                                        } else if c.affected_on_deadline.is_empty() {
                                            Either::Right(Either::Left(view! { <p class="affected">"Every app has re-attested: none will be suspended."</p> }))
                                        } else {
                                            Either::Right(Either::Right(view! {
                                                <p class="affected">{format!("Suspended at the deadline unless they re-attest: {}", c.affected_on_deadline.join(", "))}</p>
                                            }))
                                        }}
                                        <table class="campaign-apps">
                                            <caption>{format!("Apps in {}", c.title)}</caption>
                                            <thead><tr>
                                                <th scope="col">"App"</th><th scope="col">"Status"</th>
                                                {c.demo_required.then(|| view! { <th scope="col">"New demo"</th> })}
                                            </tr></thead>
                                            <tbody>
                                                {c.apps.into_iter().map(|a| view! {
                                                    <tr class=format!("campaign-{}", a.state)>
                                                        <td><a href=a.review_href>{a.app_name}</a></td>
                                                        <td>{a.status}</td>
                                                        {a.demo.map(|d| view! { <td class="campaign-demo">{d}</td> })}
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                }).collect_view())
                            }}
                        </section>
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ReReviewPage() -> impl IntoView {
    view! {
        <Title text="Re-review: accept the new terms"/>
        <Guarded>
            <ReReview/>
        </Guarded>
    }
}

#[component]
fn ReReview() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let attest = ServerAction::<AttestCampaign>::new();
    let data = Resource::new(
        move || {
            (
                params.with(|p| {
                    (
                        p.get("id").unwrap_or_default(),
                        p.get("campaign").unwrap_or_default(),
                    )
                }),
                location.search.get(),
                attest.version().get(),
            )
        },
        |((id, campaign), _, _)| re_review(id, campaign),
    );
    let query = use_query_map();
    view! {
        {move || query.with(|q| q.get("attested")).map(|_| view! { <Notice>"Thank you: the re-review is complete and your contacts were emailed."</Notice> })}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => Either::Left(view! {
                        <h1>"Re-review"</h1>
                        <div class="alert alert-error" role="alert">{e.to_string()}</div>
                    }),
                    Ok(r) => Either::Right(view! { <ReReviewForm r=r attest=attest/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ReReviewForm(r: ReReviewDto, attest: ServerAction<AttestCampaign>) -> impl IntoView {
    view! {
        <p><a href=format!("/access/{}", r.request_id)>"Back to the application"</a></p>
        <h1>{format!("Re-review: {}", r.app_name)}</h1>
        <p>{format!("{}: accept terms of service version {} and re-attest each statement by {}.", r.title, r.terms_version, r.deadline)}</p>
        {r.suspended.then(|| view! { <p class="alert alert-warning" role="alert" id="re-review-suspended">"Production access is suspended because the deadline passed. Re-attesting restores it at once, with the same credentials."</p> })}
        {r.demo_required.then(|| view! {
            <p class="alert alert-info" role="note">"A new 1-hour demo of the app is also requested: "
                <a href=format!("/access/{}#demo", r.request_id)>"book one of the offered times on the application page"</a>"."</p>
        })}
        <section aria-labelledby="terms-heading">
            <h2 id="terms-heading">{format!("Terms of service, version {}", r.terms_version)}</h2>
            <div class="prewrap terms-text" tabindex="0" role="region" aria-label="The new terms of service">{r.terms_text.clone()}</div>
        </section>
        {match r.attested.clone() {
            Some(at) => Either::Left(view! { <p class="alert alert-success" role="status" id="re-review-done">{format!("Re-attested {at}.")}</p> }),
            None => Either::Right(view! {
                <section class="narrow" aria-labelledby="attest-heading">
                    <h2 id="attest-heading">"Accept and attest"</h2>
                    <FormAlert message=form_error(attest)/>
                    <ActionForm action=attest attr:novalidate=true attr:id="attest-form">
                        <input type="hidden" name="request_id" value=r.request_id.clone()/>
                        <input type="hidden" name="campaign_id" value=r.campaign_id.clone()/>
                        <div class="field checkbox" class:field-invalid=move || field_error(attest, "accept_terms").get().is_some()>
                            {move || field_error(attest, "accept_terms").get().map(|e| view! { <p class="field-error">{e}</p> })}
                            <input type="checkbox" id="accept-terms" name="accept_terms" value="yes"
                                prop:checked=move || kept_value(attest, "accept_terms").get().is_some()/>
                            <label for="accept-terms">{format!("We accept terms of service version {}", r.terms_version)}</label>
                        </div>
                        <fieldset class="field choice" class:field-invalid=move || field_error(attest, "attestations").get().is_some()>
                            <legend>"We attest that our app and its privacy policy:"</legend>
                            {move || field_error(attest, "attestations").get().map(|e| view! { <p class="field-error">{e}</p> })}
                            {r.statements.iter().enumerate().map(|(i, s)| {
                                let id = format!("attest-{i}");
                                let kept = kept_value(attest, format!("attest[{i}]"));
                                view! {
                                    <div><input type="checkbox" id=id.clone() name=format!("attest[{i}]") value="yes"
                                        prop:checked=move || kept.get().is_some()/>
                                    <label for=id>{s.clone()}</label></div>
                                }
                            }).collect_view()}
                        </fieldset>
                        <button type="submit" class="button">"Submit the re-review"</button>
                    </ActionForm>
                </section>
            }),
        }}
    }
}
