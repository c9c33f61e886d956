# The two commands of the README: `make book` and `make test`. Each creates .venv on first use and
# reinstalls it when requirements.txt or pyproject.toml change.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JB     := $(BIN)/jupyter-book
STRICT := -W -n --keep-going

.PHONY: all venv book test unit notebooks structure lint student clean

all: test

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip check
	@touch $(STAMP)

venv: $(STAMP)

## make book: the web book, notebooks executed (cached), strict, into _build/html
book: $(STAMP)
	$(JB) build . $(STRICT)
	@echo "The book is in _build/html/index.html"

## make test: unit tests, every notebook through nbval, lint, then a strict structure build
test: unit notebooks lint structure

unit: $(STAMP)
	$(BIN)/python -m pytest tests -q

notebooks: $(STAMP)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -q --durations=0 chapters book/chapter_template.ipynb

lint: $(STAMP)
	$(BIN)/ruff check wganlib tests

# The book's structure (toc, references, directives, citations) with execution off, so that no
# notebook runs twice; a broken link or directive fails here.
structure: $(STAMP)
	@mkdir -p _build
	sed 's/^\(  *execute_notebooks:\).*/\1 "off"/' _config.yml > _build/_config_structure.yml
	$(JB) build . $(STRICT) --config _build/_config_structure.yml --path-output _build/structure

clean:
	rm -rf _build student
