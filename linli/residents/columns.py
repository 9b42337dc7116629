"""The registry sheet's columns, shared by the import template, the importer and the export.

A sheet may use the Chinese or the English header of each column; the order does not matter.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool
    help: str


IMPORT_COLUMNS = [
    Column("building", "楼栋", "Building", True, _("Building number as on the site plan, e.g. 12")),
    Column("entrance", "单元", "Entrance", True, _("Entrance (unit) number, e.g. 1")),
    Column("room", "房号", "Room", True, _("Room number, e.g. 301")),
    Column("name", "姓名", "Name", True, _("Full name")),
    Column("sex", "性别", "Sex", False, _("男/女; read from the ID number if empty")),
    Column(
        "birth_date",
        "出生日期",
        "Birth date",
        False,
        _("1956-03-08; read from the ID number if empty"),
    ),
    Column(
        "id_number",
        "身份证号",
        "ID number",
        False,
        _("18 characters; rows with the same number update one person"),
    ),
    Column("phone", "手机号", "Phone", False, _("11-digit mobile or landline")),
    Column("relation", "与户主关系", "Relation", False, _("户主, 配偶, 子女…")),
    Column("resident_type", "人员类型", "Resident type", False, _("户籍, 租户 or 暂住")),
    Column(
        "tags",
        "特殊群体",
        "Special groups",
        False,
        _("Separated by 、 or commas, e.g. 残疾、慢性病"),
    ),
    Column("disability_level", "残疾等级", "Disability level", False, _("1 to 4")),
    Column("note", "备注", "Note", False, _("At most 200 characters")),
]

EXPORT_COLUMNS = [
    _("Grid"),
    _("Building"),
    _("Entrance"),
    _("Room"),
    _("Name"),
    _("Sex"),
    _("Birth date"),
    _("ID number (masked)"),
    _("Phone"),
    _("Relation"),
    _("Resident type"),
    _("Special groups"),
    _("Disability level"),
    _("Verified on"),
    _("Note"),
]
