//! Public information pages and error pages.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::content::{ACCESS_CRITERIA, DEMO_TOPICS, PRIVACY_CHECKLIST, SCOPES};

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Home"/>
        <section class="hero">
            <h1>"Connect Medicare enrollees to the apps they trust"</h1>
            <p class="lead">
                "The Blue Button 2.0 API lets people with Medicare share four years of their Part A, B and D claims with apps they choose, using OAuth 2.0 for consent and HL7 FHIR for the data."
            </p>
            <p><a class="button button-large" href="/signup">"Join the developer sandbox"</a>" "<a href="/api-docs">"Read the API documentation"</a></p>
        </section>
        <section>
            <h2>"How it works"</h2>
            <ol class="steps">
                <li><strong>"Read the Terms of Service. "</strong>"They hold every policy that applies to production use."</li>
                <li><strong>"Build in the sandbox. "</strong>"Register an app, sign in as one of 30,000 synthetic enrollees and call the API."</li>
                <li><strong>"Write your privacy policy and terms. "</strong>"Check them against the privacy-policy checklist."</li>
                <li><strong>"Apply for production access. "</strong>"Fill in one guided application, upload your documents and demonstrate your app."</li>
            </ol>
        </section>
    }
}

#[component]
pub fn ApiDocsPage() -> impl IntoView {
    view! {
        <Title text="API documentation"/>
        <h1>"API documentation"</h1>
        <p class="lead">"Apps authorize with OAuth 2.0 and read FHIR resources. The same paths work under "<code>"/v1"</code>" (FHIR STU3) and "<code>"/v2"</code>" (FHIR R4)."</p>
        <h2>"Endpoints"</h2>
        <table>
            <caption>"Endpoints an app calls"</caption>
            <thead><tr><th scope="col">"Path"</th><th scope="col">"Purpose"</th></tr></thead>
            <tbody>
                <tr><td><code>"/v2/o/authorize/"</code></td><td>"Send the enrollee here to sign in and approve your app (authorization code with PKCE S256, required for every app; or implicit, for public sandbox apps only)."</td></tr>
                <tr><td><code>"/v2/o/token/"</code></td><td>"Exchange a code, or a refresh token, for an access token."</td></tr>
                <tr><td><code>"/v2/o/revoke_token/"</code></td><td>"Revoke a token (RFC 7009)."</td></tr>
                <tr><td><code>"/v2/connect/userinfo"</code></td><td>"Basic profile of the enrollee who approved the token."</td></tr>
                <tr><td><code>"/v2/fhir/Patient/"</code></td><td>"The enrollee's demographics."</td></tr>
                <tr><td><code>"/v2/fhir/Coverage/"</code></td><td>"Medicare enrollment and coverage."</td></tr>
                <tr><td><code>"/v2/fhir/ExplanationOfBenefit/"</code></td><td>"Claims of eight types: carrier, DME, home health, hospice, inpatient, outpatient, Part D events and skilled nursing facility."</td></tr>
            </tbody>
        </table>
        <h2>"Scopes"</h2>
        <dl class="definitions">
            {SCOPES.iter().map(|(scope, what)| view! { <dt><code>{*scope}</code></dt><dd>{*what}</dd> }).collect_view()}
        </dl>
        <p>"If an enrollee chooses not to share demographics, "<code>"Patient"</code>" and "<code>"userinfo"</code>" answer "<code>"403"</code>"; Coverage and ExplanationOfBenefit keep working. Build your app to handle that."</p>
        <h2>"Redirect URIs"</h2>
        <ul>
            <li><code>"http://"</code>" works in the sandbox only (for example "<code>"http://localhost:8080/callback"</code>")."</li>
            <li><code>"https://"</code>" works in the sandbox and production."</li>
            <li>"Native apps use a custom scheme in reverse-domain form, for example "<code>"gov.cms.bluebutton.oauthtester:/callback"</code>"."</li>
        </ul>
        <h2>"Sample enrollees"</h2>
        <p>"The sandbox has 30,000 synthetic enrollees: usernames "<code>"BBUser00000"</code>" to "<code>"BBUser29999"</code>", passwords "<code>"PW00000!"</code>" to "<code>"PW29999!"</code>" (the "<code>"!"</code>" is part of the password). Claims are shuffled across enrollees, so one person's record may not make clinical sense."</p>
        <h2>"Compression"</h2>
        <p>"Send "<code>"Accept-Encoding: gzip"</code>" to get compressed responses. Bodies under 1 KB are never compressed, so check "<code>"Content-Encoding"</code>" before you decompress."</p>
    }
}

#[component]
pub fn TermsPage() -> impl IntoView {
    view! {
        <Title text="Terms of Service"/>
        <h1>"API Terms of Service"</h1>
        <p class="meta">"Version "{server_free::TERMS_VERSION}". Accepting them is part of creating an account; the version you accepted and when are kept on your account."</p>
        <h2>"Using the API"</h2>
        <ul>
            <li>"Your app must display the attribution notice and present your privacy policy and terms of service where enrollees can see them before they agree."</li>
            <li>"You must use the API consistently with transparency, consent, limits on use and disclosure, individual access, security, data quality and accountability."</li>
            <li>"Enrollees must actively opt in to your privacy policy and terms; agreement may not be the default."</li>
            <li>"Refer to the data source as “Medicare” wherever users choose among data sources."</li>
        </ul>
        <h2>"Protecting enrollee data"</h2>
        <ul>
            <li>"Follow applicable law and industry practice to prevent unauthorized access, use, destruction, change or disclosure of personal and health information; comply with HIPAA where it applies to you."</li>
            <li>"Give enrollees control: opting in, revoking access, and asking for their data to be deleted."</li>
        </ul>
        <h2>"Changes to your documents"</h2>
        <p>"Before you change your privacy policy or terms of service, submit the drafts and your draft notice to enrollees through this portal. The review team answers within five business days. You may not publish the changes or notify enrollees until they are approved."</p>
        <h2>"Limits and review"</h2>
        <p>"Use the API responsibly: fetch new claims on a daily or weekly schedule, not continuously. Production access is subject to a future audit and renewal as your app and the API evolve."</p>
    }
}

/// Constants the UI shares with the server without depending on it (the wasm
/// bundle cannot link the server crate).
pub mod server_free {
    /// Must match `server::accounts::CURRENT_TERMS_VERSION` (checked by a test).
    pub const TERMS_VERSION: &str = "2019-11-14";
}

#[component]
pub fn GuidePage() -> impl IntoView {
    view! {
        <Title text="Production access guide"/>
        <h1>"Production access guide"</h1>
        <p class="lead">"Production access is granted app by app after a review of your organization, your app, your privacy policy and your terms of service, and a one-hour demo."</p>
        <h2>"The process"</h2>
        <ol class="steps">
            <li>"Read the Terms of Service."</li>
            <li>"Build and test your app in the sandbox."</li>
            <li>"Write your privacy policy and terms of service."</li>
            <li>"Apply for production access from your sandbox app: organization, app, use case, redirect URIs, point of contact and PDFs of your privacy policy and terms. We answer within 24 business hours."</li>
            <li>"Book and give a one-hour demo."</li>
            <li>"Once any concerns are resolved and your app is approved, fill in the post-approval form for the connected-apps directory, then collect your production credentials."</li>
        </ol>
        <h2>"Criteria"</h2>
        <ul class="checklist">{ACCESS_CRITERIA.iter().map(|c| view! { <li>{*c}</li> }).collect_view()}</ul>
        <h2>"Privacy policy checklist"</h2>
        <p>"Your privacy policy should follow industry practice, be prominent and public, and be easy for an enrollee to read: check its reading level. It should address:"</p>
        <table>
            <caption>"What your privacy policy must cover"</caption>
            <thead><tr><th scope="col">"Item"</th><th scope="col">"What we look for"</th></tr></thead>
            <tbody>
                {PRIVACY_CHECKLIST.iter().map(|(item, what)| view! { <tr><th scope="row">{*item}</th><td>{*what}</td></tr> }).collect_view()}
            </tbody>
        </table>
        <p>"Your terms of service may not contradict, weaken or take away from the protections in your privacy policy. A plain-language privacy notice, such as one based on the ONC Model Privacy Notice, is encouraged."</p>
        <h2>"The demo"</h2>
        <p>"Show a substantially complete enrollee journey:"</p>
        <ul>{DEMO_TOPICS.iter().map(|t| view! { <li>{*t}</li> }).collect_view()}</ul>
        <p>"Be ready to discuss your privacy policy, your terms and security questions. We may follow up with concerns, or ask for another demo."</p>
        <h2>"Interface guidelines"</h2>
        <ul>
            <li>"Present your privacy policy and terms clearly and let enrollees actively opt in."</li>
            <li>"Tell enrollees in the app, in short messages, how their data is collected, used and shared: no enrollee should be surprised by how their data is used."</li>
            <li>"Let enrollees revoke access and ask for their data to be deleted."</li>
            <li>"Call the data source “Medicare”, not “Blue Button” or “Medicare.gov”."</li>
        </ul>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <h1>"Page not found"</h1>
        <p>"There is no page at this address. Check it for typos, or go to the "<a href="/">"home page"</a>"."</p>
    }
}

#[component]
pub fn Forbidden() -> impl IntoView {
    view! {
        <Title text="Access denied"/>
        <h1>"You do not have access to this page"</h1>
        <p>"Your account's role does not include this page. If you think it should, ask a portal administrator."</p>
        <p><a href="/account">"Go to your account"</a></p>
    }
}
