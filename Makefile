# Everything installs from nothing with only Python: a private uv in .tools/, the locked
# environment in .venv/ (uv.lock).
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: install test demo bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

test: install
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# The embedded demo estate arrives with the Dagster issue (#4); until then, say so.
demo:
	@echo "make demo: the embedded demo estate is not built yet (issue #4)."
	@echo "Meanwhile: 'make test' runs idrift end to end against an emulated AWS organization."

bench: install
	$(VENV)/bin/python benchmarks/bench_extract_aws.py --users 1000
	$(VENV)/bin/python benchmarks/bench_extract_aws.py --users 10000
	$(VENV)/bin/python benchmarks/bench_reconcile.py --identities 100000 --grants 1000000
	$(VENV)/bin/python benchmarks/bench_reconcile.py --identities 1000000 --grants 10000000

clean:
	rm -rf .tools $(VENV) .pytest_cache
