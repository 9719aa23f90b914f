//! `column IN (ids)` as one bind, so that the statement is prepared once per connection.
//!
//! diesel's `eq_any` writes one placeholder per value and marks the statement as not cacheable,
//! so every listing page paid for parsing and planning its SQL again. [`in_ids`] passes the ids
//! as one text parameter instead — a JSON array read with `json_each` on SQLite, an array
//! literal cast to `bigint[]` on PostgreSQL — and the SQL is the same whatever their number.

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel::sqlite::Sqlite;

use super::MultiBackend;

/// `column IN (ids)`; see the module documentation.
#[derive(Debug, Clone)]
pub struct InIds<C> {
    column: C,
    /// `[1,2,3]` for SQLite's `json_each`.
    json: String,
    /// `{1,2,3}` for PostgreSQL's array input.
    array: String,
}

/// `column IN (ids)`, prepared once whatever the number of ids.
pub fn in_ids<C>(column: C, ids: &[i64]) -> InIds<C> {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    InIds {
        column,
        json: format!("[{list}]"),
        array: format!("{{{list}}}"),
    }
}

impl<C: Expression<SqlType = BigInt>> Expression for InIds<C> {
    type SqlType = Bool;
}

impl<C, QS> AppearsOnTable<QS> for InIds<C>
where
    C: AppearsOnTable<QS>,
    Self: Expression,
{
}

impl<C, QS> SelectableExpression<QS> for InIds<C>
where
    C: SelectableExpression<QS>,
    Self: AppearsOnTable<QS>,
{
}

impl<C: ValidGrouping<GB>, GB> ValidGrouping<GB> for InIds<C> {
    type IsAggregate = C::IsAggregate;
}

// The SQL does not depend on the ids, so the statement cache may key it by type.
impl<C: QueryId> QueryId for InIds<C> {
    type QueryId = InIds<C::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
}

impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for InIds<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, _>(&self.json)?;
        out.push_sql("))");
        Ok(())
    }
}

impl<C: QueryFragment<Pg>> QueryFragment<Pg> for InIds<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" = ANY(CAST(");
        out.push_bind_param::<Text, _>(&self.array)?;
        out.push_sql(" AS BIGINT[]))");
        Ok(())
    }
}

impl<C> QueryFragment<MultiBackend> for InIds<C>
where
    Self: QueryFragment<Pg> + QueryFragment<Sqlite>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        MultiBackend::walk_variant_ast(self, pass)
    }
}
