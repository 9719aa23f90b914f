//! Building the application: the shared state, the start-up work (migrations, signing secret,
//! first admin, demo content) and the HTTP server. Tests use the same functions, bound to port 0.

use secrecy::ExposeSecret;
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, NormalizePath, TrailingSlash};
use actix_web::{App, HttpResponse, HttpServer, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::api::extract::{path_error, query_error};
use crate::api::fallback::{KnownRoutes, not_found_or_method};
use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::LoginLimits;
use crate::auth::{Role, random_token};
use crate::config::Settings;
use crate::db::{Db, migrations};
use crate::error::AppError;
use crate::models::{secrets, users};

/// Everything a request handler may need, shared by all workers.
pub struct AppState {
    pub db: Db,
    pub jwt: JwtKeys,
    pub settings: Settings,
    pub login_limits: LoginLimits,
    /// `HEADLINE_TRUSTED_PROXIES` and `HEADLINE_METRICS_NETWORKS`, parsed once (validated
    /// before start-up).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub metrics_networks: Vec<ipnet::IpNet>,
    /// Bounds Argon2 work (logins, password changes): see `auth::password::PasswordGate`.
    pub password_gate: crate::auth::password::PasswordGate,
    pub routes: KnownRoutes,
    pub cache: crate::api::cache::ResponseCache,
    /// The Content API's in-memory copies of authors, topics and topic heads.
    pub read_model: crate::api::content::read_model::ReadModel,
    /// Content API keys and their rate limiters (`HEADLINE_CONTENT_API=key`).
    pub content_keys: crate::auth::content_keys::ContentKeys,
    pub clock: crate::clock::Clock,
    /// The full-text index (shared with other instances of this process on the same
    /// directory).
    pub search: Arc<crate::search::SearchIndex>,
}

/// Swagger UI's bundle and styles (1.5 MB) change only with the binary: browsers keep them a
/// day. Its page and initializer (which names the document) are revalidated each time.
async fn docs_caching(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let path = req.path();
    let docs = path.starts_with("/docs/");
    let asset = docs
        && !path.ends_with("swagger-initializer.js")
        && [".js", ".css", ".png"]
            .iter()
            .any(|ext| path.ends_with(ext));
    let mut res = next.call(req).await?;
    if docs && res.status().is_success() {
        let value = if asset {
            "public, max-age=86400"
        } else {
            "no-cache"
        };
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static(value),
        );
    }
    Ok(res)
}

/// Errors that stop the process from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database: {0}")]
    Database(#[from] crate::db::ConnectError),
    #[error("cannot apply migrations: {0}")]
    Migrations(migrations::MigrationError),
    #[error("{0}")]
    App(#[from] AppError),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Search(#[from] crate::search::SearchError),
}

impl From<crate::models::ModelError> for StartupError {
    fn from(e: crate::models::ModelError) -> Self {
        StartupError::App(e.into())
    }
}

/// Opens the database and applies pending migrations.
pub fn open_database(settings: &Settings) -> Result<Db, StartupError> {
    let db = Db::connect(
        &settings.database_url,
        settings.pool_connections(),
        settings.pool_timeout(),
    )?;
    let mut conn = db.get()?;
    let applied = migrations::run_pending(&mut conn).map_err(StartupError::Migrations)?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied migrations");
    }
    Ok(db)
}

/// Renders the cards of every article that has none or an older format, unless every card is
/// known to be current (every article write renders its card, so only a new format or a bulk
/// load leaves work). Batches, one transaction each, serialised with other writers, walk the
/// ids upwards, so each costs the same however far the walk has come. Returns how many it
/// rendered.
pub fn render_cards(db: &Db) -> Result<usize, AppError> {
    use crate::models::cards;
    if cards::all_current(&mut **db.get()?)? {
        return Ok(0);
    }
    let (mut total, mut after) = (0, 0_i64);
    while let (n, Some(last)) = db.write_blocking(|conn| Ok(cards::render_stale(conn, after)?))? {
        total += n;
        after = last;
    }
    db.write_blocking(|conn| Ok(cards::mark_current(conn)?))?;
    Ok(total)
}

/// The JWT secret: `HEADLINE_JWT_SECRET`, or one generated once and kept in the database.
fn jwt_secret(settings: &Settings, db: &Db) -> Result<Vec<u8>, StartupError> {
    // Its length was checked by `Settings::validate`.
    if let Some(secret) = &settings.jwt_secret {
        return Ok(secret.expose_secret().as_bytes().to_vec());
    }
    let mut conn = db.get()?;
    let secret = secrets::get_or_create(&mut conn, "jwt_secret", random_token)?;
    tracing::warn!(
        "HEADLINE_JWT_SECRET is not set: using a generated secret stored in the database"
    );
    Ok(secret.into_bytes())
}

/// The e-mail of the admin a demo instance creates when none is configured.
pub const DEMO_ADMIN_EMAIL: &str = "admin@headline.local";

/// Creates the first admin when the database has no user yet: from the settings, or, on a demo
/// instance with none configured, with a generated password printed once to the log.
fn bootstrap_admin(settings: &Settings, db: &Db) -> Result<(), StartupError> {
    // Both or neither, as `Settings::validate` checked.
    let configured = match (&settings.admin_email, &settings.admin_password) {
        // The password stays a `SecretString` until it is hashed.
        (Some(email), Some(password)) => Some((email.clone(), password.clone())),
        _ => None,
    };
    if configured.is_none() && !settings.demo {
        return Ok(());
    }
    db.write_blocking(|conn| {
        if users::count(conn)? > 0 {
            return Ok(());
        }
        match &configured {
            Some((email, password)) => {
                let password = password.expose_secret();
                crate::auth::create_user(conn, email, password, Role::Admin, None)?;
                tracing::info!(%email, "created the first admin");
            }
            None => {
                let password = random_token();
                crate::auth::create_user(conn, DEMO_ADMIN_EMAIL, &password, Role::Admin, None)?;
                tracing::warn!(
                    "created the demo admin {DEMO_ADMIN_EMAIL} with password {password} (shown once; \
                     set HEADLINE_ADMIN_EMAIL and HEADLINE_ADMIN_PASSWORD to choose your own)"
                );
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// Opens the database and prepares everything a server needs.
pub fn prepare(settings: Settings) -> Result<Arc<AppState>, StartupError> {
    settings.validate().map_err(StartupError::Config)?;
    let db = open_database(&settings)?;
    let secret = jwt_secret(&settings, &db)?;
    bootstrap_admin(&settings, &db)?;
    let rendered = render_cards(&db)?;
    if rendered > 0 {
        tracing::info!(articles = rendered, "rendered the read model of articles");
    }
    if settings.demo {
        let loaded = crate::seed::load_demo_if_empty(&db)?;
        if loaded {
            tracing::info!("loaded the demo newsroom");
        }
    }
    let search = crate::search::SearchIndex::open(&settings.search_location())?;
    let articles = search.articles();
    search.start_indexer(db.clone());
    let doc = crate::openapi::document();
    let state = Arc::new(AppState {
        search,
        jwt: JwtKeys::new(&secret, settings.access_token_ttl),
        trusted_proxies: settings.trusted_proxies().map_err(StartupError::Config)?,
        metrics_networks: settings.metrics_networks().map_err(StartupError::Config)?,
        login_limits: LoginLimits::new(
            settings.login_rate_per_minute,
            settings.login_rate_per_address,
        ),
        password_gate: crate::auth::password::PasswordGate::for_cores(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        ),
        routes: KnownRoutes::from_doc(&doc),
        cache: crate::api::cache::ResponseCache::new(
            std::time::Duration::from_millis(settings.cache_sync_ms),
            settings.cache_budget(),
        ),
        read_model: crate::api::content::read_model::ReadModel::new(articles),
        content_keys: crate::auth::content_keys::ContentKeys::new(
            settings.content_key_rate,
            std::time::Duration::from_millis(settings.cache_sync_ms),
        ),
        clock: crate::clock::Clock::system(),
        db,
        settings,
    });
    crate::scheduler::spawn(&state);
    crate::webhooks::spawn(&state);
    if let Some(channel) = state.db.notify_channel() {
        crate::db::notify::spawn_listener(
            state.settings.database_url.clone(),
            channel.to_owned(),
            &state,
        );
    }
    Ok(state)
}

/// CORS for browser frontends and admin tools: the configured origins, the API's methods and the
/// headers its caching and concurrency rely on.
fn cors(origins: &str, extra_headers: &str) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(3600);
    let extra: Vec<&str> = extra_headers
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    if extra.contains(&"*") {
        cors = cors.allow_any_header();
    } else {
        // Names were checked by `Settings::validate`; an invalid one is skipped.
        let names = extra
            .iter()
            .filter_map(|h| header::HeaderName::from_bytes(h.as_bytes()).ok());
        cors = cors.allowed_headers(names);
    }
    if origins.trim() == "*" {
        cors = cors.allow_any_origin().send_wildcard();
    } else {
        for origin in origins.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            cors = cors.allowed_origin(origin);
        }
    }
    cors
}

/// Starts the HTTP server on `listener`. The returned future runs until a shutdown signal, then
/// stops gracefully (in-flight requests finish).
pub fn run(listener: TcpListener, state: Arc<AppState>) -> Result<Server, StartupError> {
    let data = web::Data::from(state.clone());
    // Installed before the first request, so that nothing is counted into the void.
    crate::telemetry::metrics::handle();
    let doc = crate::openapi::document();
    let workers = state.settings.worker_count();
    // Each worker runs its queries on its own blocking threads. Together they match the pool:
    // fewer would leave connections idle, more would only queue on the pool's lock.
    let pool = usize::try_from(state.settings.pool_connections()).unwrap_or(usize::MAX);
    let blocking = pool.div_ceil(workers).max(2);
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .into_utoipa_app()
            .configure(crate::api::routes)
            .split_for_parts();
        app.app_data(data.clone())
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .url("/openapi.json", doc.clone())
                    .config(Config::default().validator_url("none")),
            )
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header((header::LOCATION, "/docs/"))
                        .finish()
                }),
            )
            .default_service(web::to(not_found_or_method))
            .wrap(actix_web::middleware::from_fn(docs_caching))
            .wrap(actix_web::middleware::from_fn(crate::api::cache::layer))
            // Compresses what the cache layer has not (admin, errors, docs): see api::encoding.
            .wrap(actix_web::middleware::Compress::default())
            .wrap(actix_web::middleware::from_fn(
                crate::api::fallback::reject_unknown_query,
            ))
            // Before the cache and the query check: a key is checked, then taken out of the URL.
            .wrap(actix_web::middleware::from_fn(
                crate::auth::content_keys::layer,
            ))
            .wrap(actix_web::middleware::from_fn(
                crate::api::fallback::head_as_get,
            ))
            .wrap(cors(
                &data.settings.cors_origins,
                &data.settings.cors_allow_headers,
            ))
            .wrap(NormalizePath::new(TrailingSlash::MergeOnly))
            .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
            .wrap(actix_web::middleware::from_fn(crate::audit::layer))
            .wrap(actix_web::middleware::from_fn(crate::telemetry::access_log))
    })
    .workers(workers)
    .worker_max_blocking_threads(blocking)
    .shutdown_timeout(10)
    .listen(listener)
    .map_err(|e| StartupError::Bind(addr, e))?
    .run();
    Ok(server)
}
