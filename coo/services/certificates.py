"""证书打印: the list and its 查询区, and why a typed number is not in the list (查看解决办法).

What a certificate allows, and why not, is decided in `coo.services.rules` (SPEC section 3:
self-printable from the exporter's FIRST successful authorisation); this module builds the
list's queries from the rule's SQL form and asks the rule for each row and for 查看解决办法.

The 证书打印 list shows the certificates the view may see (`access.visible_certificates`) whose
type is self-print and that were approved after the authorisation (`listed_condition`): archived
ones stay in the list, marked 已归档 with the print buttons off, as the manual's 归档状态 column
and filter show.
"""
import datetime
import time
from dataclasses import replace

from flask import current_app
from peewee import SQL, DateTimeField, Select, fn

from coo import enums
from coo.models import Certificate, CertificateType, Enterprise
from coo.services import rules
from coo.services.access import View, visible_certificates
from coo.services.paging import Page
from coo.services.listquery import (
    Choice, DateRange, EnterpriseName, Field, ListQuery, Sort, Text, parse_query,
)
from coo.services.prepared import Param, Prepared, ShapeCache

Applicant = Enterprise.alias("applicant")
Exporter = Enterprise.alias("exporter")


# --- The self-printability rule ---------------------------------------------------------------

_TYPES_TTL_S = 60
_types_cache: dict = {}


def certificate_types() -> list[CertificateType]:
    """The 证书类别 rows by sort order. Types are data that change only by migration: read at
    most once a minute per process, not once per request. Shared between requests: read only."""
    now = time.monotonic()
    if _types_cache.get("until", 0) < now:
        _types_cache["rows"] = list(CertificateType.select().order_by(CertificateType.sort_order))
        _types_cache["by_code"] = {t.code: t for t in _types_cache["rows"]}
        _types_cache["choices"] = [(t.code, f"{t.code} {t.name_zh}") for t in _types_cache["rows"] if t.self_print]
        _types_cache["self_print"] = tuple(t.code for t in _types_cache["rows"] if t.self_print)
        _types_cache["until"] = now + _TYPES_TTL_S
    return _types_cache["rows"]


def certificate_type(code: str) -> CertificateType:
    return certificate_types_by_code()[code]


def certificate_types_by_code() -> dict[str, CertificateType]:
    """The 证书类别 rows by code (read as `certificate_types`). Shared: read only."""
    certificate_types()
    return _types_cache["by_code"]


def self_print_codes() -> tuple[str, ...]:
    """The codes of the self-print 证书类别 (made with the types' cache)."""
    certificate_types()
    return _types_cache["self_print"]


# The rule itself (SQL and per certificate) lives in coo.services.rules; these names stay for
# the callers that build the list's queries.
authorised_since = rules.authorised_since
forget_authorisation_cache = rules.forget_authorisation_cache
listed_condition = rules.listed_condition
listed_since = rules.listed_since
self_printable_condition = rules.self_printable_condition


# --- The list's 查询区 ------------------------------------------------------------------------

def type_choices():
    """证书类别 choices of the print list: the self-print types, by sort order (made with the
    types' cache: every list request validates its 证书类别 against them). Shared: read only."""
    certificate_types()
    return _types_cache["choices"]


FIELDS = (
    Text("number", "证书编号", column=Certificate.number, max_length=20, upper=True),
    Text("invoice", "发票号", column=Certificate.invoice_number, max_length=64),
    Choice("type", "证书类别", column=Certificate.cert_type, choices_of=type_choices),
    EnterpriseName("applicant", "申请人", column=Certificate.applicant),
    EnterpriseName("exporter", "出口商", column=Certificate.exporter),
    DateRange("issued", "签发日期", column=Certificate.issue_date),
    Choice("layout", "版式状态", column=Certificate.layout_status, enum=enums.LayoutStatus),
    Choice("archive", "归档状态", column=Certificate.archive_status, enum=enums.ArchiveStatus),
    Choice("print", "打印状态", column=Certificate.print_status, enum=enums.PrintStatus),
)
FIELD = {f.name: f for f in FIELDS}


def fields(*names) -> tuple[Field, ...]:
    """Some of the list's filters, by name: 证书下载 and 打印异常申请 reuse them."""
    return tuple(FIELD[name] for name in names)


SORTS = (Sort("issue_date", "签发日期", (Certificate.issue_date, Certificate.id)),)
DEFAULT_SORT = "-issue_date"


def parse(args, extra_fields=()) -> ListQuery:
    """The 证书打印 query from request args; other lists pass `extra_fields`."""
    return parse_query(args, FIELDS + tuple(extra_fields), SORTS, DEFAULT_SORT)


WHOLE_ROWS = (Certificate, CertificateType, Applicant, Exporter)


def rows_query(columns=WHOLE_ROWS):
    """Certificates with their type, applicant and exporter in one query (no N+1)."""
    return (Certificate.select(*columns)
            .join(CertificateType, on=(Certificate.cert_type == CertificateType.code))
            .switch(Certificate)
            .join(Applicant, on=(Certificate.applicant == Applicant.id), attr="applicant")
            .switch(Certificate)
            .join(Exporter, on=(Certificate.exporter == Exporter.id), attr="exporter"))


def listed_certificates(view: View, query=None):
    """The base set of the 证书打印 list: what the view may see, listed by the rule above."""
    query = query if query is not None else rows_query()
    return visible_certificates(view, query).where(listed_condition(view.enterprise))


# --- The list's hot path -------------------------------------------------------------------------
# The count and the rows are built once per query shape (which filters are set, agent view or
# not, authorised or not) and run with this request's values (`coo.services.prepared`), in one
# statement: the capped count is a column of the rows query (an uncorrelated subquery, which
# SQLite and PostgreSQL evaluate once), and is run on its own only for a page without rows. A row
# is a tuple turned into a small `ListRow`, not a model instance. Only the applicant's name needs a
# join: the type comes from the cached type table and the exporter is the view's own (scoping
# guarantees it). The row's open print job (`rules.open_job_column`) is a column of the same query,
# and primes the rules' context (`rules.context(view, jobs=...)`): no second query for the jobs.

_prepared = ShapeCache()

LIST_COLUMNS = (
    Certificate.id, Certificate.number, Certificate.invoice_number, Certificate.issue_date,
    Certificate.approved_at, Certificate.layout_status, Certificate.print_status,
    Certificate.archive_status, Certificate.download_status, Certificate.reprint_allowed,
    Certificate.print_count, Certificate.exception_reprints, Certificate.platform,
    Certificate.cert_type, Certificate.applicant, Certificate.exporter, Applicant.name_zh,
    Certificate.layout_error,
)


def _members(enum):
    return {member.value: member for member in enum}


_LAYOUT, _PRINT, _ARCHIVE, _DOWNLOAD, _PLATFORM = (
    _members(e) for e in (enums.LayoutStatus, enums.PrintStatus, enums.ArchiveStatus, enums.DownloadStatus,
                          enums.Platform))


class ListRow:
    """One certificate of the 证书打印 list, from a row of the list query (no model instance):
    the attributes the list, its buttons (`rules.buttons`) and 查看解决办法 read, named and
    typed like a Certificate's. `types`: the 证书类别 by code (`certificate_types`). The row's
    last value is the query's capped count (`list_page` reads it)."""
    __slots__ = ("id", "number", "invoice_number", "issue_date", "approved_at", "layout_status",
                 "print_status", "archive_status", "download_status", "reprint_allowed", "print_count",
                 "exception_reprints", "platform", "cert_type_id", "applicant_id", "exporter_id",
                 "applicant_name", "layout_error", "job", "job_status", "cert_type", "exporter")

    def __init__(self, values, exporter, types):
        (self.id, self.number, self.invoice_number, issued, approved, layout, printed, archived, downloaded,
         reprint, self.print_count, self.exception_reprints, platform, cert_type, self.applicant_id,
         self.exporter_id, self.applicant_name, self.layout_error, job, _capped_count) = values
        # PostgreSQL gives a date and a datetime, SQLite the ISO text peewee wrote.
        self.issue_date = datetime.date.fromisoformat(issued[:10]) if type(issued) is str else issued
        self.approved_at = datetime.datetime.fromisoformat(approved) if type(approved) is str else approved
        self.layout_status = _LAYOUT[layout]
        self.print_status = _PRINT[printed]
        self.archive_status = _ARCHIVE[archived]
        self.download_status = _DOWNLOAD[downloaded]
        self.reprint_allowed = bool(reprint)
        self.platform = _PLATFORM[platform]
        self.job = job = rules.job_of_column(job)       # (status, kind) of its open print job, or None
        self.job_status = job[0] if job else None
        self.cert_type_id = cert_type
        self.cert_type = types[cert_type]
        self.exporter = exporter


class _GrantParams:
    granted_at = Param("granted_at")


def _scope(view: View):
    """The view with placeholders for its ids (so `visible_certificates`, the one scoping rule,
    writes the condition), and the values to fill them with."""
    if not view.is_agent_view:
        return View(own=Param("own")), {"own": view.own.id}
    return (View(own=Param("own"), principal=Param("principal"), grant=_GrantParams()),
            {"own": view.own.id, "principal": view.principal.id, "granted_at": view.grant.granted_at})


def _filter_params(q: ListQuery):
    """The set filters as placeholders: (values by field name, shape, values by placeholder).
    The shape names each set filter by identity (the fields are module constants) and by name.
    None when a set filter cannot run as parameters (substring matches put their escaped pattern
    in the SQL text): that query is built the ordinary way."""
    params, shape, values = {}, [], {}
    for f in q.fields:
        value = q.values.get(f.name)
        if value is None:
            continue
        if (type(f) is Choice and f.condition_of is None) or (type(f) is Text and f.match == "exact"):
            params[f.name] = Param(f"f_{f.name}")
            values[f"f_{f.name}"] = value
            shape.append((id(f), f.name))
        elif type(f) is DateRange and not isinstance(f.column, DateTimeField):
            ends = tuple(Param(f"f_{f.name}_{k}") if v is not None else None for k, v in enumerate(value))
            params[f.name] = ends
            values.update({p.name: v for p, v in zip(ends, value) if p is not None})
            shape.append((id(f), f.name, ends[0] is not None, ends[1] is not None))
        else:
            return None
    return params, tuple(shape), values


def _list_queries(view: View, q: ListQuery):
    """(the capped count, the page's rows with the capped count as their last column) as
    prepared queries, and the values to run them with."""
    since = authorised_since(view.enterprise.id)
    filters = _filter_params(q)
    if filters is None:
        values, key = {}, None

        def parts():
            return view, q, listed_since(since)
    else:
        params, shape, values = filters
        scope_view, scope_values = _scope(view)
        values.update(scope_values)
        values["since"] = since
        key = (view.is_agent_view, since is None, self_print_codes(), q.sort, shape)

        def parts():      # only when this shape's SQL is built, not on every request
            return scope_view, replace(q, values=params), listed_since(None if since is None else Param("since"))

    def count_query():
        scope_view, fq, listed = parts()
        inner = fq.filter(visible_certificates(scope_view, Certificate.select(SQL("1"))).where(listed))
        return Select([inner.order_by().limit(Param("cap_plus_one")).alias("_wrapped")], [fn.COUNT(SQL("1"))])

    def rows_query():
        scope_view, fq, listed = parts()
        query = (Certificate.select(*LIST_COLUMNS, rules.open_job_column(Certificate.id), count_query())
                 .join(Applicant, on=(Certificate.applicant == Applicant.id)))
        query = fq.order(fq.filter(visible_certificates(scope_view, query).where(listed)))
        return query.limit(Param("limit")).offset(Param("offset"))

    if key is None:
        return Prepared(count_query()), Prepared(rows_query()), values
    return _prepared.get(("count",) + key, count_query), _prepared.get(("rows",) + key, rows_query), values


def list_page(view: View, q: ListQuery, size: int | None = None, cap: int | None = None) -> Page:
    """One page of the list. The count stops at `cap` (LIST_COUNT_CAP, at least this page's
    end): counting every row of a large exporter would cost more than the page itself."""
    size = size or current_app.config["PAGE_SIZE"]
    cap = max(cap or current_app.config["LIST_COUNT_CAP"], q.page * size)
    count, rows_query, values = _list_queries(view, q)
    found = rows_query.rows(cap_plus_one=cap + 1, limit=size + 1, offset=(q.page - 1) * size, **values)
    if found:
        total = found[0][-1]
        exporter = view.enterprise
        types = certificate_types_by_code()
        rows = [ListRow(r, exporter, types) for r in found]
    else:       # no rows on this page: the count says whether there are any before it
        total, rows = count.scalar(cap_plus_one=cap + 1, **values), []
    return Page(items=rows[:size], number=q.page, size=size, total=total, cap=cap,
                more=len(rows) > size)


# --- 查看解决办法: why a number is not in the list ----------------------------------------------

def why_not(view: View, number: str, q: ListQuery | None = None) -> rules.Reason | None:
    """The reason `number` is not (or not printably) in the view's list; None when it is listed,
    matches `q`, and its original can be printed. Never reveals another enterprise's data."""
    number = (number or "").strip().upper()
    # Deliberately unscoped: the row is only used to choose a message, never shown.
    cert = (Certificate.select(Certificate, CertificateType)
            .join(CertificateType, on=(Certificate.cert_type == CertificateType.code))
            .where(Certificate.number == number).first())
    if cert is None:
        return rules.reason(rules.Code.UNKNOWN, number)
    ctx = rules.context(view)
    refused = rules.check(cert, ctx, rules.Action.LIST)
    if refused is not None:
        return refused
    original = rules.check(cert, ctx, rules.Action.PRINT_ORIGINAL)
    # What the certificate itself says (archived, layout) comes before the query's other filters.
    if original is not None and original.code in (rules.Code.ARCHIVED, rules.Code.LAYOUT_REFUSED,
                                                  rules.Code.LAYOUT_NOT_RECEIVED):
        return original
    if q is not None and not q.filter(listed_certificates(view, Certificate.select(Certificate.id))) \
            .where(Certificate.id == cert.id).exists():
        return rules.reason(rules.Code.FILTERED, number)
    return original
