"""Checking a Flow Results package: the specification's rules (a JSON schema written from its
text, tests/floip/) and the Data Package layer (frictionless)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA = json.loads((Path(__file__).parent / "floip" / "flow-results-package.schema.json")
                    .read_text())


def schema_errors(schema: dict, document: Any) -> list[str]:
    found = Draft202012Validator(schema).iter_errors(document)
    return [f"{list(e.absolute_path)[:3]}: {e.message[:200]}" for e in found][:5]


def floip_problems(package: dict, rows: list, directory: Path) -> list:
    """Everything wrong with a package and its rows (written into ``directory``); [] if none.

    frictionless checks the resource's rows against its fields (a datetime, strings, any
    response, an object of metadata). It reads a package's ``profile`` as the path of a
    profile file, and the Flow Results profile is not one it ships, so it is given the
    resource; the JSON schema checks the Flow Results layer.
    """
    from frictionless import validate

    problems: list = schema_errors(SCHEMA, package)
    problems += schema_errors({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/rows"}, rows)
    resource = dict(package["resources"][0])
    resource["schema"] = {"fields": resource["schema"]["fields"]}
    (directory / resource["path"]).write_text(json.dumps(rows))
    (directory / "resource.json").write_text(json.dumps(resource))
    report = validate(str(directory / "resource.json"))
    problems += report.flatten(["type", "message"])[:5]
    if report.valid and report.tasks[0].stats["rows"] != len(rows):
        problems.append(f"frictionless read {report.tasks[0].stats['rows']} of {len(rows)} rows")
    return problems
