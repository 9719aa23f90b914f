//! Compressed representations of the Content API's responses.
//!
//! actix-web's `Compress` (wrapped around the whole app) compresses every other response as it
//! is sent. Public responses are compressed here instead, for two reasons:
//! - they carry strong ETags, and a strong ETag names exact bytes: each coding is its own
//!   representation, tagged `"<digest>-br"` (RFC 9110 §8.8.1), while `If-None-Match` with any
//!   representation's tag of the same body answers 304;
//! - the response cache keeps each coding's bytes beside the body, so a hit never compresses.
//!
//! Negotiation is actix's own (`Accept-Encoding` q-values; on a tie br, then zstd, then gzip),
//! over the same codings `Compress` supports, so the two never disagree about a request.

use std::io::Write;

use actix_web::HttpMessage;
use actix_web::http::header::{AcceptEncoding, ContentEncoding, Encoding};
use actix_web::web::Bytes;

/// The codings a response may be sent in, identity included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Brotli,
    Zstd,
    Gzip,
    Deflate,
}

const SUPPORTED: [Encoding; 5] = [
    Encoding::identity(),
    Encoding::brotli(),
    Encoding::zstd(),
    Encoding::gzip(),
    Encoding::deflate(),
];

impl Coding {
    /// The compressed codings, in the order of [`Coding::index`].
    pub const COMPRESSED: [Coding; 4] =
        [Coding::Brotli, Coding::Zstd, Coding::Gzip, Coding::Deflate];

    /// The coding a request asks for. Without `Accept-Encoding`, or with one that accepts
    /// nothing we have, the body is sent as it is.
    pub fn negotiate(req: &impl HttpMessage) -> Coding {
        let Some(accept) = req.get_header::<AcceptEncoding>() else {
            return Coding::Identity;
        };
        match accept.negotiate(SUPPORTED.iter()) {
            Some(Encoding::Known(ContentEncoding::Brotli)) => Coding::Brotli,
            Some(Encoding::Known(ContentEncoding::Zstd)) => Coding::Zstd,
            Some(Encoding::Known(ContentEncoding::Gzip)) => Coding::Gzip,
            Some(Encoding::Known(ContentEncoding::Deflate)) => Coding::Deflate,
            _ => Coding::Identity,
        }
    }

    /// The `Content-Encoding` token, and the suffix of the representation's ETag.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Identity => "identity",
            Coding::Brotli => "br",
            Coding::Zstd => "zstd",
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }

    /// The position in [`Coding::COMPRESSED`]; `None` for identity.
    pub fn index(self) -> Option<usize> {
        Coding::COMPRESSED.iter().position(|c| *c == self)
    }

    /// `body` in this coding. Levels are the codings' usual defaults for text served live
    /// (brotli 5, zstd 3, gzip/deflate 6): a 90 KB page of 100 summaries compresses in about a
    /// millisecond, and a cached entry pays it once per coding.
    pub fn encode(self, body: &[u8]) -> std::io::Result<Bytes> {
        let mut out = Vec::with_capacity(body.len() / 4 + 64);
        match self {
            Coding::Identity => return Ok(Bytes::copy_from_slice(body)),
            Coding::Brotli => {
                let mut w = brotli::CompressorWriter::new(&mut out, 16 * 1024, 5, 22);
                w.write_all(body)?;
                // Ends the stream: a flush alone leaves it open.
                w.into_inner();
            }
            Coding::Zstd => zstd::stream::copy_encode(body, &mut out, 3)?,
            Coding::Gzip => {
                let mut w = flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
                w.write_all(body)?;
                w.finish()?;
            }
            Coding::Deflate => {
                let mut w =
                    flate2::write::ZlibEncoder::new(&mut out, flate2::Compression::default());
                w.write_all(body)?;
                w.finish()?;
            }
        }
        Ok(Bytes::from(out))
    }

    /// The ETag of this coding's representation of a body whose ETag is `etag`.
    pub fn etag(self, etag: &str) -> String {
        match (self, etag.strip_suffix('"')) {
            (Coding::Identity, _) | (_, None) => etag.to_owned(),
            (coding, Some(open)) => format!("{open}-{}\"", coding.token()),
        }
    }
}

/// Whether the entity-tag `tag` (its opaque part, from `If-None-Match`) names a representation
/// of the body whose `ETag` header is `etag`: the body's own tag, or one with a coding's suffix.
pub fn names_body(tag: &str, etag: &str) -> bool {
    let body = etag.trim_start_matches("W/").trim_matches('"');
    tag == body
        || Coding::COMPRESSED.iter().any(|coding| {
            tag.strip_suffix(coding.token())
                .and_then(|t| t.strip_suffix('-'))
                .is_some_and(|t| t == body)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_coding_has_its_own_etag_naming_the_same_body() {
        let etag = "\"0123abcd\"";
        assert_eq!(Coding::Brotli.etag(etag), "\"0123abcd-br\"");
        assert_eq!(Coding::Identity.etag(etag), etag);
        for coding in Coding::COMPRESSED {
            assert!(names_body(coding.etag(etag).trim_matches('"'), etag));
        }
        assert!(names_body("0123abcd", etag));
        assert!(!names_body("0123abce-br", etag));
        assert!(!names_body("0123abcd-xz", etag));
    }

    #[test]
    fn every_coding_round_trips() {
        use std::io::Read;
        let body = br#"{"data":[{"title":"New deal with Nokia"}]}"#.repeat(50);
        let mut out = Vec::new();
        let gz = Coding::Gzip.encode(&body).expect("gzip");
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .expect("gunzip");
        assert_eq!(out, body);
        let zs = Coding::Zstd.encode(&body).expect("zstd");
        assert_eq!(zstd::decode_all(&zs[..]).expect("unzstd"), body);
        let br = Coding::Brotli.encode(&body).expect("brotli");
        out.clear();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut out)
            .expect("unbrotli");
        assert_eq!(out, body);
        assert!(br.len() < body.len() / 10);
    }
}
