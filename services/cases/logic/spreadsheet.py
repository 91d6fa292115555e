"""Case cells of the inspectorate's spreadsheets (CSV): one reading for caseloads and assessment imports,
so both accept the same cells."""

TRUE = frozenset({"true", "yes", "y", "1"})
FALSE = frozenset({"false", "no", "n", "0"})
BOOLEAN_COLUMNS = frozenset({"ppo", "approved_premises", "statutory_victim_contact"})
ENUM_COLUMNS = frozenset({"case_type", "roh_level", "gender", "ethnicity", "assessor_role"})


def column_name(header_cell: str, known: frozenset[str] | set[str]) -> str:
    """Case columns match in any letter case; other columns (question ids) exactly."""
    lowered = header_cell.lower()
    return lowered if lowered in known else header_cell


def case_cell(column: str, raw: str) -> object:
    """A case attribute cell as its value: booleans from true/false, yes/no, y/n, 1/0 in any case;
    enum values in any case with spaces or hyphens read as underscores ("Very High" is very_high).
    Anything else is returned as written, for validation to judge."""
    value = raw.strip()
    if column in BOOLEAN_COLUMNS:
        low = value.lower()
        return True if low in TRUE else False if low in FALSE else value
    if column in ENUM_COLUMNS:
        return value.lower().replace(" ", "_").replace("-", "_")
    return value
