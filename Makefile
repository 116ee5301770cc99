# The two commands a newcomer needs are `make demo` and `make test`.
# Everything is installed into .venv from pyproject.toml; `make test` also installs Debian's
# Chromium for the browser tests (browser-deps), which skip without it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo demo-code phone test lint bench locales install clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "chatsurvey needs Python 3.11 or newer"' \
		|| { echo "Python 3.11 or newer is needed (found: $(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@# The developer tools (devtools/: the demo, the terminal phone) stay in this checkout,
	@# outside the wheel; this venv finds them here.
	$(BIN)/python -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()["purelib"], \
		"chatsurvey-devtools.pth").write_text("$(CURDIR)\n")'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

## Run the service locally with an embedded Redis and SQLite, and a demo council.
## Another port: make demo PORT=5050 (then make phone PORT=5050).
PORT ?= 5000
demo: install
	$(BIN)/chatsurvey demo --port $(PORT)

## Text the demo council's number from this terminal (while `make demo` runs).
phone: install
	CHATSURVEY_SECRET_KEY="$$(cat instance/demo-secret-key)" $(BIN)/chatsurvey phone --to +447700900123 \
		--url http://127.0.0.1:$(PORT)

## The demo analyst's sign-in code (the authenticator app a real analyst would use).
demo-code: install
	@$(BIN)/python -c 'import pyotp; print(pyotp.TOTP(open("instance/demo-analyst-totp").read().strip()).now())'

## Debian's Chromium (and a colour emoji font) for the browser tests, which skip loudly without it;
## poppler-utils to draw the paper questionnaires to PNG in the tests.
browser-deps:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/pdftoppm ]; then exit 0; fi; \
	echo "browser-deps: installing Debian's chromium (browser tests) and poppler-utils (paper PDFs drawn to PNG)"; \
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		chromium fonts-noto-color-emoji poppler-utils; } \
	|| echo "browser-deps: could not install chromium (apt-get needs root on Debian);" \
		"the browser tests will be skipped."

# The engine's own tests, which alone must cover every branch of chatsurvey/engine/.
ENGINE_TESTS := $(addprefix tests/test_,runtime runtime_edges golden properties inputs \
	safeguarding sms render product_flows compile conditions lint catalogue extract source \
	state_pack engine_purity cli_flows local_slots languages flows_check_warnings \
	named_scales)
ENGINE_TESTS := $(addsuffix .py,$(ENGINE_TESTS))

## Lint, check types, check the flows, run every test, and hold the engine to 100% branch coverage.
## Every test runs once: the rest of the suite first, then the engine's tests under coverage
## (coverage traces only them: tracing the whole suite nearly doubles its time).
test: install browser-deps
	$(BIN)/ruff check .
	$(BIN)/pyright
	$(BIN)/chatsurvey flows check flows/
	$(BIN)/pytest $(PYTEST_ARGS) $(addprefix --ignore=,$(ENGINE_TESTS))
	$(BIN)/pytest -q --cov=chatsurvey.engine --cov-report= $(ENGINE_TESTS)
	$(BIN)/coverage report --include='chatsurvey/engine/*' --fail-under=100

lint: install
	$(BIN)/ruff check .
	$(BIN)/pyright

## Benchmarks; figures are written to docs/benchmarks.md.
bench: install
	@command -v wrk >/dev/null || { echo "bench: installing Debian's wrk (HTTP load)"; \
		apt-get install -y -qq wrk >/dev/null || echo "bench: could not install wrk; the HTTP benchmark will say so."; }
	$(BIN)/python -m bench

## Re-extract every message (flows, the chat page, what chatsurvey texts) into each catalogue.
locales: install
	$(BIN)/pybabel extract -F babel.cfg -o locales/flows.pot --no-wrap --omit-header --sort-by-file .
	$(BIN)/python scripts/update_catalogues.py locales/flows.pot locales flows --flows flows
	$(BIN)/pybabel extract -F babel-web.cfg -o chatsurvey/locales/web.pot --no-wrap --omit-header --sort-by-file .
	$(BIN)/python scripts/update_catalogues.py chatsurvey/locales/web.pot chatsurvey/locales web
	$(BIN)/pybabel extract -F babel-sms.cfg -k P_:1c,2 -o chatsurvey/locales/sms.pot --no-wrap --omit-header --sort-by-file .
	$(BIN)/python scripts/update_catalogues.py chatsurvey/locales/sms.pot chatsurvey/locales sms

clean:
	rm -rf $(VENV) .pytest_cache .coverage .hypothesis
