# Unravel: `make demo` and `make test` each install what is missing first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(PATH):/opt/swift/usr/bin

SWIFT ?= swift
OUT := .build/unravel
INTEROP := $(OUT)/interop/swift_written.h5

.PHONY: deps demo test build release bench fixtures clean

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product lesion

## The main job: until the lesion experiments land, it shows what the tool will do.
demo: release
	.build/release/lesion --help

## Builds, runs every Swift test, fails on any HDF5 diagnostic text, then checks with h5py
## the file the Swift tests wrote.
test: deps
	@mkdir -p $(OUT)/interop
	@rm -f $(INTEROP)
	$(SWIFT) build --build-tests
	UNRAVEL_INTEROP_OUT=$(abspath $(INTEROP)) $(SWIFT) test 2>&1 | tee $(OUT)/test.log
	@if grep -q "HDF5-DIAG" $(OUT)/test.log; then echo "make test: HDF5 printed diagnostics (see $(OUT)/test.log)" >&2; exit 1; fi
	@if python3 -c "import h5py" 2>/dev/null; then python3 notebooks-export/check_swift_hdf5.py $(INTEROP); \
	 else echo "make test: h5py unavailable; skipped the h5py read-back check" >&2; fi

## Regenerates the committed HDF5 fixtures with h5py.
fixtures: deps
	python3 notebooks-export/make_hdf5_fixtures.py Tests/HDF5Tests/Fixtures

clean:
	rm -rf .build
