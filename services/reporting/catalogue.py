"""The report's message catalogue, kept: `python -m services.reporting.catalogue` extracts every fixed
text of the templates and the rendering code (`_()`, `N_()`) and the framework's section and
criterion titles and statements, and merges them into the Welsh catalogue (translations kept, new
messages left for a translator); `--check` only says what is missing.

`make install` compiles the catalogue (`pybabel compile`); the .mo files are build output."""

import argparse
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
LOCALE = HERE / "locale"
WELSH = LOCALE / "cy" / "LC_MESSAGES" / "messages.po"
# Frameworks whose titles and statements the report shows (data in English, translated here).
FRAMEWORKS = [HERE.parent / "scoring" / "frameworks" / "omi-2008.yaml"]
EXTRA = ["Risk of Harm"]  # the Summary's heading for its Risk of Harm paragraph (a title the document gives)
STAMP = datetime(2026, 12, 1, tzinfo=UTC)  # fixed, so regenerating changes only the messages
METHODS = [("services/reporting/logic/**.py", "python"), ("services/reporting/templates/**.j2", "jinja2")]


def code_messages() -> set[str]:
    """Every message marked in the templates and the rendering code."""
    found: set[str] = set()
    extracted = extract_from_dir(
        str(HERE.parents[1]),
        method_map=METHODS,
        options_map={"services/reporting/templates/**.j2": {"trimmed": "true"}},
        keywords={"_": None, "N_": None, "gettext": None},
    )
    for _filename, _line, message, _comments, _context in extracted:
        found.add(message if isinstance(message, str) else message[0])
    return found


def framework_messages(paths: Iterable[Path] = FRAMEWORKS) -> set[str]:
    """The titles and statements of the frameworks' sections and criteria."""
    found: set[str] = set(EXTRA)
    for path in paths:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for section in document["sections"]:
            found.add(section["title"])
            for criterion in section["criteria"]:
                found |= {criterion["title"], criterion["statement"]}
    return found


def expected() -> set[str]:
    return code_messages() | framework_messages()


def welsh() -> Catalog:
    with WELSH.open("rb") as handle:
        return read_po(handle, locale="cy")


def update() -> list[str]:
    """Merge the expected messages into the Welsh catalogue; answer those still untranslated."""
    current = welsh() if WELSH.is_file() else Catalog(locale="cy", domain="messages")
    merged = Catalog(
        locale="cy",
        domain="messages",
        project="omi-platform",
        header_comment="# Welsh translations of the report's fixed text, written by the team.",
        fuzzy=False,
        creation_date=STAMP,
        revision_date=STAMP,
    )
    for message in sorted(expected()):
        known = current.get(message)
        merged.add(message, known.string if known is not None else "")
    WELSH.parent.mkdir(parents=True, exist_ok=True)
    with WELSH.open("wb") as handle:
        write_po(handle, merged, width=0, omit_header=False, sort_output=True)
    return sorted(str(m.id) for m in merged if m.id and not m.string)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.reporting.catalogue", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report messages missing from or untranslated in cy")
    args = parser.parse_args(argv)
    if args.check:
        catalogue = welsh()
        missing = sorted(m for m in expected() if not getattr(catalogue.get(m), "string", ""))
    else:
        missing = update()
    for message in missing:
        print(f"untranslated: {message}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
