"""A dataset's rows as ODM ClinicalData text (ODM 1.3.2 §3.1.4), built with Polars string
expressions over whole tables (no Python loop per woman), in chunks of women:

``SubjectData`` per woman (SubjectKey = participant_id; SiteRef to her site's Location when
``site`` is known) holding ``StudyEventData SE.enrolment`` — a ``FormData`` per form with a
value, then the repeating forms, one ``ItemGroupData`` per row of a repeated table — then one
``StudyEventData`` per row of visits.csv (its follow-up visit's event, in table order).
``ItemGroupRepeatKey`` is the row's number in its table (1, 2, … over all women): unique
within each woman as ODM asks, and it keeps the table's order when that does not follow the
women's. ``ItemData`` holds a value in ODM's formats (§2.13): dates ``YYYY-MM-DD``, booleans
``true``/``false``, floats as the shortest text that reads back to the same number, integers,
text. A missing value has no ItemData. Text is escaped for an XML attribute (``& < > "``, and
line breaks and tabs as character references, so that no parser normalises them away); a
character XML 1.0 cannot hold is refused (``FormatError``, naming file, row, column, value).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import polars as pl

from ovaregen.domain.variables import DatasetFile, Kind
from ovaregen.formats.errors import FormatError
from ovaregen.formats.odm import oids
from ovaregen.formats.odm.plan import Group, Item, Plan
from ovaregen.formats.redcap.naming import RECORD_ID
from ovaregen.io.dataset import Dataset

CHUNK = 5_000
"""Women written per chunk: bounds the text held in memory at once."""
NOT_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
"""Characters XML 1.0 cannot hold (§2.2 "Characters"), even as references."""
_ESCAPES = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\n", "&#10;"),
    ("\r", "&#13;"),
    ("\t", "&#9;"),
)
_ORDER = "\x00order"
_XML = "\x00xml"
_KEY = "\x00key"


def escaped(value: pl.Expr) -> pl.Expr:
    """Text as an XML attribute value (module docstring)."""
    for plain, reference in _ESCAPES:
        value = value.str.replace_all(plain, reference, literal=True)
    return value


def escape(text: str) -> str:
    for plain, reference in _ESCAPES:
        text = text.replace(plain, reference)
    return text


def value_text(item: Item) -> pl.Expr:
    """A column's values as ODM ItemData values (unescaped; module docstring)."""
    value = pl.col(item.column)
    kind = None if item.variable is None else item.variable.kind
    if kind is Kind.BOOLEAN:
        return pl.when(value).then(pl.lit("true")).when(~value).then(pl.lit("false"))
    if kind is Kind.DATE:
        return value.dt.to_string("%Y-%m-%d")
    return value.cast(pl.String)


def lengths(dataset: Dataset, plan: Plan) -> dict[str, tuple[int, int]]:
    """ItemOID → (longest value in characters, most digits after the point) of the values
    to write: ODM's Length and SignificantDigits."""
    found: dict[str, tuple[int, int]] = {}
    for file in DatasetFile:
        items = [i for g in plan.groups_of(file) for i in g.items]
        if not items:
            continue
        texts = dataset.table(file).select(value_text(i).alias(i.oid) for i in items)
        longest = texts.select(pl.all().str.len_chars().max()).row(0)
        fraction = texts.select(
            pl.all().str.extract(r"\.(\d+)").str.len_chars().max().fill_null(0)
        ).row(0)
        for item, length, digits in zip(items, longest, fraction, strict=True):
            found[item.oid] = (int(length or 0), int(digits or 0))
    return found


def check_storable(dataset: Dataset, plan: Plan, label: str) -> None:
    """``FormatError`` for a value XML cannot hold, a row of a woman not in participants.csv,
    a visit that is no follow-up event, or a woman's visit twice (module docstring)."""
    women = dataset.participants.get_column(RECORD_ID)
    for file in DatasetFile:
        frame = dataset.table(file)
        texts = [i.column for g in plan.groups_of(file) for i in g.items if _is_text(i)]
        for column in ([RECORD_ID] if RECORD_ID in frame.columns else []) + texts:
            bad = frame.with_row_index("row", 1).filter(pl.col(column).str.contains(NOT_XML))
            if bad.height:
                row, value = bad.select("row", column).row(0)
                raise FormatError(
                    f"{label}: {file.file_name} row {row}, column {column}: {value!r} holds a "
                    "control character an XML file cannot hold (XML 1.0 §2.2)"
                )
        if file is DatasetFile.PARTICIPANTS or frame.is_empty():
            continue
        if not plan.groups_of(file):
            raise FormatError(
                f"{label}: {file.file_name} has rows but protocol {plan.protocol.name} has no "
                "form for them"
            )
        stray = frame.filter(~pl.col(RECORD_ID).is_in(women.implode()))
        if stray.height:
            raise FormatError(
                f"{label}: {file.file_name}: participant {stray.get_column(RECORD_ID)[0]!r} "
                "is not in participants.csv"
            )
    visits = dataset.visits
    if dataset.has(DatasetFile.VISITS) and not visits.is_empty():
        known = [e.visit for e in plan.events if e.visit is not None]
        unknown = visits.filter(~pl.col("visit").is_in(known))
        if unknown.height:
            raise FormatError(
                f"{label}: visits.csv: visit {unknown.get_column('visit')[0]!r} is not a "
                f"follow-up visit of {plan.protocol.name}: expected one of {', '.join(known)}"
            )
        twice = visits.filter(pl.struct(RECORD_ID, "visit").is_duplicated())
        if twice.height:
            pid, visit = twice.select(RECORD_ID, "visit").row(0)
            raise FormatError(
                f"{label}: visits.csv: participant {pid!r} has visit {visit!r} twice "
                "(one StudyEventData per visit)"
            )


def _is_text(item: Item) -> bool:
    return item.variable is None or item.variable.kind in (Kind.TEXT, Kind.CHOICE)


def subject_data(dataset: Dataset, plan: Plan, sites: Mapping[str, str]) -> Iterator[str]:
    """The SubjectData elements, a chunk of women at a time (module docstring); ``sites``
    maps a site to its LocationOID."""
    participants = dataset.participants
    enrolment = [
        _form(g) for g in plan.groups_of(DatasetFile.PARTICIPANTS) if not g.repeating and g.items
    ]
    repeating = [g for g in plan.groups if g.repeating]
    visits = plan.groups_of(DatasetFile.VISITS)
    site = (
        pl.col("site").replace_strict(
            list(sites),
            [f'<SiteRef LocationOID="{escape(o)}"/>' for o in sites.values()],
            default="",
        )
        if sites and "site" in participants.columns
        else pl.lit("")
    )
    for start in range(0, participants.height, CHUNK):
        chunk = participants.slice(start, CHUNK)
        women = chunk.get_column(RECORD_ID).implode()
        frame = chunk.select(
            pl.col(RECORD_ID),
            site.fill_null("").alias("\x00site"),
            *(form.alias(f"\x00e{n}") for n, form in enumerate(enrolment)),
        )
        parts = [f"\x00e{n}" for n in range(len(enrolment))]
        for n, group in enumerate(repeating):
            rows = (
                dataset.table(group.table)
                .with_row_index(_KEY, 1)
                .filter(pl.col(RECORD_ID).is_in(women))
            )
            frame = _joined(frame, _repeating_form(rows, group), f"\x00r{n}")
            parts.append(f"\x00r{n}")
        events = pl.lit("")
        if visits:
            rows = dataset.visits.filter(pl.col(RECORD_ID).is_in(women))
            frame = _joined(frame, _visit_events(rows, visits[0]), "\x00v")
            events = pl.col("\x00v")
        forms = pl.concat_str([pl.col(p) for p in parts]) if parts else pl.lit("")
        enrolled = pl.concat_str(
            pl.lit(f'<StudyEventData StudyEventOID="{oids.study_event(None)}">'),
            forms,
            pl.lit("</StudyEventData>"),
        )
        subject = pl.concat_str(
            pl.lit('<SubjectData SubjectKey="'),
            escaped(pl.col(RECORD_ID)),
            pl.lit('">'),
            pl.col("\x00site"),
            pl.when(forms != "").then(enrolled).otherwise(pl.lit("")),
            events,
            pl.lit("</SubjectData>\n"),
        )
        yield frame.select(subject.str.join("")).item()


def _joined(frame: pl.DataFrame, part: pl.DataFrame, name: str) -> pl.DataFrame:
    """``part``'s text per woman as column ``name`` of ``frame`` ("" for none)."""
    joined = frame.join(part, on=RECORD_ID, how="left", maintain_order="left")
    return joined.with_columns(pl.col(_XML).fill_null("").alias(name)).drop(_XML)


def _items(group: Group) -> pl.Expr:
    """The ItemData elements of a row's values ("" when it has none)."""
    if not group.items:
        return pl.lit("")
    return pl.concat_str(
        [
            pl.when(pl.col(i.column).is_not_null()).then(
                pl.concat_str(
                    pl.lit(f'\n<ItemData ItemOID="{escape(i.oid)}" Value="'),
                    escaped(value_text(i)) if _is_text(i) else value_text(i),
                    pl.lit('"/>'),
                )
            )
            for i in group.items
        ],
        ignore_nulls=True,
    )


def _form(group: Group) -> pl.Expr:
    """A participants.csv form of the enrolment event ("" when the woman has no value)."""
    items = _items(group)
    return (
        pl.when(items != "")
        .then(
            pl.concat_str(
                pl.lit(
                    f'<FormData FormOID="{oids.form(group.form)}">'
                    f'<ItemGroupData ItemGroupOID="{escape(group.oid)}">'
                ),
                items,
                pl.lit("</ItemGroupData></FormData>"),
            )
        )
        .otherwise(pl.lit(""))
    )


def _repeating_form(rows: pl.DataFrame, group: Group) -> pl.DataFrame:
    """Each woman's rows of a repeated table as one FormData (RECORD_ID, text)."""
    key = pl.col(_KEY).cast(pl.String)
    row = pl.concat_str(
        pl.lit(f'<ItemGroupData ItemGroupOID="{escape(group.oid)}" ItemGroupRepeatKey="'),
        key,
        pl.lit('">'),
        _items(group),
        pl.lit("</ItemGroupData>"),
    )
    return (
        rows.select(pl.col(RECORD_ID), row.alias(_XML))
        .group_by(RECORD_ID, maintain_order=True)
        .agg(
            pl.concat_str(
                pl.lit(f'<FormData FormOID="{oids.form(group.form)}">'),
                pl.col(_XML).str.join(""),
                pl.lit("</FormData>"),
            ).alias(_XML)
        )
    )


def _visit_events(rows: pl.DataFrame, group: Group) -> pl.DataFrame:
    """Each woman's visits as StudyEventData elements (RECORD_ID, text)."""
    row = pl.concat_str(
        pl.lit('<StudyEventData StudyEventOID="SE.'),
        escaped(pl.col("visit")),
        pl.lit(
            f'"><FormData FormOID="{oids.form(group.form)}">'
            f'<ItemGroupData ItemGroupOID="{escape(group.oid)}">'
        ),
        _items(group),
        pl.lit("</ItemGroupData></FormData></StudyEventData>"),
    )
    return (
        rows.select(pl.col(RECORD_ID), row.alias(_XML))
        .group_by(RECORD_ID, maintain_order=True)
        .agg(pl.col(_XML).str.join(""))
    )
