//! Keyset pagination: opaque cursors that carry the sort, the last row's sort key and its id.
//!
//! A cursor is `base64url("<sort>\n<id>\n<key>")`: the key comes last, so a title holding a
//! newline round-trips. It is opaque to clients; a cursor made for another sort is rejected with
//! a 400 instead of returning a wrong page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDateTime};

use crate::error::AppError;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// The sort key of the last row of a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Time(NaiveDateTime),
    Text(String),
    /// A relevance score.
    Number(f64),
}

/// Which kind of key a sort's cursors carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Time,
    Text,
    Number,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub key: Key,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self, sort: &str) -> String {
        let key = match &self.key {
            Key::Time(t) => t.and_utc().timestamp_micros().to_string(),
            Key::Text(s) => s.clone(),
            // Display of f64 is the shortest text that parses back to the same value.
            Key::Number(n) => n.to_string(),
        };
        URL_SAFE_NO_PAD.encode(format!("{sort}\n{}\n{key}", self.id))
    }

    /// The `cursor` query parameter: absent or empty means the first page (an empty
    /// `cursor=` is what a client sends when it has no next cursor to pass).
    pub fn from_param(
        raw: Option<&str>,
        sort: &str,
        kind: KeyKind,
    ) -> Result<Option<Self>, AppError> {
        raw.filter(|c| !c.is_empty())
            .map(|c| Cursor::decode(c, sort, kind))
            .transpose()
    }

    /// Decodes a cursor made for `sort`, whose keys are of `kind`.
    pub fn decode(raw: &str, sort: &str, kind: KeyKind) -> Result<Self, AppError> {
        let bad = || {
            AppError::bad_request(
                "invalid_cursor",
                "cursor is malformed or was made for another sort",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_malformed| bad())?;
        let text = String::from_utf8(bytes).map_err(|_malformed| bad())?;
        let mut parts = text.splitn(3, '\n');
        let (Some(cursor_sort), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if cursor_sort != sort {
            return Err(bad());
        }
        let id = id.parse().map_err(|_malformed| bad())?;
        let key = match kind {
            KeyKind::Time => {
                let micros: i64 = key.parse().map_err(|_malformed| bad())?;
                Key::Time(
                    DateTime::from_timestamp_micros(micros)
                        .map(|t| t.naive_utc())
                        .filter(|t| crate::validate::date_in_range(*t))
                        .ok_or_else(bad)?,
                )
            }
            KeyKind::Text => Key::Text(key.to_owned()),
            KeyKind::Number => Key::Number(
                key.parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(bad)?,
            ),
        };
        Ok(Cursor { key, id })
    }
}

/// Validates `limit`: 1..=100, default 20; over the maximum is a 400, never a silent clamp.
pub fn limit(requested: Option<i64>) -> Result<i64, AppError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(AppError::BadRequest {
            code: "invalid_limit",
            detail: format!("limit must be between 1 and {MAX_LIMIT}, got {n}"),
            errors: Some(vec![crate::error::FieldError::new(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )]),
        }),
    }
}

/// One page of rows, fetched with `limit + 1` to learn whether another page follows.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
    pub total: Option<i64>,
}

impl<T> Page<T> {
    /// A page with nothing on it; `count` asks for the total (0).
    pub fn empty(count: bool) -> Self {
        Page {
            items: Vec::new(),
            next: None,
            total: count.then_some(0),
        }
    }

    /// Cuts `rows` (fetched with `limit + 1`) to `limit` and makes the next cursor from the
    /// last row kept.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> Cursor) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(cursor_of)
        } else {
            None
        };
        Page {
            items: rows,
            next,
            total: None,
        }
    }

    /// Keeps the items `f` maps to `Some`; the cursor still follows the last row fetched.
    pub fn filter_map<U>(self, f: impl FnMut(T) -> Option<U>) -> Page<U> {
        Page {
            items: self.items.into_iter().filter_map(f).collect(),
            next: self.next,
            total: self.total,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
            total: self.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// Every cursor the server can mint decodes to itself, under its own sort only.
        #[test]
        fn every_cursor_round_trips(
            id in any::<i64>(),
            // Years 1900-9999, the dates the API stores.
            micros in -2_208_988_800_000_000i64..253_402_300_799_000_000,
            text in "\\PC*",
            score in -1e12f64..1e12,
        ) {
            let time = DateTime::from_timestamp_micros(micros).map(|d| d.naive_utc());
            for (key, kind) in [
                (time.map(Key::Time), KeyKind::Time),
                (Some(Key::Text(text.clone())), KeyKind::Text),
                (Some(Key::Number(score)), KeyKind::Number),
            ] {
                let Some(key) = key else { continue };
                let cursor = Cursor { key, id };
                let raw = cursor.encode("s");
                prop_assert_eq!(Cursor::decode(&raw, "s", kind).ok(), Some(cursor));
                prop_assert!(Cursor::decode(&raw, "t", kind).is_err());
            }
        }

        /// Anything a client sends as a cursor is a cursor or a 400, never a panic.
        #[test]
        fn any_text_decodes_or_is_refused(raw in "\\PC*", bytes in any::<Vec<u8>>()) {
            use base64::Engine as _;
            for kind in [KeyKind::Time, KeyKind::Text, KeyKind::Number] {
                let _ = Cursor::decode(&raw, "s", kind);
                let _ = Cursor::decode(&URL_SAFE_NO_PAD.encode(&bytes), "s", kind);
            }
        }
    }

    use super::*;

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_sort() {
        let t = DateTime::from_timestamp_micros(1_700_000_000_123_456)
            .map(|d| d.naive_utc())
            .expect("valid time");
        let c = Cursor {
            key: Key::Time(t),
            id: 42,
        };
        let raw = c.encode("-published_at");
        assert_eq!(
            Cursor::decode(&raw, "-published_at", KeyKind::Time).ok(),
            Some(c)
        );
        assert!(Cursor::decode(&raw, "title", KeyKind::Text).is_err());
        assert!(Cursor::decode("%%%", "title", KeyKind::Text).is_err());
    }

    #[test]
    fn text_keys_with_newlines_round_trip() {
        let c = Cursor {
            key: Key::Text("Two\nlines\n\nand more".to_owned()),
            id: 7,
        };
        let raw = c.encode("title");
        assert_eq!(Cursor::decode(&raw, "title", KeyKind::Text).ok(), Some(c));
    }

    #[test]
    fn limits_over_the_maximum_are_rejected() {
        assert_eq!(limit(None).ok(), Some(20));
        assert!(limit(Some(101)).is_err());
        assert!(limit(Some(0)).is_err());
    }
}
