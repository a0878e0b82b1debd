# lull — the two commands: `make run` and `make test` (or `./dev run` and `./dev test` on a
# machine without make). Everything else is a detail of those. Only run, test and deps
# install packages; the other targets expect them (`make deps` once).
SHELL := /bin/bash
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
CMAKE_FLAGS ?=

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20

.PHONY: all deps build run test test-release test-timing test-asan test-tsan fuzz bench soak music-stats palette-pictures clean install

all: build

deps:
	@scripts/install-deps.sh

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Serve the default station on http://127.0.0.1:8000 until Ctrl-C (PORT=... to change).
PORT ?= 8000
run: deps
	@$(MAKE) --no-print-directory build
	$(BUILD)/lull serve --port $(PORT)

# Install (after `make deps`): PREFIX (default /usr/local) and DESTDIR as usual;
# the paths inside the unit follow PREFIX.
PREFIX ?= /usr/local
install:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target lull_cli lull_man
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD)

test: deps
	@$(MAKE) --no-print-directory test-release test-asan test-tsan fuzz

# The wall clock is measured apart (label timing: real-time playback and lead,
# in the optimised build, on a quiet machine: make test-timing); with one of
# two cores busy, the player's real-time checks fail, so make test leaves them out.
test-release: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE timing

test-timing: build
	@cd $(BUILD) && ctest --output-on-failure -L timing

# Sanitizers slow every frame: tests of the wall clock (label timing) run only above.
test-asan:
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLULL_SANITIZE=address,undefined $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -LE timing

# Code shared between threads (ring, queue, station, server, Icecast output) under ThreadSanitizer.
test-tsan:
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLULL_SANITIZE=thread $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS) --target thread_tests lull_probe lull_cli
	@cd $(TSAN_BUILD) && LULL_TEST_SHORT=1 TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp $(TSAN_OPTIONS)" \
	  ctest --output-on-failure -L threads -LE timing

# Every parser of outside text under libFuzzer (clang; plain-C objects only),
# with ASan and UBSan, one after the other for FUZZ_SECONDS each, from the
# seeds in fuzz/corpus/NAME and what earlier runs kept in FUZZ_BUILD/corpus/NAME,
# with a dictionary from fuzz/dict (targets in fuzz/CMakeLists.txt). A crash or
# a broken invariant fails the run; its input and log stay in FUZZ_BUILD.
FUZZ_TARGETS ?= phrase timeline control rest query request station_spec icecast_url serve_config
fuzz:
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DLULL_SANITIZE=address,undefined \
	  -DLULL_FUZZ=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers >/dev/null
	@failed=; for t in $(FUZZ_TARGETS); do \
	  case $$t in control|rest|timeline) dict=json ;; query|request) dict=http ;; *) dict=$$t ;; esac; \
	  args=; test -f fuzz/dict/$$dict.dict && args=-dict=fuzz/dict/$$dict.dict; \
	  test $$t = request && args="$$args -max_len=2048"; \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t; log=$(FUZZ_BUILD)/fuzz-$$t.log; \
	  if $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/$$t- \
	       $$args $(FUZZ_BUILD)/corpus/$$t fuzz/corpus/$$t >$$log 2>&1; then \
	    runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
	    cov=$$(grep -E '^#[0-9]+.*cov: ' $$log | tail -1 | sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+).*/cov \1, ft \2/'); \
	    echo "fuzz: $$t, $(FUZZ_SECONDS) s, no crash ($$runs runs, $$cov)"; \
	  else \
	    grep -E '^(==|SUMMARY|.*invariant broken|artifact_prefix|Test unit written)' $$log; \
	    echo "fuzz: $$t FAILED (log: $$log)"; failed="$$failed $$t"; \
	  fi; \
	done; test -z "$$failed"

bench: build
	$(BUILD)/lull bench
	bench/bench_render.sh 5 $(BUILD)/lull
	$(BUILD)/bench_stations 4 20
	$(BUILD)/bench_server --listeners 5000 --seconds 30
	$(BUILD)/bench_server --floor --listeners 2000 --seconds 10 --rounds 3
	$(BUILD)/bench_control --listeners 2000 --changes 40
	node bench/bench_web.mjs

# The server under a steady crowd for SOAK_MINUTES (docs/reliability.md): 1000
# listeners stay, 20 a second come and go; a sample every 10 s in
# docs/reliability-soak.csv, drawn to docs/reliability-soak.svg.
SOAK_MINUTES ?= 60
soak: build
	$(BUILD)/soak --minutes $(SOAK_MINUTES) --csv docs/reliability-soak.csv
	$(BUILD)/soak_plot docs/reliability-soak.csv docs/reliability-soak.svg

# The music measured (issue 19, docs/music-before.md): seed MUSIC_SEED in A
# aeolian at 64 bpm, rendered with its MIDI into out/ at intensities 0.15,
# 0.45 and 0.85 for MINUTES each and at 0.45 for an hour, one after the
# other; bench/music_stats prints each one's figures (kept in out/NAME.txt)
# and draws out/NAME-loudness.svg and out/NAME-spectrogram.png.
MINUTES ?= 30
MUSIC_SEED ?= 7
music-stats:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target lull_cli music_stats >/dev/null
	@mkdir -p out
	@set -o pipefail; for run in $(sort 0.15:$(MINUTES) 0.45:$(MINUTES) 0.85:$(MINUTES) 0.45:60); do \
	  i=$${run%:*}; m=$${run#*:}; name=out/music-$${i#0.}-$${m}min; \
	  echo "== lull render -o $$name.flac --minutes $$m --key A --mode aeolian --bpm 64 --intensity $$i --seed $(MUSIC_SEED) --midi $$name.mid"; \
	  $(BUILD)/lull render -o $$name.flac --minutes $$m --key A --mode aeolian --bpm 64 --intensity $$i \
	    --seed $(MUSIC_SEED) --midi $$name.mid --quiet || exit 1; \
	  $(BUILD)/music_stats $$name.flac --midi $$name.mid --key A --mode aeolian --bpm 64 --svg-prefix $$name \
	    | tee $$name.txt || exit 1; echo; \
	done

# Each palette drawn (issue 20, docs/palettes.md): 3 minutes at intensity 0.5,
# seed 7, rendered with its MIDI into out/; music_stats draws
# docs/palette-NAME-spectrogram.png and -loudness.svg, and the figures go into
# docs/palettes.md's table (scripts/palette-pictures.sh). Rerun after the
# palettes' levels change.
palette-pictures:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target lull_cli music_stats >/dev/null
	@scripts/palette-pictures.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD) out
