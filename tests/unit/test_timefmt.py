from datetime import UTC, date, datetime

import pytest

from mockpace.common.timefmt import (
    TimeFormatError,
    format_odata,
    format_rest,
    has_offset,
    parse_date,
    parse_datetime,
)

BERLIN = 60  # minutes east of UTC in winter


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02", datetime(2026, 3, 1, 23, 0, tzinfo=UTC)),
        ("2026-03-02T09:15:00", datetime(2026, 3, 2, 8, 15, tzinfo=UTC)),
        ("2026-03-02T09:15", datetime(2026, 3, 2, 8, 15, tzinfo=UTC)),
        ("2026-03-02T09:15:00.123", datetime(2026, 3, 2, 8, 15, 0, 123000, tzinfo=UTC)),
        ("2026-03-02T09:15:00.1234567", datetime(2026, 3, 2, 8, 15, 0, 123456, tzinfo=UTC)),
        ("2026-03-02T09:15:00Z", datetime(2026, 3, 2, 9, 15, tzinfo=UTC)),
        ("2021-12-17T12:42:03.921Z", datetime(2021, 12, 17, 12, 42, 3, 921000, tzinfo=UTC)),
        ("2023-12-08T23:07:21+00:00", datetime(2023, 12, 8, 23, 7, 21, tzinfo=UTC)),
        ("2026-03-02T09:15:00+02:00", datetime(2026, 3, 2, 7, 15, tzinfo=UTC)),
        ("2026-03-02T09:15:00-0500", datetime(2026, 3, 2, 14, 15, tzinfo=UTC)),
        ("3/2/2026 9:15:00 AM", datetime(2026, 3, 2, 8, 15, tzinfo=UTC)),
        ("3/2/2026, 9:15:00 PM", datetime(2026, 3, 2, 20, 15, tzinfo=UTC)),
        ("3/2/2026, 12:05:00 AM", datetime(2026, 3, 1, 23, 5, tzinfo=UTC)),
        ("03/02/2026 21:15:00", datetime(2026, 3, 2, 20, 15, tzinfo=UTC)),
    ],
)
def test_every_input_form_is_parsed_in_the_users_zone(text: str, expected: datetime) -> None:
    assert parse_datetime(text, BERLIN) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01", "2026-02-30T10:00:00",
                                  "13/45/2026 10:00:00", "2026-03-02T25:00:00",
                                  "3/2/2026 13:00 PM"])
def test_bad_input_is_refused_with_the_text_in_the_message(text: str) -> None:
    with pytest.raises(TimeFormatError) as info:
        parse_datetime(text)
    assert repr(text)[1:-1] in str(info.value) or text == ""


def test_rest_format_is_user_local_without_offset() -> None:
    instant = datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    assert format_rest(instant, BERLIN) == "2026-03-02T09:15:00"
    assert format_rest(instant, -300) == "2026-03-02T03:15:00"


def test_rest_fraction_keeps_significant_digits_like_dotnet() -> None:
    instant = datetime(2023, 12, 12, 15, 35, 52, 29299, tzinfo=UTC)
    assert format_rest(instant, 0, fraction=True) == "2023-12-12T15:35:52.029299"
    assert format_rest(datetime(2018, 3, 28, 14, 45, 38, 107000, tzinfo=UTC), 0,
                       fraction=True) == "2018-03-28T14:45:38.107"
    assert format_rest(datetime(2018, 3, 28, 14, 45, 38, tzinfo=UTC), 0,
                       fraction=True) == "2018-03-28T14:45:38"


def test_odata_format_is_utc_z_with_millis_only_when_not_zero() -> None:
    assert format_odata(datetime(2026, 3, 2, 8, 15, tzinfo=UTC)) == "2026-03-02T08:15:00Z"
    assert format_odata(datetime(2026, 3, 2, 8, 15, 0, 483000, tzinfo=UTC)) == \
        "2026-03-02T08:15:00.483Z"
    # naive values read back from SQLite are UTC
    assert format_odata(datetime(2026, 3, 2, 8, 15)) == "2026-03-02T08:15:00Z"


def test_offset_detection_and_dates() -> None:
    assert has_offset("2026-03-02T09:15:00Z")
    assert has_offset("2026-03-02T09:15:00+01:00")
    assert not has_offset("2026-03-02T09:15:00")
    assert not has_offset("3/2/2026 9:15:00 AM")
    assert parse_date("2026-11-23") == date(2026, 11, 23)
    assert parse_date("2026-11-23T10:00:00") == date(2026, 11, 23)
    with pytest.raises(TimeFormatError):
        parse_date("23.11.2026")
