"""Great Expectations over each staged scope, one scope (and one file) in memory at a time.

The publication gates (pipelines/warehouse/gates.py) decide what is published, in SQL over the
whole load; these expectations say the same of each scope's staged files in Great Expectations'
terms, for the Dagster UI. GX is imported only when they run: it costs seconds and hundreds of
MiB, which code servers and every other step should not pay.
"""

import logging
import os
from dataclasses import dataclass

import pyarrow.parquet as pq

from connectors.records import STAGED_FILES
from pipelines.staging import StagedScope

# file -> (expectation class name, column, extra arguments)
EXPECTATIONS: dict[str, list[tuple[str, str, dict]]] = {
    "identities": [("ExpectColumnValuesToNotBeNull", "identity_id", {}),
                   ("ExpectColumnValuesToBeUnique", "identity_id", {}),
                   ("ExpectColumnValuesToNotBeNull", "principal", {})],
    "credentials": [("ExpectColumnValuesToNotBeNull", "identity_id", {}),
                    ("ExpectColumnValuesToNotBeNull", "credential_id", {}),
                    ("ExpectColumnValuesToBeInSet", "status", {"value_set": ["active", "inactive"]})],
    "grants": [("ExpectColumnValuesToNotBeNull", "identity_id", {}),
               ("ExpectColumnValuesToNotBeNull", "source", {}),
               ("ExpectColumnValuesToNotBeNull", "statement_id", {})],
    "edges": [("ExpectColumnValuesToNotBeNull", "edge_id", {}),
              ("ExpectColumnValuesToBeUnique", "edge_id", {}),
              ("ExpectColumnValuesToNotBeNull", "target_identity_id", {})],
}


@dataclass(frozen=True)
class Expectation:
    scope: str
    file: str
    expectation: str
    column: str
    success: bool
    unexpected: int


def validate(staged: StagedScope) -> list[Expectation]:
    """Every expectation on every complete staged file of one scope."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    import great_expectations.expectations as gxe

    from great_expectations.data_context.types.base import ProgressBarsConfig

    # GX sets this logger to INFO itself, and it logs a line per temporary docs folder
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no bars on stderr
    source = context.data_sources.add_pandas("idrift")
    out = []
    for entity, names in STAGED_FILES.items():
        if not staged.complete(entity):
            continue
        for name in names:
            if name not in EXPECTATIONS or name not in staged.files:
                continue
            frame = pq.read_table(staged.files[name]).to_pandas()
            batch = (source.add_dataframe_asset(f"{staged.key}/{name}").add_batch_definition_whole_dataframe("all")
                     .get_batch(batch_parameters={"dataframe": frame}))
            for kind, column, extra in EXPECTATIONS[name]:
                result = batch.validate(getattr(gxe, kind)(column=column, **extra))
                out.append(Expectation(staged.key, name, kind, column, bool(result.success),
                                       int(result.result.get("unexpected_count") or 0)))
    return out
