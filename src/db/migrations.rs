//! Embedded migrations: `migrations/sqlite` and `migrations/postgres` hold paired directories with
//! identical names, compiled into the binary and applied at start-up.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::AnyConnection;

pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

pub type MigrationError = Box<dyn std::error::Error + Send + Sync>;

/// Applies every pending migration; returns the names of those applied.
pub fn run_pending(conn: &mut AnyConnection) -> Result<Vec<String>, MigrationError> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE)?,
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES)?,
    };
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Reverts every applied migration, newest first (used by the reversibility test).
pub fn revert_all(conn: &mut AnyConnection) -> Result<Vec<String>, MigrationError> {
    let reverted = match conn {
        AnyConnection::Sqlite(c) => c.revert_all_migrations(SQLITE)?,
        AnyConnection::Postgresql(c) => c.revert_all_migrations(POSTGRES)?,
    };
    Ok(reverted.iter().map(ToString::to_string).collect())
}
