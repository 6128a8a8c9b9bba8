# Two commands: `make app` (the workbench on the bundled samples) and `make test`; `make lab` opens the
# analysts' notebook in JupyterLab. All create .venv and install what they need, Debian packages included.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8866
LAB_PORT ?= 8888
# the folder notebooks/explore.ipynb reads (its kernel runs in notebooks/, so an absolute path)
GOVAUDIT_DATA ?= $(CURDIR)/data/samples
# Debian packages the workbench and JupyterLab need: a CJK font for the charts (matplotlib, the 通报 chart)
APT_APP := fonts-noto-cjk
# Debian packages the tests use: LibreOffice (.doc/.wps, PDFs made from Word), poppler (pdftoppm),
# PostgreSQL (the store suite runs on a real server), Chromium + CJK fonts (browser tests, 通报 chart),
# qpdf (an encrypted PDF for the reader test).
APT_TEST := libreoffice-writer-nogui poppler-utils postgresql chromium fonts-noto-cjk qpdf
# `make fuzz`: examples per reader (text, HTML, DOCX); `make test` runs 2,000 of them
FUZZ_EXAMPLES ?= 20000

.PHONY: app lab test fuzz bench deps-test deps-app apt-app apt-test clean

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

# install the Debian packages of $(1) that are missing
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
endef

apt-app:
	$(call apt_install,$(APT_APP))

apt-test:
	$(call apt_install,$(APT_TEST))

app: apt-app $(VENV)/.app
	$(BIN)/govaudit app data/samples --port $(PORT)

lab: apt-app $(VENV)/.app
	GOVAUDIT_DATA="$(GOVAUDIT_DATA)" $(BIN)/jupyter lab notebooks/explore.ipynb --ip 127.0.0.1 --port $(LAB_PORT) \
	  $(if $(filter 0,$(shell id -u)),--allow-root)      # Jupyter refuses root without it (containers, CI)

test: apt-test $(VENV)/.test
	$(BIN)/python -m pytest

fuzz: $(VENV)/.test
	GOVAUDIT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_fuzz.py

bench: apt-test $(VENV)/.test
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/store.py
	$(BIN)/python benchmarks/scale.py      # BENCH_SCALE_N (default 100000), BENCH_SCALE_QUICK=1
	$(BIN)/python benchmarks/app.py
	$(BIN)/python benchmarks/bulletin_notebook.py

clean:
	rm -rf $(VENV)
