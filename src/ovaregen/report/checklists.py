"""The reporting checklists: where the report covers each STROBE or CONSORT 2010 item.

Observational plans (``regenera``, ``mensc``) follow STROBE for cohort studies (von Elm et al.,
2007: 22 items, some with sub-items); the randomised plan (``ucmsc-rct``) follows CONSORT 2010
(Schulz et al., 2010: 25 items, some with sub-items). Each recommendation is a short paraphrase,
not the checklists' wording. An item is mapped to a report section (an anchor suffix of the
section's stem, e.g. ``-flow``, or the global ``footnotes``) only where the report really covers
it, its note saying what part the authors still write when it covers only part; items only the
authors can write (title, background, discussion, funding…) have no anchor and a note "needs the
authors' prose (…)", an item that does not apply has no anchor and a note "not applicable: …".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

STROBE = "STROBE"
CONSORT = "CONSORT 2010"

SECTION_ANCHORS = (
    "-about",
    "-quality",
    "-completeness",
    "-flow",
    "-results",
    "-effects",
    "-harms",
    "-left-out",
    "-reproduction",
    "-tables",
    "-figures",
)
"""Anchor suffixes of a study section (the report's anchor contract)."""
GLOBAL_ANCHORS = ("footnotes",)
"""Anchors of the whole report (``#footnotes``: the methods and their options)."""

PLAN_GUIDELINES = {"regenera": STROBE, "mensc": STROBE, "ucmsc-rct": CONSORT}
"""Plan → its reporting guideline (the two cohorts: STROBE; the randomised trial: CONSORT)."""


@dataclass(frozen=True)
class ChecklistItem:
    """One checklist item and where the report covers it (``anchor``), or why it cannot."""

    guideline: str
    item: str
    topic: str
    recommendation: str
    anchor: str | None
    note: str = ""
    also: tuple[str, ...] = ()
    """Further sections covering the item (same anchor form as ``anchor``)."""

    def href(self, stem: str) -> str | None:
        """The link to the item's section in the study section ``stem`` (None: no section)."""
        return None if self.anchor is None else link(stem, self.anchor)

    def hrefs(self, stem: str) -> tuple[str, ...]:
        """Every link of the item: its anchor's, then those of ``also``."""
        if self.anchor is None:
            return ()
        return tuple(link(stem, anchor) for anchor in (self.anchor, *self.also))


def link(stem: str, anchor: str) -> str:
    """``#footnotes`` for a global anchor, else ``#{stem}{anchor}`` (e.g. ``#s1-regenera-flow``)."""
    return f"#{anchor}" if anchor in GLOBAL_ANCHORS else f"#{stem}{anchor}"


def _prose(what: str) -> str:
    return f"needs the authors' prose ({what})"


def _strobe(
    item: str, topic: str, recommendation: str, anchor: str | None, note: str = "",
    also: tuple[str, ...] = (),
) -> ChecklistItem:  # fmt: skip
    return ChecklistItem(STROBE, item, topic, recommendation, anchor, note, also)


def _consort(
    item: str, topic: str, recommendation: str, anchor: str | None, note: str = "",
    also: tuple[str, ...] = (),
) -> ChecklistItem:  # fmt: skip
    return ChecklistItem(CONSORT, item, topic, recommendation, anchor, note, also)


STROBE_COHORT: tuple[ChecklistItem, ...] = (
    _strobe("1a", "Title and abstract", "Name the design with a common term in the title or "
            "abstract.", None, _prose("a title and abstract naming the cohort design; the design "
            "as registered is in the study description")),
    _strobe("1b", "Title and abstract", "Give a balanced, informative summary of what was done "
            "and found.", None, _prose("the abstract")),
    _strobe("2", "Background/rationale", "Explain the scientific background and why the study "
            "was done.", None, _prose("background and rationale")),
    _strobe("3", "Objectives", "State the objectives, including any prespecified hypotheses.",
            None, _prose("objectives and hypotheses")),
    _strobe("4", "Study design", "Present the key elements of the design early.", "-about",
            "the design, protocol and registry as the protocol file records them"),
    _strobe("5", "Setting", "Describe setting, locations and the dates of recruitment, "
            "exposure, follow-up and data collection.", "-about",
            "the centres and the study period as the protocol file records them; the locations "
            "and the dates of recruitment, exposure and follow-up need the authors' prose"),
    _strobe("6a", "Participants", "Give eligibility criteria, sources and selection of "
            "participants, and how they were followed up.", "-flow",
            "the criteria applied at screening, each exclusion with its reason; the sources and "
            "methods of selection and follow-up need the authors' prose", ("-about",)),
    _strobe("6b", "Participants", "For matched studies, give matching criteria and the numbers "
            "exposed and unexposed.", None, "not applicable: the cohort is not matched"),
    _strobe("7", "Variables", "Define every outcome, exposure, predictor, confounder and effect "
            "modifier; give diagnostic criteria.", "-about",
            "the populations analysed with their definitions and the diagnosis rules version; "
            "clinical definitions beyond the analysis plan need the authors' prose",
            ("-results",)),
    _strobe("8", "Data sources/measurement", "For each variable, give the data source and "
            "measurement method, and comparability across groups.", None,
            _prose("assays and how each variable was measured; the dataset's validation is under "
                   "data quality")),
    _strobe("9", "Bias", "Describe efforts to address potential sources of bias.", None,
            _prose("sources of bias and how they were addressed")),
    _strobe("10", "Study size", "Explain how the study size was arrived at.", None,
            _prose("how the cohort's size was reached; the numbers enrolled are in the flow")),
    _strobe("11", "Quantitative variables", "Explain how quantitative variables were handled; "
            "which groupings were chosen and why.", "footnotes",
            "each method's options name its groupings and cut-offs; why they were chosen needs "
            "the authors' prose"),
    _strobe("12a", "Statistical methods", "Describe all statistical methods, including those "
            "controlling for confounding.", "footnotes",
            "one footnote per method and option set"),
    _strobe("12b", "Statistical methods", "Describe methods used to examine subgroups and "
            "interactions.", "footnotes", "the group comparisons the plan runs"),
    _strobe("12c", "Statistical methods", "Explain how missing data were addressed.",
            "-completeness", "complete cases per result; each result's left-out women are "
            "counted with their reason", ("-left-out",)),
    _strobe("12d", "Statistical methods", "If applicable, explain how loss to follow-up was "
            "addressed.", "-flow", "women lost to follow-up are counted in the flow and left "
            "out of the results that need their follow-up, not imputed", ("-left-out",)),
    _strobe("12e", "Statistical methods", "Describe any sensitivity analyses.", None,
            _prose("any sensitivity analyses; the analysis plan runs none")),
    _strobe("13a", "Participants", "Report the numbers at each stage (eligible, examined, "
            "included, followed up, analysed).", "-flow"),
    _strobe("13b", "Participants", "Give reasons for non-participation at each stage.", "-flow",
            "each exclusion with its reason"),
    _strobe("13c", "Participants", "Consider a flow diagram.", "-flow"),
    _strobe("14a", "Descriptive data", "Give participants' characteristics and information on "
            "exposures and potential confounders.", "-tables", "Table 1"),
    _strobe("14b", "Descriptive data", "Give the number with missing data for each variable.",
            "-completeness", "known n/N per variable, and an Unknown row in Table 1",
            ("-tables",)),
    _strobe("14c", "Descriptive data", "Summarise follow-up time.", None,
            _prose("the follow-up time; the analysis plan does not summarise it")),
    _strobe("15", "Outcome data", "Report numbers of outcome events or summary measures over "
            "time.", "-results", "every rate with its numerator and denominator"),
    _strobe("16a", "Main results", "Give unadjusted (and, if used, adjusted) estimates with "
            "their precision; say which confounders were adjusted for.", "-effects",
            "estimates with 95% confidence intervals; the adjustment set is in the methods",
            ("-results",)),
    _strobe("16b", "Main results", "Report category boundaries when continuous variables were "
            "categorised.", "-results", "the boundaries are part of the group labels"),
    _strobe("16c", "Main results", "If relevant, translate relative risk into absolute risk for "
            "a meaningful period.", "-effects",
            "risk differences (absolute) beside the ratios where groups are compared"),
    _strobe("17", "Other analyses", "Report other analyses done (subgroups, interactions, "
            "sensitivity).", "-results", "the subgroup comparisons the plan runs"),
    _strobe("18", "Key results", "Summarise key results in relation to the objectives.", None,
            _prose("the key results, in the discussion")),
    _strobe("19", "Limitations", "Discuss limitations, including bias and imprecision, with "
            "their direction and size.", None, _prose("the limitations")),
    _strobe("20", "Interpretation", "Give a cautious overall interpretation considering "
            "objectives, limitations, multiplicity and other evidence.", None,
            _prose("the interpretation")),
    _strobe("21", "Generalisability", "Discuss the external validity of the results.", None,
            _prose("the generalisability")),
    _strobe("22", "Funding", "Give the funding source and the funders' role.", None,
            _prose("funding and the funders' role")),
)  # fmt: skip
"""STROBE for cohort studies, items 1a–22 in the checklist's order."""

CONSORT_2010: tuple[ChecklistItem, ...] = (
    _consort("1a", "Title and abstract", "Identify the study as a randomised trial in the "
             "title.", None, _prose("a title naming the randomised design")),
    _consort("1b", "Title and abstract", "Give a structured summary of design, methods, results "
             "and conclusions.", None, _prose("the structured abstract")),
    _consort("2a", "Background and objectives", "Give the scientific background and rationale.",
             None, _prose("background and rationale")),
    _consort("2b", "Background and objectives", "State specific objectives or hypotheses.",
             None, _prose("objectives and hypotheses")),
    _consort("3a", "Trial design", "Describe the trial design, including the allocation ratio.",
             "-about", "the design and registry as the protocol file records them; the allocation "
             "ratio needs the authors' prose"),
    _consort("3b", "Trial design", "Report important changes to methods after the trial began, "
             "with reasons.", None, _prose("changes to the methods after the start")),
    _consort("4a", "Participants", "Give the eligibility criteria.", "-flow",
             "the criteria applied at screening, each exclusion with its reason"),
    _consort("4b", "Participants", "Give the settings and locations of data collection.",
             "-about", "the number of centres as the design records it; the locations need the "
             "authors' prose"),
    _consort("5", "Interventions", "Describe each group's intervention in enough detail to "
             "replicate it, including how and when it was given.", None,
             _prose("the interventions as given")),
    _consort("6a", "Outcomes", "Define the prespecified primary and secondary outcomes, and how "
             "and when they were assessed.", "-results",
             "the primary outcome is flagged, every outcome named with its visit; how each was "
             "measured needs the authors' prose"),
    _consort("6b", "Outcomes", "Report changes to trial outcomes after the trial began, with "
             "reasons.", None, _prose("changes to the outcomes after the start")),
    _consort("7a", "Sample size", "Explain how the sample size was determined.", None,
             _prose("the sample-size calculation; the target enrolment is in the study "
                    "description")),
    _consort("7b", "Sample size", "Explain any interim analyses and stopping guidelines.", None,
             _prose("interim analyses and stopping rules")),
    _consort("8a", "Randomisation: sequence generation", "State how the random allocation "
             "sequence was generated.", None, _prose("how the sequence was generated")),
    _consort("8b", "Randomisation: sequence generation", "State the type of randomisation and "
             "any restriction (blocking, block size).", None,
             _prose("the type of randomisation and its restrictions")),
    _consort("9", "Allocation concealment", "Describe how the allocation was concealed until "
             "assignment.", None, _prose("the concealment mechanism")),
    _consort("10", "Implementation", "Say who generated the sequence, enrolled and assigned "
             "participants.", None, _prose("who generated, enrolled and assigned")),
    _consort("11a", "Blinding", "If done, say who was blinded after assignment and how.",
             "-about", "who was blinded, as the design records it; how needs the authors' prose"),
    _consort("11b", "Blinding", "If relevant, describe how similar the interventions were.",
             None, _prose("the similarity of the interventions")),
    _consort("12a", "Statistical methods", "Describe the methods comparing groups on primary and "
             "secondary outcomes.", "footnotes", "one footnote per method and option set"),
    _consort("12b", "Statistical methods", "Describe methods of additional analyses (subgroup, "
             "adjusted).", "footnotes", "the baseline-adjusted analyses (ANCOVA)"),
    _consort("13a", "Participant flow", "For each group, give the numbers randomised, treated as "
             "intended and analysed for the primary outcome.", "-flow", "the CONSORT diagram"),
    _consort("13b", "Participant flow", "For each group, give losses and exclusions after "
             "randomisation, with reasons.", "-flow", "each loss with its reason",
             ("-left-out",)),
    _consort("14a", "Recruitment", "Give the dates of recruitment and follow-up.", None,
             _prose("the recruitment and follow-up dates")),
    _consort("14b", "Recruitment", "Say why the trial ended or was stopped.", None,
             _prose("why the trial ended; enrolment against the target is in the flow")),
    _consort("15", "Baseline data", "Give a table of baseline characteristics for each group.",
             "-tables", "Table 1 by arm, without significance tests"),
    _consort("16", "Numbers analysed", "For each group, give the number analysed and whether by "
             "the original assigned groups.", "-flow",
             "analysed by allocated arm (intention to treat: the population analysed); each "
             "result gives its n", ("-about", "-results")),
    _consort("17a", "Outcomes and estimation", "For each outcome, give each group's result, the "
             "estimated effect and its precision.", "-effects",
             "estimates with 95% confidence intervals", ("-results",)),
    _consort("17b", "Outcomes and estimation", "For binary outcomes, give both absolute and "
             "relative effect sizes.", "-effects", "risk differences and relative risks"),
    _consort("18", "Ancillary analyses", "Report other analyses done, separating prespecified "
             "from exploratory.", "-results", "the baseline-adjusted analyses; which were "
             "prespecified needs the authors' prose"),
    _consort("19", "Harms", "Report all important harms or unintended effects in each group.",
             "-harms", "adverse events by arm: events and women, by grade, serious"),
    _consort("20", "Limitations", "Discuss limitations, sources of bias, imprecision and "
             "multiplicity.", None, _prose("the limitations")),
    _consort("21", "Generalisability", "Discuss the external validity and applicability of the "
             "findings.", None, _prose("the generalisability")),
    _consort("22", "Interpretation", "Interpret the results consistently, balancing benefits "
             "and harms and other evidence.", None, _prose("the interpretation")),
    _consort("23", "Registration", "Give the registration number and the registry's name.",
             "-about", "the registry id as the protocol file records it"),
    _consort("24", "Protocol", "Say where the full trial protocol can be read.", None,
             _prose("where the full protocol can be read")),
    _consort("25", "Funding", "Give funding and other support, and the funders' role.", None,
             _prose("funding and the funders' role")),
)  # fmt: skip
"""CONSORT 2010, items 1a–25 in the checklist's order."""

PLAN_OVERRIDES: Mapping[str, Mapping[str, tuple[str | None, str]]] = {
    "mensc": {
        "14c": ("-tables", "follow-up in years in Table 1"),
    },
}
"""Per plan: items a plan covers beyond the guideline's default mapping (anchor, note)."""


def checklist_for(plan: str) -> tuple[ChecklistItem, ...]:
    """The checklist of ``plan``'s guideline with the report's coverage; () for an unknown plan."""
    guideline = PLAN_GUIDELINES.get(plan)
    if guideline is None:
        return ()
    items = STROBE_COHORT if guideline == STROBE else CONSORT_2010
    overrides = PLAN_OVERRIDES.get(plan, {})
    return tuple(
        replace(i, anchor=overrides[i.item][0], note=overrides[i.item][1])
        if i.item in overrides
        else i
        for i in items
    )
