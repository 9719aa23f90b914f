//! Typed settings, read from environment variables (and a `.env` file in development) or the
//! command line. `.env.example` lists every variable. There are no globals: the settings are
//! built once in `main` (or by a test) and handed to the app.

use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

use actix_web::http::header::HeaderName;
use clap::Args;

/// What the commands that only open the database need (`migrate`, `seed`, `user`): their
/// help lists this, not the server's settings.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: a SQLite file path (optionally `sqlite://path`), or a `postgres://` URL.
    #[arg(long, env = "DATABASE_URL", default_value = "headline.db")]
    pub database_url: String,
}

/// Every setting of a Headline server. Each has an environment variable and a flag.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Database URL: a SQLite file path (optionally `sqlite://path`), or a `postgres://` URL.
    #[arg(long, env = "DATABASE_URL", default_value = "headline.db")]
    pub database_url: String,

    /// Address the HTTP server listens on.
    #[arg(long, env = "HEADLINE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// HMAC secret for access tokens (at least 32 bytes). When unset, a random secret is
    /// generated once and kept in the database.
    #[arg(long, env = "HEADLINE_JWT_SECRET", hide_env_values = true, value_parser = secret)]
    pub jwt_secret: Option<SecretString>,

    /// E-mail of the first admin, created at start-up when no user exists.
    #[arg(long, env = "HEADLINE_ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    /// Password of the first admin (at least 12 characters).
    #[arg(long, env = "HEADLINE_ADMIN_PASSWORD", hide_env_values = true, value_parser = secret)]
    pub admin_password: Option<SecretString>,

    /// Load the demo newsroom into an empty database at start-up.
    #[arg(long, env = "HEADLINE_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo: bool,

    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "HEADLINE_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl: u64,

    /// Lifetime of refresh tokens, in seconds.
    #[arg(long, env = "HEADLINE_REFRESH_TOKEN_TTL", default_value_t = 30 * 24 * 3600)]
    pub refresh_token_ttl: u64,

    /// `max-age` of `Cache-Control` on Content API responses, in seconds.
    #[arg(long, env = "HEADLINE_CACHE_MAX_AGE", default_value_t = 60)]
    pub cache_max_age: u32,

    /// Keep hot Content API responses in memory (invalidated on every content write).
    #[arg(long, env = "HEADLINE_CACHE", default_value_t = true, action = clap::ArgAction::Set)]
    pub cache: bool,

    /// How often the response cache checks the database for other instances' writes, in
    /// milliseconds (0: on every request). An instance sees its own writes at once.
    #[arg(long, env = "HEADLINE_CACHE_SYNC_MS", default_value_t = 500)]
    pub cache_sync_ms: u64,

    /// Memory for cached responses, in MiB (0: a sixteenth of the memory the process may use,
    /// 32 to 256); past it the least asked for go first.
    #[arg(
        long,
        env = "HEADLINE_CACHE_MAX_MB",
        default_value_t = 0,
        value_parser = clap::value_parser!(u32).range(0..=65_536))]
    pub cache_max_mb: u32,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "HEADLINE_BODY_LIMIT", default_value_t = 10 * 1024 * 1024)]
    pub body_limit: usize,

    /// Database connections in the pool (0: twice the CPU cores, at least 4).
    #[arg(long, env = "HEADLINE_POOL_SIZE", default_value_t = 0)]
    pub pool_size: u32,

    /// How long a request waits for a pooled connection before a 503, in milliseconds.
    #[arg(long, env = "HEADLINE_POOL_TIMEOUT_MS", default_value_t = 5000)]
    pub pool_timeout_ms: u64,

    /// HTTP worker threads (0: one per CPU core).
    #[arg(long, env = "HEADLINE_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// Origins allowed to call the API from browsers: `*` (any; safe, since auth is a bearer
    /// token and no cookies are used) or a comma list of origins.
    #[arg(long, env = "HEADLINE_CORS_ORIGINS", default_value = "*")]
    pub cors_origins: String,

    /// Request headers browsers may send besides the API's own (Authorization, Content-Type,
    /// If-Match, If-None-Match): a comma list (`sentry-trace,x-requested-with`) or `*` for any.
    #[arg(long, env = "HEADLINE_CORS_ALLOW_HEADERS", default_value = "")]
    pub cors_allow_headers: String,

    /// Login attempts allowed per account per minute before a 429 (an address that has
    /// logged in to the account is not held to it).
    #[arg(long, env = "HEADLINE_LOGIN_RATE", default_value_t = 10)]
    pub login_rate_per_minute: u32,

    /// Login attempts allowed per client address per minute before a 429.
    #[arg(long, env = "HEADLINE_LOGIN_RATE_PER_ADDRESS", default_value_t = 30)]
    pub login_rate_per_address: u32,

    /// Proxies (CIDRs, comma separated) whose `Forwarded` / `X-Forwarded-For` name the
    /// client. Empty: the TCP peer is the client, whatever those headers say.
    #[arg(long, env = "HEADLINE_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,

    /// Log lines on stderr: `pretty` (colours only on a terminal) or `json` (one object a line).
    #[arg(
        long,
        env = "HEADLINE_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,

    /// A bearer token that lets a scraper outside `HEADLINE_METRICS_NETWORKS` read `/metrics`.
    #[arg(long, env = "HEADLINE_METRICS_TOKEN", hide_env_values = true, value_parser = secret)]
    pub metrics_token: Option<SecretString>,

    /// Networks that may read `/metrics` without the token: a comma list of CIDRs (empty:
    /// none).
    #[arg(
        long,
        env = "HEADLINE_METRICS_NETWORKS",
        default_value = "127.0.0.0/8,::1/128"
    )]
    pub metrics_networks: String,

    /// The search index's directory. Default: beside the SQLite file (`headline.db` →
    /// `headline-search/`), or `headline-search/` in the working directory for PostgreSQL.
    /// Each instance needs its own.
    #[arg(long, env = "HEADLINE_SEARCH_DIR")]
    pub search_dir: Option<std::path::PathBuf>,

    /// How often the scheduler looks for scheduled articles whose time has come, to announce
    /// them to the changes feed and webhooks, in milliseconds.
    #[arg(
        long,
        env = "HEADLINE_SCHEDULER_MS",
        default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub scheduler_ms: u64,

    /// Let webhooks target loopback, private and link-local addresses (which are refused, after
    /// DNS resolution, so that a webhook cannot probe the server's own network). For tests and
    /// for receivers on a private network you trust.
    #[arg(long, env = "HEADLINE_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,

    /// How often the webhook worker looks for new changes and due deliveries, in milliseconds.
    #[arg(
        long,
        env = "HEADLINE_WEBHOOK_POLL_MS",
        default_value_t = 500,
        value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub webhook_poll_ms: u64,

    /// How long a webhook receiver has to answer, connection included, in milliseconds.
    #[arg(
        long,
        env = "HEADLINE_WEBHOOK_TIMEOUT_MS",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(100..=60_000))]
    pub webhook_timeout_ms: u64,

    /// Who may read the Content API: `public` (anyone) or `key` (only with a content API key
    /// that an admin made, as `Authorization: Bearer` or `?key=`).
    #[arg(long, env = "HEADLINE_CONTENT_API", value_enum, default_value_t = ContentApi::Public)]
    pub content_api: ContentApi,

    /// Content API requests a minute per key, unless the key sets its own rate (with `key`).
    #[arg(
        long,
        env = "HEADLINE_CONTENT_KEY_RATE",
        default_value_t = 6000,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub content_key_rate: u32,
}

/// Who may read the Content API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ContentApi {
    /// Anyone: a public website's API.
    Public,
    /// Only callers with a content API key.
    Key,
}

/// Secrets (the JWT secret, the first admin's password, the metrics token) are kept as
/// `SecretString`: `Debug` of the settings, or a log line that prints them, shows
/// `[REDACTED]`, and the memory is zeroed when they are dropped.
fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value))
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

impl Settings {
    /// Defaults for a given database, as a test or an embedding program would want them.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            bind: "127.0.0.1:0".to_owned(),
            jwt_secret: None,
            admin_email: None,
            admin_password: None,
            demo: false,
            access_token_ttl: 900,
            refresh_token_ttl: 30 * 24 * 3600,
            cache_max_age: 60,
            cache: true,
            cache_sync_ms: 0,
            cache_max_mb: 64,

            body_limit: 10 * 1024 * 1024,
            pool_size: 4,
            pool_timeout_ms: 5000,
            workers: 1,
            login_rate_per_minute: 10,
            login_rate_per_address: 30,
            trusted_proxies: String::new(),
            cors_origins: "*".to_owned(),
            cors_allow_headers: String::new(),
            log_format: LogFormat::Pretty,
            metrics_token: None,
            metrics_networks: "127.0.0.0/8,::1/128".to_owned(),
            search_dir: None,
            scheduler_ms: 50,
            webhook_allow_private: false,
            webhook_poll_ms: 50,
            webhook_timeout_ms: 2_000,
            content_api: ContentApi::Public,
            content_key_rate: 6000,
        }
    }

    /// Where the search index lives (see `search_dir`).
    pub fn search_location(&self) -> crate::search::Location {
        use crate::search::Location;
        if let Some(dir) = &self.search_dir {
            return Location::Dir(dir.clone());
        }
        match crate::db::Backend::from_url(&self.database_url) {
            crate::db::Backend::Postgres => Location::Dir("headline-search".into()),
            crate::db::Backend::Sqlite => {
                let file = std::path::Path::new(crate::db::sqlite_path(&self.database_url));
                let name = file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                if name.is_empty() || name.starts_with(":memory:") || name.contains("mode=memory") {
                    return Location::Memory;
                }
                let stem = file
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("headline");
                Location::Dir(file.with_file_name(format!("{stem}-search")))
            }
        }
    }

    /// The networks of `HEADLINE_TRUSTED_PROXIES`.
    pub fn trusted_proxies(&self) -> Result<Vec<ipnet::IpNet>, String> {
        cidrs("HEADLINE_TRUSTED_PROXIES", &self.trusted_proxies)
    }

    /// The networks of `HEADLINE_METRICS_NETWORKS`.
    pub fn metrics_networks(&self) -> Result<Vec<ipnet::IpNet>, String> {
        cidrs("HEADLINE_METRICS_NETWORKS", &self.metrics_networks)
    }

    /// Checks what can be checked without the database, so that a refused start touches
    /// nothing (it used to create and migrate the database first).
    pub fn validate(&self) -> Result<(), String> {
        if self
            .jwt_secret
            .as_ref()
            .is_some_and(|s| s.expose_secret().len() < 32)
        {
            return Err("HEADLINE_JWT_SECRET must be at least 32 bytes".to_owned());
        }
        self.metrics_networks()?;
        self.trusted_proxies()?;
        if self
            .metrics_token
            .as_ref()
            .is_some_and(|t| t.expose_secret().len() < 16)
        {
            return Err("HEADLINE_METRICS_TOKEN must be at least 16 characters".to_owned());
        }
        if let Some(bad) =
            self.cors_allow_headers.split(',').map(str::trim).find(|h| {
                !h.is_empty() && *h != "*" && HeaderName::from_bytes(h.as_bytes()).is_err()
            })
        {
            return Err(format!(
                "HEADLINE_CORS_ALLOW_HEADERS: `{bad}` is not a header name"
            ));
        }
        if self.admin_email.is_some() != self.admin_password.is_some() {
            return Err(
                "set both HEADLINE_ADMIN_EMAIL and HEADLINE_ADMIN_PASSWORD, or neither".to_owned(),
            );
        }
        Ok(())
    }

    /// The response cache's budget in bytes: `cache_max_mb`, or sized from the memory this
    /// process may use (see [`cache_budget_for`]).
    pub fn cache_budget(&self) -> usize {
        let mb = match self.cache_max_mb {
            0 => cache_budget_for(memory_limit()),
            n => n,
        };
        usize::try_from(mb)
            .unwrap_or(usize::MAX)
            .saturating_mul(1024 * 1024)
    }

    /// HTTP workers: `workers`, or one per CPU core.
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => cores(),
            n => n,
        }
    }

    /// Pooled connections: `pool_size`, or twice the cores (at least 4). Each request holds one
    /// only while its queries run, on a blocking thread; twice the cores keeps every core busy
    /// while some requests wait on the disk or on PostgreSQL.
    pub fn pool_connections(&self) -> u32 {
        match self.pool_size {
            0 => u32::try_from(cores() * 2).unwrap_or(u32::MAX).max(4),
            n => n,
        }
    }

    pub fn pool_timeout(&self) -> Duration {
        Duration::from_millis(self.pool_timeout_ms)
    }
}

/// The CPU cores this process may use.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The default cache budget in MiB for a process that may use `memory` bytes: a sixteenth of
/// it, at least 32 and at most 256 (64 when it is not known). On a news site most reads are of
/// a long tail of article pages (~4 KB each, packed): 64 MiB held about 14,000 responses and
/// the benchmark's mix at 100k missed one request in five; 256 MiB holds all of its 34,548
/// URLs (162 MiB). A sixteenth leaves a small container (512 MiB: 32 MiB) room for the rest of
/// the process.
pub fn cache_budget_for(memory: Option<u64>) -> u32 {
    let Some(bytes) = memory else { return 64 };
    let mb = bytes / 16 / (1024 * 1024);
    u32::try_from(mb.clamp(32, 256)).unwrap_or(256)
}

/// The memory this process may use, in bytes: its cgroup's limit (a container's), else the
/// machine's; `None` where neither can be read (not Linux).
fn memory_limit() -> Option<u64> {
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| mem_total(&m));
    match (cgroup_limit(), total) {
        (Some(limit), Some(total)) => Some(limit.min(total)),
        (limit, total) => limit.or(total),
    }
}

/// The memory limit of this process's cgroup, v2 or v1, in bytes. `None` without one: no
/// cgroup file, or v2's "max" (v1 writes a huge number instead, which `MemTotal` then bounds).
fn cgroup_limit() -> Option<u64> {
    let groups = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    limit_files(&groups)
        .into_iter()
        .find_map(|path| std::fs::read_to_string(path).ok())?
        .trim()
        .parse()
        .ok()
}

/// The files that may hold the memory limit of the cgroups `groups` (`/proc/self/cgroup`)
/// names, in the order to try them: the group's own (v2, then v1), then the roots, as which a
/// container's group is mounted.
fn limit_files(groups: &str) -> Vec<String> {
    // Lines are "0::/path" (v2) or "4:memory:/path" (v1).
    let own = groups.lines().filter_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let path = path.trim_end_matches('/');
        match controllers {
            "" => Some(format!("/sys/fs/cgroup{path}/memory.max")),
            c if c.split(',').any(|c| c == "memory") => {
                Some(format!("/sys/fs/cgroup/memory{path}/memory.limit_in_bytes"))
            }
            _ => None,
        }
    });
    let roots = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ];
    own.chain(roots.map(String::from)).collect()
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

/// A comma list of CIDR networks (a bare address is its own /32 or /128).
fn cidrs(setting: &str, list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            n.parse::<ipnet::IpNet>()
                .or_else(|_| n.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|e| format!("{setting}: `{n}` is not a CIDR network or an address ({e})"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_takes_a_sixteenth_of_memory_within_bounds() {
        let gib = 1024 * 1024 * 1024;
        assert_eq!(cache_budget_for(None), 64);
        assert_eq!(cache_budget_for(Some(gib / 2)), 32);
        assert_eq!(cache_budget_for(Some(2 * gib)), 128);
        assert_eq!(cache_budget_for(Some(24 * gib)), 256);
        assert_eq!(cache_budget_for(Some(u64::MAX)), 256);
        let meminfo = "MemTotal:       24522904 kB\nMemFree:         1000 kB\n";
        assert_eq!(mem_total(meminfo), Some(24_522_904 * 1024));
        assert_eq!(mem_total("MemFree: 1 kB"), None);
        // A v2 service's group, and a v1 hierarchy's memory controller among others.
        let v2 = limit_files("0::/system.slice/headline.service\n");
        assert_eq!(
            v2.first().map(String::as_str),
            Some("/sys/fs/cgroup/system.slice/headline.service/memory.max")
        );
        let v1 = limit_files("5:cpu,cpuacct:/x\n4:memory:/docker/abc\n0::/\n");
        assert_eq!(
            v1.get(..2).map(|files| files.join(" ")).as_deref(),
            Some(concat!(
                "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes ",
                "/sys/fs/cgroup/memory.max"
            ))
        );
        assert_eq!(limit_files("").len(), 2, "the roots are always tried");
        // Set, the setting wins; left at 0, the budget is one of the sized ones.
        let mut settings = Settings::for_database("headline.db");
        settings.cache_max_mb = 3;
        assert_eq!(settings.cache_budget(), 3 << 20);
        settings.cache_max_mb = 0;
        assert!((32 << 20..=256 << 20).contains(&settings.cache_budget()));
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let mut settings = Settings::for_database("headline.db");
        settings.jwt_secret = Some("a-jwt-secret-of-thirty-two-bytes!!".into());
        settings.admin_email = Some("admin@headline.test".to_owned());
        settings.admin_password = Some("the first admin's password".into());
        settings.metrics_token = Some("a-metrics-token-xyz".into());
        let shown = format!("{settings:?}");
        for secret in ["a-jwt-secret", "first admin's", "a-metrics-token"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("REDACTED"));
        assert!(settings.validate().is_ok());
    }
}
