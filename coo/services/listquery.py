"""The 证书查询区 of every certificate list, as a small declarative list of filters.

A page declares its filters (`Field` objects: what argument they read, the label the user sees,
how to parse it, how to narrow a query), and `parse_query(request.args, FIELDS)` turns the
request into a `ListQuery`: the values, what the user typed (to refill the form), the Chinese
error messages, the page and the sort. The 证书打印 list uses `coo.services.certificates.FIELDS`;
证书下载 and 打印异常申请 reuse them and add their own (`Choice("download_status", …)`,
`Text("creator", …, match="contains")`, `DateRange("applied", "异常申请日期", …)`).
"""
import datetime
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import urlencode

from peewee import DateTimeField

from coo.clock import CST
from coo.params import PAGE_ERROR, parse_date, parse_page


@dataclass(frozen=True)
class Field(ABC):
    """One input of a 查询区. Subclasses implement `parse` and `apply`."""
    name: str
    label: str
    widget = "text"                         # how the 查询区 draws it: text / select / daterange

    @property
    def names(self) -> tuple[str, ...]:
        """The request arguments this field reads."""
        return (self.name,)

    @abstractmethod
    def parse(self, args) -> tuple[Any, dict[str, str]]:
        """(value or None when not given, {arg name: error message})."""

    @abstractmethod
    def apply(self, query, value):
        """`query` narrowed to rows matching `value`."""


@dataclass(frozen=True)
class Text(Field):
    """A typed value matched exactly (证书编号, 发票号: index lookups) or as a substring."""
    column: Any = None
    match: str = "exact"                    # exact / contains
    max_length: int = 64
    upper: bool = False

    def parse(self, args):
        value = (args.get(self.name) or "").strip()
        if not value:
            return None, {}
        if len(value) > self.max_length:
            return None, {self.name: f"{self.label}不能超过{self.max_length}个字符。"}
        return (value.upper() if self.upper else value), {}

    def apply(self, query, value):
        if self.match == "contains":
            return query.where(self.column.contains(value))
        return query.where(self.column == value)


@dataclass(frozen=True)
class EnterpriseName(Field):
    """申请人 / 出口商: part of the enterprise's Chinese name (or its customs code)."""
    column: Any = None                      # a ForeignKeyField to Enterprise
    max_length: int = 100

    def parse(self, args):
        value = (args.get(self.name) or "").strip()
        if len(value) > self.max_length:
            return None, {self.name: f"{self.label}不能超过{self.max_length}个字符。"}
        return (value or None), {}

    def apply(self, query, value):
        from coo.models import Enterprise
        matching = Enterprise.select(Enterprise.id).where(
            Enterprise.name_zh.contains(value) | (Enterprise.customs_code == value))
        return query.where(self.column.in_(matching))


@dataclass(frozen=True)
class Choice(Field):
    """A select: an enum (`enum=`) or choices loaded when needed (`choices_of=`). Empty is 全部.
    `radio=True` draws a few choices as radio buttons (下载状态 全部 / 待下载 / 已下载).
    `condition_of(value)` gives the condition when a choice is more than `column == value`."""
    column: Any = None
    enum: Any = None
    choices_of: Callable[[], list[tuple[str, str]]] | None = None
    radio: bool = False
    condition_of: Callable[[Any], Any] | None = None

    @property
    def widget(self):
        return "radio" if self.radio else "select"

    def choices(self) -> list[tuple[str, str]]:
        return self.enum.choices() if self.enum is not None else self.choices_of()

    def parse(self, args):
        value = (args.get(self.name) or "").strip()
        if not value:
            return None, {}
        if value not in {v for v, _ in self.choices()}:
            return None, {self.name: f"{self.label}的取值无效，请从列表中选择。"}
        return (self.enum(value) if self.enum is not None else value), {}

    def apply(self, query, value):
        if self.condition_of is not None:
            return query.where(self.condition_of(value))
        return query.where(self.column == value)


@dataclass(frozen=True)
class DateRange(Field):
    """签发日期 自 … 至 …: arguments `<name>_from` and `<name>_to`, both inclusive, YYYY-MM-DD.
    A DateTimeField column is compared by the local day's bounds in UTC.
    `captions` label the two inputs (a page may spell them out: 签发开始日期 / 签发结束日期, drawn
    without the 签发日期 group); `ends` name them in error messages."""
    widget = "daterange"
    column: Any = None
    captions: tuple[str, str] = ("自", "至")
    ends: tuple[str, str] = ("起始日期", "结束日期")

    @property
    def grouped(self) -> bool:
        """Drawn as one group under its label (自 … 至 …), or as two labelled inputs."""
        return self.captions == ("自", "至")

    @property
    def names(self):
        return (f"{self.name}_from", f"{self.name}_to")

    def parse(self, args):
        errors, bounds = {}, []
        for arg, end in zip(self.names, self.ends):
            text = (args.get(arg) or "").strip()
            if not text:
                bounds.append(None)
                continue
            value, error = parse_date(text)
            if error:
                errors[arg] = f"{self.label}的{end}“{text[:20]}”不是有效日期，{error}"
            bounds.append(value)
        if not errors and bounds[0] and bounds[1] and bounds[0] > bounds[1]:
            errors[self.names[0]] = f"{self.label}的{self.ends[0]}不能晚于{self.ends[1]}。"
        if errors or bounds == [None, None]:
            return None, errors
        return tuple(bounds), {}

    def apply(self, query, value):
        start, end = value
        if isinstance(self.column, DateTimeField):
            def utc(day):
                local = datetime.datetime.combine(day, datetime.time(), CST)
                return local.astimezone(datetime.timezone.utc).replace(tzinfo=None)
            if start:
                query = query.where(self.column >= utc(start))
            if end:
                query = query.where(self.column < utc(end + datetime.timedelta(days=1)))
            return query
        if start:
            query = query.where(self.column >= start)
        if end:
            query = query.where(self.column <= end)
        return query


@dataclass(frozen=True)
class Sort:
    """One way to order the list: `key` in the URL (`-key` for descending)."""
    key: str
    label: str
    columns: tuple            # order_by terms for ascending; reversed for descending


@dataclass
class ListQuery:
    fields: tuple[Field, ...]
    sorts: tuple[Sort, ...]
    raw: dict[str, str] = field(default_factory=dict)     # what the user typed
    values: dict[str, Any] = field(default_factory=dict)  # parsed, by field name
    errors: dict[str, str] = field(default_factory=dict)  # by argument name
    page: int = 1
    sort: str = ""
    default_sort: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    def first_row(self, size: int) -> int:
        """1-based number of this page's first row."""
        return (self.page - 1) * size + 1

    def value(self, name):
        return self.values.get(name)

    def typed(self, arg) -> str:
        return self.raw.get(arg, "")

    def filter(self, query, only: Iterable[str] | None = None, skip: Iterable[str] = ()):
        """Narrow `query` by every given filter (scoping is the caller's: visible_certificates).
        `only` / `skip` (field names) let a page apply a filter elsewhere than on its rows, e.g.
        异常申请日期 on the applications of the listed certificates (a subquery)."""
        only, skip = (None if only is None else set(only)), set(skip)
        for f in self.fields:
            value = self.values.get(f.name)
            if value is not None and f.name not in skip and (only is None or f.name in only):
                query = f.apply(query, value)
        return query

    def order(self, query):
        descending = self.sort.startswith("-")
        sort = next(s for s in self.sorts if s.key == self.sort.lstrip("-"))
        return query.order_by(*[c.desc() if descending else c.asc() for c in sort.columns])

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def args(self, **overrides) -> dict[str, str]:
        """The query as URL arguments (only what is set), e.g. for paging links and exports."""
        out = {k: v for k, v in self.raw.items() if v}
        if self.page != 1:
            out["page"] = str(self.page)
        if self.sort != self.default_sort:
            out["sort"] = self.sort
        for k, v in overrides.items():
            if v in (None, ""):
                out.pop(k, None)
            else:
                out[k] = str(v)
        if out.get("page") == "1":
            out.pop("page")
        return out

    def query_string(self, **overrides) -> str:
        return query_string(self.args(**overrides))

    def messages(self) -> list[str]:
        return list(self.errors.values())


_unreserved = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def query_string(args: dict[str, str]) -> str:
    """urlencode(args), exactly: names and values made only of characters urlencode keeps as
    they are (most list arguments: type=E&print=pending) are joined without quoting them."""
    return "&".join(f"{k}={v}" if _unreserved(k) and _unreserved(v) else urlencode({k: v})
                    for k, v in args.items())


def parse_query(args, fields: Iterable[Field], sorts: Iterable[Sort], default_sort: str) -> ListQuery:
    """Parse request arguments; never raises. Check `.ok` and show `.messages()` (HTTP 422)."""
    fields, sorts = tuple(fields), tuple(sorts)
    if hasattr(args, "lists"):
        # A MultiDict's .get of a missing name raises and catches a BadRequestKeyError: a plain
        # dict of each name's first value (what .get gives) answers the same without.
        args = {name: values[0] for name, values in args.lists() if values}
    q = ListQuery(fields=fields, sorts=sorts, sort=default_sort, default_sort=default_sort)
    for f in fields:
        for arg in f.names:
            q.raw[arg] = (args.get(arg) or "").strip()[:200]
        value, errors = f.parse(args)
        q.errors.update(errors)
        if value is not None:
            q.values[f.name] = value
    page = parse_page(args.get("page"))
    if page is None:
        q.errors["page"] = PAGE_ERROR
    else:
        q.page = page
    sort = (args.get("sort") or "").strip()
    if sort:
        if sort.lstrip("-") not in {s.key for s in sorts}:
            q.errors["sort"] = "排序方式无效。"
        else:
            q.sort = sort
    return q


def count_capped(query, cap: int) -> int:
    """How many rows match, counting at most cap + 1 (a large list says 'more than cap')."""
    return query.order_by().limit(cap + 1).count()


__all__ = ["Field", "Text", "EnterpriseName", "Choice", "DateRange", "Sort", "ListQuery",
           "parse_query", "count_capped"]
