# What chatsurvey uses of Flask-SQLAlchemy, for the type checker (pyright reads typings/).
# Flask-SQLAlchemy types `db.Model` without the columns' constructor arguments, so every
# `Tenant(slug=...)` would be an error; here the model base is Any, and the session and
# engine keep SQLAlchemy's own types.
from typing import Any

from flask import Flask
from sqlalchemy import Engine, MetaData
from sqlalchemy.orm import Session, scoped_session

class SQLAlchemy:
    Model: Any
    session: scoped_session[Session]
    engine: Engine
    metadata: MetaData
    def __init__(self, **kwargs: Any) -> None: ...
    def init_app(self, app: Flask) -> None: ...
    def get_engine(self, bind_key: str | None = ...) -> Engine: ...
    def create_all(self, bind_key: str | list[str | None] | None = ...) -> None: ...
    def drop_all(self, bind_key: str | list[str | None] | None = ...) -> None: ...
