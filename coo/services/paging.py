"""One page of a list, and the manual's footer: 显示第 1 到第 N 条记录，总共 N 条记录.

`paginate(query, number)` counts every row; `Page(cap=…, more=…)` is the 证书打印 list's page,
whose count stops at `cap` (counting a large exporter's rows costs more than the page) and which
knows whether a next page exists from fetching one row more than it shows.
"""
from dataclasses import dataclass

from flask import current_app


@dataclass
class Page:
    items: list
    number: int
    size: int
    total: int                      # all rows; with `cap`, counted up to cap + 1
    cap: int | None = None
    more: bool | None = None        # a row after this page was seen (None: judge by total)

    @property
    def capped(self) -> bool:
        return self.cap is not None and self.total > self.cap

    @property
    def pages(self) -> int:
        total = self.total if self.cap is None else min(self.total, self.cap)
        return max(1, -(-total // self.size))

    @property
    def first(self) -> int:
        """1-based number of this page's first row (0 on an empty list)."""
        return 0 if self.total == 0 else (self.number - 1) * self.size + 1

    @property
    def last(self) -> int:
        return min(self.number * self.size, self.total)

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.more if self.more is not None else self.number < self.pages

    @property
    def summary(self) -> str:
        return f"显示第 {self.first} 到第 {self.last} 条记录，总共 {self.total} 条记录"


def empty(size: int | None = None) -> Page:
    """The page a refused query shows."""
    return Page(items=[], number=1, size=size or current_app.config["PAGE_SIZE"], total=0)


def paginate(query, number: int, size: int | None = None) -> Page:
    """Page `number` (already parsed: `coo.params.parse_page`) of `query`; a number past the
    end shows the last page."""
    size = size or current_app.config["PAGE_SIZE"]
    total = query.count()
    number = min(max(1, number), max(1, -(-total // size)))
    items = list(query.paginate(number, size))
    return Page(items=items, number=number, size=size, total=total)
