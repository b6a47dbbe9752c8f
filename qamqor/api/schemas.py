from django.utils.translation import gettext as _
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import field_validator, model_validator


class Input(Schema):
    """Base of every request schema (bodies and query filters): refuses text no database can store.

    PostgreSQL refuses NUL characters and no database encodes lone UTF-16 surrogates; without this check such input
    reached the database and ended in a server error instead of a 422.
    """

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value):
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError(_("Remove the NUL character (code 0) from this text."))
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                message = _("This text contains characters that are not valid Unicode. Type it again.")
                raise ValueError(message) from None
        return value


class BodyIn(Input):
    """Base of every request body: a JSON object. Ninja's schemas read attributes from any value, so without this
    check a list or a number sent as the body of an operation whose fields are all optional passed as an empty
    object."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value):
        # Ninja's own (outer) validator has already wrapped the value for attribute access.
        if not isinstance(value._obj if isinstance(value, DjangoGetter) else value, dict):
            raise ValueError(_("Send a JSON object with the fields this operation describes."))
        return value


class OrganizationRef(Schema):
    id: int
    name: str


class RegionRef(Schema):
    id: int
    kato_code: str
    iso_code: str
    name_kk: str
    name_ru: str
    name_en: str
