"""LL2's rules for parameters, links and negotiation, as pure functions."""

from __future__ import annotations

import pytest

from events.errors import NotFound
from service import ll2
from service.errors import BadRequest, NotAcceptable

PAGE = "https://ll.example/2.2.0/spacecraft/flight/"


def q(raw: str) -> ll2.Query:
    return ll2.Query.parse(raw)


def links(raw: str, count: int) -> tuple[str | None, str | None]:
    query = q(raw)
    limit, offset = ll2.page_limit(query), ll2.page_offset(query)
    return (
        ll2.next_link(PAGE, query, offset, limit, count),
        ll2.previous_link(PAGE, query, offset, limit),
    )


@pytest.mark.parametrize(
    ("raw", "limit"),
    [
        ("", 10),
        ("limit=3", 3),
        ("limit=100", 100),
        ("limit=500", 100),
        ("limit=0", 10),
        ("limit=-3", 10),
        ("limit=abc", 10),
        ("limit=", 10),
        ("limit=2.5", 10),
        ("limit=%207", 7),
        ("limit=3&limit=5", 5),
    ],
)
def test_limit_falls_back_to_ten_and_is_capped_at_one_hundred(
    raw: str, limit: int
) -> None:
    assert ll2.page_limit(q(raw)) == limit


@pytest.mark.parametrize(
    ("raw", "offset"),
    [
        ("", 0),
        ("offset=30", 30),
        ("offset=0", 0),
        ("offset=-5", 0),
        ("offset=abc", 0),
        ("offset=", 0),
        ("offset=1000", 1000),
        ("offset=4&offset=8", 8),
    ],
)
def test_offset_falls_back_to_zero(raw: str, offset: int) -> None:
    assert ll2.page_offset(q(raw)) == offset


def test_first_page_links_to_the_next_with_limit_written() -> None:
    assert links("", 25) == (PAGE + "?limit=10&offset=10", None)


def test_keys_are_sorted_and_other_parameters_kept() -> None:
    assert links("limit=3&foo=bar", 25) == (PAGE + "?foo=bar&limit=3&offset=3", None)


def test_spacecraft_parameter_stays_in_the_links() -> None:
    assert links("spacecraft=1&limit=3&offset=3", 25) == (
        PAGE + "?limit=3&offset=6&spacecraft=1",
        PAGE + "?limit=3&spacecraft=1",
    )


def test_format_api_is_kept_like_any_parameter() -> None:
    assert links("format=api&offset=40", 44) == (
        None,
        PAGE + "?format=api&limit=10&offset=30",
    )


def test_empty_spacecraft_is_kept_as_an_empty_value() -> None:
    assert links("spacecraft=", 25) == (PAGE + "?limit=10&offset=10&spacecraft=", None)


def test_previous_drops_offset_when_it_would_reach_zero() -> None:
    assert links("offset=10", 25)[1] == PAGE + "?limit=10"
    assert links("offset=3", 25)[1] == PAGE + "?limit=10"


def test_previous_is_null_at_offset_zero_or_below() -> None:
    assert links("offset=0", 25)[1] is None
    assert links("offset=-5", 25)[1] is None


def test_next_is_null_when_the_page_reaches_the_count() -> None:
    assert links("offset=15", 25) == (None, PAGE + "?limit=10&offset=5")
    assert links("offset=20&limit=5", 25) == (None, PAGE + "?limit=5&offset=15")
    assert links("", 10)[0] is None
    assert links("", 0) == (None, None)


def test_offset_past_the_end_links_back_by_one_limit() -> None:
    assert links("offset=1000", 25) == (None, PAGE + "?limit=10&offset=990")


def test_links_carry_the_effective_limit() -> None:
    assert links("limit=500", 250) == (PAGE + "?limit=100&offset=100", None)
    assert links("limit=abc&offset=20", 250) == (
        PAGE + "?limit=10&offset=30",
        PAGE + "?limit=10&offset=10",
    )


def test_repeated_keys_keep_every_value_in_order() -> None:
    assert links("foo=b&foo=a", 25)[0] == PAGE + "?foo=b&foo=a&limit=10&offset=10"


def test_values_are_urlencoded_again() -> None:
    assert links("q=a b&x=%2F%C3%A4&y=1+2&flag", 25)[0] == (
        PAGE + "?flag=&limit=10&offset=10&q=a+b&x=%2F%C3%A4&y=1+2"
    )


def test_envelope_keeps_key_order_and_writes_null() -> None:
    text = ll2.envelope(2, PAGE + "?limit=1&offset=1", None, ['{"id":2}', '{"id":1}'])
    assert text == (
        '{"count":2,"next":"https://ll.example/2.2.0/spacecraft/flight/'
        '?limit=1&offset=1","previous":null,"results":[{"id":2},{"id":1}]}'
    )
    assert ll2.envelope(0, None, None, []) == (
        '{"count":0,"next":null,"previous":null,"results":[]}'
    )


@pytest.mark.parametrize(
    ("raw", "suffix"),
    [
        ("", ""),
        ("format=json", "?format=json"),
        ("format=api&limit=5&spacecraft=3", "?format=api"),
        ("limit=5", ""),
        ("format=", "?format="),
    ],
)
def test_urls_echo_the_format_and_nothing_else(raw: str, suffix: str) -> None:
    assert ll2.format_suffix(q(raw)) == suffix


@pytest.mark.parametrize(
    ("raw", "spacecraft"),
    [("", None), ("spacecraft=", None), ("spacecraft=153", 153), ("spacecraft=007", 7)],
)
def test_spacecraft_filter(raw: str, spacecraft: int | None) -> None:
    assert ll2.spacecraft_filter(q(raw)) == spacecraft


@pytest.mark.parametrize(
    "raw",
    [
        "spacecraft=abc",
        "spacecraft=1,2",
        "spacecraft=1&spacecraft=2",
        "spacecraft=&spacecraft=2",
        "spacecraft=-1",
        "spacecraft=99999999999999999999",
        "spacecraft=%7B%22%24gt%22%3A0%7D",
    ],
)
def test_spacecraft_filter_refuses_what_names_no_single_spacecraft(raw: str) -> None:
    with pytest.raises(BadRequest) as raised:
        ll2.spacecraft_filter(q(raw))
    assert raised.value.errors == {
        "spacecraft": [
            "Select a valid choice. That choice is not one of the available choices."
        ]
    }


def test_mode_detailed_is_the_only_way_to_detailed_items() -> None:
    assert ll2.detailed(q("mode=detailed"))
    assert not ll2.detailed(q("mode=normal"))
    assert not ll2.detailed(q(""))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("325", 325), ("007", 7), ("abc", None), ("-1", None), ("1e3", None)],
)
def test_flight_id(raw: str, expected: int | None) -> None:
    assert ll2.flight_id(raw) == expected


def test_flight_id_beyond_a_database_integer_names_no_flight() -> None:
    assert ll2.flight_id(str(2**63)) is None
    assert ll2.flight_id(str(2**63 - 1)) == 2**63 - 1


@pytest.mark.parametrize(
    ("raw", "accept", "renderer"),
    [
        ("", None, "json"),
        ("", "", "json"),
        ("", "*/*", "json"),
        ("", "application/json", "json"),
        ("", "application/*", "json"),
        ("", "Application/JSON; indent=4", "json"),
        ("", "text/html", "api"),
        ("", "text/*", "api"),
        ("", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "api"),
        ("", "text/html;q=0.1, application/json", "json"),
        ("format=json", "text/html,*/*;q=0.8", "json"),
        ("format=api", "*/*", "api"),
        ("format=api", None, "api"),
        ("format=", "text/html", "api"),
    ],
)
def test_negotiation(raw: str, accept: str | None, renderer: str) -> None:
    assert ll2.negotiate(q(raw), accept) == renderer


@pytest.mark.parametrize(
    ("raw", "accept"),
    [("", "application/xml"), ("format=api", "application/json"), ("", "text")],
)
def test_unsatisfiable_accept_is_refused(raw: str, accept: str) -> None:
    with pytest.raises(NotAcceptable) as raised:
        ll2.negotiate(q(raw), accept)
    assert raised.value.detail == "Could not satisfy the request Accept header."


@pytest.mark.parametrize("raw", ["format=xml", "format=JSON", "format=yaml&x=1"])
def test_unknown_format_is_not_found(raw: str) -> None:
    with pytest.raises(NotFound) as raised:
        ll2.negotiate(q(raw), "*/*")
    assert raised.value.detail == "Not found."


def test_base_is_the_request_scheme_and_host() -> None:
    assert ll2.self_base("http", "127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert ll2.self_base("https", "[::1]:8443") == "https://[::1]:8443"


def test_forwarded_headers_count_only_behind_a_trusted_proxy() -> None:
    args = ("http", "10.0.0.5:8080", "https", "ll.example, proxy.internal")
    assert ll2.self_base(*args) == "http://10.0.0.5:8080"
    assert ll2.self_base(*args, trust_proxy=True) == "https://ll.example"


def test_forwarded_proto_other_than_http_or_https_is_ignored() -> None:
    assert (
        ll2.self_base("http", "ll.example", "gopher", None, trust_proxy=True)
        == "http://ll.example"
    )


@pytest.mark.parametrize("host", ["evil.example/path", "a b", "x@y", ""])
def test_malformed_host_is_refused(host: str) -> None:
    with pytest.raises(BadRequest):
        ll2.self_base("http", host)


def test_upstream_base_defaults_to_this_service_when_empty() -> None:
    own = "http://127.0.0.1:8080"
    assert ll2.upstream_base("https://ll.thespacedevs.com/", own) == (
        "https://ll.thespacedevs.com"
    )
    assert ll2.upstream_base("", own) == own


def test_requery_replaces_drops_and_sorts() -> None:
    assert ll2.requery("format=api&b=2&a=1", {"format": "json"}) == (
        "a=1&b=2&format=json"
    )
    assert ll2.requery("offset=5&a=1", {}, drop=("offset",)) == "a=1"
