# Two commands: `make app` (the workbench on the bundled samples) and `make test`.
# Both create .venv and install what they need, Debian packages included.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8866
# Debian packages the tests use: LibreOffice (.doc/.wps, PDFs made from Word), poppler (pdftoppm),
# PostgreSQL (the store suite runs on a real server), Chromium + CJK fonts (browser tests, 通报 chart),
# qpdf (an encrypted PDF for the reader test).
APT_TEST := libreoffice-writer-nogui poppler-utils postgresql chromium fonts-noto-cjk qpdf
# `make fuzz`: examples per reader (text, HTML, DOCX); `make test` runs 2,000 of them
FUZZ_EXAMPLES ?= 20000

.PHONY: app test fuzz bench deps-test deps-app apt-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[app]'
	@command -v java >/dev/null || $(BIN)/pip install --quiet -e '.[java]'   # tabula needs a JVM
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[app,test]'
	@command -v java >/dev/null || $(BIN)/pip install --quiet -e '.[java]'   # tabula needs a JVM
	touch $@

apt-test:
	@missing=""; for p in $(APT_TEST); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

app: $(VENV)/.app
	$(BIN)/govaudit app data/samples --port $(PORT)

test: apt-test $(VENV)/.test
	$(BIN)/python -m pytest

fuzz: $(VENV)/.test
	GOVAUDIT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_fuzz.py

bench: apt-test $(VENV)/.test
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/store.py
	$(BIN)/python benchmarks/scale.py      # BENCH_SCALE_N (default 100000), BENCH_SCALE_QUICK=1
	$(BIN)/python benchmarks/app.py

clean:
	rm -rf $(VENV)
