"""`chatsurvey redact`: try the free-text redaction and safeguarding check on your own text."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from chatsurvey.responses.redact import redact as redact_text


@click.command()
@click.option("--jsonl", is_flag=True, help='Read JSON lines ({"text": ...}) instead of text.')
def redact(jsonl: bool) -> None:
    """Redact each line of standard input; print what was found and any safeguarding flag.

    One JSON object per line comes out: the redacted text, each finding (type,
    start, end in the original line) and whether it looks like a disclosure.
    """
    for raw in sys.stdin:
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        extra: dict[str, Any] = {}
        if jsonl:
            try:
                item = json.loads(line)
                text = str(item["text"])
            except (json.JSONDecodeError, KeyError, TypeError):
                click.echo(json.dumps({"error": 'expected a JSON object with "text"'}))
                continue
            extra = {"id": item["id"]} if "id" in item else {}
        else:
            text = line
        result = redact_text(text)
        click.echo(json.dumps({
            **extra, "text": result.text,
            "found": [{"type": f.type, "start": f.start, "end": f.end} for f in result.findings],
            "safeguarding": result.safeguarding,
        }, ensure_ascii=False))
