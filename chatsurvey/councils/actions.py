"""Adding and changing a council: one validation, one write, one audit entry.

The admin's council form and `chatsurvey tenants add` both describe what they
want as a `CouncilSettings` and call `add_council` or `change_council`. The
settings are checked as a whole first, and only then written to the council, so
a refused change leaves the council as it was and says every problem at once
(`CouncilRefused.problems`, by field).

The name a council's young people see (its display name, or its name) may not
be another council's name or display name, compared without case, accents,
spacing or punctuation: flows can branch on that name (``param: council``), so
borrowing it would let one council's edit reach another's young people.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import select

from chatsurvey.audit import record
from chatsurvey.columns import utcnow
from chatsurvey.councils.logo import redraw
from chatsurvey.councils.models import COUNTRIES, ORIGIN, CouncilLogo, SmsNumber, Tenant
from chatsurvey.crypto import normalise_number
from chatsurvey.engine.languages import CODES
from chatsurvey.extensions import db

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
TWILIO_SID = re.compile(r"AC[0-9a-fA-F]{32}")
MAX_NAME, MAX_HELP, MAX_TERMS = 200, 300, 500


@dataclass(frozen=True)
class CouncilSettings:
    """What someone asks a council to be. ``None`` leaves a setting as it is.

    Only programme analysts may set the country, the SMS numbers and the Twilio
    account; the admin leaves them ``None`` for a council's own admin.
    """

    name: str
    display_name: str = ""
    colour: str = ""
    paper_return: str | None = None
    """Where paper questionnaires go back to (printed at their end); None keeps it."""
    help_text: str = ""
    origins: tuple[str, ...] = ()
    redact_terms: tuple[str, ...] = ()
    locales: tuple[str, ...] | None = None
    country: str | None = None
    numbers: tuple[str, ...] | None = None
    per_second: int = 10
    twilio_sid: str | None = None
    twilio_token: str | None = None
    """Write-only: empty or None keeps the token that is set."""
    delete_sms_from_provider: bool | None = None
    """Delete finished SMS threads from the council's Twilio account (None: as it is)."""


class CouncilRefused(ValueError):
    """The settings were not written; ``problems`` says why, by field."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def clean_origin(raw: str) -> str:
    """A site address as the CSP header needs it: no trailing slash, lower case."""
    return raw.strip().rstrip("/").lower()


def name_key(name: str) -> str:
    """A name as people would read it: no case, accents, spacing or punctuation."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name))
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[\W_]+", " ", letters.casefold()).split())


def tidy(settings: CouncilSettings) -> CouncilSettings:
    """The settings with whitespace, case and lengths made regular (nothing refused yet)."""
    return replace(
        settings,
        name=settings.name.strip()[:MAX_NAME],
        display_name=settings.display_name.strip()[:MAX_NAME],
        colour=settings.colour.strip().lower(),
        help_text=settings.help_text.strip()[:MAX_HELP],
        origins=tuple(dict.fromkeys(clean_origin(o) for o in settings.origins if o.strip())),
        redact_terms=tuple(t.strip() for t in settings.redact_terms if t.strip())[:MAX_TERMS],
        twilio_sid=settings.twilio_sid.strip() if settings.twilio_sid is not None else None,
        twilio_token=(settings.twilio_token or "").strip() or None,
        numbers=(tuple(n.strip() for n in settings.numbers if n.strip())
                 if settings.numbers is not None else None),
    )


# -- checks: each returns a problem, or None -------------------------------------------


def _slug_problem(slug: str) -> str | None:
    if not SLUG.fullmatch(slug):
        return "Use lower-case letters, digits and dashes for the short name, like powys."
    if db.session.scalars(select(Tenant.id).where(Tenant.slug == slug)).first():
        return f"Another council already has the short name {slug}."
    return None


def _display_name_problem(shown: str, tenant_id: int | None) -> str | None:
    """Refuse a name young people would read as another council's (its name or display name)."""
    wanted = name_key(shown)
    others = db.session.execute(select(Tenant.name, Tenant.branding).where(
        Tenant.id != (tenant_id if tenant_id is not None else -1))).all()
    for name, branding in others:
        for theirs in (name, (branding or {}).get("display_name") or name):
            if name_key(theirs) == wanted:
                return (f"{theirs} is the name young people see for another council. "
                        "Choose a name that is this council's own.")
    return None


def _origins_problem(origins: Iterable[str]) -> str | None:
    bad = [o for o in origins if not ORIGIN.fullmatch(o)]
    if bad:
        return (f"{bad[0]} is not a site address like https://www.council.gov.uk "
                "(https, or http only on localhost).")
    return None


def _numbers_problem(numbers: Iterable[str], tenant_id: int | None) -> str | None:
    wanted = []
    for raw in numbers:
        try:
            wanted.append(normalise_number(raw))
        except ValueError:
            return f"{raw} is not a phone number: write it like +447700900123."
    owners = db.session.scalars(select(SmsNumber).where(SmsNumber.number.in_(wanted))).all()
    if any(owner.tenant_id != tenant_id for owner in owners):
        return "One of the SMS numbers belongs to another council."
    return None


def _locales_problem(locales: Iterable[str]) -> str | None:
    """Every language must be one chatsurvey has (`chatsurvey.engine.languages`), once."""
    wanted = list(locales)
    bad = [loc for loc in wanted if loc not in CODES]
    if bad:
        return (f"{str(bad[0])[:20]} is not a language chatsurvey offers."
                f" Choose from {', '.join(CODES)}.")
    if len(set(wanted)) != len(wanted):
        return "Each language can be offered once."
    return None


def problems(settings: CouncilSettings, tenant: Tenant | None = None,
             slug: str | None = None) -> dict[str, str]:
    """Everything wrong with ``settings`` for ``tenant`` (or a new council called ``slug``)."""
    tenant_id = tenant.id if tenant is not None else None
    found = {
        "name": None if settings.name else "Enter the council's name.",
        "slug": _slug_problem(slug or "") if tenant is None else None,
        "display_name": _display_name_problem(settings.display_name or settings.name,
                                              tenant_id),
        "country": ("Choose the country: england, wales or scotland."
                    if settings.country is not None and settings.country not in COUNTRIES
                    else None),
        "origins": _origins_problem(settings.origins),
        "colour": ("Write the colour like #005ea5."
                   if settings.colour and not COLOUR.fullmatch(settings.colour) else None),
        "twilio_sid": ("A Twilio account SID starts with AC and has 34 characters."
                       if settings.twilio_sid and not TWILIO_SID.fullmatch(settings.twilio_sid)
                       else None),
        "numbers": (_numbers_problem(settings.numbers, tenant_id)
                    if settings.numbers is not None else None),
        "locales": _locales_problem(settings.locales or ()),
    }
    return {field: problem for field, problem in found.items() if problem}


# -- the writes ---------------------------------------------------------------------------


def _branding(current: dict, settings: CouncilSettings) -> dict:
    branding = {k: v for k, v in (current or {}).items() if k not in ("display_name", "colour")}
    if settings.display_name:
        branding["display_name"] = settings.display_name
    if settings.colour:
        branding["colour"] = settings.colour
    branding.pop("logo_url", None)  # a web address is never used: logos are uploaded
    if settings.paper_return is not None:
        branding.pop("paper_return", None)
        if settings.paper_return.strip():
            branding["paper_return"] = settings.paper_return.strip()[:MAX_HELP]
    return branding


def _write(tenant: Tenant, settings: CouncilSettings) -> None:
    """Copy checked settings onto the council (only after `problems` found none)."""
    tenant.name = settings.name
    tenant.help_text = settings.help_text or None
    tenant.web_origins = list(settings.origins)
    tenant.branding = _branding(tenant.branding, settings)
    tenant.redact_terms = list(settings.redact_terms)
    if settings.locales is not None:
        tenant.locales = list(settings.locales)
    if settings.country is not None:
        tenant.country = settings.country
    if settings.twilio_sid is not None:
        tenant.twilio_account_sid = settings.twilio_sid or None
    if settings.twilio_token:
        tenant.twilio_auth_token = settings.twilio_token
    if settings.delete_sms_from_provider is not None:
        tenant.delete_sms_from_provider = settings.delete_sms_from_provider
    if settings.numbers is not None:
        kept = {n.number: n for n in tenant.numbers}
        wanted = [normalise_number(raw) for raw in settings.numbers]
        tenant.numbers[:] = [kept.get(n) or SmsNumber(number=n, per_second=settings.per_second)
                             for n in dict.fromkeys(wanted)]


def _snapshot(tenant: Tenant) -> dict[str, object]:
    return {"name": tenant.name, "country": tenant.country, "help_text": tenant.help_text,
            "origins": list(tenant.web_origins or ()), "branding": dict(tenant.branding or {}),
            "redact_terms": list(tenant.redact_terms or ()), "locales": list(tenant.locales or ()),
            "twilio_sid": tenant.twilio_account_sid,
            "delete_sms_from_provider": tenant.delete_sms_from_provider,
            "numbers": [n.number for n in tenant.numbers]}


def add_council(slug: str, settings: CouncilSettings) -> Tenant:
    """Add a council called ``slug``; raises CouncilRefused (nothing written) if it cannot be."""
    settings = tidy(settings)
    slug = slug.strip().lower()
    found = problems(settings, slug=slug)
    if settings.country is None:
        found.setdefault("country", "Choose the country: england, wales or scotland.")
    if found:
        raise CouncilRefused(found)
    tenant = Tenant(slug=slug, name="", country=settings.country, locales=[], web_origins=[],
                    branding={}, redact_terms=[])
    _write(tenant, settings)
    db.session.add(tenant)
    db.session.flush()
    record("council.created", tenant, slug=tenant.slug)
    db.session.commit()
    return tenant


def change_council(tenant: Tenant, settings: CouncilSettings) -> list[str]:
    """Change a council; the names of the settings that changed. Raises CouncilRefused."""
    settings = tidy(settings)
    found = problems(settings, tenant=tenant)
    if found:
        raise CouncilRefused(found)
    before = _snapshot(tenant)
    _write(tenant, settings)
    after = _snapshot(tenant)
    changed = sorted(k for k in after if after[k] != before[k])
    if settings.twilio_token:
        changed = sorted([*changed, "twilio_token"])
    record("council.changed", tenant, fields=changed)
    db.session.commit()
    return changed


def set_logo(tenant: Tenant, data: bytes) -> CouncilLogo:
    """Store ``data`` (a PNG or JPEG upload) as the council's logo, re-drawn; raises
    LogoRefused (nothing written) if it cannot be one."""
    logo = redraw(data)
    row = db.session.get(CouncilLogo, tenant.id) or CouncilLogo(tenant_id=tenant.id)
    row.png, row.width, row.height, row.digest = logo.png, logo.width, logo.height, logo.digest
    row.updated_at = utcnow()
    db.session.add(row)
    record("council.logo_set", tenant, width=logo.width, height=logo.height)
    db.session.commit()
    return row


def remove_logo(tenant: Tenant) -> bool:
    """Take the council's logo away; False if it had none."""
    row = db.session.get(CouncilLogo, tenant.id)
    if row is None:
        return False
    db.session.delete(row)
    record("council.logo_removed", tenant)
    db.session.commit()
    return True
