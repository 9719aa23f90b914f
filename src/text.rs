//! Text work done once, at write time: slugs, markdown to sanitized HTML, excerpts and reading time.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// Average adult silent reading speed used for `reading_time_minutes`.
const WORDS_PER_MINUTE: usize = 230;
/// Length of a derived excerpt, in characters.
const EXCERPT_CHARS: usize = 200;

/// Lowercase ASCII kebab-case: "Xiaomi's 12S — with Leica!" becomes `xiaomis-12s-with-leica`.
/// Every script is transliterated (`deunicode`): "Привет, мир" is `privet-mir`, "小米手机" is
/// `xiao-mi-shou-ji`, "Tiếng Việt" is `tieng-viet`; what has no letters or digits separates
/// words.
pub fn slugify(input: &str) -> String {
    let mut slug = String::with_capacity(input.len());
    let mut pending_dash = false;
    for ch in input.chars() {
        if ch == '\'' || ch == '\u{2019}' {
            // Apostrophes join: "Xiaomi's" is `xiaomis`, not `xiaomi-s`.
            continue;
        }
        let mut buf = [0u8; 4];
        let ascii: &str = if ch.is_ascii() {
            ch.encode_utf8(&mut buf)
        } else {
            deunicode::deunicode_char(ch).unwrap_or_default()
        };
        for b in ascii.bytes() {
            if b.is_ascii_alphanumeric() {
                if pending_dash && !slug.is_empty() {
                    slug.push('-');
                }
                pending_dash = false;
                slug.push(char::from(b.to_ascii_lowercase()));
            } else if b != b'\'' {
                pending_dash = true;
            }
        }
    }
    slug.truncate(crate::validate::MAX_SLUG);
    slug.trim_end_matches('-').to_owned()
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

/// How deeply elements may nest in a body. The sanitizer's HTML parser takes time that grows
/// with the square of the depth (20,000 nested quotes: 1.4 s; 60,000 `<div>`s: 10 s, measured),
/// so a body is refused past this, which no real article comes near.
pub const MAX_NESTING: usize = 100;

/// A body's derived columns, made before the write transaction so that an expensive body
/// never holds the write lock.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub html: String,
    /// The excerpt derived from the body; `None` when not known (taken from a row whose
    /// excerpt was written by an editor).
    pub excerpt: Option<String>,
    pub reading_time_minutes: i32,
}

impl Rendered {
    /// Renders `markdown`, or says why it is refused: elements nested deeper than
    /// [`MAX_NESTING`].
    pub fn of(markdown: &str) -> Result<Rendered, String> {
        let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
        html::push_html(
            &mut unsafe_html,
            Parser::new_ext(markdown, markdown_options()),
        );
        let depth = nesting_depth(&unsafe_html);
        if depth > MAX_NESTING {
            return Err(format!(
                "nests elements {depth} deep (quotes, lists or HTML tags); at most {MAX_NESTING}"
            ));
        }
        Ok(Rendered {
            html: sanitize(&unsafe_html),
            excerpt: Some(derive_excerpt(markdown)),
            reading_time_minutes: reading_time_minutes(markdown),
        })
    }
}

/// The deepest nesting of `html`'s elements, counted from its tags: an opening tag goes one
/// deeper unless it is void or self-closing, a closing tag one back. Tags HTML closes by
/// itself (`<p>` before `<p>`) count as open, so this can only overestimate.
fn nesting_depth(html: &str) -> usize {
    const VOID: [&str; 14] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr",
    ];
    let (mut depth, mut deepest) = (0usize, 0usize);
    let bytes = html.as_bytes();
    for (i, _) in html.match_indices('<') {
        match bytes.get(i + 1) {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(c) if c.is_ascii_alphabetic() => {
                // `<` is one byte: the tag's name starts right after it.
                let rest = html.get(i + 1..).unwrap_or_default();
                let name: String = rest
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                let self_closing = rest
                    .split_once('>')
                    .is_some_and(|(tag, _)| tag.ends_with('/'));
                if !VOID.contains(&name.as_str()) && !self_closing {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
            }
            _ => {}
        }
    }
    deepest
}

fn sanitize(unsafe_html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .clean(unsafe_html)
        .to_string()
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
    sanitize(&unsafe_html)
}

/// The plain text of the markdown's paragraphs, for excerpts and reading time.
pub fn plain_text(markdown: &str) -> String {
    plain_text_start(markdown, usize::MAX)
}

/// The first `max_chars` characters of [`plain_text`], without reading the markdown past them.
pub fn plain_text_start(markdown: &str, max_chars: usize) -> String {
    let mut text = String::with_capacity(markdown.len().min(max_chars.saturating_mul(2)));
    let mut in_code_block = false;
    for event in Parser::new_ext(markdown, markdown_options()) {
        // Twice the bytes needed is almost always enough: only runs of spaces shrink below.
        if text.len() / 2 > max_chars {
            break;
        }
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Text(t) | Event::Code(t) if !in_code_block => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => text.push(' '),
            _ => {}
        }
    }
    let mut text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = text.char_indices().nth(max_chars) {
        text.truncate(cut);
    }
    text
}

/// The first ~200 characters of the body's text, cut at a word boundary, with an ellipsis when cut.
pub fn derive_excerpt(markdown: &str) -> String {
    let text = plain_text(markdown);
    if text.chars().count() <= EXCERPT_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(EXCERPT_CHARS).collect();
    if let Some(space) = cut.rfind(' ').filter(|&i| i > EXCERPT_CHARS / 2) {
        cut.truncate(space);
    }
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ']))
}

/// Minutes to read the body, at least one.
pub fn reading_time_minutes(markdown: &str) -> i32 {
    let words = plain_text(markdown).split_whitespace().count();
    i32::try_from(words.div_ceil(WORDS_PER_MINUTE).max(1)).unwrap_or(i32::MAX)
}

/// The char boundary of `text` at or before byte `i` (`str::floor_char_boundary`, stable only
/// since Rust 1.91).
pub fn floor_char_boundary(text: &str, i: usize) -> usize {
    (0..=i.min(text.len()))
        .rev()
        .find(|&b| text.is_char_boundary(b))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The start of a body's text is the start of its whole text.
        #[test]
        fn plain_text_start_is_a_prefix(markdown in "[a-z *_#>\\n`-]{0,300}", n in 0usize..120) {
            let start = plain_text_start(&markdown, n);
            prop_assert!(start.chars().count() <= n);
            prop_assert!(plain_text(&markdown).starts_with(&start));
        }

        /// Any title gives a valid slug (or none, to be given by hand), and a slug is its own.
        #[test]
        fn slugify_gives_a_valid_slug_or_nothing(title in "\\PC{0,400}") {
            let slug = slugify(&title);
            prop_assert!(slug.is_empty() || is_valid_slug(&slug), "{:?} -> {:?}", title, slug);
            prop_assert_eq!(slugify(&slug), slug.clone());
        }

        /// The boundary found is one, at or before the byte asked for, and the last such.
        #[test]
        fn floor_char_boundary_is_the_last_boundary_before(text in "\\PC{0,40}", i in 0usize..200) {
            let b = floor_char_boundary(&text, i);
            prop_assert!(text.is_char_boundary(b) && b <= i);
            prop_assert!((b + 1..=i.min(text.len())).all(|n| !text.is_char_boundary(n)));
        }

        /// Any body renders or is refused with a reason; never a panic.
        #[test]
        fn any_body_renders_or_is_refused(body in "[>*_#`\\[\\]()<div>/ a-z\n-]{0,600}") {
            if let Ok(r) = Rendered::of(&body) {
                prop_assert!(r.reading_time_minutes >= 1);
            }
        }
    }

    use super::*;

    #[test]
    fn bodies_nested_too_deep_are_refused_before_sanitizing() {
        // Each of these took seconds in the sanitizer; refused now after a linear scan.
        for body in [
            ">".repeat(40_000),
            "<div>".repeat(60_000),
            "- ".repeat(200) + "x",
        ] {
            let reason = Rendered::of(&body).expect_err("too deep");
            assert!(reason.contains("at most 100"), "{reason}");
        }
        let quote = format!("{} deep enough", ">".repeat(20));
        assert!(Rendered::of(&quote).is_ok());
        let ok =
            Rendered::of("Xiaomi and **Nokia**.<br/><img src=\"x.png\"><hr>").expect("renders");
        assert!(ok.html.contains("<strong>Nokia</strong>"));
        assert_eq!(ok.excerpt.as_deref(), Some("Xiaomi and Nokia."));
        assert_eq!(nesting_depth("<p><br><img src=x><br/></p><p></p>"), 1);
    }

    #[test]
    fn slugs_are_lowercase_ascii_kebab_case() {
        assert_eq!(
            slugify("New deal with Nokia may accelerate Xiaomi’s stalled global launch plans"),
            "new-deal-with-nokia-may-accelerate-xiaomis-stalled-global-launch-plans"
        );
        assert_eq!(slugify("  Café — Zeiss & Leica!  "), "cafe-zeiss-leica");
        assert_eq!(slugify("¡¡!!"), "");
    }

    #[test]
    fn slugs_transliterate_every_script() {
        assert_eq!(
            slugify("Привет, мир: новый Xiaomi"),
            "privet-mir-novyi-xiaomi"
        );
        assert_eq!(slugify("Η Ελλάδα και η Nokia"), "e-ellada-kai-e-nokia");
        assert_eq!(slugify("小米手机 12"), "xiao-mi-shou-ji-12");
        assert_eq!(
            slugify("Tiếng Việt: điện thoại mới"),
            "tieng-viet-dien-thoai-moi"
        );
        assert_eq!(slugify("Straße über Æsir"), "strasse-uber-aesir");
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
