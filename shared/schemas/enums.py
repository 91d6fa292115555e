"""Closed vocabularies of the domain, shared by every service on the wire."""

from enum import StrEnum


class Country(StrEnum):
    england = "england"
    wales = "wales"


class InspectionStatus(StrEnum):
    planned = "planned"
    fieldwork = "fieldwork"
    reporting = "reporting"
    published = "published"


class CaseType(StrEnum):
    community = "community"
    licence = "licence"
    custody = "custody"


class RohLevel(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    very_high = "very_high"


class Gender(StrEnum):
    male = "male"
    female = "female"
    other = "other"
    unknown = "unknown"


class Ethnicity(StrEnum):
    white = "white"
    black = "black"
    asian = "asian"
    mixed = "mixed"
    other = "other"
    unknown = "unknown"


class AssessorRole(StrEnum):
    inspector = "inspector"
    area_assessor = "area_assessor"


class Judgement(StrEnum):
    """An assessor's judgement on one question for one case."""

    yes = "yes"  # the work was sufficient: "above the line"
    no = "no"
    na = "na"  # the question does not apply to this case
