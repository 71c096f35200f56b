# fraud-platform — the commands an operator runs. See README.md.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
DATA ?= data/demo
BENCH ?=
FP := $(BUILD_DIR)/tools/fp/fp
SOURCES = $(shell git ls-files '*.hpp' '*.cpp' 2>/dev/null)
# Let ccache reuse objects across clones in other directories (CI builds a fresh clone).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: deps configure build test demo bench format format-check clean

deps:
	@bash tools/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

format-check: deps
	@clang-format --dry-run --Werror $(SOURCES) || \
	  { echo "format-check: files above are not clang-formatted; run 'make format'" >&2; exit 1; }

format: deps
	@clang-format -i $(SOURCES)

test: build format-check
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

demo: build
	@bash tools/demo.sh $(BUILD_DIR) $(DATA)

# Only the benchmarks' JSON lines go to stdout; building and progress go to stderr.
bench:
	@$(MAKE) --no-print-directory build 1>&2
	@bash tests/bench/run.sh $(BUILD_DIR) $(BENCH)

clean:
	@rm -rf $(BUILD_DIR)
