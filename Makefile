# Two commands set everything up: `make demo` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-requirements
TEST_STAMP := $(VENV)/.installed-requirements-test
# The first Python 3.12+ on PATH (pyenv's shims honour .python-version).
PYTHON ?= $(shell for candidate in python3.12 python3.13 python3 python; do \
	$$candidate -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { echo $$candidate; break; }; done)

.PHONY: demo test install install-test lint check serve
.PHONY: browser-deps

$(STAMP): requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (see .python-version)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# The test and lint tools on top of production's packages (requirements-test.txt).
$(TEST_STAMP): requirements-test.txt $(STAMP)
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $(TEST_STAMP)

install: $(STAMP)
install-test: $(TEST_STAMP)

demo: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	@echo "The archive runs at http://127.0.0.1:8000/ — staff sign in at http://127.0.0.1:8000/admin/"
	$(PY) manage.py runserver 127.0.0.1:8000

test: $(TEST_STAMP)
	$(PY) -m pytest

# The browser tests need axe-core and the citation tests Better BibTeX's parser and
# citeproc-js (npm, pinned in package-lock.json); the browser tests need Debian's Chromium.
test: browser-deps

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund && touch $@; \
	else echo "npm not found: axe-core is missing, so the browser tests will be skipped."; fi

browser-deps: node_modules/.installed
	@command -v chromium >/dev/null || [ -n "$$ARCHIVE_CHROMIUM" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium; \
	  else echo "Chromium not found and not installable here: the browser tests will be skipped."; fi; }

# The production stack on one machine (gunicorn, the task workers), configured by the
# environment: see README, "Configuration for production".
serve: $(STAMP) vendor
	bin/serve

# The tests on real engines start redis-server processes of their own.
.PHONY: engine-deps
engine-deps:
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq redis-server; \
	  else echo "redis-server not found and not installable here: the Redis tests will be skipped."; fi; }
test: engine-deps

# The search's facet-count aggregate (postgresql/archive_facets), built against the local
# PostgreSQL server and installed into it; `migrate` then creates it in the database. The
# tests on PostgreSQL use it (and skip its own tests where it is missing, outside CI).
.PHONY: pg-extension
pg-extension:
	@major=$$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1); \
	pg_config=/usr/lib/postgresql/$$major/bin/pg_config; \
	if [ -z "$$major" ]; then \
	  echo "No local PostgreSQL server: the facet aggregate is not built."; exit 0; fi; \
	if [ ! -f "$$($$pg_config --pgxs 2>/dev/null)" ] || \
	   [ ! -f "$$($$pg_config --includedir-server 2>/dev/null)/postgres.h" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
	      postgresql-server-dev-$$major || { \
	      echo "postgresql-server-dev-$$major could not be installed: the facet aggregate is not built."; \
	      exit 0; }; \
	  else echo "postgresql-server-dev-$$major is missing: the facet aggregate is not built."; \
	    exit 0; fi; fi; \
	if [ -w "$$($$pg_config --pkglibdir)" ]; then \
	  $(MAKE) --no-print-directory -s -C postgresql/archive_facets PG_CONFIG=$$pg_config install \
	  || echo "The facet aggregate did not build: the search counts facets in plain SQL."; \
	else echo "PostgreSQL's folders are not writable here: run 'sudo make pg-extension'."; fi
test: pg-extension

lint: $(TEST_STAMP)
	$(PY) -m ruff check .

check: $(STAMP)
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# biber, biblatex's own reader of .bib files, reads the citation downloads in the tests (the
# npm packages above bring Zotero's Better BibTeX parser and citeproc-js).
.PHONY: citation-deps
citation-deps:
	@command -v biber >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
	      --no-install-recommends biber; \
	  else echo "biber not found and not installable here: its citation tests will be skipped."; fi; }
test: citation-deps

# The zooming scan viewer (OpenSeadragon) comes from npm into git-ignored folders and is
# served as a static file. Without it the record page shows plain images.
OPENSEADRAGON_VERSION := 6.1.1
OPENSEADRAGON := static/vendor/openseadragon/openseadragon.min.js
.PHONY: vendor
# The source map too: collectstatic (DEBUG off) checks that the file the script names exists.
vendor: $(OPENSEADRAGON).map
$(OPENSEADRAGON).map:
	@if npm install --no-save --no-audit --no-fund --prefix var/npm openseadragon@$(OPENSEADRAGON_VERSION); then \
		mkdir -p static/vendor/openseadragon; \
		cp var/npm/node_modules/openseadragon/build/openseadragon/openseadragon.min.js $(OPENSEADRAGON); \
		cp var/npm/node_modules/openseadragon/build/openseadragon/openseadragon.min.js.map $@; \
		cp -r var/npm/node_modules/openseadragon/build/openseadragon/images static/vendor/openseadragon/; \
	else echo "OpenSeadragon could not be installed from npm; the record page shows plain images."; fi
demo: vendor
test: vendor

# The IIIF Presentation 3 validator for the tests lives in its own virtualenv, because
# iiif-prezi3 pins an older Pillow than the archive uses.
IIIF_VALIDATOR := var/iiif-validator
.PHONY: iiif-validator
iiif-validator: $(IIIF_VALIDATOR)/.installed
$(IIIF_VALIDATOR)/.installed: requirements-iiif-validator.txt
	$(PYTHON) -m venv $(IIIF_VALIDATOR)
	$(IIIF_VALIDATOR)/bin/python -m pip install --quiet -r requirements-iiif-validator.txt
	touch $@
test: iiif-validator
