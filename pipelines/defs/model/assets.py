import dagster as dg

from pipelines.defs.resources import IdriftResource


@dg.asset(group_name="sources", kinds={"yaml"},
          description="The declared model: who sponsors which agent, who delegated to whom, what each may hold.")
def declared_model(context: dg.AssetExecutionContext, idrift: IdriftResource) -> dg.Output[str]:
    model = idrift.model()
    for warning in model.warnings:
        context.log.warning(str(warning))
    return dg.Output(model.content_hash, metadata={
        "hash": model.content_hash, "agents": len(model.agents), "sponsors": len(model.sponsors),
        "exceptions": len(model.exceptions), "files": dg.MetadataValue.md("\n".join(f"- `{f}`" for f in model.files)),
    })
