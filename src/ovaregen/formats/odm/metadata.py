"""The Study element of an ODM file (ODM 1.3.2 §3.1.1): GlobalVariables, BasicDefinitions
with one MeasurementUnit per unit of the data dictionary, and the MetaDataVersion of the
dataset's columns (``formats.odm.plan``):

- Protocol with a StudyEventRef per StudyEventDef (schedule order, all Mandatory="No");
- StudyEventDef, FormDef (FormRef), ItemGroupDef (ItemGroupRef; ``Repeating`` per plan);
- ItemDef: Name = the dataset column, DataType (text, integer, float, boolean, date; §2.13),
  Length for text, integer and float (the longest value written, at least 1) and
  SignificantDigits for float, Question (the dictionary's description), MeasurementUnitRef,
  RangeCheck GE/LE with SoftHard="Hard" from the dictionary's hard limits, CodeListRef;
- CodeList per choice column: CodedValue the dictionary's word, Decode its label.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree
from lxml.builder import ElementMaker

from ovaregen.domain.variables import DatasetFile, Kind, variables_of
from ovaregen.formats.odm import oids
from ovaregen.formats.odm.plan import Item, Plan

NS = "http://www.cdisc.org/ns/odm/v1.3"
E = ElementMaker(namespace=NS, nsmap={None: NS})
LANGUAGE = "en"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NEEDS_LENGTH = ("text", "integer", "float")


def dictionary_units() -> dict[str, str]:
    """Every unit of the data dictionary → its MeasurementUnit OID (distinct OIDs)."""
    units = sorted({v.unit for file in DatasetFile for v in variables_of(file) if v.unit})
    found: dict[str, str] = {}
    for symbol in units:
        oid, n = oids.unit(symbol), 2
        while oid in found.values():
            oid, n = f"{oids.unit(symbol)}_{n}", n + 1
        found[symbol] = oid
    return found


def study_element(plan: Plan, lengths: Mapping[str, tuple[int, int]]) -> etree._Element:
    """The Study element; ``lengths`` maps an ItemOID to (Length, SignificantDigits) of the
    values written (module docstring)."""
    protocol = plan.protocol
    units = dictionary_units()
    version = E.MetaDataVersion(
        OID=oids.metadata_version(protocol.name, protocol.version),
        Name=f"{protocol.name} {protocol.version}",
        Description=f"ovaregen data dictionary under protocol {protocol.name}",
    )
    version.append(
        E.Protocol(
            *(
                E.StudyEventRef(StudyEventOID=e.oid, OrderNumber=str(n), Mandatory="No")
                for n, e in enumerate(plan.events, 1)
            )
        )
    )
    for event in plan.events:
        version.append(
            E.StudyEventDef(
                *(
                    E.FormRef(FormOID=oids.form(f), OrderNumber=str(n), Mandatory="No")
                    for n, f in enumerate(event.forms, 1)
                ),
                OID=event.oid,
                Name=event.name,
                Repeating="No",
                Type="Scheduled" if event.visit else "Common",
            )
        )
    for form in plan.forms:
        groups = [g for g in plan.groups if g.form == form]
        version.append(
            E.FormDef(
                *(
                    E.ItemGroupRef(ItemGroupOID=g.oid, OrderNumber=str(n), Mandatory="No")
                    for n, g in enumerate(groups, 1)
                ),
                OID=oids.form(form),
                Name=plan.form_labels.get(form, form),
                Repeating="No",
            )
        )
    for group in plan.groups:
        version.append(
            E.ItemGroupDef(
                *(
                    E.ItemRef(ItemOID=i.oid, OrderNumber=str(n), Mandatory="No")
                    for n, i in enumerate(group.items, 1)
                ),
                OID=group.oid,
                Name=f"{group.table.file_name}: {plan.form_labels.get(group.form, group.form)}",
                Repeating="Yes" if group.repeating else "No",
                Domain=group.table.value,
            )
        )
    items = plan.items
    for item in items:
        version.append(_item_def(item, units, lengths.get(item.oid, (1, 0))))
    for item in items:
        if item.field.choices and item.data_type == "text":
            version.append(_code_list(item))
    return E.Study(
        E.GlobalVariables(
            E.StudyName(protocol.name),
            E.StudyDescription(protocol.title),
            E.ProtocolName(protocol.registry or protocol.name),
        ),
        E.BasicDefinitions(
            *(
                E.MeasurementUnit(E.Symbol(_text(symbol)), OID=oid, Name=symbol)
                for symbol, oid in units.items()
            )
        ),
        version,
        OID=oids.study(protocol.name),
    )


def _text(text: str) -> etree._Element:
    element = E.TranslatedText(text)
    element.set(XML_LANG, LANGUAGE)
    return element


def _item_def(item: Item, units: Mapping[str, str], length: tuple[int, int]) -> etree._Element:
    variable = item.variable
    element = E.ItemDef(OID=item.oid, Name=item.column, DataType=item.data_type)
    if item.data_type in NEEDS_LENGTH:
        element.set("Length", str(max(1, length[0])))
    if item.data_type == "float":
        element.set("SignificantDigits", str(length[1]))
    element.append(E.Question(_text(item.field.label)))
    if variable is None:
        return element
    if variable.unit:
        element.append(E.MeasurementUnitRef(MeasurementUnitOID=units[variable.unit]))
    if variable.hard is not None and variable.kind in (Kind.NUMBER, Kind.INTEGER):
        for comparator, limit in (("GE", variable.hard.low), ("LE", variable.hard.high)):
            word = "at least" if comparator == "GE" else "at most"
            element.append(
                E.RangeCheck(
                    E.CheckValue(_number(limit, variable.kind)),
                    E.ErrorMessage(_text(f"{variable.name} must be {word} {limit:g}")),
                    Comparator=comparator,
                    SoftHard="Hard",
                )
            )
    if item.field.choices and item.data_type == "text":
        element.append(E.CodeListRef(CodeListOID=oids.code_list(item.table, item.column)))
    return element


def _number(value: float, kind: Kind) -> str:
    return str(int(value)) if kind is Kind.INTEGER or value == int(value) else repr(value)


def _code_list(item: Item) -> etree._Element:
    return E.CodeList(
        *(
            E.CodeListItem(E.Decode(_text(label)), CodedValue=word, OrderNumber=str(n))
            for n, (_, label, word) in enumerate(item.field.choices, 1)
        ),
        OID=oids.code_list(item.table, item.column),
        Name=item.column,
        DataType="text",
    )
