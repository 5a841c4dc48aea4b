//! A developer's sandbox apps: list, register, credentials, rotate, delete.
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::apps::{get_app, list_apps, take_new_secret, DeleteApp, RegisterApp, RotateSecret},
    components::{field_error, form_error, kept_value, Field, FormAlert, Guarded, Notice},
};

#[component]
pub fn AppsPage() -> impl IntoView {
    view! {
        <Title text="Your apps"/>
        <Guarded>
            <AppList/>
        </Guarded>
    }
}

#[component]
fn AppList() -> impl IntoView {
    let apps = Resource::new(|| (), |_| list_apps());
    let params = use_query_map();
    view! {
        <h1>"Your apps"</h1>
        {move || params.with(|p| p.get("deleted")).map(|_| view! { <Notice>"The app was deleted. Its credentials no longer work."</Notice> })}
        <p><a class="button" href="/apps/new">"Register a new app"</a></p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match apps.await {
                    Err(e) => EitherOf3::A(view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }),
                    Ok(list) if list.is_empty() => EitherOf3::B(view! {
                        <div class="empty-state">
                            <p>"You have not registered any apps yet. Register one to get a client ID and secret for the sandbox, then sign in as a synthetic enrollee to try the API."</p>
                        </div>
                    }),
                    Ok(list) => EitherOf3::C(view! {
                        <table>
                            <caption>"Registered apps"</caption>
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Environment"</th><th scope="col">"Client ID"</th><th scope="col">"Type"</th><th scope="col">"Registered"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|app| view! {
                                    <tr>
                                        <td><a href=format!("/apps/{}", app.id)>{app.name.clone()}</a></td>
                                        <td>{if app.is_production() { "Production" } else { "Sandbox" }}</td>
                                        <td><code>{app.client_id}</code></td>
                                        <td>{format!("{}, {}", app.client_type, app.grant_type)}</td>
                                        <td>{app.created}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn NewAppPage() -> impl IntoView {
    view! {
        <Title text="Register an app"/>
        <Guarded>
            <RegistrationForm/>
        </Guarded>
    }
}

/// A set of radio buttons with a legend and an error slot.
#[component]
fn Choice(
    legend: &'static str,
    name: &'static str,
    options: &'static [(&'static str, &'static str)],
    default: &'static str,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("field-{name}-error");
    view! {
        <fieldset class="field choice" class:field-invalid=move || error.get().is_some()>
            <legend>{legend}</legend>
            {move || error.get().map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
            {options.iter().map(|(value, label)| {
                let id = format!("field-{name}-{value}");
                view! {
                    <div class="choice-option">
                        <input type="radio" id=id.clone() name=name value=*value checked=*value == default/>
                        <label for=id>{*label}</label>
                    </div>
                }
            }).collect_view()}
        </fieldset>
    }
}

#[component]
fn TextArea(
    label: &'static str,
    name: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into)] value: Signal<Option<String>>,
    #[prop(default = true)] required: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let mut ids = vec![];
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}{(!required).then_some(" (optional)")}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            {move || error.get().map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
            <textarea id=id name=name rows="4" required=required
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described
                prop:value=move || value.get().unwrap_or_default()>{move || value.get().unwrap_or_default()}</textarea>
        </div>
    }
}

#[component]
fn RegistrationForm() -> impl IntoView {
    let action = ServerAction::<RegisterApp>::new();
    let pending = action.pending();
    view! {
        <h1>"Register a sandbox app"</h1>
        <p>"Your app gets a client ID and secret for the sandbox. The secret is shown once; keep it somewhere safe."</p>
        <FormAlert message=form_error(action)/>
        <ActionForm action=action attr:novalidate=true>
            <Field label="App name" name="name" error=field_error(action, "name") value=kept_value(action, "name")/>
            <TextArea label="Description" name="description" required=false hint="Plain text, up to 1,000 characters."
                error=field_error(action, "description") value=kept_value(action, "description")/>
            <Field label="Website" name="website_url" kind="url" error=field_error(action, "website_url") value=kept_value(action, "website_url")/>
            <Field label="Privacy policy address" name="privacy_policy_url" kind="url" error=field_error(action, "privacy_policy_url") value=kept_value(action, "privacy_policy_url")/>
            <Field label="Terms of service address" name="terms_url" kind="url" error=field_error(action, "terms_url") value=kept_value(action, "terms_url")/>
            <Field label="Support email" name="support_email" kind="email" error=field_error(action, "support_email") value=kept_value(action, "support_email")/>
            <Field label="Support phone" name="support_phone" kind="tel" error=field_error(action, "support_phone") value=kept_value(action, "support_phone")/>
            <Choice legend="Client type" name="client_type" default="confidential" error=field_error(action, "client_type")
                options=&[("confidential", "Confidential: a server that can keep the secret"), ("public", "Public: a browser or mobile app that cannot keep a secret")]/>
            <Choice legend="Grant type" name="grant_type" default="authorization-code" error=field_error(action, "grant_type")
                options=&[("authorization-code", "Authorization code with PKCE (every app)"), ("implicit", "Implicit (public clients only)")]/>
            <TextArea label="Redirect URIs" name="redirect_uris"
                hint="One per line or separated by spaces. http:// works in the sandbox only; native apps use a reverse-domain scheme like com.example.app:/callback."
                error=field_error(action, "redirect_uris") value=kept_value(action, "redirect_uris")/>
            <Choice legend="Does your app need enrollees' demographic data (name, address, gender)?" name="requires_demographics" default="yes"
                error=field_error(action, "requires_demographics")
                options=&[("yes", "Yes: ask for Patient and profile scopes (enrollees may still decline)"), ("no", "No: never ask for them")]/>
            <div class="field checkbox" class:field-invalid=move || field_error(action, "accept_terms").get().is_some()>
                {move || field_error(action, "accept_terms").get().map(|e| view! { <p class="field-error" id="field-accept_terms-error">{e}</p> })}
                <input type="checkbox" id="field-accept_terms" name="accept_terms" value="yes"
                    aria-describedby=move || field_error(action, "accept_terms").get().map(|_| "field-accept_terms-error")/>
                <label for="field-accept_terms">"My app will follow the "<a href="/terms" target="_blank">"API Terms of Service"</a></label>
            </div>
            <button type="submit" class="button" disabled=pending>"Register app"</button>
        </ActionForm>
    }
}

#[component]
pub fn AppPage() -> impl IntoView {
    view! {
        <Title text="App details"/>
        <Guarded>
            <AppDetailsView/>
        </Guarded>
    }
}

#[component]
fn AppDetailsView() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let app = Resource::new(id, get_app);
    let secret = Resource::new(id, take_new_secret);
    let usage = Resource::new(id, crate::api::production::app_usage);
    let rotate = ServerAction::<RotateSecret>::new();
    let delete = ServerAction::<DeleteApp>::new();
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                // Read before awaiting: reactive values are not reliable after an await on the server.
                let created = query.with(|q| q.get("created")).is_some();
                let rotated = query.with(|q| q.get("rotated")).is_some();
                let logo_uploaded = query.with(|q| q.get("logo")).is_some();
                let logo_error = query.with(|q| q.get("logo_error")).map(|code| logo_problem(&code));
                Suspend::new(async move {
                let new_secret = secret.await.ok().flatten();
                match app.await {
                    Err(e) => Either::Left(view! {
                        <h1>"App not found"</h1>
                        <div class="alert alert-error" role="alert">{e.to_string()}</div>
                        <p><a href="/apps">"Back to your apps"</a></p>
                    }),
                    Ok(app) => {
                        let (rotate_id, delete_id) = (app.id.clone(), app.id.clone());
                        let retiring = app.retiring_secret_until.clone();
                        Either::Right(view! {
                        <p><a href="/apps">"Your apps"</a></p>
                        <h1>{app.name.clone()}</h1>
                        {created.then(|| view! { <Notice>"Your app is registered."</Notice> })}
                        {rotated.then(|| view! { <Notice>{match retiring.clone() {
                            Some(until) => format!("A new secret was created. The old one keeps working until {until}."),
                            None => "A new secret was created. The old one no longer works.".to_string(),
                        }}</Notice> })}
                        {new_secret.map(|s| view! {
                            <div class="alert alert-warning secret" role="status">
                                <p><strong>"Client secret: "</strong><code id="client-secret">{s}</code></p>
                                <p>"Copy it now. For your security it is shown only this once; if you lose it, create a new one."</p>
                            </div>
                        })}
                        <dl class="definitions">
                            <dt>"Client ID"</dt><dd><code id="client-id">{app.client_id.clone()}</code></dd>
                            <dt>"Environment"</dt><dd id="app-environment">{if app.is_production() { "Production" } else { "Sandbox" }}</dd>
                            <dt>"API base URL"</dt><dd><code id="api-base-url">{app.api_base_url.clone()}</code></dd>
                            <dt>"Client type and grant"</dt><dd>{format!("{}, {}", app.client_type, app.grant_type)}</dd>
                            <dt>"Redirect URIs"</dt><dd><ul>{app.redirect_uris.iter().map(|u| view! { <li><code>{u.clone()}</code></li> }).collect_view()}</ul></dd>
                            <dt>"Scopes"</dt><dd>{app.scopes.join(" ")}</dd>
                            <dt>"Demographic data"</dt><dd>{if app.requires_demographics { "Requested (enrollees may decline)" } else { "Never requested" }}</dd>
                            <dt>"Website"</dt><dd>{app.website_url.clone()}</dd>
                            <dt>"Support"</dt><dd>{format!("{} · {}", app.support_email, app.support_phone)}</dd>
                            <dt>"Registered"</dt><dd>{app.created.clone()}</dd>
                        </dl>
                        {app.is_production().then(|| view! {
                            <section class="narrow" aria-labelledby="live-heading">
                                <h2 id="live-heading">"Production"</h2>
                                <dl class="definitions">
                                    <dt>"Live since"</dt><dd>{app.live_since.clone().unwrap_or_else(|| "Credentials not collected yet".into())}</dd>
                                    <dt>"Renewal due"</dt><dd id="renewal-due">{app.renewal_due.clone().unwrap_or_else(|| "A year after the app goes live".into())}</dd>
                                </dl>
                                <p class="hint">"Production access is renewed every year, with the audit you agreed to at approval. We email you 30 and 7 days before."</p>
                            </section>
                        })}
                        <AppUsage usage=usage/>
                        {(!app.is_production()).then(|| view! {
                        <section class="narrow">
                            <h2>"Production access"</h2>
                            <p>"When the app works in the sandbox, apply for production access: the application walks you through the production-access guide, and a reviewer takes it from there."</p>
                            <p><a class="button" href=format!("/apps/{}/production", app.id)>"Apply for production access"</a></p>
                        </section>
                        })}
                        <section class="narrow">
                            <h2>"Logo"</h2>
                            {logo_uploaded.then(|| view! { <Notice>"Your logo was uploaded. Enrollees see it when they decide whether to allow your app."</Notice> })}
                            {app.logo_url.clone().map(|src| view! { <p><img class="app-logo" src=src alt=format!("{} logo", app.name)/></p> })}
                            <form method="post" action=format!("/apps/{}/logo", app.id) enctype="multipart/form-data">
                                <div class="field" class:field-invalid=logo_error.is_some()>
                                    <label for="logo-file">{if app.logo_url.is_some() { "Replace the logo" } else { "Upload a logo" }}</label>
                                    <p class="hint" id="logo-file-hint">"PNG or JPEG, at most 100 KB and 512×512 pixels."</p>
                                    {logo_error.map(|e| view! { <p class="field-error" id="logo-file-error">{e}</p> })}
                                    <input type="file" id="logo-file" name="logo" accept="image/png,image/jpeg" required=true
                                        aria-invalid=logo_error.map(|_| "true")
                                        aria-describedby=if logo_error.is_some() { "logo-file-hint logo-file-error" } else { "logo-file-hint" }/>
                                </div>
                                <button type="submit" class="button button-secondary">"Upload logo"</button>
                            </form>
                        </section>
                        <section class="narrow">
                            <h2>"Create a new client secret"</h2>
                            <p>"The new secret is shown once. The current one stops working at once, or after a grace period you choose, so your servers can switch over without an outage."</p>
                            <FormAlert message=form_error(rotate)/>
                            <ActionForm action=rotate>
                                <input type="hidden" name="id" value=rotate_id/>
                                <div class="field" class:field-invalid=move || field_error(rotate, "grace_hours").get().is_some()>
                                    <label for="grace-hours">"The current secret stops working"</label>
                                    {move || field_error(rotate, "grace_hours").get().map(|e| view! { <p class="field-error">{e}</p> })}
                                    <select id="grace-hours" name="grace_hours">
                                        {[("0", "At once"), ("1", "After 1 hour"), ("4", "After 4 hours"), ("12", "After 12 hours"), ("24", "After 24 hours")].into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                                    </select>
                                </div>
                                <div class="field checkbox" class:field-invalid=move || field_error(rotate, "confirm").get().is_some()>
                                    {move || field_error(rotate, "confirm").get().map(|e| view! { <p class="field-error" id="rotate-confirm-error">{e}</p> })}
                                    <input type="checkbox" id="rotate-confirm" name="confirm" value="yes"
                                        aria-describedby=move || field_error(rotate, "confirm").get().map(|_| "rotate-confirm-error")/>
                                    <label for="rotate-confirm">"I understand that the current secret will stop working at the time chosen"</label>
                                </div>
                                <button type="submit" class="button button-secondary">"Create new secret"</button>
                            </ActionForm>
                        </section>
                        {(!app.is_production()).then(|| view! {
                        <section class="narrow danger-zone">
                            <h2>"Delete this app"</h2>
                            <p>"Deleting the app removes its credentials for good."</p>
                            <FormAlert message=form_error(delete)/>
                            <ActionForm action=delete>
                                <input type="hidden" name="id" value=delete_id/>
                                <div class="field checkbox" class:field-invalid=move || field_error(delete, "confirm").get().is_some()>
                                    {move || field_error(delete, "confirm").get().map(|e| view! { <p class="field-error" id="delete-confirm-error">{e}</p> })}
                                    <input type="checkbox" id="delete-confirm" name="confirm" value="yes"
                                        aria-describedby=move || field_error(delete, "confirm").get().map(|_| "delete-confirm-error")/>
                                    <label for="delete-confirm">{format!("Yes, delete {}", app.name)}</label>
                                </div>
                                <button type="submit" class="button button-danger">"Delete app"</button>
                            </ActionForm>
                        </section>
                        })}
                    })
                    }
                }
            })
            }}
        </Suspense>
    }
}

/// The last 30 days of API calls, by endpoint.
#[component]
fn AppUsage(
    usage: Resource<Result<Vec<crate::api::production::UsageDto>, crate::error::AppError>>,
) -> impl IntoView {
    view! {
        <section class="narrow" aria-labelledby="usage-heading">
            <h2 id="usage-heading">"API usage, last 30 days"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match usage.await {
                        Ok(rows) if rows.is_empty() => Either::Left(view! { <p class="empty-state">"No API calls in the last 30 days."</p> }),
                        Ok(rows) => Either::Right(view! {
                            <table id="usage">
                                <caption>"Calls by endpoint"</caption>
                                <thead><tr><th scope="col">"Endpoint"</th><th scope="col">"Calls"</th><th scope="col">"Errors"</th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|r| view! { <tr><td>{r.endpoint}</td><td>{r.calls}</td><td>{r.errors}</td></tr> }).collect_view()}
                                </tbody>
                            </table>
                        }),
                        Err(_) => Either::Left(view! { <p class="empty-state">"Usage is not available right now."</p> }),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The words for a logo problem code from the upload handler.
fn logo_problem(code: &str) -> &'static str {
    match code {
        "empty" => "Choose a file to upload.",
        "too_large" => "The file is larger than 100 KB. Make it smaller and try again.",
        "not_image" => "The file is not a PNG or JPEG image (whatever its name says).",
        "too_big" => "The image is larger than 512×512 pixels. Resize it and try again.",
        _ => "The upload did not work. Try again.",
    }
}
