//! Input limits and a small collector of field errors, so that one 422 names every bad field.

use crate::error::{AppError, FieldError};

pub const MAX_SLUG: usize = 120;
pub const MAX_TITLE: usize = 300;
pub const MAX_NAME: usize = 200;
pub const MAX_TEXT: usize = 2_000;
pub const MAX_URL: usize = 2_048;
pub const MAX_BODY: usize = 1_000_000;
pub const MAX_IDS: usize = 20;
pub const MAX_LIST_ITEMS: usize = 100;
pub const MAX_SOCIAL_LINKS: usize = 20;
pub const MIN_PASSWORD: usize = 12;
pub const MAX_PASSWORD: usize = 256;
pub const MAX_EMAIL: usize = 254;

/// The years a date may be written in: wide enough for any archive, narrow enough for both
/// databases (PostgreSQL refuses years before 4713 BC; chrono reads years up to ±262,143). The
/// schema's `pattern` says the same of the text, so the year is checked as written, in its own
/// offset.
pub const MIN_YEAR: i32 = 1900;
pub const MAX_YEAR: i32 = 9999;

/// Whether a date as the client wrote it is in [`MIN_YEAR`]..=[`MAX_YEAR`].
pub fn written_date_in_range(at: &chrono::DateTime<chrono::FixedOffset>) -> bool {
    use chrono::Datelike;
    (MIN_YEAR..=MAX_YEAR).contains(&at.year())
}

/// Whether a stored (UTC) date can have come from one: a day's offset may move it into the
/// year before or after. For values that round-trip through cursors.
pub fn date_in_range(at: chrono::NaiveDateTime) -> bool {
    use chrono::Datelike;
    (MIN_YEAR - 1..=MAX_YEAR + 1).contains(&at.year())
}

/// The message for a date outside that range.
pub fn date_range_message() -> String {
    format!("must be between the years {MIN_YEAR} and {MAX_YEAR}")
}

/// Collects field errors; [`Validator::finish`] turns them into one 422.
#[derive(Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn error(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// A required text: not blank, at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().all(is_space) {
            self.error(field, "must not be empty");
        } else {
            self.length(field, value, max);
        }
    }

    /// An optional text: when given, at most `max` characters.
    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(value) = value {
            self.length(field, value, max);
        }
    }

    fn length(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.error(field, format!("must be at most {max} characters"));
        }
    }

    /// An absolute http(s) URL.
    pub fn url(&mut self, field: &str, value: &str) {
        let rest = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"));
        let ok = rest.is_some_and(|rest| !rest.is_empty())
            && !value.chars().any(|c| is_space(c) || c.is_control());
        if !ok {
            self.error(field, "must be an absolute http(s) URL");
        } else {
            self.length(field, value, MAX_URL);
        }
    }

    pub fn opt_url(&mut self, field: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.url(field, value);
        }
    }

    pub fn slug(&mut self, field: &str, value: &str) {
        if !crate::text::is_valid_slug(value) {
            self.error(
                field,
                format!("must be lowercase ASCII kebab-case, at most {MAX_SLUG} characters"),
            );
        }
    }

    pub fn opt_slug(&mut self, field: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.slug(field, value);
        }
    }

    pub fn email(&mut self, field: &str, value: &str) {
        let mut parts = value.split('@');
        let ok = matches!(
            (parts.next(), parts.next(), parts.next()),
            (Some(local), Some(domain), None)
                if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        ) && !value.chars().any(char::is_whitespace);
        if !ok {
            self.error(field, "must be an e-mail address");
        } else {
            self.length(field, value, MAX_EMAIL);
        }
    }

    pub fn password(&mut self, field: &str, value: &str) {
        let n = value.chars().count();
        if n < MIN_PASSWORD {
            self.error(field, format!("must be at least {MIN_PASSWORD} characters"));
        } else if n > MAX_PASSWORD {
            self.error(field, format!("must be at most {MAX_PASSWORD} characters"));
        }
    }

    /// A list of ids: at most `max`, no duplicates, all positive.
    pub fn ids(&mut self, field: &str, ids: &[i64], max: usize) {
        if ids.len() > max {
            self.error(field, format!("must have at most {max} entries"));
        }
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            if !seen.insert(id) {
                self.error(field, format!("lists {id} twice"));
                break;
            }
        }
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}

/// Whitespace as the schema's patterns see it (ECMAScript `\s`, which JSON Schema uses): Rust's
/// `char::is_whitespace` differs in two characters, NEL (not space here) and BOM (space here).
pub fn is_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// A text as stored: trimmed, after checking that the text as sent has at most `max`
/// characters (the schema's `maxLength` counts what the client sends, so the check must too).
pub fn trimmed(field: &str, value: String, max: usize) -> Result<String, AppError> {
    if value.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    // Control characters have no place in stored text (NUL cannot even be stored on
    // PostgreSQL); tabs and line breaks stay.
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(AppError::invalid(
            field,
            "must not contain control characters (other than tabs and line breaks)",
        ));
    }
    Ok(match value.trim_matches(is_space) {
        t if t.len() == value.len() => value,
        t => t.to_owned(),
    })
}

/// An optional text as stored: [`trimmed`], and blank turned into `None`.
pub fn cleaned(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, AppError> {
    match value {
        Some(v) => Ok(Some(trimmed(field, v, max)?).filter(|v| !v.is_empty())),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_the_text_as_sent_and_trimming_follows_the_schema() {
        assert!(trimmed("t", format!(" {}", "a".repeat(300)), 300).is_err());
        assert_eq!(
            trimmed("t", " a\u{feff}".into(), 300).ok().as_deref(),
            Some("a")
        );
        // NEL is not space to the schema, and a control character to the server.
        assert!(trimmed("t", "\u{85}a".into(), 300).is_err());
        assert_eq!(cleaned("t", Some(" \t".into()), 10).ok(), Some(None));
        assert!(trimmed("t", "a\u{1}b".into(), 10).is_err());
        assert!(trimmed("t", "a\u{9b}b".into(), 10).is_err());
        assert_eq!(
            trimmed("t", "a\tb\r\nc".into(), 10).ok().as_deref(),
            Some("a\tb\r\nc")
        );
    }
}
