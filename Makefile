# Everything installs from nothing with only Python: a private uv in .tools/, the locked
# environment in .venv/ (uv.lock).
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: install test demo dev bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

test: install
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# The demo estate in an embedded moto; the nightly job headless against it.
demo: install
	$(VENV)/bin/idrift demo

# The same estate behind `dagster dev` (http://127.0.0.1:3000): lineage, runs, schedules, sensors.
DEMO_PORT ?= 5123
dev: install
	@mkdir -p .dagster_home && cp -n examples/dagster.yaml .dagster_home/dagster.yaml 2>/dev/null || true
	$(VENV)/bin/python -m pipelines.demo serve $(DEMO_PORT) & moto=$$!; \
	trap "kill $$moto" EXIT INT TERM; sleep 3; \
	DAGSTER_HOME=$(CURDIR)/.dagster_home AWS_ENDPOINT_URL=http://127.0.0.1:$(DEMO_PORT) \
	AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
	IDRIFT_CONFIG=$(CURDIR)/examples/demo/idrift.yaml GX_ANALYTICS_ENABLED=false \
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: install
	$(VENV)/bin/python benchmarks/bench_extract_aws.py --users 1000
	$(VENV)/bin/python benchmarks/bench_extract_aws.py --users 10000
	$(VENV)/bin/python benchmarks/bench_reconcile.py --identities 100000 --grants 1000000
	$(VENV)/bin/python benchmarks/bench_reconcile.py --identities 1000000 --grants 10000000

clean:
	rm -rf .tools $(VENV) .pytest_cache .demo
