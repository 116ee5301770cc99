"""Flow maps: a published version, or a council's local questions in the programme's flows.

The data is chatsurvey/flows/map.py; the page lays it out in the browser with
the vendored dagre library (static/vendor/dagre, MIT) and static/admin/flowmap.js,
and lists every state too, so it reads without JavaScript or a pointer.
"""

from __future__ import annotations

from flask import abort, render_template, request, url_for

from chatsurvey.admin.blueprint import bp, current_user
from chatsurvey.admin.flows import _flow_id, _version
from chatsurvey.admin.local import _entry_flow
from chatsurvey.admin.local_form import local_draft
from chatsurvey.admin.scoping import for_tenant
from chatsurvey.councils.models import Tenant
from chatsurvey.engine import FlowError
from chatsurvey.engine.compile import load_document
from chatsurvey.engine.model import Flow, Node
from chatsurvey.flows.local import compose, read_block
from chatsurvey.flows.lock import LOCAL_PREFIX
from chatsurvey.flows.map import flow_map
from chatsurvey.flows.models import LocalQuestions, latest_versions
from chatsurvey.flows.store import flow_store


def _version_href(flow: Flow, node: Node) -> str | None:
    line = f"#L{node.line}" if node.line else ""
    return url_for("admin.flow_version", flow_id=flow.id, version=flow.version) + line


def _page(data: dict, title: str, intro: str, back: tuple[str, str]):
    band = request.args.get("band", "")
    if band and band not in data["bands"]:
        band = ""
    return render_template("admin/flow_map.html", data=data, title=title, intro=intro,
                           back=back, band=band,
                           on_path={f: set(s) for f, s in data["paths"].get(band, {}).items()})


@bp.get("/flows/<flow_id>/versions/<int:version>/map", endpoint="flow_map")
def flow_map_page(flow_id: str, version: int):
    """The map of a published version and the flows it enters."""
    row = _version(_flow_id(flow_id), version)
    flow = flow_store().get(row.flow_id, row.version)
    return _page(flow_map(flow, _version_href), f"Map of {row.flow_id} version {row.version}",
                 "Every state is a box and every arrow a way on, labelled with its condition.",
                 (url_for("admin.flow_detail", flow_id=row.flow_id), row.flow_id))


@bp.get("/councils/<int:tenant_id>/local-questions/map")
def local_questions_map(tenant_id: int):
    """The programme's entry flow with this council's latest local questions in it."""
    tenant = for_tenant(Tenant, tenant_id)
    entry = _entry_flow()
    if entry is None:
        abort(404)
    row = latest_versions()[entry]
    block = LocalQuestions.latest(tenant.id)
    back = url_for("admin.local_questions", tenant_id=tenant.id)

    def href(flow: Flow, node: Node) -> str | None:
        if node.name.startswith((LOCAL_PREFIX, "when_" + LOCAL_PREFIX)):
            return f"{back}#q-{node.name.removeprefix('when_')}"
        return _version_href(flow, node)

    draft = local_draft(tenant) if current_user().can_edit else None
    flow, version = None, f"version {block.version}" if block else "none published yet"
    if draft is not None:
        try:
            flow, version = compose(row, read_block(draft.source)), "your draft"
        except FlowError:
            version += "; your draft has errors, so it is not shown"
    if flow is None:
        flow = compose(row, load_document(block.source, f"local questions v{block.version}")) \
            if block else flow_store().get(row.flow_id, row.version)
    local = {n for f in ([flow, *flow.bundle.values()]) for n in f.nodes
             if n.startswith((LOCAL_PREFIX, "when_" + LOCAL_PREFIX))}
    return _page(flow_map(flow, href, local),
                 f"Map of {tenant.display_name}'s local questions",
                 f"Your local questions ({version}) where the programme's surveys ask them, "
                 "marked 'Your question'. The programme's states open its flows.",
                 (back, "Local questions"))
