# Unravel: `make demo` and `make test` each install what is missing first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(PATH):/opt/swift/usr/bin

SWIFT ?= swift
OUT := .build/unravel
INTEROP := $(OUT)/interop/swift_written.h5

VENV := .build/unravel/venv
# The bench and interop targets use the local venv when it exists, else the system python3.
PYTHON_BENCH = $(if $(wildcard $(VENV)/bin/python),$(VENV)/bin/python,python3)

.PHONY: deps demo test build release bench bench-deps test-interop fixtures clean

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
	 python3 notebooks-export/test_make_dataset.py; \
	 else echo "make test: h5py unavailable; skipped the h5py read-back check and the dataset-maker tests" >&2; fi

## Unravel beside PyTorch eager and onnxruntime on CIFAR ResNet-110 (batch 128, 2 threads).
## Frameworks that are not installed are reported as absent; `make bench-deps` installs them.
bench: release
	$(PYTHON_BENCH) bench/bench.py --threads 2 --batch 128

## Installs torch, torchvision, onnx and onnxruntime into a local venv for bench and test-interop.
bench-deps:
	@test -x $(VENV)/bin/python || python3 -m venv --system-site-packages $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check torch torchvision onnx onnxruntime h5py numpy

## torchvision's resnet18 and resnet50 against `lesion predict` (too large to commit as fixtures).
test-interop: release bench-deps
	$(VENV)/bin/python notebooks-export/check_torchvision.py

## Regenerates the committed HDF5 fixtures with h5py.
fixtures: deps
	python3 notebooks-export/make_hdf5_fixtures.py Tests/HDF5Tests/Fixtures
	$(PYTHON_BENCH) notebooks-export/make_nets_fixtures.py Tests/NetsTests/Fixtures

clean:
	rm -rf .build
