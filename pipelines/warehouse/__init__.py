"""The DuckDB warehouse: schema in `sql/`, one writer, observations stored as intervals."""

from pipelines.warehouse.db import checkpoint, connect, migrate
from pipelines.warehouse.load import begin_run, end_run, load_people, load_scopes

__all__ = ["checkpoint", "connect", "migrate", "begin_run", "end_run", "load_people", "load_scopes"]
