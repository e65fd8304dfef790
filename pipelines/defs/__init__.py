"""Dagster objects only (assets, checks, jobs, schedules, sensors, resources); the logic they
wire lives in the Dagster-free core (`pipelines/*`, `connectors/`)."""
