//! The benchmark's ceiling: actix-web built like Headline (same crate, features, release
//! profile, one worker per core) answering each endpoint with a static JSON body of the same
//! size that Headline sends, with no database and no work. `bench/run.sh` starts it.
//!
//! Usage: `ceiling ADDR DIR` — serves `GET /{name}` (and any path under it, for random-URL
//! workloads: `/{name}/api/v1/articles/…`) with the bytes of `DIR/{name}.json`, and a 304 when
//! the request carries `If-None-Match` (the ceiling of a revalidation). `POST /hook` answers
//! 204: a webhook receiver that does nothing, for the write benchmark (`bench/writes.sh`).

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

// Headline's allocator, so that the ratio measures Headline's work, not the allocator's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn body(req: HttpRequest, bodies: web::Data<HashMap<String, Vec<u8>>>) -> HttpResponse {
    let name = req.match_info().get("name").unwrap_or_default();
    let Some(bytes) = bodies.get(name) else {
        return HttpResponse::NotFound().finish();
    };
    if req.headers().contains_key(header::IF_NONE_MATCH) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, "\"ceiling\""))
            .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::ETAG, "\"ceiling\""))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .content_type("application/json")
        .body(bytes.clone())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:18181".to_owned());
    let dir = args
        .next()
        .unwrap_or_else(|| "bench/results/bodies".to_owned());
    let mut bodies = HashMap::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json")
            && let Some(name) = path.file_stem().and_then(|s| s.to_str())
        {
            bodies.insert(name.to_owned(), std::fs::read(&path)?);
        }
    }
    let bodies = web::Data::from(Arc::new(bodies));
    HttpServer::new(move || {
        App::new()
            .app_data(bodies.clone())
            .route("/hook", web::post().to(HttpResponse::NoContent))
            .route("/{name}", web::get().to(body))
            .route("/{name}/{tail:.*}", web::get().to(body))
    })
    .bind(addr)?
    .run()
    .await
}
