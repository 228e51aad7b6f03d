"""One page of a list, and the manual's footer: 显示第 1 到第 N 条记录，总共 N 条记录."""
from dataclasses import dataclass

from flask import current_app


@dataclass
class Page:
    items: list
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        return 0 if self.total == 0 else (self.number - 1) * self.size + 1

    @property
    def last(self) -> int:
        return min(self.number * self.size, self.total)

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def summary(self) -> str:
        return f"显示第 {self.first} 到第 {self.last} 条记录，总共 {self.total} 条记录"


def page_number(value) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def paginate(query, number, size: int | None = None) -> Page:
    size = size or current_app.config["PAGE_SIZE"]
    total = query.count()
    number = min(page_number(number), max(1, -(-total // size)))
    items = list(query.paginate(number, size))
    return Page(items=items, number=number, size=size, total=total)
