"""Java's DateTimeFormatter, as Kestra's date filters use it: patterns such as
`yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX`, `EEE, d MMMM`, and the named formats (`iso`, `sql`, `iso_date`…).

Formatting knows every pattern letter but `F`, `p` and `zzzz` (full zone names); names are English and
weeks are English weeks (they start on Sunday). Reading a date with a pattern (`existingFormat`)
knows the numeric fields, month and day names, AM/PM, offsets and zone ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from .moments import Moment, offset_id, offset_zone, zone_id, zone_of

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MAX_LETTERS = {
    **dict.fromkeys("uyYnAN", 19),
    **dict.fromkeys("GQqMLEec", 5),
    **dict.fromkeys("XxZ", 5),
    **dict.fromkeys("dhKkHmswV", 2),
    "W": 1,
    "D": 3,
    "S": 9,
    "a": 1,
    "z": 3,
    "O": 4,
}


@dataclass(frozen=True)
class _Field:
    letter: str
    count: int


@dataclass(frozen=True)
class _Optional:
    opening: bool


_Piece = _Field | _Optional | str


@lru_cache(maxsize=512)
def _pieces(pattern: str) -> tuple[_Piece, ...]:
    """The fields, literal texts and optional-section brackets of a pattern."""
    pieces: list[_Piece] = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "'":
            literal, position = _quoted(pattern, position)
            pieces.append(literal)
        elif char.isascii() and char.isalpha():
            rest = pattern[position:]
            count = len(rest) - len(rest.lstrip(char))
            pieces.append(_checked_field(char, count))
            position += count
        elif char in "[]":
            pieces.append(_Optional(char == "["))
            position += 1
        elif char in "#{}":
            raise ValueError(f"the character '{char}' is reserved in date patterns")
        else:
            pieces.append(char)
            position += 1
    return tuple(pieces)


def _quoted(pattern: str, start: int) -> tuple[str, int]:
    """The literal text quoted at `start` (`''` is a quote) and the position after it."""
    if pattern.startswith("''", start):
        return "'", start + 2
    text, position = [], start + 1
    while True:
        if position >= len(pattern):
            raise ValueError(f"unclosed quote in the date pattern '{pattern}'")
        if pattern.startswith("''", position):
            text.append("'")
            position += 2
        elif pattern[position] == "'":
            return "".join(text), position + 1
        else:
            text.append(pattern[position])
            position += 1


def _checked_field(letter: str, count: int) -> _Field:
    if letter not in _MAX_LETTERS:
        raise ValueError(f"unknown pattern letter '{letter}'")
    wrong = (letter == "V" and count != 2) or (letter == "O" and count not in (1, 4)) or (letter == "c" and count == 2)
    if count > _MAX_LETTERS[letter] or wrong:
        raise ValueError(f"wrong number of pattern letters: {letter * count}")
    return _Field(letter, count)


# -- formatting


def format_moment(moment: Moment, format: str) -> str:
    """`moment` written in a named format (`iso`, `iso_date`…) or with a pattern."""
    if format in _STYLES:
        raise ValueError(f"the localized format '{format}' is not supported; use a pattern")
    if format in _NAMED_PATTERNS:
        format = _NAMED_PATTERNS[format]
    elif format in _NAMED_FORMATTERS:
        return _NAMED_FORMATTERS[format](moment)
    texts = []
    for piece in _pieces(format):
        if isinstance(piece, str):
            texts.append(piece)
        elif isinstance(piece, _Field):
            texts.append(_field_text(piece, moment))
    return "".join(texts)


def _field_text(field: _Field, moment: Moment) -> str:
    letter, count, at = field.letter, field.count, moment.at
    if letter in _NUMBERS:
        return str(_NUMBERS[letter](moment)).zfill(count)
    if letter in "uyY":
        year = _week_based(at)[0] if letter == "Y" else at.year
        return f"{year % 100:02d}" if count == 2 else str(year).zfill(count)
    if letter in "ML":
        return str(at.month).zfill(count) if count <= 2 else _named(_MONTHS[at.month - 1], count)
    if letter in "Qq":
        return _quarter((at.month - 1) // 3 + 1, count)
    if letter == "G":
        return "AD" if count <= 3 else "Anno Domini" if count == 4 else "A"
    if letter == "E" or (letter in "ec" and count >= 3):
        return _named(_DAYS[at.weekday()], count)
    if letter in "ec":
        return str(at.isoweekday() % 7 + 1).zfill(count)  # an English week starts on Sunday
    if letter == "S":
        return f"{moment.nano:09d}"[:count]
    if letter == "a":
        return "AM" if at.hour < 12 else "PM"
    return _zone_text(letter, count, at)


_NUMBERS: dict[str, Callable[[Moment], int]] = {
    "d": lambda moment: moment.at.day,
    "D": lambda moment: moment.at.timetuple().tm_yday,
    "H": lambda moment: moment.at.hour,
    "k": lambda moment: moment.at.hour or 24,
    "K": lambda moment: moment.at.hour % 12,
    "h": lambda moment: moment.at.hour % 12 or 12,
    "m": lambda moment: moment.at.minute,
    "s": lambda moment: moment.at.second,
    "n": lambda moment: moment.nano,
    "A": lambda moment: _seconds_of_day(moment.at) * 1000 + moment.nano // 10**6,
    "N": lambda moment: _seconds_of_day(moment.at) * 10**9 + moment.nano,
    "w": lambda moment: _week_based(moment.at)[1],
    "W": lambda moment: _week_of_month(moment.at),
}


def _seconds_of_day(at: datetime) -> int:
    return (at.hour * 60 + at.minute) * 60 + at.second


def _named(name: str, count: int) -> str:
    return name[:3] if count <= 3 else name if count == 4 else name[0]


def _quarter(quarter: int, count: int) -> str:
    if count <= 2:
        return str(quarter).zfill(count)
    ordinals = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th"}
    return f"Q{quarter}" if count == 3 else f"{ordinals[quarter]} quarter" if count == 4 else str(quarter)


def _week_one(year: int) -> date:
    """The Sunday starting the English week that holds January 1st."""
    first = date(year, 1, 1)
    return first - timedelta(days=first.isoweekday() % 7)


def _week_based(at: datetime) -> tuple[int, int]:
    """The English week-based year and week of year (weeks start on Sunday; week 1 holds January 1st)."""
    day = at.date()
    year = day.year + 1 if day >= _week_one(day.year + 1) else day.year
    return year, (day - _week_one(year)).days // 7 + 1


def _week_of_month(at: datetime) -> int:
    first = at.date().replace(day=1)
    return (at.date() - (first - timedelta(days=first.isoweekday() % 7))).days // 7 + 1


def _zone_text(letter: str, count: int, at: datetime) -> str:
    total = int((at.utcoffset() or timedelta(0)).total_seconds())
    if letter == "V":
        return zone_id(at.tzinfo)
    if letter == "z":
        return (at.tzname() or zone_id(at.tzinfo)) if isinstance(at.tzinfo, ZoneInfo) else zone_id(at.tzinfo)
    if letter == "O" or (letter == "Z" and count == 4):
        return _gmt_offset(total, full=letter == "Z" or count == 4)
    if letter == "Z":
        return _offset(total, colon=count == 5, minutes=True, seconds=count == 5, zero="Z" if count == 5 else None)
    zero = "Z" if letter == "X" else None
    if count == 1:
        return _offset(total, colon=False, minutes=total % 3600 != 0, seconds=False, zero=zero)
    return _offset(total, colon=count in (3, 5), minutes=True, seconds=count >= 4, zero=zero)


def _offset(total: int, *, colon: bool, minutes: bool, seconds: bool, zero: str | None) -> str:
    """`+HH`, `+HHMM`, `+HH:MM`, with `ss` when `seconds` and there are some; `zero` stands for +00:00."""
    if total == 0 and zero is not None:
        return zero
    sign, total = ("-" if total < 0 else "+"), abs(total)
    parts = [f"{total // 3600:02d}"]
    if minutes:
        parts.append(f"{total // 60 % 60:02d}")
    if seconds and total % 60:
        parts.append(f"{total % 60:02d}")
    return sign + (":" if colon else "").join(parts)


def _gmt_offset(total: int, *, full: bool) -> str:
    if total == 0:
        return "GMT"
    sign, total = ("-" if total < 0 else "+"), abs(total)
    hours, minutes, seconds = total // 3600, total // 60 % 60, total % 60
    tail = f":{seconds:02d}" if seconds else ""
    if full:
        return f"GMT{sign}{hours:02d}:{minutes:02d}{tail}"
    return f"GMT{sign}{hours}" + (f":{minutes:02d}{tail}" if minutes or seconds else "")


def _local_date(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d}"


def _local_time(moment: Moment) -> str:
    fraction = f"{moment.nano:09d}".rstrip("0")
    return moment.at.strftime("%H:%M:%S") + (f".{fraction}" if fraction else "")


def _local_date_time(moment: Moment) -> str:
    return f"{_local_date(moment.at)}T{_local_time(moment)}"


def _offset_of(moment: Moment) -> str:
    return offset_id(moment.at.utcoffset())


def _region(moment: Moment) -> str:
    return f"[{moment.at.tzinfo.key}]" if isinstance(moment.at.tzinfo, ZoneInfo) else ""


def _instant(moment: Moment) -> str:
    utc = moment.in_zone(UTC)
    digits = f"{moment.nano:09d}"
    while digits.endswith("000"):
        digits = digits[:-3]
    return f"{_local_date(utc.at)}T{utc.at.strftime('%H:%M:%S')}{'.' + digits if digits else ''}Z"


def _week_date(moment: Moment) -> str:
    year, week, day = moment.at.isocalendar()
    return f"{year:04d}-W{week:02d}-{day}{_offset_of(moment)}"


def _rfc_1123(moment: Moment) -> str:
    at = moment.at
    total = int((at.utcoffset() or timedelta(0)).total_seconds())
    zone = "GMT" if total == 0 else _offset(total, colon=False, minutes=True, seconds=False, zero=None)
    return f"{_DAYS[at.weekday()][:3]}, {at.day} {_MONTHS[at.month - 1][:3]} {at.year} {at.strftime('%H:%M:%S')} {zone}"


_NAMED_PATTERNS = {
    "iso": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "sql": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "sql_seq": "yyyy-MM-dd HH:mm:ss",
}
_NAMED_FORMATTERS: dict[str, Callable[[Moment], str]] = {
    "iso_date_time": lambda moment: _local_date_time(moment) + _offset_of(moment) + _region(moment),
    "iso_zoned_date_time": lambda moment: _local_date_time(moment) + _offset_of(moment) + _region(moment),
    "iso_date": lambda moment: _local_date(moment.at) + _offset_of(moment),
    "iso_time": lambda moment: _local_time(moment) + _offset_of(moment),
    "iso_offset_time": lambda moment: _local_time(moment) + _offset_of(moment),
    "iso_local_date": lambda moment: _local_date(moment.at),
    "iso_local_time": _local_time,
    "iso_local_date_time": _local_date_time,
    "iso_instant": _instant,
    "iso_ordinal_date": lambda moment: f"{moment.at.year:04d}-{moment.at.timetuple().tm_yday:03d}{_offset_of(moment)}",
    "iso_week_date": _week_date,
    "rfc_1123_date_time": _rfc_1123,
}
_STYLES = frozenset({"full", "long", "medium", "short"})


# -- reading


_ISO = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[Tt](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?P<offset>[Zz]|[+-]\d{2}(?::\d{2}(?::\d{2})?)?)?(?:\[(?P<zone>[^\]]+)\])?)?"
)


def parse_moment(text: str, format: str | None, zone: tzinfo) -> Moment:
    """Java's `ZonedDateTime.parse`, falling back to a local date-time, then a local date at the start
    of the day, both in `zone`. `format` is a pattern or a name; ISO when None."""
    if format in _NAMED_PATTERNS:
        format = _NAMED_PATTERNS[format]
    if format is None or format in _NAMED_FORMATTERS:
        fields = _ISO.fullmatch(text)
        if fields is None:
            raise ValueError(f"'{text}' is not an ISO-8601 date")
        values = {name: value for name, value in fields.groupdict().items() if value is not None}
    else:
        values = _pattern_values(text, format)
    return _resolved(values, zone, text)


def _pattern_values(text: str, pattern: str) -> dict[str, str]:
    expression, names = _reading_expression(pattern)
    match = re.fullmatch(expression, text)
    if match is None:
        raise ValueError(f"'{text}' does not match the date format '{pattern}'")
    values: dict[str, str] = {}
    for group, (name, convert) in names.items():
        if (found := match.group(group)) is not None:
            values[name] = convert(found)
    return values


_Reader = tuple[str, str, Callable[[str], str]]  # a regex, the name of the value it reads, its conversion
_NUMERIC_FIELDS = {
    "M": "month",
    "L": "month",
    "d": "day",
    "H": "hour",
    "k": "hour24",
    "h": "hour12",
    "K": "hour12",
    "m": "minute",
    "s": "second",
}


def _choice(name: str, names: list[str], convert: Callable[[str], str]) -> _Reader:
    return "|".join(map(re.escape, names)), name, convert


def _field_reader(field: _Field) -> _Reader:
    letter, count = field.letter, field.count
    if letter in "uy":
        return (r"\d{2}", "year2", str) if count == 2 else (rf"\d{{{max(count, 4)},9}}", "year", str)
    if letter in "ML" and count >= 3:
        names = [_named(month, count) for month in _MONTHS]
        return _choice("month", names, lambda found: str(names.index(found) + 1))
    if letter == "E" and count <= 4:
        return _choice("weekday", [_named(day, count) for day in _DAYS], str)
    if letter == "a":
        return _choice("ampm", ["AM", "PM"], str)
    if letter in "XxZ" and count != 4:
        return r"Z|[+-]\d{2}(?::?\d{2})?(?::?\d{2})?", "offset", str
    if letter == "V":
        return r"Z|[+-]\d{2}:\d{2}|[A-Za-z][\w/+\-]*", "zone", str
    if letter == "S":
        return rf"\d{{{count}}}", "fraction", str
    if letter == "n":
        return r"\d{1,9}", "nano", str
    if letter == "D":
        return rf"\d{{{count},3}}", "yday", str
    if letter in _NUMERIC_FIELDS:
        return (r"\d{2}" if count == 2 else r"\d{1,2}"), _NUMERIC_FIELDS[letter], str
    raise ValueError(f"the pattern letter '{letter}' cannot be used to read a date")


@lru_cache(maxsize=256)
def _reading_expression(pattern: str) -> tuple[str, dict[str, tuple[str, Callable[[str], str]]]]:
    """A regex reading `pattern`, and for each of its groups the value it holds."""
    parts: list[str] = []
    groups: dict[str, tuple[str, Callable[[str], str]]] = {}
    for piece in _pieces(pattern):
        if isinstance(piece, str):
            parts.append(re.escape(piece))
        elif isinstance(piece, _Optional):
            parts.append("(?:" if piece.opening else ")?")
        else:
            expression, name, convert = _field_reader(piece)
            group = f"g{len(groups)}"
            parts.append(f"(?P<{group}>{expression})")
            groups[group] = (name, convert)
    return "".join(parts), groups


def _resolved(values: dict[str, str], zone: tzinfo, text: str) -> Moment:
    day = _date(values, text)
    nano = int(values["fraction"].ljust(9, "0")) if "fraction" in values else int(values.get("nano", 0))
    minute, second = int(values.get("minute", 0)), int(values.get("second", 0))
    local = datetime(day.year, day.month, day.day, _hour(values), minute, second)
    offset = offset_zone(values["offset"]) if "offset" in values else None
    region = zone_of(values["zone"]) if "zone" in values else None
    if offset is not None:
        at = local.replace(tzinfo=offset)
        return Moment(at.astimezone(region) if region is not None else at, nano)
    return Moment(local.replace(tzinfo=region or zone), nano)


def _date(values: dict[str, str], text: str) -> date:
    if "year2" in values:
        values = {**values, "year": str(2000 + int(values["year2"]))}
    if "year" in values and "yday" in values:
        return date(int(values["year"]), 1, 1) + timedelta(days=int(values["yday"]) - 1)
    if "year" in values and "month" in values and "day" in values:
        return date(int(values["year"]), int(values["month"]), int(values["day"]))
    raise ValueError(f"'{text}' does not hold a full date (year, month and day)")


def _hour(values: dict[str, str]) -> int:
    if "hour" in values:
        return int(values["hour"])
    if "hour24" in values:
        return int(values["hour24"]) % 24
    if "hour12" in values:
        return int(values["hour12"]) % 12 + (12 if values.get("ampm") == "PM" else 0)
    return 0
