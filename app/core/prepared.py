"""A hot, fixed Core statement compiled once per database and run as plain SQL.

For a statement that a poll runs on every request, SQLAlchemy's per-execution work (looking up
the compiled form, building the parameters, expanding each ``IN`` list of constants) costs more
than the database does. ``Prepared`` does that work once, on first use with a database: it
compiles the statement, expands its ``IN`` lists, and keeps the SQL text, the order of its
parameters and the type conversions of the parameters given per call and of the result columns.
A call then converts its few parameters, sends the text through ``exec_driver_sql`` (same
connection, transaction and statement events as any other statement) and converts the rows.

Only for statements whose constants never change and whose per-call parameters are scalars (no
``IN`` list given per call).
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Connection


class Prepared:
    def __init__(self, build: Callable[[], Select]):
        self._build = build
        self._by_dialect: dict[str, tuple] = {}
        self._columns: list[str] | None = None

    def index(self, column: str) -> int:
        """Where the result column named ``column`` is in each row."""
        if self._columns is None:
            self._columns = [c.key for c in self._build().selected_columns]
        return self._columns.index(column)

    def _for(self, connection: Connection, params: dict[str, Any]) -> tuple:
        dialect = connection.dialect
        ready = self._by_dialect.get(dialect.name)
        if ready is None:
            statement = self._build()
            compiled = statement.compile(dialect=dialect)
            expanded = compiled.construct_expanded_state(params)
            binds = {}
            for name in params:
                impl = compiled.binds[name].type.dialect_impl(dialect)
                binds[name] = impl.bind_processor(dialect)
            processors = (
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in statement.selected_columns
            )
            # Only the columns that need converting, by position (most need nothing).
            results = [(i, process) for i, process in enumerate(processors) if process]
            ready = (expanded.statement, expanded.positiontup, dict(expanded.parameters), binds)
            ready += (results,)
            self._by_dialect[dialect.name] = ready
        return ready

    def rows(self, connection: Connection, params: dict[str, Any]) -> list[tuple]:
        sql, order, constants, binds, results = self._for(connection, params)
        values = dict(constants)
        for name, value in params.items():
            process = binds[name]
            values[name] = process(value) if process else value
        sent = tuple(values[name] for name in order) if order else values
        raw = connection.exec_driver_sql(sql, sent).fetchall()
        if not results:
            return [tuple(row) for row in raw]
        converted = []
        for row in raw:
            values = list(row)
            for i, process in results:
                values[i] = process(values[i])
            converted.append(tuple(values))
        return converted
