"""WSGI entry point for production servers: `gunicorn wsgi:app`."""

from chatsurvey import create_app
from chatsurvey.health import refuse_without_aof

app = create_app()
refuse_without_aof(app)  # conversations live in Redis: never run on one that forgets them
