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
dev: install
	$(VENV)/bin/idrift demo --dev

bench: install
	$(VENV)/bin/python benchmarks/bench_extract_aws.py --users 1000
	$(VENV)/bin/python benchmarks/bench_extract_aws.py --users 10000
	$(VENV)/bin/python benchmarks/bench_reconcile.py --identities 100000 --grants 1000000
	$(VENV)/bin/python benchmarks/bench_reconcile.py --identities 1000000 --grants 10000000

clean:
	rm -rf .tools $(VENV) .pytest_cache .demo
