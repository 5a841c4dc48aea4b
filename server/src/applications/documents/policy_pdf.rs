//! Policy documents as applicants upload them: a PDF is accepted only when
//! its content (not its name) is a readable, unencrypted PDF with text.
use serde::Serialize;

/// Uploads above this size are refused.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// No stream (or page of content) may decompress to more than this.
const MAX_EXPANDED_PAGE: usize = 8 * 1024 * 1024;
/// Text is read from this many pages at most; enough for any policy.
const MAX_TEXT_PAGES: usize = 300;

/// Which document an upload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum DocumentKind {
    PrivacyPolicy,
    TermsOfService,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 2] = [DocumentKind::PrivacyPolicy, DocumentKind::TermsOfService];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::PrivacyPolicy => "privacy_policy",
            DocumentKind::TermsOfService => "terms_of_service",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::PrivacyPolicy => "Privacy policy",
            DocumentKind::TermsOfService => "Terms of service",
        }
    }
}

/// Why an upload was refused; each says what to do about it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DocumentError {
    #[error("Choose a PDF file to upload.")]
    Empty,
    #[error("The file is larger than 10 MB. Save a smaller PDF (for example without embedded images) and try again.")]
    TooLarge,
    #[error("The file is not a PDF, whatever its name says. Save or print the document as PDF and upload that.")]
    NotPdf,
    #[error("The PDF is password-protected or encrypted. Save a copy without a password and upload that.")]
    Encrypted,
    #[error(
        "The PDF is damaged and cannot be read. Save or export it again and upload the new file."
    )]
    Corrupt,
    #[error("The PDF has no pages.")]
    NoPages,
    #[error("The PDF unpacks to far more data than a policy needs (a page over 8 MB once decompressed). Export it again as a plain text PDF and upload that.")]
    TooComplex,
    #[error("The PDF has no text we can read (is it a scan?). Upload a PDF made from the text itself, so that reviewers and screen readers can read it.")]
    NoText,
}

impl DocumentError {
    /// A short code for the refusal, carried in redirects after plain form posts.
    pub fn code(&self) -> &'static str {
        match self {
            DocumentError::Empty => "empty",
            DocumentError::TooLarge => "too_large",
            DocumentError::NotPdf => "not_pdf",
            DocumentError::Encrypted => "encrypted",
            DocumentError::Corrupt => "corrupt",
            DocumentError::NoPages => "no_pages",
            DocumentError::TooComplex => "too_complex",
            DocumentError::NoText => "no_text",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            DocumentError::Empty,
            DocumentError::TooLarge,
            DocumentError::NotPdf,
            DocumentError::Encrypted,
            DocumentError::Corrupt,
            DocumentError::NoPages,
            DocumentError::TooComplex,
            DocumentError::NoText,
        ]
        .into_iter()
        .find(|e| e.code() == code)
    }
}

/// A PDF that passed every check, with what was read from it.
#[derive(Clone, Debug)]
pub struct PolicyPdf {
    pub bytes: Vec<u8>,
    pub page_count: u32,
    pub text: String,
}

impl PolicyPdf {
    /// Checks `bytes` by content. CPU-bound on large files: call it off the async runtime.
    pub fn parse(bytes: Vec<u8>) -> Result<Self, DocumentError> {
        if bytes.is_empty() {
            return Err(DocumentError::Empty);
        }
        if bytes.len() > MAX_BYTES {
            return Err(DocumentError::TooLarge);
        }
        // The header may follow a little junk, but must be within the first 1 KiB.
        let head = &bytes[..bytes.len().min(1024)];
        if !head.windows(5).any(|w| w == b"%PDF-") {
            return Err(DocumentError::NotPdf);
        }
        // lopdf can open files encrypted with an empty password; refuse every
        // encrypted file alike, since reviewers must be able to open it anywhere.
        if bytes.windows(8).any(|w| w == b"/Encrypt") {
            return Err(DocumentError::Encrypted);
        }
        // Uploads are untrusted: a few kilobytes can inflate to gigabytes, so
        // every stream is decoded against a limit.
        let options = lopdf::LoadOptions::with_max_decompressed_size(MAX_EXPANDED_PAGE);
        let document =
            lopdf::Document::load_mem_with_options(&bytes, options).map_err(|e| match e {
                lopdf::Error::Decompress(_) => DocumentError::TooComplex,
                _ => DocumentError::Corrupt,
            })?;
        if document.is_encrypted() || document.trailer.get(b"Encrypt").is_ok() {
            return Err(DocumentError::Encrypted);
        }
        let pages: Vec<u32> = document.get_pages().keys().copied().collect();
        if pages.is_empty() {
            return Err(DocumentError::NoPages);
        }
        let mut text = String::new();
        for page in pages.iter().take(MAX_TEXT_PAGES) {
            match document.extract_text_with_limit(&[*page], MAX_EXPANDED_PAGE) {
                Ok(page_text) => text.push_str(&page_text),
                Err(lopdf::Error::Decompress(_)) => return Err(DocumentError::TooComplex),
                // A page whose text cannot be decoded adds nothing; the
                // document is refused below only if no page has text.
                Err(_) => {}
            }
        }
        if super::super::analysis::words(&text).next().is_none() {
            return Err(DocumentError::NoText);
        }
        Ok(Self {
            page_count: pages.len() as u32,
            text,
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdf_with_text(lines: &[&str]) -> Vec<u8> {
        crate::pdf::TextDocument::new("Test policy")
            .paragraphs(lines.iter().copied())
            .render()
    }

    #[test]
    fn a_real_pdf_with_text_is_accepted_and_its_text_read_back() {
        let pdf = PolicyPdf::parse(pdf_with_text(&["We never sell your Medicare data."])).unwrap();
        assert_eq!(pdf.page_count, 1);
        assert!(
            pdf.text.contains("We never sell your Medicare data."),
            "{}",
            pdf.text
        );
    }

    #[test]
    fn every_refusal_says_why() {
        assert_eq!(PolicyPdf::parse(vec![]).unwrap_err(), DocumentError::Empty);
        let mut big = pdf_with_text(&["x"]);
        big.resize(MAX_BYTES + 1, b' ');
        assert_eq!(PolicyPdf::parse(big).unwrap_err(), DocumentError::TooLarge);
        // A renamed executable.
        let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".repeat(64);
        assert_eq!(PolicyPdf::parse(elf).unwrap_err(), DocumentError::NotPdf);
        // A PDF cut short (an interrupted save): the header is there, the body is not.
        let whole = pdf_with_text(&["Some text here."]);
        let truncated = whole[..whole.len() / 3].to_vec();
        assert_eq!(
            PolicyPdf::parse(truncated).unwrap_err(),
            DocumentError::Corrupt
        );
        // Encrypted: a standard security handler in the trailer, as a PDF
        // saved with a password has.
        assert_eq!(
            PolicyPdf::parse(built_pdf(true, true)).unwrap_err(),
            DocumentError::Encrypted
        );
        // A PDF whose page tree is empty.
        assert_eq!(
            PolicyPdf::parse(built_pdf(false, false)).unwrap_err(),
            DocumentError::NoPages
        );
        // A page without text (what a scan looks like to us).
        assert_eq!(
            PolicyPdf::parse(built_pdf(true, false)).unwrap_err(),
            DocumentError::NoText
        );
    }

    #[test]
    fn a_decompression_bomb_is_refused_without_inflating_it() {
        // 100 MB of page content squeezed into about 100 KB.
        let bomb = built_pdf_with_content(vec![b' '; 100 * 1024 * 1024], false);
        assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
        assert_eq!(
            PolicyPdf::parse(bomb).unwrap_err(),
            DocumentError::TooComplex
        );
    }

    /// A PDF built object by object: one empty page or none, encrypted or not.
    fn built_pdf(with_page: bool, encrypted: bool) -> Vec<u8> {
        if with_page {
            built_pdf_with_content(vec![], encrypted)
        } else {
            built_pdf_pages(None, encrypted)
        }
    }

    fn built_pdf_with_content(content: Vec<u8>, encrypted: bool) -> Vec<u8> {
        built_pdf_pages(Some(content), encrypted)
    }

    fn built_pdf_pages(content: Option<Vec<u8>>, encrypted: bool) -> Vec<u8> {
        let with_page = content.is_some();
        use lopdf::{dictionary, Document, Object, Stream};
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let mut kids = vec![];
        if with_page {
            let mut stream = Stream::new(dictionary! {}, content.unwrap_or_default());
            stream.compress().unwrap();
            let content = doc.add_object(stream);
            let page = doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content,
                "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
            });
            kids.push(Object::Reference(page));
        }
        let count = kids.len() as i64;
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        if encrypted {
            let handler = doc.add_object(dictionary! {
                "Filter" => "Standard",
                "V" => 2,
                "R" => 3,
                "Length" => 128,
                "P" => -4,
                "O" => Object::string_literal(vec![0u8; 32]),
                "U" => Object::string_literal(vec![0u8; 32]),
            });
            doc.trailer.set("Encrypt", handler);
        }
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn refusal_codes_round_trip() {
        for e in [
            DocumentError::Empty,
            DocumentError::NoText,
            DocumentError::Encrypted,
        ] {
            assert_eq!(DocumentError::from_code(e.code()), Some(e));
        }
    }
}
