"""coo/services/listquery.py: the list's query string is urlencode's, character for character."""
import itertools
from urllib.parse import parse_qsl, urlencode

from coo.services.listquery import query_string

VALUES = ["E", "pending", "-issue_date", "2026-05-01", "", "a b", "a+b", "a&b=c", "%00", "%2500", "浙江华东",
          "E263301500000001", "~._-", "#frag", "?", "/", "é", "\u00a0", "😀", "a\nb", "'\"<>", "2"]


def test_query_string_is_urlencode_for_every_pair_of_tricky_names_and_values():
    for name, value in itertools.product(["type", "number", "名", "a b", "x&y", "page"], VALUES):
        assert query_string({name: value}) == urlencode({name: value}), (name, value)
    args = dict(zip(["type", "print", "number", "applicant", "issued_from", "sort"], VALUES))
    assert query_string(args) == urlencode(args)
    assert parse_qsl(query_string(args), keep_blank_values=True) == list(args.items())
    assert query_string({}) == ""
