//! Text work done once, at write time: slugs, markdown to sanitized HTML, excerpts and reading time.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// Average adult silent reading speed used for `reading_time_minutes`.
const WORDS_PER_MINUTE: usize = 230;
/// Length of a derived excerpt, in characters.
const EXCERPT_CHARS: usize = 200;

/// Lowercase ASCII kebab-case: "Xiaomi's 12S — with Leica!" becomes `xiaomis-12s-with-leica`.
/// Letters with diacritics lose them where a plain ASCII base is obvious; other characters
/// separate words.
pub fn slugify(input: &str) -> String {
    let mut slug = String::with_capacity(input.len());
    let mut pending_dash = false;
    for ch in input.chars() {
        let ch = fold_ascii(ch);
        if ch.is_ascii_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(ch.to_ascii_lowercase());
        } else if ch == '\'' || ch == '\u{2019}' {
            // Apostrophes join: "Xiaomi's" is `xiaomis`, not `xiaomi-s`.
        } else {
            pending_dash = true;
        }
    }
    slug.truncate(crate::validate::MAX_SLUG);
    slug.trim_end_matches('-').to_owned()
}

fn fold_ascii(ch: char) -> char {
    match ch {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        other => other,
    }
}

/// Whether `slug` is lowercase ASCII kebab-case.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= crate::validate::MAX_SLUG
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
}

/// Renders markdown to HTML and sanitizes it (no scripts, no event handlers, no `javascript:`
/// links; links get `rel="noopener noreferrer"`). Raw HTML in the markdown passes through the
/// same sanitizer.
pub fn render_markdown(markdown: &str) -> String {
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(
        &mut unsafe_html,
        Parser::new_ext(markdown, markdown_options()),
    );
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .clean(&unsafe_html)
        .to_string()
}

/// The plain text of the markdown's paragraphs, for excerpts and reading time.
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    let mut in_code_block = false;
    for event in Parser::new_ext(markdown, markdown_options()) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Text(t) | Event::Code(t) if !in_code_block => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first ~200 characters of the body's text, cut at a word boundary, with an ellipsis when cut.
pub fn derive_excerpt(markdown: &str) -> String {
    let text = plain_text(markdown);
    if text.chars().count() <= EXCERPT_CHARS {
        return text;
    }
    let cut: String = text.chars().take(EXCERPT_CHARS).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > EXCERPT_CHARS / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ']))
}

/// Minutes to read the body, at least one.
pub fn reading_time_minutes(markdown: &str) -> i32 {
    let words = plain_text(markdown).split_whitespace().count();
    i32::try_from(words.div_ceil(WORDS_PER_MINUTE).max(1)).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_ascii_kebab_case() {
        assert_eq!(
            slugify("New deal with Nokia may accelerate Xiaomi’s stalled global launch plans"),
            "new-deal-with-nokia-may-accelerate-xiaomis-stalled-global-launch-plans"
        );
        assert_eq!(slugify("  Café — Zeiss & Leica!  "), "cafe-zeiss-leica");
        assert_eq!(slugify("¡¡!!"), "");
        assert!(is_valid_slug("redmi-note-11"));
        assert!(!is_valid_slug("Redmi"));
        assert!(!is_valid_slug("a--b"));
        assert!(!is_valid_slug("-a"));
    }

    #[test]
    fn markdown_is_rendered_and_sanitized() {
        let html = render_markdown(
            "# Hi\n\n[x](javascript:alert(1)) **b** <img src=x onerror=alert(1)>\n\n<script>alert(1)</script>",
        );
        assert!(html.contains("<h1>Hi</h1>"));
        assert!(html.contains("<strong>b</strong>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("javascript:"));
        assert!(!html.contains("onerror"));
    }

    #[test]
    fn excerpts_are_cut_at_a_word_boundary() {
        let body = "word ".repeat(100);
        let excerpt = derive_excerpt(&body);
        assert!(excerpt.ends_with('…'));
        assert!(excerpt.chars().count() <= EXCERPT_CHARS + 1);
        assert_eq!(derive_excerpt("Short **body**."), "Short body.");
    }

    #[test]
    fn reading_time_is_at_least_a_minute() {
        assert_eq!(reading_time_minutes(""), 1);
        assert_eq!(reading_time_minutes(&"word ".repeat(461)), 3);
    }
}
