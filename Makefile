# Every target sets itself up: a machine with only python3 and make is enough.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench
FUZZ_STAMP := $(VENV)/.installed-fuzz
# seconds per harness for `make fuzz`; harnesses run one after the other
SECONDS ?= 60
FUZZ_HARNESSES := loads container header params verify decrypt log

.PHONY: test demo bench bench-storage lint clean age fuzz fuzz-smoke

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	touch $@

$(FUZZ_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,fuzz]'
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples spec/generate fuzz
	$(BIN)/mypy

# The interop tests run the stock `age` tool (Debian package `age`) where it can be installed;
# elsewhere they skip, saying why. Never fatal: apt may be missing or need privileges.
age:
	@command -v age >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
		{ [ "$$(id -u)" = 0 ] && SUDO= || SUDO="sudo -n"; \
		  $$SUDO apt-get install -y -qq age >/dev/null 2>&1 || \
		  { $$SUDO apt-get update -qq >/dev/null 2>&1 && \
		    $$SUDO apt-get install -y -qq age >/dev/null 2>&1; }; }; } || true
	@command -v age >/dev/null 2>&1 && echo "age: $$(age --version)" || \
		echo "age: not installed; its interop tests will skip"

test: lint age
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	$(BIN)/python examples/demo.py

bench: $(BENCH_STAMP)
	$(BIN)/python bench/compare.py

# Compression and encryption in one run: sizes against joblib compress=3 and load cost of
# compression (the eight models), age throughput and peak memory, encrypted loads.
bench-storage: $(BENCH_STAMP)
	$(BIN)/python bench/compression.py
	$(BIN)/python bench/age_throughput.py
	$(BIN)/python bench/encrypted.py
	$(BIN)/python bench/store.py

# Coverage-guided fuzzing with atheris (fuzz/README.md): each harness for $(SECONDS) s, in
# turn. Seed corpora are generated into fuzz/corpus/<harness>/ on first run; crashes, foreign
# exceptions and timeouts (-timeout=5 s per input) land in fuzz/findings/<harness>/ and stop
# the target with an error.
fuzz: $(FUZZ_STAMP)
	@mkdir -p fuzz/corpus
	@for h in $(FUZZ_HARNESSES); do \
		echo "== fuzz_$$h: $(SECONDS) s (log: fuzz/corpus/$$h.log)"; \
		$(BIN)/python fuzz/fuzz_$$h.py -max_total_time=$(SECONDS) -timeout=5 \
			-print_final_stats=1 > fuzz/corpus/$$h.log 2>&1; rc=$$?; \
		grep -E "INITED|DONE|number_of_executed_units|new_units_added" fuzz/corpus/$$h.log; \
		if [ $$rc -ne 0 ]; then tail -n 40 fuzz/corpus/$$h.log; exit $$rc; fi; \
	done

# The deterministic replay pass CI runs (no atheris): seeds and mutants of each harness.
fuzz-smoke: $(STAMP)
	@for h in $(FUZZ_HARNESSES); do $(BIN)/python fuzz/fuzz_$$h.py --mutate 20 || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
