from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import field_validator


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


class RegionRef(Schema):
    id: int
    kato_code: str
    iso_code: str
    name_kk: str
    name_ru: str
    name_en: str
