# Thin convenience layer over the CMake presets. Every target installs missing Debian packages first.
PRESET ?= debug
BUILD_DIR := build/$(PRESET)

.PHONY: all deps configure build test demo demo-regression demo-cli package bench format clean

all: build

deps:
	@./installer/deps-debian.sh

configure: deps
	@test -f $(BUILD_DIR)/build.ninja || cmake --preset $(PRESET)

build: configure
	@cmake --build --preset $(PRESET)

test: build
	@ctest --preset $(PRESET)

# The desktop console with the reference gateway's demo beside it.
demo: build
	@$(BUILD_DIR)/bin/canary-console --demo

# The demo whose canary degrades a few minutes in; the rollout plan catches it and rolls it back.
demo-regression: build
	@$(BUILD_DIR)/bin/canary-console --demo regression

# The same demo in a terminal only: the gateway watched with canaryctl.
demo-cli: build
	@./scripts/demo.sh $(BUILD_DIR)

package:
	@$(MAKE) --no-print-directory build PRESET=release
	@cd build/release && cpack

bench:
	@$(MAKE) --no-print-directory build PRESET=release
	@./bench/run.sh build/release

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	@rm -rf build
