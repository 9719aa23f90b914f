//! What a migrated database really holds (tables, columns, types, nullability, indexes), read
//! from each backend's catalog, and what `src/db/schema.rs` declares: the schema tests compare
//! them.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use headline::db::AnyConnection;

/// A column: its type family (`int`, `text`, `bool`, `timestamp`) and whether it may be null.
pub type Column = (String, bool);
/// Tables by name, their columns by name; indexes by name with their table and definition.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Catalog {
    pub tables: BTreeMap<String, BTreeMap<String, Column>>,
    pub indexes: BTreeMap<String, String>,
}

/// Diesel's own bookkeeping is not the application's schema.
const DIESEL_TABLE: &str = "__diesel_schema_migrations";

fn family(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    let family = if t.contains("int") || t == "bigserial" {
        "int"
    } else if t.contains("char") || t.contains("text") {
        "text"
    } else if t.contains("bool") {
        "bool"
    } else if t.contains("timestamp") {
        "timestamp"
    } else {
        t.as_str()
    };
    family.to_owned()
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Integer)]
    nullable: i32,
}

#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    definition: String,
}

/// The catalog of the database `conn` is connected to (its current schema on PostgreSQL).
pub fn read(conn: &mut AnyConnection) -> Catalog {
    let (columns, indexes): (Vec<ColumnRow>, Vec<IndexRow>) = match conn {
        AnyConnection::Sqlite(c) => (
            diesel::sql_query(
                "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
                 CASE WHEN p.\"notnull\" = 1 OR p.pk > 0 THEN 0 ELSE 1 END AS nullable \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
            )
            .load(c)
            .expect("columns"),
            diesel::sql_query(
                "SELECT name, tbl_name || ': ' || COALESCE(sql, 'automatic') AS definition \
                 FROM sqlite_master WHERE type = 'index'",
            )
            .load(c)
            .expect("indexes"),
        ),
        AnyConnection::Postgresql(c) => (
            diesel::sql_query(
                "SELECT table_name::text, column_name::text, data_type::text, \
                 CASE WHEN is_nullable = 'YES' THEN 1 ELSE 0 END AS nullable \
                 FROM information_schema.columns WHERE table_schema = current_schema()",
            )
            .load(c)
            .expect("columns"),
            diesel::sql_query(
                "SELECT indexname::text AS name, tablename || ': ' || indexdef AS definition \
                 FROM pg_indexes WHERE schemaname = current_schema()",
            )
            .load(c)
            .expect("indexes"),
        ),
    };
    let mut catalog = Catalog::default();
    for c in columns {
        if c.table_name == DIESEL_TABLE {
            continue;
        }
        catalog
            .tables
            .entry(c.table_name)
            .or_default()
            .insert(c.column_name, (family(&c.data_type), c.nullable == 1));
    }
    for i in indexes {
        if !i.definition.starts_with(DIESEL_TABLE) {
            catalog.indexes.insert(i.name, i.definition);
        }
    }
    catalog
}

/// The tables `src/db/schema.rs` declares, read from its `diesel::table!` blocks.
pub fn declared() -> BTreeMap<String, BTreeMap<String, Column>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/db/schema.rs");
    let text = std::fs::read_to_string(path).expect("schema.rs");
    let mut tables = BTreeMap::new();
    let mut current: Option<(String, BTreeMap<String, Column>)> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with("//") {
            continue;
        }
        match &mut current {
            None => {
                // `name (key) {` opens a table inside `diesel::table! {`.
                if let Some((name, _)) = line.split_once(" (")
                    && line.ends_with('{')
                    && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                {
                    current = Some((name.to_owned(), BTreeMap::new()));
                }
            }
            Some((name, columns)) => {
                if line == "}" {
                    tables.insert(std::mem::take(name), std::mem::take(columns));
                    current = None;
                } else if let Some((column, ty)) = line.split_once(" -> ") {
                    let ty = ty.trim_end_matches(',');
                    let (ty, nullable) = match ty.strip_prefix("Nullable<") {
                        Some(inner) => (inner.trim_end_matches('>'), true),
                        None => (ty, false),
                    };
                    columns.insert(column.to_owned(), (family(ty), nullable));
                }
            }
        }
    }
    tables
}
