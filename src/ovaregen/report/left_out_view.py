"""The women each result left out, and whether every woman of its population is accounted for.

A result on complete cases uses ``n`` women of its population; ``left_out`` counts the others
and says why (``ovaregen.analysis.left_out``). The report lists every result that left women
out, with its reasons, and checks for each result that ``n + left out`` equals the size of its
population (STROBE items 12c, 13a and 16a; CONSORT item 16: the number analysed in each
analysis). Where it does not, the report says so: a denominator that is a subset by definition
(pregnancies among the women who had IVF) is smaller; one that counts pregnancies or events
rather than women can be larger.
"""

from __future__ import annotations

from dataclasses import dataclass

from ovaregen.analysis.left_out import total
from ovaregen.analysis.result import Analysis, Result
from ovaregen.report.views import Cell, TableView


@dataclass(frozen=True)
class Mismatch:
    """A result whose ``n + left out`` is not its population's size."""

    title: str
    n: int
    left_out: int
    population: str
    population_n: int | None

    @property
    def text(self) -> str:
        if self.population_n is None:
            return f"{self.title} (population {self.population!r} not in the plan)"
        return f"{self.title} ({self.n} + {self.left_out} of {self.population_n})"


@dataclass(frozen=True)
class Accounting:
    """How the results' counts add up to their populations."""

    results: int
    accounted: int
    subsets: tuple[Mismatch, ...]
    larger: tuple[Mismatch, ...]
    unknown: tuple[Mismatch, ...]
    left_out: int

    @property
    def all_accounted(self) -> bool:
        return self.accounted == self.results

    @property
    def line(self) -> str:
        """The accounting in words, naming every result whose counts do not add up."""
        if self.all_accounted:
            head = (
                f"All accounted for: for each of the {self.results} results, the women analysed "
                "plus the women left out equal its population (n + left out = N)."
            )
        else:
            head = (
                f"For {self.accounted} of {self.results} results, the women analysed plus the "
                "women left out equal its population (n + left out = N)."
            )
        parts = [head]
        if self.subsets:
            parts.append(
                f"For {len(self.subsets)} n + left out is smaller than N by definition: the "
                "denominator is a subset of the population's women (the activated, those who "
                "had IVF) or another unit (pregnancies, infants), as the result's title says: "
                + "; ".join(m.text for m in self.subsets)
                + "."
            )
        if self.larger:
            parts.append(
                f"For {len(self.larger)} n + left out exceeds N: the result counts "
                "pregnancies, infants or events, not women: "
                + "; ".join(m.text for m in self.larger)
                + "."
            )
        if self.unknown:
            parts.append(
                f"For {len(self.unknown)} the population is not one the plan lists: "
                + "; ".join(m.text for m in self.unknown)
                + "."
            )
        return " ".join(parts)


def accounting(analysis: Analysis) -> Accounting:
    """``n + left out`` of each result against its population's size (module docstring)."""
    sizes = {p.id: p.n for p in analysis.populations}
    subsets, larger, unknown = [], [], []
    accounted = 0
    for result in analysis.results:
        left = total(result.left_out)
        size = sizes.get(result.population)
        mismatch = Mismatch(result.title, result.n, left, result.population, size)
        if size is None:
            unknown.append(mismatch)
        elif result.n + left == size:
            accounted += 1
        elif result.n + left < size:
            subsets.append(mismatch)
        else:
            larger.append(mismatch)
    return Accounting(
        results=len(analysis.results),
        accounted=accounted,
        subsets=tuple(subsets),
        larger=tuple(larger),
        unknown=tuple(unknown),
        left_out=sum(total(r.left_out) for r in analysis.results),
    )


def _reasons(result: Result) -> str:
    return "; ".join(f"{item.count} {item.reason}" for item in result.left_out if item.count)


def left_out_view(analysis: Analysis) -> TableView:
    """Every result that left women out: how many of its population it analysed, how many it
    left out and why (one row per result, the reasons with their counts)."""
    sizes = {p.id: p.n for p in analysis.populations}
    rows = []
    for result in analysis.results:
        left = total(result.left_out)
        if not left:
            continue
        size = sizes.get(result.population)
        rows.append(
            [
                Cell(result.title),
                Cell(result.population.replace("_", " ")),
                Cell("" if size is None else str(size), css="num"),
                Cell(str(result.n), css="num"),
                Cell(str(left), css="num"),
                Cell(_reasons(result)),
            ]
        )
    return TableView(
        "left_out",
        "Women left out of each result, and why",
        ["Result", "Population", "Population (N)", "Analysed (n)", "Left out", "Why"],
        rows,
        ("Each woman is counted once per result, under the first needed value that is unknown.",),
    )
