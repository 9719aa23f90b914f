//! A cached response: its body, kept packed until it turns out to be hot, and each coding's.
//!
//! Long-tail traffic is mostly URLs asked for once or twice: with bodies kept as made, a
//! 64 MB budget held ~6,000 article pages and TinyLFU turned a third of a realistic mix away
//! (each a full database read). Bodies are therefore kept packed with LZ4 (JSON of articles
//! packs ~2.6×; unpacking 10 KB takes ~3 µs), and an entry keeps its body as made too once it
//! has been served [`HOT_HITS`] times, so that the few hottest URLs (the newest page, the top
//! stories) cost no unpacking. At 4 hits instead, so many Zipf-popular stories were held
//! twice that the mix gained half as much.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use actix_web::http::header::HeaderValue;
use actix_web::web;

use super::ResponseCache;
use crate::api::encoding::Coding;

/// Bodies shorter than this are kept as made: packing them saves too little.
const PACK_FROM: usize = 512;

/// What an entry costs beside its bodies, in bytes, roughly: the entry, its headers, and the
/// store's bookkeeping (moka keeps each key in a hash table, a node and its queues). Counted so
/// that the budget bounds the memory the cache takes, not only its bodies'.
pub(super) const OVERHEAD: usize = size_of::<Entry>() + 256;

/// Hits after which an entry keeps its body unpacked as well: in the benchmark's mix, about
/// the 100 most popular stories reach it in a run.
const HOT_HITS: u32 = 64;

pub(super) struct Entry {
    /// The body packed with LZ4, and its length unpacked; `None` when kept as made only.
    packed: Option<(web::Bytes, usize)>,
    /// The body as made: from the start when not packed, else once the entry is hot.
    plain: OnceLock<web::Bytes>,
    hits: AtomicU32,
    pub(super) etag: HeaderValue,
    pub(super) cache_control: HeaderValue,
    /// Each compressed coding's body and ETag ([`Coding::COMPRESSED`] order), made the first
    /// time a request asks for that coding (boxed: most entries are only ever sent as made, and
    /// four empty slots inline took 320 bytes, a twelfth of a packed article page).
    encoded: [OnceLock<Box<(web::Bytes, HeaderValue)>>; 4],
    /// The route pattern the response was made for, for the access log and metrics of hits.
    pub(super) route: Option<Arc<str>>,
}

impl Entry {
    /// An entry holding `body` as made.
    pub(super) fn new(body: web::Bytes, etag: HeaderValue, cache_control: HeaderValue) -> Self {
        Entry {
            packed: None,
            plain: OnceLock::from(body),
            hits: AtomicU32::new(0),
            etag,
            cache_control,
            encoded: Default::default(),
            route: None,
        }
    }

    /// An entry to keep: `body` packed, when that saves an eighth or more.
    pub(super) fn packed(body: &web::Bytes, etag: HeaderValue, cache_control: HeaderValue) -> Self {
        let mut entry = Entry::new(body.clone(), etag, cache_control);
        if body.len() >= PACK_FROM {
            let packed = lz4_flex::block::compress(body);
            if packed.len() <= body.len() - body.len() / 8 {
                entry.packed = Some((packed.into(), body.len()));
                entry.plain = OnceLock::new();
            }
        }
        entry
    }

    /// The bytes it holds: the body (packed, as made, or both), every coding made so far, and
    /// its [`OVERHEAD`].
    pub(super) fn weight(&self) -> usize {
        OVERHEAD
            + self.packed.as_ref().map_or(0, |(packed, _)| packed.len())
            + self.plain.get().map_or(0, web::Bytes::len)
            + self
                .encoded
                .iter()
                .filter_map(|c| c.get())
                .map(|made| made.0.len())
                .sum::<usize>()
    }

    /// The body as made, unpacked if need be (and kept unpacked once hot). `None` only if the
    /// packed bytes were damaged, which LZ4's checks catch: the caller then makes it anew.
    fn body(&self, cached: Option<(&ResponseCache, &str)>) -> Option<web::Bytes> {
        if let Some(plain) = self.plain.get() {
            return Some(plain.clone());
        }
        let (packed, len) = self.packed.as_ref()?;
        let body = web::Bytes::from(lz4_flex::block::decompress(packed, *len).ok()?);
        if self.hits.fetch_add(1, Ordering::Relaxed) >= HOT_HITS - 1
            && self.plain.set(body.clone()).is_ok()
            && let Some((cache, key)) = cached
        {
            cache.reweigh(key, self);
        }
        Some(body)
    }

    /// The ETag of `coding`'s representation (no body needed: a 304 sends none).
    pub(super) fn etag_of(&self, coding: Coding) -> Option<HeaderValue> {
        match coding {
            Coding::Identity => Some(self.etag.clone()),
            coding => self
                .etag
                .to_str()
                .ok()
                .and_then(|tag| HeaderValue::from_str(&coding.etag(tag)).ok()),
        }
    }

    /// `coding`'s body and ETag, made now if no request has asked for it before. `cached` is
    /// the cache and key when the entry may be in the cache, whose byte count then grows.
    /// `None` when the body cannot be unpacked.
    pub(super) fn encoded(
        &self,
        coding: Coding,
        cached: Option<(&ResponseCache, &str)>,
    ) -> Option<(web::Bytes, HeaderValue)> {
        let Some(slot) = coding.index().and_then(|i| self.encoded.get(i)) else {
            return Some((self.body(cached)?, self.etag.clone()));
        };
        if let Some(made) = slot.get() {
            return Some((**made).clone());
        }
        let body = self.body(cached)?;
        let (Ok(encoded), Some(etag)) = (coding.encode(&body), self.etag_of(coding)) else {
            // Writing into memory does not fail; were it to, the body goes out as it is.
            return Some((body, self.etag.clone()));
        };
        let made = (encoded, etag);
        if slot.set(Box::new(made.clone())).is_ok()
            && let Some((cache, key)) = cached
        {
            cache.reweigh(key, self);
        }
        Some(made)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(v: &'static str) -> HeaderValue {
        HeaderValue::from_static(v)
    }

    fn article() -> web::Bytes {
        let text = "{\"data\":{\"title\":\"New deal with Nokia may accelerate Xiaomi's launch\"}}";
        web::Bytes::from(text.repeat(40))
    }

    #[test]
    fn a_packed_body_comes_back_as_made_and_weighs_less() {
        let body = article();
        let entry = Entry::packed(&body, header("\"e\""), header("public"));
        let weight = entry.weight() - OVERHEAD;
        assert!(weight < body.len() / 4, "{weight}");
        for _ in 0..HOT_HITS + 2 {
            let (served, etag) = entry.encoded(Coding::Identity, None).expect("unpacks");
            assert_eq!(served, body);
            assert_eq!(etag, "\"e\"");
        }
        // Hot: kept as made too, and counted.
        let weight = entry.weight() - OVERHEAD;
        assert!(weight > body.len(), "{weight}");
    }

    #[test]
    fn damaged_packed_bytes_are_refused_not_served() {
        let body = article();
        let mut entry = Entry::packed(&body, header("\"e\""), header("public"));
        let Some((packed, len)) = entry.packed.take() else {
            panic!("an article packs");
        };
        // Cut short: LZ4's checks see it (the layer then makes the response anew).
        let cut = packed.slice(..packed.len() / 2);
        entry.packed = Some((cut, len));
        assert_eq!(entry.encoded(Coding::Identity, None), None);
        assert_eq!(entry.encoded(Coding::Gzip, None), None);
        let weight = OVERHEAD + packed.len() / 2;
        assert_eq!(entry.weight(), weight, "no coding was made of it");
    }

    #[test]
    fn small_or_incompressible_bodies_are_kept_as_made() {
        let small = web::Bytes::from_static(b"{\"data\":[]}");
        let entry = Entry::packed(&small, header("\"e\""), header("public"));
        assert_eq!(entry.weight(), OVERHEAD + small.len());
        // xorshift64: bytes with no repeats for LZ4 to find.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let noise: Vec<u8> = (0..4096)
            .flat_map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()
            })
            .take(4096)
            .collect();
        let noise = web::Bytes::from(noise);
        let entry = Entry::packed(&noise, header("\"e\""), header("public"));
        assert_eq!(entry.weight(), OVERHEAD + noise.len());
        assert_eq!(
            entry.encoded(Coding::Identity, None).map(|b| b.0),
            Some(noise)
        );
    }
}
