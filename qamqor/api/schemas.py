from ninja import Schema


class RegionRef(Schema):
    id: int
    kato_code: str
    iso_code: str
    name_kk: str
    name_ru: str
    name_en: str
