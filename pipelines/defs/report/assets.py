import dagster as dg

from pipelines.defs.resources import IdriftResource
from pipelines.runner import report


@dg.asset(group_name="reports", kinds={"html"}, deps=["revocation_plan"],
          description="The auditor report of the last published run: reports/<run-id>/.")
def drift_report(idrift: IdriftResource):
    folder = report(idrift.config())
    return dg.MaterializeResult(metadata={
        "report": dg.MetadataValue.path(str(folder / "index.html")),
        "files": dg.MetadataValue.md("\n".join(f"- `{p.name}`" for p in sorted(folder.iterdir()))),
    })
