"""gunicorn settings for `gunicorn wsgi:app` (read from the working directory).

Each worker compiles the flows of open rounds as it starts, so the first young
person to reach a new worker does not wait the second that takes. Then
everything built so far (the app, the compiled flows) is moved out of the
garbage collector's sight: it lives as long as the worker, and a full
collection walking it could pause a turn for tens of milliseconds.
"""

import gc


def post_worker_init(worker):
    from chatsurvey.flows.store import EXTENSION, flow_store

    app = worker.wsgi
    if EXTENSION in getattr(app, "extensions", {}):  # a chatsurvey app, not another one
        with app.app_context():
            flow_store().warm()
    gc.collect()
    gc.freeze()
