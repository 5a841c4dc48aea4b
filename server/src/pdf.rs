//! Plain, accessible-looking text PDFs (submission summaries, letters): a
//! title, headings, label–value pairs and wrapped paragraphs on US Letter
//! pages, in the standard Helvetica fonts so that nothing needs embedding.
use printpdf::{
    BuiltinFont, Color, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt,
    Rgb, TextItem,
};

const PAGE_WIDTH: f32 = 215.9;
const PAGE_HEIGHT: f32 = 279.4;
const MARGIN: f32 = 20.0;
/// Helvetica at 10 pt averages about 5 pt a character; 88 keeps lines inside the margins.
const BODY_CHARS: usize = 88;

#[derive(Clone, Copy)]
enum Style {
    Title,
    Heading,
    Label,
    Body,
}

impl Style {
    fn font(self) -> BuiltinFont {
        match self {
            Style::Title | Style::Heading | Style::Label => BuiltinFont::HelveticaBold,
            Style::Body => BuiltinFont::Helvetica,
        }
    }

    fn size(self) -> f32 {
        match self {
            Style::Title => 18.0,
            Style::Heading => 13.0,
            Style::Label | Style::Body => 10.0,
        }
    }

    /// Space taken by one line, in mm.
    fn leading(self) -> f32 {
        self.size() * 0.3528 * 1.45
    }

    fn wrap_at(self) -> usize {
        (BODY_CHARS as f32 * 10.0 / self.size()) as usize
    }
}

/// A document built line by line.
pub struct TextDocument {
    title: String,
    lines: Vec<(Style, String, f32)>,
}

impl TextDocument {
    pub fn new(title: &str) -> Self {
        Self {
            title: title.to_string(),
            lines: vec![],
        }
        .push(Style::Title, title, 4.0)
    }

    fn push(mut self, style: Style, text: &str, space_after: f32) -> Self {
        let wrapped = wrap(&printable(text), style.wrap_at());
        let last = wrapped.len().saturating_sub(1);
        for (i, line) in wrapped.into_iter().enumerate() {
            self.lines
                .push((style, line, if i == last { space_after } else { 0.0 }));
        }
        self
    }

    pub fn heading(self, text: &str) -> Self {
        self.push(Style::Heading, text, 2.0)
    }

    pub fn paragraph(self, text: &str) -> Self {
        text.split('\n')
            .fold(self, |doc, line| doc.push(Style::Body, line, 0.0))
            .space(2.0)
    }

    pub fn paragraphs<'a>(self, texts: impl IntoIterator<Item = &'a str>) -> Self {
        texts.into_iter().fold(self, |doc, t| doc.paragraph(t))
    }

    /// A label in bold above its value.
    pub fn field(self, label: &str, value: &str) -> Self {
        let value = if value.trim().is_empty() {
            "(not answered)"
        } else {
            value
        };
        self.push(Style::Label, label, 0.0).paragraph(value)
    }

    fn space(mut self, mm: f32) -> Self {
        if let Some(last) = self.lines.last_mut() {
            last.2 += mm;
        }
        self
    }

    /// The PDF file.
    pub fn render(&self) -> Vec<u8> {
        let mut pages = Vec::new();
        let mut ops = Vec::new();
        let mut y = PAGE_HEIGHT - MARGIN;
        let mut page_number = 1;
        for (style, text, space_after) in &self.lines {
            if y - style.leading() < MARGIN + 8.0 {
                pages.push(self.page(std::mem::take(&mut ops), page_number));
                page_number += 1;
                y = PAGE_HEIGHT - MARGIN;
            }
            y -= style.leading();
            if !text.is_empty() {
                ops.extend(line_ops(text, *style, MARGIN, y));
            }
            y -= space_after;
        }
        pages.push(self.page(ops, page_number));
        let mut warnings = Vec::new();
        PdfDocument::new(&self.title)
            .with_pages(pages)
            .save(&PdfSaveOptions::default(), &mut warnings)
    }

    fn page(&self, mut ops: Vec<Op>, number: usize) -> PdfPage {
        let footer = format!("{} - page {number}", printable(&self.title));
        ops.extend(line_ops(&footer, Style::Body, MARGIN, MARGIN - 6.0));
        PdfPage::new(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), ops)
    }
}

fn line_ops(text: &str, style: Style, x: f32, y: f32) -> Vec<Op> {
    let shade = match style {
        Style::Title | Style::Heading => Rgb {
            r: 0.07,
            g: 0.18,
            b: 0.32,
            icc_profile: None,
        },
        _ => Rgb {
            r: 0.1,
            g: 0.1,
            b: 0.1,
            icc_profile: None,
        },
    };
    vec![
        Op::StartTextSection,
        Op::SetFillColor {
            col: Color::Rgb(shade),
        },
        Op::SetFont {
            font: PdfFontHandle::Builtin(style.font()),
            size: Pt(style.size()),
        },
        Op::SetTextCursor {
            pos: Point::new(Mm(x), Mm(y)),
        },
        Op::ShowText {
            items: vec![TextItem::Text(text.to_string())],
        },
        Op::EndTextSection,
    ]
}

/// The standard fonts cover Latin-1; typographic punctuation is mapped to
/// its plain form and anything else becomes `?`, so no text is silently lost.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
            '\u{2026}' => '.',
            '\t' => ' ',
            c if (' '..='~').contains(&c) || ('\u{A0}'..='\u{FF}').contains(&c) => c,
            _ => '?',
        })
        .collect()
}

/// Greedy word wrap; words longer than a line are split.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        while word.chars().count() > width {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
        }
        let needed =
            current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if needed > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    lines.push(current);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word_and_respects_the_width() {
        let text = "one two three four five six seven eight nine ten eleven twelve";
        let lines = wrap(text, 15);
        assert!(lines.iter().all(|l| l.chars().count() <= 15), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
    }

    #[test]
    fn long_documents_flow_onto_more_pages_and_read_back_in_order() {
        let paragraphs: Vec<String> = (1..=120)
            .map(|i| format!("Paragraph number {i}."))
            .collect();
        let bytes = TextDocument::new("Long document")
            .heading("Answers")
            .paragraphs(paragraphs.iter().map(String::as_str))
            .render();
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        assert!(pages.len() >= 3, "{} pages", pages.len());
        let text = doc.extract_text(&pages).unwrap();
        let first = text.find("Paragraph number 1.").unwrap();
        let last = text.find("Paragraph number 120.").unwrap();
        assert!(first < last);
        assert!(text.contains("Long document - page 3"));
    }
}
