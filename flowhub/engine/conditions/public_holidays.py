"""Whether a date is a public holiday of a country (or of one of its subdivisions), from the `holidays`
package's calendars, as Kestra's PublicHoliday condition asks Jollyday's."""

from __future__ import annotations

import os
import re
from datetime import date
from functools import cache, lru_cache

import holidays
from pydantic import ValidationInfo, field_validator

from flowhub.engine import templating

from .base import ConditionContext, ConditionError, names, render
from .dates import Dated

_LOCALE = re.compile(r"[a-z]{2,3}_([A-Z]{2})\b")


class PublicHoliday(Dated):
    """The date is a public holiday in `country` (an ISO 3166-1 code), or in its `subDivision` (ISO 3166-2:
    `BY` or `DE-BY`). Without `country`, the country of the server's locale, as Kestra takes the JVM's."""

    TYPE, ALIASES = names("PublicHoliday")
    country: str | None = None
    subDivision: str | None = None

    @field_validator("country")
    @classmethod
    def _country_is_known(cls, value: str | None) -> str | None:
        if value is not None and not templating.is_template(value):
            country_code(value)
        return value

    @field_validator("subDivision")
    @classmethod
    def _subdivision_is_known(cls, value: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")
        if value is None or not isinstance(country, str):
            return value  # without a country, the server's is only known when the condition is evaluated
        if not any(templating.is_template(text) for text in (country, value)):
            subdivision_code(country_code(country), value)
        return value

    def holds(self, context: ConditionContext) -> bool:
        day = self.moment(context).date()
        country = render(self.country, context.variables) if self.country is not None else server_country()
        if country is None:
            raise ConditionError("no 'country', and the server's locale (LC_ALL, LANG) names none")
        subdivision = None if self.subDivision is None else render(self.subDivision, context.variables)
        try:
            code = country_code(country)
            return is_public_holiday(day, code, None if subdivision is None else subdivision_code(code, subdivision))
        except ValueError as error:
            raise ConditionError(str(error)) from None


def is_public_holiday(day: date, country: str, subdivision: str | None) -> bool:
    return day in _calendar(country, subdivision)


@lru_cache(maxsize=256)
def _calendar(country: str, subdivision: str | None) -> holidays.HolidayBase:
    """A country's calendar, which fills itself a year at a time as dates are asked."""
    return holidays.country_holidays(country, subdiv=subdivision)


@cache
def _supported() -> dict[str, list[str]]:
    return holidays.list_supported_countries()


def country_code(text: str) -> str:
    """The calendar's code for `text` (`fr`, `FR`, `FRA`); ValueError when there is none."""
    code = text.strip().upper()
    if code not in _supported():
        raise ValueError(f"unknown country '{text}': give an ISO 3166-1 code such as FR or US")
    return code


def subdivision_code(country: str, text: str) -> str:
    """The calendar's code for subdivision `text` of `country` (`by`, `BY`, `DE-BY`); ValueError when none."""
    known = {code.upper(): code for code in _supported()[country]}
    wanted = text.strip().upper().removeprefix(f"{country}-")
    if wanted in known:
        return known[wanted]
    listed = ", ".join(sorted(known)) or "none"
    raise ValueError(f"unknown subdivision '{text}' of {country}; its subdivisions: {listed}")


def server_country() -> str | None:
    """The country of the server's locale: `fr_FR.UTF-8` is FR; `C.UTF-8` names none."""
    for name in ("LC_ALL", "LANG"):
        if found := _LOCALE.match(os.environ.get(name, "")):
            return found[1]
    return None
