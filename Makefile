# Thin wrapper around CMake.  The two set-up commands:
#   make run    install dependencies, build a release binary, start the server
#   make test   install dependencies, build, run every test suite (ctest)
# Options: SAN=1 (ASan+UBSan debug build in build-san/), BUILD_TYPE=Debug,
#          ARGS="..." extra flags for `pgkv start`, CTEST_ARGS="-R name".

SAN ?= 0
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)

ifeq ($(SAN),1)
BUILD_DIR := build-san
CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=Debug -DPGKV_SANITIZE=ON
else
BUILD_DIR := build
CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
endif

.PHONY: all deps build run test bench clean format

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/pgkv start $(ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

bench: build
	./bench/run.sh

format:
	find common pgwire sql kv server tests bench -name '*.[ch]' | xargs clang-format -i

clean:
	rm -rf build build-san
