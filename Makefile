# Benchmarks (issue 9). PYTHON defaults to the project's venv when there is one.
PYTHON ?= $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)

.PHONY: bench bench-quick

bench:  ## 1,000,000 records: bench/results/latest.json
	$(PYTHON) -m bench --records 1000000 --output bench/results/latest.json

bench-quick:  ## ~50,000 records, shorter runs: bench/results/quick.json
	$(PYTHON) -m bench --quick --output bench/results/quick.json
