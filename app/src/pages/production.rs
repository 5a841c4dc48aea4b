//! After approval: the post-approval form (how the app is listed), the
//! reviewer's listing check and credential handoff, the page a handoff link
//! opens, and the public connected-apps directory.
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use crate::{
    api::production::{
        directory, directory_entry, get_listing, handoff_status, take_revealed, ApproveListing,
        DirectoryEntryDto, EvaluateListing, ListingDto, ReissueHandoff, RequestListingChanges,
        RevealCredentials, SaveListing, StartHandoff,
    },
    components::{field_error, form_error, kept_value, Field, FormAlert, Guarded, Notice},
    error::AppError,
};

pub(crate) type ListingResource = Resource<Result<ListingDto, AppError>>;

#[component]
pub fn ListingPage() -> impl IntoView {
    view! {
        <Title text="Post-approval form: your directory listing"/>
        <Guarded>
            <ListingForm/>
        </Guarded>
    }
}

#[component]
fn ListingForm() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let location = use_location();
    let save = ServerAction::<SaveListing>::new();
    let listing = Resource::new(
        move || {
            (
                params.with(|p| p.get("id").unwrap_or_default()),
                location.search.get(),
            )
        },
        |(id, _)| get_listing(id),
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let saved = query.with(|q| q.get("saved")).is_some();
                Suspend::new(async move {
                match listing.await {
                    Err(e) => Either::Left(view! {
                        <h1>"Directory listing"</h1>
                        <div class="alert alert-error" role="alert">{e.to_string()}</div>
                    }),
                    Ok(l) => Either::Right(view! {
                        <p><a href=format!("/access/{}", l.id)>"Back to the application"</a></p>
                        <h1>"Post-approval form: your directory listing"</h1>
                        <p>"Your app is approved. Tell us how it should appear in the Medicare connected-apps directory, where enrollees find apps that can use their Medicare data. A reviewer checks the listing; then the production credentials are handed over to your point of contact."</p>
                        {saved.then(|| view! { <Notice>"Listing saved. Submit it when it is ready."</Notice> })}
                        <ListingFeedback listing=l.clone()/>
                        {if l.editable {
                            Either::Left(view! { <ListingFields listing=l.clone() save=save/> })
                        } else {
                            Either::Right(view! {
                                <p class="alert alert-info" role="status">{format!("The listing cannot be changed now: the application is {}.", l.state_label.to_lowercase())}</p>
                                <ListingSummary listing=l.clone()/>
                            })
                        }}
                    }),
                }
            })}}
        </Suspense>
    }
}

/// What the reviewer asked to change, for the applicant.
#[component]
fn ListingFeedback(listing: ListingDto) -> impl IntoView {
    let needing: Vec<_> = listing
        .verdicts
        .iter()
        .filter(|v| v.verdict == "needs_change")
        .cloned()
        .collect();
    (!needing.is_empty() && listing.editable).then(|| {
        view! {
            <section class="alert alert-warning" aria-labelledby="listing-feedback-heading">
                <h2 id="listing-feedback-heading">"Changes the reviewer asked for"</h2>
                <ul id="listing-feedback">
                    {needing.into_iter().map(|v| view! { <li><strong>{format!("{}: ", v.label)}</strong>{v.comment}</li> }).collect_view()}
                </ul>
            </section>
        }
    })
}

#[component]
fn ListingFields(listing: ListingDto, save: ServerAction<SaveListing>) -> impl IntoView {
    let l = listing;
    let pending = save.pending();
    let value = move |field: &'static str, saved: String| {
        Signal::derive(move || {
            kept_value(save, field)
                .get()
                .or_else(|| Some(saved.clone()))
        })
    };
    let choices = move |field: &'static str,
                        legend: &'static str,
                        options: Vec<(String, String)>,
                        chosen: Vec<String>| {
        let error = field_error(save, field);
        let error_id = format!("field-{field}-error");
        view! {
            <fieldset class="field choice" class:field-invalid=move || error.get().is_some()>
                <legend>{legend}</legend>
                {move || error.get().map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
                {options.into_iter().map(|(key, label)| {
                    let id = format!("{field}-{key}");
                    let checked = chosen.contains(&key);
                    let kept_key = key.clone();
                    view! {
                        <div class="choice-option">
                            <input type="checkbox" id=id.clone() name=format!("{field}[{key}]") value="on"
                                checked=move || kept_value(save, field).get().map(|k| k.split(',').any(|c| c == kept_key)).unwrap_or(checked)/>
                            <label for=id>{label}</label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
        }
    };
    view! {
        <FormAlert message=form_error(save)/>
        <ActionForm action=save attr:novalidate=true attr:id="listing-form">
            <input type="hidden" name="id" value=l.id.clone()/>
            <input type="hidden" name="revision" value=l.revision.to_string()/>
            <Field label="App name in the directory" name="name" hint="Up to 80 characters." error=field_error(save, "name") value=value("name", l.name.clone())/>
            <Field label="Short description" name="short_description" hint="One line, up to 200 characters: shown in the list of apps." error=field_error(save, "short_description") value=value("short_description", l.short_description.clone())/>
            <div class="field" class:field-invalid=move || field_error(save, "long_description").get().is_some()>
                <label for="field-long_description">"Long description"</label>
                <p class="hint" id="field-long_description-hint">"What the app does for Medicare enrollees and which of their data it uses; shown on the app's page. Plain text."</p>
                {move || field_error(save, "long_description").get().map(|e| view! { <p class="field-error" id="field-long_description-error">{e}</p> })}
                <textarea id="field-long_description" name="long_description" rows="6" aria-describedby="field-long_description-hint"
                    prop:value=value("long_description", l.long_description.clone())>{l.long_description.clone()}</textarea>
            </div>
            <div class="field">
                <p class="label">"Logo"</p>
                {if l.has_logo {
                    Either::Left(view! { <p><img class="app-logo" src=format!("/app-logos/{}", l.app_id) alt=format!("{} logo", l.name)/></p><p class="hint">"The logo of your app. "<a href=format!("/apps/{}", l.app_id)>"Replace it on the app's page"</a>"."</p> })
                } else {
                    Either::Right(view! { <p class="hint">"Your app has no logo yet; the directory shows its name instead. "<a href=format!("/apps/{}", l.app_id)>"Upload one on the app's page"</a>"."</p> })
                }}
            </div>
            <Field label="Website" name="website_url" kind="url" error=field_error(save, "website_url") value=value("website_url", l.website_url.clone())/>
            {choices("categories", "Categories", l.category_options.clone(), l.categories.clone())}
            {choices("platforms", "Platforms", l.platform_options.clone(), l.platforms.clone())}
            <Field label="Privacy policy address" name="privacy_policy_url" kind="url" error=field_error(save, "privacy_policy_url") value=value("privacy_policy_url", l.privacy_policy_url.clone())/>
            <Field label="Support email" name="support_email" kind="email" error=field_error(save, "support_email") value=value("support_email", l.support_email.clone())/>
            <Field label="Support page" name="support_url" kind="url" required=false error=field_error(save, "support_url") value=value("support_url", l.support_url.clone())/>
            <div class="button-row">
                <button type="submit" name="intent" value="save" class="button button-secondary" disabled=pending>"Save draft"</button>
                <button type="submit" name="intent" value="submit" class="button" disabled=pending>"Submit the listing for review"</button>
            </div>
        </ActionForm>
    }
}

/// The listing as entered, read-only.
#[component]
pub(crate) fn ListingSummary(listing: ListingDto) -> impl IntoView {
    let l = listing;
    let labels = |chosen: &[String], options: &[(String, String)]| {
        options
            .iter()
            .filter(|(k, _)| chosen.contains(k))
            .map(|(_, l)| l.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <dl class="definitions" id="listing-summary">
            <dt>"Name"</dt><dd>{l.name.clone()}</dd>
            <dt>"Short description"</dt><dd>{l.short_description.clone()}</dd>
            <dt>"Long description"</dt><dd class="prewrap">{l.long_description.clone()}</dd>
            <dt>"Logo"</dt><dd>{if l.has_logo { Either::Left(view! { <img class="app-logo" src=format!("/app-logos/{}", l.app_id) alt=format!("{} logo", l.name)/> }) } else { Either::Right(view! { "None" }) }}</dd>
            <dt>"Website"</dt><dd>{l.website_url.clone()}</dd>
            <dt>"Categories"</dt><dd>{labels(&l.categories, &l.category_options)}</dd>
            <dt>"Platforms"</dt><dd>{labels(&l.platforms, &l.platform_options)}</dd>
            <dt>"Privacy policy"</dt><dd>{l.privacy_policy_url.clone()}</dd>
            <dt>"Support"</dt><dd>{if l.support_url.is_empty() { l.support_email.clone() } else { format!("{} · {}", l.support_email, l.support_url) }}</dd>
        </dl>
    }
}

/// What the applicant's status page shows after approval.
#[component]
pub(crate) fn AfterApproval(listing: ListingResource) -> impl IntoView {
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                listing.await.ok().map(|l| {
                    let next = l.next_step.clone();
                    view! {
                        <section id="after-approval" aria-labelledby="after-approval-heading">
                            <h2 id="after-approval-heading">"After approval"</h2>
                            <p>{next}</p>
                            <p>
                                <a class=if l.editable { "button" } else { "button button-secondary" } href=format!("/access/{}/listing", l.id)>
                                    {if l.editable { "Open the post-approval form" } else { "See your directory listing" }}
                                </a>
                            </p>
                            {l.approved.is_some().then(|| view! { <p><a href=format!("/directory/{}", l.id)>"Your app in the directory"</a></p> })}
                            {l.handoff.clone().map(|h| view! {
                                <p>{match h.live_since.clone() {
                                    Some(at) => format!("Production credentials collected {at}."),
                                    None => "Production credentials are waiting to be collected.".to_string(),
                                }}</p>
                                <p><a href=format!("/apps/{}", h.production_app_id)>"Your production app"</a></p>
                            })}
                        </section>
                    }
                })
            })}
        </Suspense>
    }
}

/// The reviewer's part: check the listing, approve it or send it back, then
/// hand over the credentials (and reissue them if needed).
#[component]
pub(crate) fn ReviewerListing(listing: ListingResource) -> impl IntoView {
    let evaluate = ServerAction::<EvaluateListing>::new();
    let request = ServerAction::<RequestListingChanges>::new();
    let approve = ServerAction::<ApproveListing>::new();
    let start = ServerAction::<StartHandoff>::new();
    let reissue = ServerAction::<ReissueHandoff>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                listing.await.ok().map(|l| {
                    let editable = l.reviewable;
                    let (id1, id2, id3, id4, id5) = (l.id.clone(), l.id.clone(), l.id.clone(), l.id.clone(), l.id.clone());
                    let submitted = l.submitted.is_some();
                    view! {
                        <section id="listing" aria-labelledby="listing-heading">
                            <h2 id="listing-heading">"Directory listing (post-approval form)"</h2>
                            {if !submitted {
                                EitherOf3::A(view! { <p>"The applicant has not submitted the post-approval form yet."</p> })
                            } else if editable {
                                EitherOf3::B(view! {
                                    <ListingSummary listing=l.clone()/>
                                    <FormAlert message=form_error(evaluate)/>
                                    <ActionForm action=evaluate attr:novalidate=true attr:id="listing-checks">
                                        <input type="hidden" name="id" value=id1/>
                                        {l.verdicts.clone().into_iter().map(|v| {
                                            let key: &'static str = Box::leak(format!("comment.{}", v.key).into_boxed_str());
                                            let error = field_error(evaluate, key);
                                            let comment_id = format!("comment-{}", v.key.replace('.', "-"));
                                            let saved = v.comment.clone();
                                            view! {
                                                <fieldset class="choice checklist-item" class:field-invalid=move || error.get().is_some()>
                                                    <legend>{v.label.clone()}</legend>
                                                    <div class="choice-row">
                                                        {[("pass", "Right as it is"), ("needs_change", "Needs change")].into_iter().map(|(value, label)| {
                                                            let id = format!("verdict-{}-{value}", v.key.replace('.', "-"));
                                                            view! {
                                                                <span class="choice-option">
                                                                    <input type="radio" id=id.clone() name=format!("verdict[{}]", v.key) value=value checked=v.verdict == value/>
                                                                    <label for=id>{label}</label>
                                                                </span>
                                                            }
                                                        }).collect_view()}
                                                    </div>
                                                    {move || error.get().map(|e| view! { <p class="field-error">{e}</p> })}
                                                    <label for=comment_id.clone()>"Comment (the applicant sees it if this needs change)"</label>
                                                    <textarea id=comment_id name=format!("comment[{}]", v.key) rows="2"
                                                        prop:value=move || kept_value(evaluate, key).get().unwrap_or_else(|| saved.clone())>{v.comment.clone()}</textarea>
                                                </fieldset>
                                            }
                                        }).collect_view()}
                                        <button type="submit" class="button button-secondary">"Save listing checks"</button>
                                    </ActionForm>
                                    <div class="button-row">
                                        <div>
                                            <FormAlert message=form_error(approve)/>
                                            <ActionForm action=approve>
                                                <input type="hidden" name="id" value=id2/>
                                                <button type="submit" class="button">"Approve the listing"</button>
                                            </ActionForm>
                                        </div>
                                        <div>
                                            <FormAlert message=form_error(request)/>
                                            <ActionForm action=request>
                                                <input type="hidden" name="id" value=id3/>
                                                <button type="submit" class="button button-secondary">"Request listing changes"</button>
                                            </ActionForm>
                                        </div>
                                    </div>
                                })
                            } else {
                                EitherOf3::C(view! {
                                    <p>{l.waiting_note.clone()}</p>
                                    <ListingSummary listing=l.clone()/>
                                })
                            }}
                        </section>
                        <section id="handoff" aria-labelledby="handoff-heading">
                            <h2 id="handoff-heading">"Production credentials"</h2>
                            {l.can_start_handoff.then(|| view! {
                                <p>"Creating the production app uses the approved redirect URIs, scopes and data-access type. The point of contact gets a single-use link, valid 24 hours, that works only while they are signed in; it shows the client secret once."</p>
                                <FormAlert message=form_error(start)/>
                                <ActionForm action=start>
                                    <input type="hidden" name="id" value=id4/>
                                    <button type="submit" class="button">"Create the production app and send the link"</button>
                                </ActionForm>
                            })}
                            {l.handoff.clone().map(|h| view! {
                                <dl class="definitions">
                                    <dt>"Production client ID"</dt><dd><code id="production-client-id">{h.client_id.clone()}</code></dd>
                                    <dt>"Collected"</dt><dd>{h.live_since.clone().unwrap_or_else(|| "Not yet".into())}</dd>
                                </dl>
                                <table id="handoff-links">
                                    <caption>"Handoff links"</caption>
                                    <thead><tr><th scope="col">"Sent to"</th><th scope="col">"Sent"</th><th scope="col">"Expires"</th><th scope="col">"Status"</th></tr></thead>
                                    <tbody>
                                        {h.links.into_iter().map(|link| view! {
                                            <tr><td>{link.contact}</td><td>{link.created}</td><td>{link.expires}</td><td>{link.status}</td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            })}
                            {l.can_reissue.then(|| view! {
                                <h3>"Reissue the credentials"</h3>
                                <p>"Sends a new link and stops the current production secret at once (for a lost secret or a link that went astray)."</p>
                                <FormAlert message=form_error(reissue)/>
                                <ActionForm action=reissue>
                                    <input type="hidden" name="id" value=id5/>
                                    <div class="field checkbox" class:field-invalid=move || field_error(reissue, "confirm").get().is_some()>
                                        {move || field_error(reissue, "confirm").get().map(|e| view! { <p class="field-error" id="reissue-confirm-error">{e}</p> })}
                                        <input type="checkbox" id="reissue-confirm" name="confirm" value="yes"/>
                                        <label for="reissue-confirm">"Yes, stop the current secret and send a new link"</label>
                                    </div>
                                    <button type="submit" class="button button-danger">"Reissue the credentials"</button>
                                </ActionForm>
                            })}
                            {(!l.can_start_handoff && l.handoff.is_none()).then(|| view! { <p>"The handoff starts once the listing is approved."</p> })}
                        </section>
                    }
                })
            })}
        </Suspense>
    }
}

#[component]
pub fn HandoffPage() -> impl IntoView {
    view! {
        <Title text="Collect your production credentials"/>
        <Guarded>
            <Handoff/>
        </Guarded>
    }
}

#[component]
fn Handoff() -> impl IntoView {
    let params = use_params_map();
    let reveal = ServerAction::<RevealCredentials>::new();
    let location = use_location();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    // The reveal lands on the same path with `?revealed=1`: the query is part
    // of the key so the page loads again after a client-side navigation.
    let key = move || (token(), location.search.get());
    let status = Resource::new(key, |(token, _)| handoff_status(token));
    let revealed = Resource::new(key, |(token, _)| take_revealed(token));
    view! {
        <h1>"Production credentials"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                if let Ok(Some(r)) = revealed.await {
                    return EitherOf3::A(view! {
                        <div class="alert alert-warning secret" role="status">
                            <p>{format!("These are the production credentials for {}. Copy the secret now: it is shown only this once and is not kept. If it is lost, ask the team to reissue the credentials.", r.app_name)}</p>
                            <dl class="definitions">
                                <dt>"Client ID"</dt><dd><code id="client-id">{r.client_id}</code></dd>
                                <dt>"Client secret"</dt><dd><code id="client-secret">{r.client_secret}</code></dd>
                                <dt>"Production API base URL"</dt><dd><code id="api-base-url">{r.api_base_url}</code></dd>
                            </dl>
                        </div>
                        <p>"Production is separate from the sandbox: these credentials work only against the production base URL, and sandbox credentials do not work there. Production redirect URIs must use https:// (or your app's own scheme)."</p>
                        <p><a href="/access">"Your applications"</a></p>
                    });
                }
                match status.await {
                    Err(e) => EitherOf3::B(view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }),
                    Ok(s) if s.status == "ready" => EitherOf3::C(Either::Left(view! {
                        <p>{format!("The production client ID and secret for {} are ready. The secret is shown once, on the next page, and is not kept: copy it into your secret store before you leave that page.", s.app_name)}</p>
                        <p class="hint">{format!("This link works once, until {}.", s.expires)}</p>
                        <FormAlert message=form_error(reveal)/>
                        <ActionForm action=reveal attr:id="reveal-form">
                            <input type="hidden" name="token" value=token()/>
                            <button type="submit" class="button">"Show the production credentials"</button>
                        </ActionForm>
                    })),
                    Ok(s) => EitherOf3::C(Either::Right(view! {
                        <div class="alert alert-error" role="alert" id="handoff-refused">{s.message}</div>
                    })),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let query = use_query_map();
    let location = use_location();
    let found = Resource::new(
        move || location.search.get(),
        move |_| {
            let (q, category, page) =
                query.with_untracked(|p| (p.get("q"), p.get("category"), p.get("page")));
            directory(q, category, page)
        },
    );
    view! {
        <Title text="Connected apps directory"/>
        <h1>"Apps that connect to your Medicare data"</h1>
        <p>"These apps passed the Blue Button 2.0 API review and can, with your permission, read your Medicare claims data. You decide which apps to connect, and you can disconnect an app at any time."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let (q, category) = query.with(|p| (p.get("q").unwrap_or_default(), p.get("category").unwrap_or_default()));
                Suspend::new(async move {
                match found.await {
                    Err(e) => Either::Left(view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }),
                    Ok(d) => {
                        let pages = d.total.div_ceil(d.per_page).max(1);
                        let link = {
                            let (q, category) = (q.clone(), category.clone());
                            move |page: u64| format!("/directory?q={}&category={}&page={page}", crate::components::urlencode(&q), crate::components::urlencode(&category))
                        };
                        Either::Right(view! {
                            <form method="get" action="/directory" class="filters" role="search">
                                <div class="field">
                                    <label for="directory-q">"Search apps"</label>
                                    <input type="search" id="directory-q" name="q" value=q.clone()/>
                                </div>
                                <div class="field">
                                    <label for="directory-category">"Category"</label>
                                    <select id="directory-category" name="category">
                                        <option value="" selected=category.is_empty()>"All categories"</option>
                                        {d.category_options.iter().map(|(k, l)| view! { <option value=k.clone() selected=*k == category>{l.clone()}</option> }).collect_view()}
                                    </select>
                                </div>
                                <button type="submit" class="button button-secondary">"Search"</button>
                            </form>
                            <p id="directory-count" role="status">{format!("{} app(s)", d.total)}</p>
                            {if d.entries.is_empty() {
                                Either::Left(view! { <div class="empty-state"><p>"No apps match. Try another search or category."</p></div> })
                            } else {
                                Either::Right(view! {
                                    <ul class="directory" id="directory-list">
                                        {d.entries.into_iter().map(|e| view! { <DirectoryCard entry=e/> }).collect_view()}
                                    </ul>
                                })
                            }}
                            {(pages > 1).then(|| view! {
                                <nav aria-label="Directory pages" class="pagination">
                                    {(d.page > 1).then(|| view! { <a href=link(d.page - 1) rel="prev">"Previous"</a> })}
                                    <span>{format!("Page {} of {pages}", d.page)}</span>
                                    {(d.page < pages).then(|| view! { <a href=link(d.page + 1) rel="next">"Next"</a> })}
                                </nav>
                            })}
                        })
                    }
                }
            })}}
        </Suspense>
    }
}

#[component]
fn DirectoryCard(entry: DirectoryEntryDto) -> impl IntoView {
    let e = entry;
    view! {
        <li class="directory-card">
            {e.logo_url.clone().map(|src| view! { <img class="app-logo" src=src alt=""/> })}
            <h2><a href=format!("/directory/{}", e.id)>{e.name.clone()}</a></h2>
            <p>{e.short_description.clone()}</p>
            <p class="hint">{format!("Data source: {} · {} · {}", e.data_source, e.categories.join(", "), e.platforms.join(", "))}</p>
        </li>
    }
}

#[component]
pub fn DirectoryEntryPage() -> impl IntoView {
    let params = use_params_map();
    let entry = Resource::new(
        move || params.with(|p| p.get("id").unwrap_or_default()),
        directory_entry,
    );
    view! {
        <Title text="App in the connected apps directory"/>
        <p><a href="/directory">"All connected apps"</a></p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entry.await {
                    Err(e) => Either::Left(view! { <h1>"App not found"</h1><div class="alert alert-error" role="alert">{e.to_string()}</div> }),
                    Ok(e) => Either::Right(view! {
                        {e.logo_url.clone().map(|src| view! { <img class="app-logo" src=src alt=format!("{} logo", e.name)/> })}
                        <h1>{e.name.clone()}</h1>
                        <p class="lead">{e.short_description.clone()}</p>
                        <p class="prewrap">{e.long_description.clone()}</p>
                        <dl class="definitions">
                            <dt>"Data source"</dt><dd id="data-source">{e.data_source.clone()}</dd>
                            <dt>"Categories"</dt><dd>{e.categories.join(", ")}</dd>
                            <dt>"Platforms"</dt><dd>{e.platforms.join(", ")}</dd>
                            <dt>"Website"</dt><dd><a href=e.website_url.clone() rel="noopener">{e.website_url.clone()}</a></dd>
                            <dt>"Privacy policy"</dt><dd><a href=e.privacy_policy_url.clone() rel="noopener">{e.privacy_policy_url.clone()}</a></dd>
                            {e.documents.iter().map(|(label, href, uploaded)| view! {
                                <dt>{format!("{label} (PDF)")}</dt>
                                <dd><a href=href.clone() class="approved-document">{format!("Approved version of {uploaded}")}</a></dd>
                            }).collect_view()}
                            <dt>"Support"</dt><dd><a href=format!("mailto:{}", e.support_email)>{e.support_email.clone()}</a>{(!e.support_url.is_empty()).then(|| view! { " · "<a href=e.support_url.clone() rel="noopener">"Help page"</a> })}</dd>
                            {e.live_since.clone().map(|since| view! { <dt>"Connected to Medicare since"</dt><dd>{since}</dd> })}
                        </dl>
                        <p>"Before you connect an app, read its privacy policy: it says what the app does with your Medicare data. You can disconnect the app at any time from your Medicare account."</p>
                    }),
                }
            })}
        </Suspense>
    }
}
