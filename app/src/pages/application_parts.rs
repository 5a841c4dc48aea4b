//! The parts of a production-access application that applicants and
//! reviewers both see (answers, what changed, document analysis) and the
//! document upload form that applications and policy changes share. Kept
//! apart from both pages so that neither depends on the other for them
//! (issue 20).
use leptos::{either::Either, prelude::*};

use crate::api::access::{AccessDto, DocumentDto};

/// What changed between the last two submitted versions.
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

/// How readable a document is, and where it seems to cover the checklist.
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
