//! The `headline` command: `serve` (default), `migrate`, `seed`, `user create`, `openapi`.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use headline::auth::Role;
use headline::config::{DatabaseArgs, Settings};
use headline::startup;

// glibc's malloc took 7-8 % of a search's or a cache miss's CPU (arena locks, consolidating
// freed blocks); with mimalloc's thread-local heaps an uncached article costs ~15 % less CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "headline",
    version,
    about = "Headline: a headless CMS JSON API for newsrooms",
    // `headline [settings]` serves; a subcommand takes only its own flags, so that its help
    // lists what it uses rather than every server setting.
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve(Box<Settings>),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Load the demo newsroom (skipped when it is already there), or a synthetic one.
    Seed {
        #[command(flatten)]
        db: DatabaseArgs,
        /// Generate a large synthetic newsroom instead of the demo (for benchmarks; needs a
        /// build with `--features synthetic`).
        #[arg(long)]
        synthetic: bool,
        /// Articles to generate with --synthetic.
        #[arg(long, default_value_t = 10_000, requires = "synthetic")]
        articles: u64,
        /// Random seed of --synthetic: the same seed gives the same newsroom.
        #[arg(long, default_value_t = 42, requires = "synthetic")]
        seed: u64,
    },
    /// Manage staff users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage the search index.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// Print the OpenAPI document (as committed in openapi/openapi.json).
    Openapi,
}

#[derive(Debug, Subcommand)]
enum SearchCommand {
    /// Rebuild the search index from the database (stop the server that uses it first).
    Rebuild {
        #[command(flatten)]
        db: DatabaseArgs,
        /// The index directory (default: as the server picks it for this database).
        #[arg(long, env = "HEADLINE_SEARCH_DIR")]
        search_dir: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a staff user. The password is read from HEADLINE_NEW_PASSWORD or prompted without
    /// echo.
    Create {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        email: String,
        /// The staff role.
        #[arg(long, value_parser = role_parser(), default_value = "admin")]
        role: Role,
        #[arg(long)]
        author_id: Option<i64>,
        #[arg(long, env = "HEADLINE_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Set a staff user's password and end their logins. The password is read from
    /// HEADLINE_NEW_PASSWORD or prompted without echo.
    SetPassword {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        email: String,
        #[arg(long, env = "HEADLINE_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

/// `given`, or a password read without echo from the terminal (or a line of stdin when it is
/// not a terminal, for scripts).
fn password_or_prompt(given: Option<String>, email: &str) -> std::io::Result<String> {
    use std::io::IsTerminal;
    if let Some(password) = given {
        return Ok(password);
    }
    let prompt = format!("password for {email}: ");
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt);
    }
    eprint!("{prompt}");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// `seed --synthetic`: the benchmark's generator, built only with the `synthetic` feature.
#[cfg(feature = "synthetic")]
fn seed_synthetic(
    db: DatabaseArgs,
    articles: u64,
    seed: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let db = startup::open_database(&Settings::for_database(db.database_url))?;
    let report =
        headline::synthetic::generate(&db, headline::synthetic::Plan::new(articles, seed))?;
    println!(
        "generated {} articles in {:.1} s ({:.0} articles/s)",
        report.articles,
        report.seconds,
        report.rate()
    );
    Ok(())
}

#[cfg(not(feature = "synthetic"))]
fn seed_synthetic(
    _db: DatabaseArgs,
    _articles: u64,
    _seed: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    // Said before the database is opened: a build without the generator touches nothing.
    Err(
        "this binary has no synthetic generator: build it with `cargo build --release \
         --features synthetic` (bench/run.sh does)"
            .into(),
    )
}

/// The roles `--role` accepts, listed in `--help` and in the error for another value.
fn role_parser() -> impl clap::builder::TypedValueParser<Value = Role> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(["admin", "editor", "author", "contributor"])
        .try_map(|s| Role::parse(&s).ok_or_else(|| format!("unknown role {s}")))
}

fn main() -> ExitCode {
    // A .env file is for development; a missing one is fine.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let log_format = match &cli.command {
        Some(Command::Serve(settings)) => settings.log_format,
        _ => cli.settings.log_format,
    };
    headline::telemetry::init(log_format);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let settings = cli.settings;
    let database =
        |db: DatabaseArgs| startup::open_database(&Settings::for_database(db.database_url));
    match cli.command {
        None => serve(settings),
        Some(Command::Serve(settings)) => serve(*settings),
        Some(Command::Migrate(db)) => {
            database(db)?;
            println!("migrations applied");
            Ok(())
        }
        Some(Command::Seed {
            db,
            synthetic: true,
            articles,
            seed,
        }) => seed_synthetic(db, articles, seed),
        Some(Command::Search {
            command: SearchCommand::Rebuild { db, search_dir },
        }) => {
            let mut settings = Settings::for_database(db.database_url);
            settings.search_dir = search_dir;
            let location = settings.search_location();
            let db = startup::open_database(&settings)?;
            let index = headline::search::SearchIndex::open(&location)?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} articles {per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let started = std::time::Instant::now();
            let head = index.rebuild(&db, &|done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })?;
            bar.finish_and_clear();
            let articles = u32::try_from(bar.length().unwrap_or(0)).unwrap_or(u32::MAX);
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "indexed {articles} articles in {seconds:.1} s ({:.0} articles/s) into {}, \
                 current to change {head}",
                f64::from(articles) / seconds.max(1e-9),
                location.describe()
            );
            Ok(())
        }
        Some(Command::Seed { db, .. }) => {
            let db = database(db)?;
            if headline::seed::load_demo(&db)? {
                println!("loaded the demo newsroom");
            } else {
                println!("the demo newsroom is already there");
            }
            Ok(())
        }
        Some(Command::User {
            command:
                UserCommand::Create {
                    db,
                    email,
                    role,
                    author_id,
                    password,
                },
        }) => {
            let password = password_or_prompt(password, &email)?;
            let db = database(db)?;
            let user = db.write_blocking(|conn| {
                headline::auth::create_user(conn, &email, &password, role, author_id)
            })?;
            println!(
                "created user {} ({}) with role {}",
                user.id, user.email, user.role
            );
            Ok(())
        }
        Some(Command::User {
            command:
                UserCommand::SetPassword {
                    db,
                    email,
                    password,
                },
        }) => {
            let password = password_or_prompt(password, &email)?;
            let db = database(db)?;
            let user =
                db.write_blocking(|conn| headline::auth::set_password(conn, &email, &password))?;
            println!("set the password of {} and ended its logins", user.email);
            Ok(())
        }
        Some(Command::Openapi) => {
            use std::io::Write;
            // `headline openapi | head` closes the pipe early: that is not an error.
            match std::io::stdout()
                .lock()
                .write_all(headline::openapi::document_json().as_bytes())
            {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => Ok(other?),
            }
        }
    }
}

#[actix_web::main]
async fn serve(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    let bind = settings.bind.clone();
    // Listen first: a busy port must fail before start-up creates the demo admin and prints
    // its one-time password, which would otherwise be lost with the process.
    let listener = TcpListener::bind(&bind).map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let state = startup::prepare(settings)?;
    tracing::info!(
        workers = state.settings.worker_count(),
        pool = state.settings.pool_connections(),
        cache_mb = state.settings.cache_budget() >> 20,
        "Headline on http://{} ({} database) — Swagger UI at /docs",
        listener.local_addr()?,
        state.db.backend().name()
    );
    startup::run(listener, state)?.await?;
    tracing::info!("stopped");
    Ok(())
}
