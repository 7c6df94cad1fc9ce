"""Pydantic models of the dataset's records, derived from the contract (`models.contract`).

Nothing here is written by hand: every record model (one per contract file, named by its
`FileSpec.record`) and `DatasetPayload` (the JSON form of a dataset: one list of records per file)
are built from the `FileSpec`s with `pydantic.create_model`. A column changed in the contract thus
changes the loader's checks and these models (and the API's OpenAPI schema) together. An optional
file's list may be left out of `DatasetPayload`, and an optional column's field (`priority` too,
which may also be left out of a CSV header) is not required.

The models document a row and validate single records. A JSON upload is not validated by them but
written as the contract's CSV files and loaded by `models.loader`, so that JSON and CSV uploads get
exactly the same checks and the same problems (file, row, column). The models apply the same rules:
`tests/test_contract.py` checks, column by column, that they accept and refuse what the loader does.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model

from models.contract import DATE_PATTERN, FALSE_VALUES, FILES, TRUE_VALUES, Column, FileSpec
from models.identity import looks_like_personal_number
from models.weeks import is_iso_week


class Record(BaseModel):
    """Base of the record models: no extra fields, immutable, text stripped (as the loader strips
    fields), and errors never echo an input.

    Hiding inputs keeps an identity number put where a pseudonymous id belongs out of error messages.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True, str_strip_whitespace=True)


def _existing_week(value: str) -> str:
    if not is_iso_week(value):
        raise ValueError("not an ISO week like 2025-W14")
    return value


def _iso_date(value: Any) -> Any:
    """Dates as the loader reads them: a `date` or a `YYYY-MM-DD` string (no datetimes, no numbers)."""
    if isinstance(value, dt.datetime):
        raise ValueError("not a date like 2025-03-31 (YYYY-MM-DD)")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(DATE_PATTERN, value.strip()):
        return value.strip()  # pydantic parses it; an impossible date such as 2025-02-30 fails there
    raise ValueError("not a date like 2025-03-31 (YYYY-MM-DD)")


def _bool_word(value: Any) -> Any:
    """Booleans as the loader reads them: `true`/`false`, or one of the contract's spellings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_VALUES:
            return True
        if word in FALSE_VALUES:
            return False
    raise ValueError("must be true or false")


def _blank_is_none(value: Any) -> Any:
    """An optional column's empty text is no value, as an empty CSV field is."""
    return None if isinstance(value, str) and not value.strip() else value


def _pseudonymous(value: str) -> str:
    if looks_like_personal_number(value):
        raise ValueError("looks like a personal identity number; use pseudonymous ids")
    return value


def _value_type(column: Column) -> Any:
    """The annotated type of one non-empty value of `column`, with the contract's constraints."""
    if column.choices is not None:
        return Literal[column.choices]
    if column.type == "id":
        checks = [AfterValidator(_pseudonymous)] if column.pseudonymous else []
        field = Field(min_length=1, max_length=column.max_length, pattern=column.pattern)
        return Annotated[str, field, *checks]
    if column.type == "text":
        return Annotated[str, Field(min_length=1)]
    if column.type == "week":
        return Annotated[str, Field(pattern=column.pattern), AfterValidator(_existing_week)]
    if column.type == "date":
        return Annotated[dt.date, BeforeValidator(_iso_date)]
    if column.type == "bool":
        return Annotated[bool, BeforeValidator(_bool_word)]
    if column.is_number:
        bounds: dict[str, float] = {"le": column.upper}
        if column.positive and (column.lower is None or column.lower <= 0):
            bounds["gt"] = 0
        else:
            bounds["ge"] = column.lower
        if column.type == "int":
            return Annotated[int, Field(**bounds)]
        return Annotated[float, Field(allow_inf_nan=False, **bounds)]
    raise ValueError(f"no model type for column type {column.type!r}")  # a new ColumnType needs one


def field_definition(column: Column) -> tuple[Any, Any]:
    """The `create_model` field of `column`: its type, and a default of None when it is optional.

    An optional column takes None, a blank string (an empty CSV field) or a value of its type.
    """
    kind = _value_type(column)
    description = column.description or None
    if column.optional:
        return (Annotated[kind | None, BeforeValidator(_blank_is_none)], Field(default=None, description=description))
    return (kind, Field(description=description))


def record_model(spec: FileSpec) -> type[Record]:
    """The pydantic model of one row of `spec`'s file: one field per column, in contract order."""
    fields = {column.name: field_definition(column) for column in spec.columns}
    model = create_model(spec.record, __base__=Record, __doc__=spec.description, __module__=__name__, **fields)
    return model


#: The record model of each contract file, by file name.
RECORD_MODELS: dict[str, type[Record]] = {name: record_model(spec) for name, spec in FILES.items()}


def _payload_field(spec: FileSpec) -> tuple[Any, Any]:
    """The `DatasetPayload` field of one file: a list of its records; an optional file's may be left out.

    A list left out is no file (the loader's default table); `null` is not a list, as the upload's
    JSON writer (`api.uploads.write_json_payload`) also refuses it.
    """
    if spec.optional:
        description = f"The rows of {spec.name} (optional: leave the list out for the default)."
        return (list[RECORD_MODELS[spec.name]], Field(default=None, description=description))
    return (list[RECORD_MODELS[spec.name]], Field(description=f"The rows of {spec.name}."))


def _payload_model() -> type[Record]:
    fields = {spec.table: _payload_field(spec) for spec in FILES.values()}
    return create_model(
        "DatasetPayload",
        __base__=Record,
        __doc__="A whole dataset as JSON: one list of records per contract file.",
        __module__=__name__,
        **fields,
    )


#: A whole dataset as JSON: one list of records per contract file (the API's JSON upload).
DatasetPayload: type[Record] = _payload_model()

Region = RECORD_MODELS["regions.csv"]
Hospital = RECORD_MODELS["hospitals.csv"]
Procedure = RECORD_MODELS["procedures.csv"]
Capability = RECORD_MODELS["capabilities.csv"]
TheatreCapacity = RECORD_MODELS["capacity.csv"]
BedCapacity = RECORD_MODELS["beds.csv"]
WaitingPatient = RECORD_MODELS["waiting_list.csv"]
DemandForecast = RECORD_MODELS["demand.csv"]
PriceEntry = RECORD_MODELS["prices.csv"]
Priority = RECORD_MODELS["priorities.csv"]
