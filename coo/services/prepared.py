"""Queries built once per shape and run with parameters (the hot list pages and the login check).

Peewee builds a query's SQL by walking its expression tree on every execution; for the 证书打印
fragment that walk cost more than the database (a third of the request, the SQL itself a
fiftieth). Here a query is written once with named placeholders (`Param("exporter")`) in place of
the values, rendered to SQL text once per *shape* (which filters are set, agent view or not,
the database's dialect), and each request only fills the values in:

    _prepared = ShapeCache()
    query = _prepared.get(shape_key, lambda: Certificate.select(...).where(
        (Certificate.exporter == Param("exporter")) & (Certificate.approved_at >= Param("since"))))
    rows = query.rows(exporter=7, since=since)     # or .tuples(), .scalar(), .instances(...)

Each placeholder remembers the converter peewee would have applied where it stands (e.g. an
enum column's `db_value`), so a filled value reaches the database exactly as peewee would have
sent it. A request's values are always parameters, never spliced into the text.

The query's own constants (an enum value, `LIMIT 1`) are part of its shape. On SQLite, plain
text and integer constants are written into the SQL text as literals (`_inline_constants`):
SQLite compiles a statement again on every execution when a bound value is compared with a
partial index's condition (`status = ?` against `authorisation_one_pending`'s
`WHERE status = 'pending'`), which cost the login check 75 µs on every request. psycopg2
writes every value into the text on the client anyway.
"""
import datetime
import logging

from peewee import __exception_wrapper__  # peewee's mapping of driver errors to its own
from peewee import (
    AutoField, BigAutoField, BigIntegerField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField,
    Node, SqliteDatabase, TextField,
)

from coo.models import database

_SHAPES_MAX = 512
_layouts: dict = {}
_log = logging.getLogger("peewee")      # where peewee logs each statement at DEBUG


class Param(Node):
    """A named value of a prepared query, filled in at each execution."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def __sql__(self, ctx):
        ctx._values.append(_Slot(self.name, ctx.state.converter))
        return ctx.literal(ctx.state.param or "?")

    def __bool__(self):       # a placeholder stands for a value that is set
        return True


class _Slot:
    __slots__ = ("name", "converter")

    def __init__(self, name, converter):
        self.name = name
        self.converter = converter


class Prepared:
    """A peewee query rendered to SQL once; `rows`, `tuples`, `scalar`, `instances` and `objects`
    run it with this request's values (every Param by name)."""

    def __init__(self, query):
        self.query = query
        self._as_tuples = query.tuples()
        self.sql, params = database.get_sql_context().parse(query)
        if isinstance(database.obj, SqliteDatabase):
            self.sql, params = _inline_constants(self.sql, params)
        self.params = tuple(params)
        self.names = {p.name for p in self.params if isinstance(p, _Slot)}
        # Filled per execution: the constants as they are, the slots by position.
        self._constants = [None if isinstance(p, _Slot) else p for p in self.params]
        self._slots = tuple((k, p.name, p.converter) for k, p in enumerate(self.params) if isinstance(p, _Slot))

    def _params(self, values):
        if not self.names <= values.keys():
            raise KeyError(f"prepared query needs {sorted(self.names - values.keys())}")
        out = self._constants.copy()
        for k, name, converter in self._slots:
            value = values[name]
            out[k] = converter(value) if converter and value is not None else value
        return out

    def cursor(self, **values):
        """The driver's cursor, executed: what `database.execute_sql` does (connect when closed,
        driver errors raised as peewee's, the statement logged at DEBUG as peewee logs it, which
        `playhouse.test_utils.count_queries` counts), without its query hooks, which nothing of
        ours uses: this runs on every request."""
        params = self._params(values)
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug((self.sql, params))
        db = database.obj
        with __exception_wrapper__:
            cursor = db.connection().cursor()
            cursor.execute(self.sql, params)
        return cursor

    def rows(self, **values) -> list[tuple]:
        """The rows as the database driver returns them (no conversion: the caller's)."""
        return self.cursor(**values).fetchall()

    def tuples(self, **values) -> list[tuple]:
        """The rows as tuples, converted to Python values as peewee would (enums, dates)."""
        return list(self._as_tuples._get_cursor_wrapper(self.cursor(**values)))

    def scalar(self, **values):
        row = self.cursor(**values).fetchone()
        return row[0] if row else None

    def instances(self, models, **values) -> list[tuple]:
        """For a query that selects whole models (`Card.select(Card, Enterprise, Operator)`):
        each row as one instance per model, its values converted as peewee would, and None for
        a model whose primary key is NULL (an outer join that found nothing); then the row's
        values after the models' columns (a query may select more), as the driver gives them.
        Cheaper than peewee's cursor wrapper, which resolves the columns again on every
        execution."""
        layout = _layouts.get(models)
        if layout is None:
            layout = _layouts[models] = [_Layout(m) for m in models]
        out = []
        for row in self.cursor(**values).fetchall():
            k, found = 0, []
            for part in layout:
                chunk = row[k:k + part.width]
                k += part.width
                if chunk[0] is None:
                    found.append(None)
                    continue
                instance = part.model(__no_default__=1)
                instance.__data__ = part.data(chunk)
                instance._dirty.clear()
                found.append(instance)
            if k < len(row):
                found.extend(row[k:])
            out.append(tuple(found))
        return out

    def objects(self, **values) -> list:
        """The rows as the query's model instances (joined models attached), as peewee would."""
        return list(self.query._get_cursor_wrapper(self.cursor(**values)))


def _sqlite_literal(value) -> str | None:
    """`value` as an SQLite literal, for plain text (without NUL) and integers; None otherwise
    (left a parameter)."""
    if type(value) is int:
        return str(value)
    if type(value) is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


def _inline_constants(sql: str, params: list) -> tuple[str, list]:
    """SQLite SQL with the query's constants (not the `Param` slots) written in as literals,
    and the parameters left. Only when every `?` of the text is a placeholder (as many as
    parameters); otherwise the text is returned as it was."""
    pieces = sql.split("?")
    if len(pieces) != len(params) + 1:
        return sql, params
    out, kept = [pieces[0]], []
    for param, piece in zip(params, pieces[1:]):
        literal = None if isinstance(param, _Slot) else _sqlite_literal(param)
        if literal is None:
            out.append("?")
            kept.append(param)
        else:
            out.append(literal)
        out.append(piece)
    return "".join(out), kept


# Fields whose python_value only coerces to this type: a value the driver already gives in it is
# kept as it is (int(7) is 7, str("a") is "a"), anything else is converted as peewee would.
_COERCED = {AutoField: int, BigAutoField: int, IntegerField: int, BigIntegerField: int, CharField: str,
            TextField: str}


class _Layout:
    """How one model's columns of a row become its instance's data."""
    __slots__ = ("model", "width", "names", "converters")

    def __init__(self, model):
        fields = model._meta.sorted_fields
        self.model, self.width = model, len(fields)
        self.names = tuple(f.name for f in fields)
        # (position, name, converter, the type the value is kept in as it is, or None)
        self.converters = tuple((k, f.name, python_value(f), _COERCED.get(type(_target(f))))
                                for k, f in enumerate(fields))

    def data(self, chunk) -> dict:
        data = dict(zip(self.names, chunk))
        for k, name, convert, kept in self.converters:
            value = chunk[k]
            if value is not None and type(value) is not kept:
                data[name] = convert(value)
        return data


def _target(field):
    """The field whose python_value a field uses (a foreign key: its target's)."""
    return field.rel_field if isinstance(field, ForeignKeyField) else field


def python_value(field):
    """The field's python_value (what peewee makes of a value the database gives), with a fast
    path for the ISO text SQLite gives for dates and times (peewee tries strptime formats one
    after another; fromisoformat reads the same text)."""
    convert = field.python_value
    if isinstance(field, DateTimeField):
        def datetime_value(value):
            if isinstance(value, str):
                try:
                    return datetime.datetime.fromisoformat(value)
                except ValueError:
                    pass
            return convert(value)
        return datetime_value
    if isinstance(field, DateField):
        def date_value(value):
            if isinstance(value, str) and len(value) == 10:
                try:
                    return datetime.date.fromisoformat(value)
                except ValueError:
                    pass
            return convert(value)
        return date_value
    return convert


class ShapeCache:
    """Prepared queries by shape key. The key must name everything the SQL text depends on;
    the dialect is added here (SQLite and PostgreSQL differ in parameter marks)."""

    def __init__(self):
        self._prepared: dict = {}

    def get(self, key, build):
        key = (type(database.obj), key)
        prepared = self._prepared.get(key)
        if prepared is None:
            if len(self._prepared) >= _SHAPES_MAX:
                self._prepared.clear()
            prepared = self._prepared[key] = Prepared(build())
        return prepared
