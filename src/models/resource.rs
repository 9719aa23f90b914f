//! The queries authors, topics and lists share. Each is a row with a unique `slug`, an
//! optimistic-concurrency `version`, `created_at`/`updated_at`, and a text column it is listed
//! by. The queries are the same but for the table, so one macro writes them into each
//! resource's module: a generic function over diesel's table types would be harder to read than
//! the queries themselves.

/// Defines, in the calling module:
/// - `insert(conn, &fields)`: a new row at version 1;
/// - `update(conn, id, expected, &fields)`: writes `fields` and bumps the version if the row
///   is still at `expected` (409 `version_conflict` otherwise);
/// - `find(conn, id)` and `find_by_slug(conn, slug)`: the row, if there is one;
/// - `missing(conn, &ids)`: which of `ids` do not exist (for references in request bodies);
/// - `list(conn, cursor, limit)`: a keyset page ordered by `by`, then id.
///
/// `row` is the `Selectable` row (with a `by` field), `fields` the `Insertable + AsChangeset`
/// editable columns, `noun` how errors name the resource, `entity` its name in the change log
/// (every insert and update appends a change), and `on_write` a function run in the
/// transaction of every insert and update (authors and topics tell readers' copies).
macro_rules! versioned_resource {
    (table: $table:ident, row: $Row:ident, fields: $Fields:ident, noun: $noun:literal, entity: $entity:expr, by: $by:ident, on_write: $on_write:path) => {
        pub fn insert(
            conn: &mut $crate::db::AnyConnection,
            fields: &$Fields,
        ) -> Result<$Row, $crate::models::ModelError> {
            let now = $crate::models::now();
            let id: i64 = diesel::insert_into($table::table)
                .values((
                    fields,
                    $table::version.eq(1),
                    $table::created_at.eq(now),
                    $table::updated_at.eq(now),
                ))
                .returning($table::id)
                .get_result(conn)?;
            $on_write(conn)?;
            let row = $crate::models::OrMissing::or_missing(find(conn, id)?, $noun)?;
            $crate::models::changes::record(
                conn,
                $crate::models::changes::entry(
                    $entity,
                    id,
                    $crate::models::changes::Kind::Created,
                    &row.slug,
                ),
            )?;
            Ok(row)
        }

        pub fn update(
            conn: &mut $crate::db::AnyConnection,
            id: i64,
            expected: i64,
            fields: &$Fields,
        ) -> Result<$Row, $crate::models::ModelError> {
            let current = $table::id.eq(id).and($table::version.eq(expected));
            // The slug before, for readers to purge the page it leaves.
            let before: Option<String> = $table::table
                .find(id)
                .select($table::slug)
                .first(conn)
                .optional()?;
            let n = diesel::update($table::table.filter(current))
                .set((
                    fields,
                    $table::version.eq(expected + 1),
                    $table::updated_at.eq($crate::models::now()),
                ))
                .execute(conn)?;
            if n == 0 {
                return Err($crate::models::stale($noun));
            }
            $on_write(conn)?;
            let row = $crate::models::OrMissing::or_missing(find(conn, id)?, $noun)?;
            $crate::models::changes::record(
                conn,
                $crate::models::changes::Entry {
                    previous_slug: before.as_deref().filter(|b| *b != row.slug),
                    ..$crate::models::changes::entry(
                        $entity,
                        id,
                        $crate::models::changes::Kind::Updated,
                        &row.slug,
                    )
                },
            )?;
            Ok(row)
        }

        pub fn find(
            conn: &mut $crate::db::AnyConnection,
            id: i64,
        ) -> Result<Option<$Row>, $crate::models::ModelError> {
            $table::table
                .find(id)
                .select($Row::as_select())
                .first(conn)
                .optional()
                .map_err(Into::into)
        }

        pub fn find_by_slug(
            conn: &mut $crate::db::AnyConnection,
            slug: &str,
        ) -> Result<Option<$Row>, $crate::models::ModelError> {
            $table::table
                .filter($table::slug.eq(slug))
                .select($Row::as_select())
                .first(conn)
                .optional()
                .map_err(Into::into)
        }

        pub fn missing(
            conn: &mut $crate::db::AnyConnection,
            ids: &[i64],
        ) -> Result<Vec<i64>, $crate::models::ModelError> {
            let found: Vec<i64> = $table::table
                .filter($table::id.eq_any(ids))
                .select($table::id)
                .load(conn)?;
            Ok(ids
                .iter()
                .copied()
                .filter(|id| !found.contains(id))
                .collect())
        }

        pub fn list(
            conn: &mut $crate::db::AnyConnection,
            cursor: Option<&$crate::pagination::Cursor>,
            limit: i64,
        ) -> Result<$crate::pagination::Page<$Row>, $crate::models::ModelError> {
            use $crate::pagination::{Cursor, Key, Page};
            let mut query = $table::table
                .select($Row::as_select())
                .order(($table::$by, $table::id))
                .into_boxed();
            if let Some(Cursor {
                key: Key::Text(after),
                id,
            }) = cursor
            {
                query = query.filter(
                    $table::$by
                        .gt(after.clone())
                        .or($table::$by.eq(after.clone()).and($table::id.gt(*id))),
                );
            }
            let rows = query.limit(limit + 1).load(conn)?;
            Ok(Page::from_rows(rows, limit, |row: &$Row| Cursor {
                key: Key::Text(row.$by.clone()),
                id: row.id,
            }))
        }
    };
}

pub(crate) use versioned_resource;
