# Two commands: `make run` and `make test`. Both set up .venv when needed.
PYTHON ?= python3
PORT ?= 8501
ADDRESS ?= localhost
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint screenshot clean

# Reinstall only when a requirements file changed since the last install.
$(VENV)/.run-installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.run-installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.run-installed
	PORT=$(PORT) ADDRESS=$(ADDRESS) sh scripts/run.sh

test: $(VENV)/.dev-installed
	sh scripts/test.sh

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

# Retake docs/overview.png with the browser test.
screenshot: $(VENV)/.dev-installed
	OUTREACH_UPDATE_SCREENSHOT=1 $(BIN)/python -m pytest -q tests/test_browser.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
