"""WSGI entry point for production servers: `gunicorn wsgi:app`."""

from chatsurvey import create_app

app = create_app()
