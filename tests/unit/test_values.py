"""LL2's forms of durations, times and the request-time values."""

from datetime import UTC, datetime

import pytest

from projections.encoding import Filler, encode
from projections.values import Elapsed, Link, duration, instant


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "P0D"),
        (4 * 3600 + 55 * 60 + 44, "PT4H55M44S"),
        (67 * 86400 + 20 * 3600 + 12 * 60 + 47, "P67DT20H12M47S"),
        (7 * 86400 + 20 * 3600 + 49 * 60 + 4, "P7DT20H49M4S"),
        (5 * 86400, "P5D"),
        (300, "PT5M"),
        (400 * 86400, "P400D"),
    ],
)
def test_durations_have_ll2s_form(seconds: int, text: str) -> None:
    assert duration(seconds) == text


def test_instants_drop_zero_fractions() -> None:
    assert (
        instant(datetime(1978, 11, 2, 11, 4, 17, tzinfo=UTC)) == "1978-11-02T11:04:17Z"
    )
    assert (
        instant(datetime(1978, 11, 2, 11, 4, 17, 500000, tzinfo=UTC))
        == "1978-11-02T11:04:17.500000Z"
    )


def test_a_running_duration_counts_to_the_request_time() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    parts = encode({"t": Elapsed(60.0, (start,)), "url": Link("self", "/x/")})
    now = datetime(2026, 1, 2, 0, 0, 30, 999, tzinfo=UTC)
    text = Filler("http://h", "https://up", "?format=json", now).fill(parts)
    assert text == '{"t":"P1DT1M30S","url":"http://h/x/?format=json"}'


def test_encoding_is_compact_utf8_with_line_separators_escaped() -> None:
    parts = encode(
        {"name": "Sigmund Jähn", "bio": "a\u2028b\r\n", "h": 7.48, "n": None}
    )
    text = Filler("", "").fill(parts)
    assert text == '{"name":"Sigmund Jähn","bio":"a\\u2028b\\r\\n","h":7.48,"n":null}'


def test_holes_are_cut_out_exactly_and_no_value_can_forge_one() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    forged = "\0" + "0" * 16 + ':0"'  # the shape of a hole's marker
    parts = encode(
        {
            "a": [Link("upstream", "/astronaut/1/"), {"t": Elapsed(5.0, (start,))}],
            "closed": Elapsed(3661.0),
            "s": forged,
            "u": "\u2029",
        }
    )
    assert parts == [
        '{"a":[',
        {"link": "upstream", "path": "/astronaut/1/"},
        ',{"t":',
        {"seconds": 5.0, "running_since": [start.timestamp()]},
        '}],"closed":"PT1H1M1S","s":"\\u00000000000000000000:0\\"","u":"\\u2029"}',
    ]
