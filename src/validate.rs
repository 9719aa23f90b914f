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
        if value.trim().is_empty() {
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
            && !value.chars().any(|c| c.is_whitespace() || c.is_control());
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

/// Trims a text and turns blank into `None`.
pub fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}
