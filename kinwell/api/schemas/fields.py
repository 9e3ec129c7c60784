"""Field types shared by the API schemas, derived from the models so the API
and the database never disagree about lengths or choices."""

import re
from datetime import date
from typing import Annotated, Any

from django.db import models
from ninja import Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    WithJsonSchema,
)
from pydantic import Field as PydanticField


class InputSchema(BaseModel):
    """A request body: a JSON object holding only known fields, strictly typed
    (`0` is not `false`). ninja's own Schema reads attributes off anything, so
    it would take `[]` for `{}`."""

    model_config = ConfigDict(extra="forbid", strict=True)


# Database ids are 64-bit; a larger number cannot name anything (and would
# overflow the query rather than find nothing).
MAX_ID = 2**63 - 1

# The `delegation` query parameter of the routes that work on a member's
# records: a carer acting for the member under that delegation.
DelegationId = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_ID,
        description="Act for a member under this delegation (you are its carer).",
    ),
]

_WHOLE = re.compile(r"-?[0-9]+")


def _whole_number_text(value: Any) -> Any:
    """A query string's "5.0" is not the integer the schema promises, though
    pydantic would read it as 5."""
    if isinstance(value, str) and not _WHOLE.fullmatch(value):
        raise ValueError("must be a whole number, written with digits only")
    return value


# An integer from a query string: digits only.
WholeNumber = Annotated[int, BeforeValidator(_whole_number_text)]

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day_text(value: Any) -> Any:
    """A query string's "0" is not a day, though pydantic would read it as
    the first day of 1970."""
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("must be a day written as YYYY-MM-DD")
    return value


# A day from a query string: YYYY-MM-DD only.
Day = Annotated[date, BeforeValidator(_iso_day_text)]

# PostgreSQL cannot store NUL in text; refuse it at the door rather than 500.
NO_NUL = r"^[^\x00]*$"


def max_length(model: type[models.Model], field: str) -> int:
    model_field = model._meta.get_field(field)
    assert isinstance(model_field, models.Field)
    assert model_field.max_length is not None, f"{model.__name__}.{field}: no limit"
    return model_field.max_length


def text(model: type[models.Model], field: str, *, min_length: int = 0) -> Any:
    """A string no longer than `model.field` allows."""
    return PydanticField(
        min_length=min_length, max_length=max_length(model, field), pattern=NO_NUL
    )


def optional_text(model: type[models.Model], field: str) -> Any:
    """For PATCH: absent or null leaves the value as it is."""
    return PydanticField(None, max_length=max_length(model, field), pattern=NO_NUL)


def one_of(choices: type[models.TextChoices]) -> AfterValidator:
    values = list(choices.values)

    def check(value: str) -> str:
        if value not in values:
            raise ValueError(f"Choose one of: {', '.join(values)}.")
        return value

    return AfterValidator(check)


def enum_schema(choices: type[models.TextChoices]) -> WithJsonSchema:
    # Inline, not a named $ref: several models have a `Status` or `Scope`.
    return WithJsonSchema({"type": "string", "enum": list(choices.values)})
