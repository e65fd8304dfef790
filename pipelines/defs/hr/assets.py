import dagster as dg

from pipelines.defs.resources import IdriftResource, run_info
from pipelines.runner import HrFeed, read_hr_feeds


@dg.asset(group_name="sources", kinds={"csv"}, description="The HR feed: who is a person, and each sponsor's status.")
def hr_feed(context: dg.AssetExecutionContext, idrift: IdriftResource) -> dg.Output[list[HrFeed]]:
    run = run_info(context)
    feeds = read_hr_feeds(idrift.config(), run.run_id, run.only)
    people = [p for _, rows in feeds for p in rows or []]
    statuses = {s: sum(p["status"] == s for p in people) for s in ("active", "suspended", "terminated")}
    errors = [f.error for f, _ in feeds if f.error]
    return dg.Output(feeds, metadata={"people": len(people), **statuses,
                                      **({"errors": dg.MetadataValue.md("\n\n".join(errors))} if errors else {})})
