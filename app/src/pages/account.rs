//! The signed-in account: profile, email confirmation and password change.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::accounts::{ChangePassword, ResendVerification},
    components::{field_error, form_error, Field, FormAlert, Guarded, Notice},
    ViewerResource,
};

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Your account"/>
        <Guarded>
            <AccountDetails/>
        </Guarded>
    }
}

#[component]
fn AccountDetails() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>();
    let change = ServerAction::<ChangePassword>::new();
    let resend = ServerAction::<ResendVerification>::new();
    let params = use_query_map();
    view! {
        <h1>"Your account"</h1>
        {move || params.with(|p| p.get("changed")).map(|_| view! { <Notice>"Your password was changed. Other devices were signed out."</Notice> })}
        {move || params.with(|p| p.get("resent")).map(|_| view! { <Notice>"We sent a new confirmation link to your email address."</Notice> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                viewer.await.ok().flatten().map(|v| view! {
                    <dl class="definitions">
                        <dt>"Name"</dt><dd>{v.name.clone()}</dd>
                        <dt>"Email"</dt><dd>{v.email.clone()}</dd>
                        <dt>"Organization"</dt><dd>{v.organization.clone()}</dd>
                        <dt>"Role"</dt><dd>{v.role.clone()}</dd>
                        <dt>"Email confirmed"</dt><dd>{if v.verified { "Yes" } else { "Not yet" }}</dd>
                    </dl>
                    {(!v.verified).then(|| view! {
                        <div class="alert alert-warning" role="status">
                            <p>"Confirm your email address to register apps. Check your inbox for our message."</p>
                            <ActionForm action=resend><button type="submit" class="button button-secondary">"Send the link again"</button></ActionForm>
                        </div>
                    })}
                })
            })}
        </Suspense>
        <section class="narrow">
            <h2>"Change your password"</h2>
            <FormAlert message=form_error(change)/>
            <ActionForm action=change>
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" error=field_error(change, "current_password")/>
                <Field label="New password" name="password" kind="password" autocomplete="new-password" hint="At least 12 characters." error=field_error(change, "password")/>
                <Field label="Confirm new password" name="password_confirm" kind="password" autocomplete="new-password" error=field_error(change, "password_confirm")/>
                <button type="submit" class="button">"Change password"</button>
            </ActionForm>
        </section>
    }
}
