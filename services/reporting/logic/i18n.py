"""The report's fixed words in Welsh and English: the message catalogue (gettext, compiled from the
.po files under services/reporting/locale by `make install`), and the choice of language.

English is the catalogue's source language; Welsh translations are ours. Labels that arrive as data
(grades, conclusions, case types, the framework's titles and statements) are looked up in the same
catalogue by their English wording, so a Welsh report has no English fixed text left."""

import gettext
from functools import cache
from pathlib import Path
from typing import Literal

from babel.support import NullTranslations, Translations

from shared.errors import NotFound

Lang = Literal["en", "cy"]
LANGS: tuple[Lang, ...] = ("en", "cy")
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is translated later (extraction finds it)."""
    return message


# Values the document carries as data, worded for the reader (translated where shown).
GRADES = {
    "well_met": N_("Well met"),
    "satisfactorily_met": N_("Satisfactorily met"),
    "partly_met": N_("Partly met"),
    "not_met": N_("Not met"),
}
CONCLUSIONS = {
    "urgent priority for improvement": N_("This criterion represents an urgent priority for improvement."),
    "priority for improvement": N_("This criterion represents a priority for improvement."),
    "performance was good": N_("Performance against this criterion was good."),
}
VALUES = {
    "community": N_("Community order"),
    "licence": N_("Licence"),
    "custody": N_("Custody"),
    "low": N_("Low"),
    "medium": N_("Medium"),
    "high": N_("High"),
    "very_high": N_("Very high"),
    "male": N_("Male"),
    "female": N_("Female"),
    "other": N_("Other"),
    "unknown": N_("Unknown"),
    "white": N_("White"),
    "black": N_("Black"),
    "asian": N_("Asian"),
    "mixed": N_("Mixed"),
    "true": N_("Yes"),
    "false": N_("No"),
    "yes": N_("Yes"),
    "no": N_("No"),
    "inspector": N_("Inspector"),
    "area_assessor": N_("Area assessor"),
    "unassigned": N_("Not yet allocated"),
    # Questionnaire answers (the templates' option values).
    "much_more_likely": N_("Much more likely"),
    "more_likely": N_("More likely"),
    "no_different": N_("No different"),
    "less_likely": N_("Less likely"),
    "much_less_likely": N_("Much less likely"),
    "very_satisfied": N_("Very satisfied"),
    "satisfied": N_("Satisfied"),
    "dissatisfied": N_("Dissatisfied"),
    "very_dissatisfied": N_("Very dissatisfied"),
    "magistrate": N_("Magistrate"),
    "district_judge": N_("District judge"),
    "crown_court_judge": N_("Crown Court judge"),
    "legal_adviser": N_("Legal adviser"),
    "accommodation": N_("Accommodation"),
    "employment_training_education": N_("Employment, training and education"),
    "finance": N_("Finance"),
    "relationships": N_("Relationships"),
    "lifestyle": N_("Lifestyle"),
    "drugs": N_("Drugs"),
    "alcohol": N_("Alcohol"),
    "emotional_wellbeing": N_("Emotional wellbeing"),
    "thinking_and_behaviour": N_("Thinking and behaviour"),
    "attitude_to_offending": N_("Attitude to offending"),
    "outstanding": N_("Outstanding"),
    "good": N_("Good"),
    "passable": N_("Passable"),
    "poor": N_("Poor"),
}

GROUPS = {"offenders": N_("Offenders"), "victims": N_("Victims"), "courts": N_("Courts")}
ATTRIBUTES = {
    "case_type": N_("Case type"),
    "roh_level": N_("Risk of Harm level"),
    "tier": N_("Tier"),
    "ppo": N_("Prolific and other priority offender"),
    "approved_premises": N_("Approved premises resident"),
    "statutory_victim_contact": N_("Statutory victim contact"),
    "gender": N_("Gender"),
    "ethnicity": N_("Ethnicity"),
    "assessor_role": N_("Assessed by"),
}


class CatalogueMissing(RuntimeError):
    """The compiled catalogue is not there: `make install` compiles it."""


@cache
def translations(lang: Lang) -> NullTranslations:
    """The compiled catalogue of ``lang`` (English is the source: no catalogue needed)."""
    if lang == "en":
        return NullTranslations()
    compiled = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not compiled.is_file():
        raise CatalogueMissing(f"{compiled} is missing: `make install` compiles the message catalogues")
    loaded = Translations.load(str(LOCALE_DIR), [lang], DOMAIN)
    if not isinstance(loaded, gettext.GNUTranslations):
        raise CatalogueMissing(f"the {lang} catalogue under {LOCALE_DIR} cannot be read")
    return loaded


def choose(requested: str | None, accept_language: str | None, available: tuple[Lang, ...]) -> Lang:
    """The language to serve: ``?lang=`` where given (a version that does not exist is 404), else the
    best of Accept-Language among those available, else the first available."""
    if requested is not None:
        for lang in available:
            if requested == lang:
                return lang
        raise NotFound(f"this report has no {requested!r} version; it is published in {', '.join(available)}")
    ranked: list[tuple[float, str]] = []
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((quality, tag.strip().lower().split("-")[0]))
    for _, tag in sorted(ranked, key=lambda r: -r[0]):
        for lang in available:
            if tag == lang:
                return lang
    return available[0]


def languages(country: str) -> tuple[Lang, ...]:
    """Reports on Welsh areas are published in Welsh and English; others in English only."""
    return ("en", "cy") if country == "wales" else ("en",)
