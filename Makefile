# hacrm: the two commands a new user types are `make demo` and `make test`.
SHELL := /bin/bash
NODE_MODULES := node_modules/.package-lock.json

.PHONY: setup build test test-unit test-e2e bench demo lint clean

$(NODE_MODULES): package.json package-lock.json packages/*/package.json
	npm ci
	@touch $@

setup: $(NODE_MODULES) build

build: $(NODE_MODULES)
	npx tsc -b

# Everything CI runs.
test: build
	npx vitest run

test-unit: build
	npx vitest run --project unit

test-e2e: build
	npx vitest run --project e2e

bench: build
	node bench/run.mjs $(BENCH)

demo: build
	bash scripts/demo.sh

lint: $(NODE_MODULES)
	npx eslint .
	npx prettier --check .

clean:
	npx tsc -b --clean
