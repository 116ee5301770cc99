"""Finding what a command names (a council by its short name), or saying what to do."""

from __future__ import annotations

import click
from sqlalchemy import select

from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db


def council(slug: str) -> Tenant:
    tenant = db.session.scalars(select(Tenant).where(Tenant.slug == slug)).first()
    if tenant is None:
        raise click.ClickException(f"no council called {slug!r} (see `chatsurvey tenants list`)")
    return tenant
