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

.PHONY: deps demo test-report test-slurm test-tsan fuzz test test-notebooks build release bench bench-masks bench-deps test-interop fixtures clean

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product lesion

## The main job: every lesion and path study of the bundled reference networks (trained on
## MNIST digits by notebooks-export/train_reference.py), then the report with the paper's figures.
DEMO_OPTIONS := --limit 500 --max-k 8 --samples 10 --max-swaps 8 --orders 6 --gradient-images 128 --save-images 3 \
  --probes lens,linear,cka,inference --project
demo: release
	.build/release/lesion study -o results.h5 --resume $(DEMO_OPTIONS)
	.build/release/lesion report results.h5 -o report.html
	@echo "make demo: open report.html in a browser"

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
	@if python3 -c "import h5py, numpy, matplotlib" 2>/dev/null; then $(MAKE) --no-print-directory test-notebooks; \
	 else echo "make test: matplotlib unavailable; skipped the notebook twins" >&2; fi

## The notebooks' script twins on a small results file: they must draw every figure as a PNG
## (the paper's six and the four probes').
test-notebooks:
	@mkdir -p $(OUT)/notebooks
	python3 notebooks-export/sync_notebooks.py --check
	python3 -c "import sys; sys.path.insert(0, 'notebooks-export'); import make_dataset, numpy as np; \
	  r = np.random.default_rng(0); make_dataset.write('$(OUT)/notebooks/noise.h5', \
	  r.standard_normal((32, 3, 32, 32)).astype(np.float32), r.integers(0, 10, 32), [str(c) for c in range(10)], 'noise')"
	.build/debug/lesion study Tests/NetsTests/Fixtures/resnet20_a.model.h5 $(OUT)/notebooks/noise.h5 \
	  -o $(OUT)/notebooks/small.h5 --force --quiet --batch-size 16 --max-k 2 --samples 2 --max-swaps 1 --orders 2 \
	  --probes lens,linear,cka,inference > /dev/null
	rm -f $(OUT)/notebooks/*.png
	python3 notebooks-export/plot_results.py $(OUT)/notebooks/small.h5 --out $(OUT)/notebooks
	@test $$(ls $(OUT)/notebooks/*.png | wc -l) -eq 10 || { echo "make test: the notebooks did not draw 10 PNGs" >&2; exit 1; }

## The report as a real browser draws it: headless Chromium (installed if missing, as root) at
## 800 and 1400 px. Fails when text overlaps, runs outside a figure or a legend covers the plot;
## saves docs/report-800.png and docs/report-1400.png (and docs/report.png). Uses make demo's
## results.h5, made first if missing. Not in `make test`: it needs Chromium.
test-report: release
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || { echo "make test-report: install Chromium (apt-get install chromium)" >&2; exit 1; }
	@test -f results.h5 || .build/release/lesion study -o results.h5 --resume $(DEMO_OPTIONS)
	.build/release/lesion report results.h5 -o report.html --figures figures
	python3 scripts/check_report.py --self-test
	python3 scripts/check_report.py report.html --shots docs
	cp docs/report-1400.png docs/report.png

## The concurrency tests (one network on many Swift tasks, two side by side) under the thread
## sanitizer, built apart in .build/tsan. One OpenMP thread per task: libgomp is not instrumented,
## so its hand-overs would be reported as races. Not in `make test`: the build takes minutes.
test-tsan: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build/tsan
	UNRAVEL_TEST_OMP_THREADS=1 TSAN_OPTIONS=halt_on_error=1 \
	  $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build/tsan --filter ConcurrencyTests

## libFuzzer with the address sanitizer over every reader of users' files (fuzz/, scripts/fuzz):
## FUZZ_SECONDS (600) per harness, FUZZ_JOBS (2) at a time; prints executions, coverage and
## crashes per harness. Not in `make test`.
fuzz: release
	scripts/fuzz

## docs/slurm-array.sh on a real one-node Slurm cluster on localhost (installs slurm-wlm and munge
## if missing; needs root): a 4-task study and its merge job equal the unsharded study, also after
## a task is cancelled mid-run and requeued. Not in `make test`: it starts daemons.
test-slurm: release
	scripts/test-slurm

## Unravel beside PyTorch eager and onnxruntime on each network form (bench/forms.py: CIFAR
## ResNet-110, torchvision ResNet-50 at 224, pre-activation and highway; BENCH_OPTIONS=--long adds
## ResNet-152), 2 threads, with the machine's FP32 peak measured in the same rounds, so that
## every rate is also a share of it; then peak memory and the sweeps against PyTorch's loops.
## Frameworks that are not installed are reported as absent; `make bench-deps` installs them.
bench: release $(OUT)/peak
	$(PYTHON_BENCH) bench/bench.py --threads 2 $(BENCH_OPTIONS)

$(OUT)/peak: bench/peak.c
	@mkdir -p $(OUT)
	$(CC) -O2 -pthread $< -o $@

## The ReLU masks' packing and application beside memcpy, at ResNet-50's sizes: what bounds
## the masks of a gradient pass (bench/masks.c).
bench-masks: $(OUT)/masks
	OMP_NUM_THREADS=2 $(OUT)/masks

$(OUT)/masks: bench/masks.c Sources/CDNNL/signs.c Sources/CDNNL/include/unravel_signs.h
	@mkdir -p $(OUT)
	$(CC) -O2 -fopenmp -ISources/CDNNL/include bench/masks.c Sources/CDNNL/signs.c -o $@

## Installs torch, torchvision, onnx and onnxruntime into a local venv for bench and test-interop.
bench-deps:
	@test -x $(VENV)/bin/python || python3 -m venv --system-site-packages $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check torch torchvision onnx onnxruntime h5py numpy

## What is too large to commit as fixtures: the exporters on the published akamaster checkpoints
## and on full-size torchvision, timm and transformers models and their ONNX exports, their error cases, torchvision's
## resnet18/50 and resnext50, keras.applications ResNet50/ResNet50V2, and He et al.'s Caffe
## ResNet-50 prototxt on random weights, all against `lesion predict`.
test-interop: release bench-deps
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check keras jax timm transformers safetensors pillow onnxscript
	$(VENV)/bin/python notebooks-export/test_export_pytorch.py
	$(VENV)/bin/python notebooks-export/test_export_onnx.py
	$(VENV)/bin/python notebooks-export/check_torchvision.py
	$(VENV)/bin/python notebooks-export/check_caffe_resnet50.py
	KERAS_BACKEND=jax $(VENV)/bin/python notebooks-export/check_keras_applications.py

## Regenerates the committed HDF5 fixtures with h5py.
fixtures: release
	python3 notebooks-export/make_hdf5_fixtures.py Tests/HDF5Tests/Fixtures
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check timm transformers
	$(PYTHON_BENCH) notebooks-export/make_nets_fixtures.py Tests/NetsTests/Fixtures
	$(PYTHON_BENCH) notebooks-export/make_probe_fixtures.py Tests/AnalysisTests/Fixtures
	$(PYTHON_BENCH) notebooks-export/make_caffe_fixtures.py Tests/NetsTests/Fixtures/caffe
	$(PYTHON_BENCH) notebooks-export/make_onnx_fixtures.py Tests/NetsTests/Fixtures/onnx
	KERAS_BACKEND=jax $(PYTHON_BENCH) notebooks-export/make_keras_fixtures.py Tests/NetsTests/Fixtures/keras

clean:
	rm -rf .build
