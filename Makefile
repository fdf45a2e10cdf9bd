# Two commands a newcomer needs: `make app` and `make test` (see README.md).
# Both create .venv on first use and install the project into it.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.solewear-installed

# Offline by design: never let a library phone home at run time.
export HF_HUB_OFFLINE := 1
export NO_ALBUMENTATIONS_UPDATE := 1
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false

.PHONY: app test install lock browser screenshot samples bench model yardstick clean

install: $(STAMP)

# Exact versions with their hashes (requirements.lock), so a fresh machine gets what CI tested;
# the project itself is then installed without touching them.
LOCK := requirements.lock
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $(STAMP)

# Refresh requirements.lock after changing the dependencies in pyproject.toml (pip-tools, in a throw-away venv).
lock:
	tmp=$$(mktemp -d) && $(PYTHON) -m venv $$tmp && $$tmp/bin/python -m pip install --quiet pip-tools && \
	  $$tmp/bin/pip-compile --quiet --extra dev --generate-hashes --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml; status=$$?; rm -rf $$tmp; exit $$status

app: $(STAMP)
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port 8501 --server.headless true

test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 --dist loadfile -rs --durations=15

# The browser test drives Debian's Chromium (no browser download). Install it
# when missing; if that is impossible the test is skipped and says why.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  { $(SUDO) apt-get install -y -q chromium >/dev/null 2>&1 || \
	    { $(SUDO) apt-get update -q >/dev/null 2>&1 && $(SUDO) apt-get install -y -q chromium >/dev/null 2>&1; }; }; } || \
	  echo "Could not install chromium: the browser test will be skipped."

# Re-take the README's screenshot of a result page (docs/screenshots/) with the browser test.
screenshot: $(STAMP) browser
	SOLEWEAR_SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest -q tests/test_browser.py

# Re-make the small example photos in data/samples/ (committed).
samples: $(STAMP)
	$(BIN)/python -m training.samples data/samples

# Regenerate the training data, retrain the bundled default model and rewrite MODEL_CARD.md (81 minutes on 2 cores on 2026-12-02, 117 that evening on a slower machine; 49 on 2026-11-24, when the machine ran about 1.9x faster; about 100 at the pace of 2026-12-03, a slower day still, with the frozen stages in onnxruntime: three epochs measured).
MODEL_DATA := data/generated
# Stage 2: the generated-only model tuned with real photos of brand-new soles mixed in (training.real_soles;
# found at $$SOLEWEAR_REAL_SOLES, skipped with a note where absent): they teach where a real sole is and that
# real tread, two-tone rubber and logos are not wear.
REAL_TUNE := --set model.init_from=runs/default/best.safetensors --set optim.epochs=3 --set optim.lr=0.0006 \
  --set optim.warmup_epochs=0.2 --set optim.validate_from=1 --set augment.negative_p=0.2 --set augment.natural_p=0.75 \
  --set "data.sources=[{kind: manifest, path: $(MODEL_DATA)/train, weight: 0.8}, {kind: outlines, weight: 0.2, required: false}]"
model: $(STAMP)
	$(BIN)/solewear generate $(MODEL_DATA)/train --n 8000 --seed 1 --workers 2 --quiet
	$(BIN)/solewear generate $(MODEL_DATA)/val --n 1000 --seed 2 --workers 2 --quiet
	$(BIN)/solewear generate $(MODEL_DATA)/test --n 1000 --seed 3 --workers 2 --quiet
	$(BIN)/solewear train --config configs/default.yaml --out runs/default --exist-ok
	$(BIN)/solewear train --config configs/default.yaml --out runs/real-tune --exist-ok $(REAL_TUNE)
	cp runs/real-tune/best.safetensors inference/assets/default_model.safetensors
	cp runs/real-tune/best.json inference/assets/default_model.json
	$(BIN)/python -m training.model_card --test $(MODEL_DATA)/test --train $(MODEL_DATA)/train

# Leave-style-out yardstick: the default recipe trained on soles of the seen appearance values only, then read on
# in-style soles and on soles whose every appearance factor is held out (training.generator.style). The figure a
# recipe is chosen by, with the real-photo figures (docs/model/experiments.md). Smaller and faster:
# make yardstick YARDSTICK_N=3000 YARDSTICK_SET="--set optim.epochs=6 --set optim.validate_from=4"
YARDSTICK := runs/yardstick
YARDSTICK_N := 8000
YARDSTICK_SET :=
yardstick: $(STAMP)
	$(BIN)/solewear generate $(YARDSTICK)/seen-train --n $(YARDSTICK_N) --seed 11 --style seen --workers 2 --quiet
	$(BIN)/solewear generate $(YARDSTICK)/seen-val --n 500 --seed 12 --style seen --workers 2 --quiet
	$(BIN)/solewear generate $(YARDSTICK)/seen-test --n 1000 --seed 13 --style seen --workers 2 --quiet
	$(BIN)/solewear generate $(YARDSTICK)/held-out-test --n 1000 --seed 14 --style held_out --workers 2 --quiet
	$(BIN)/solewear train --config configs/default.yaml --out $(YARDSTICK)/run --exist-ok \
	  --set "data.sources=[{kind: manifest, path: $(YARDSTICK)/seen-train}]" \
	  --set "data.val={kind: manifest, path: $(YARDSTICK)/seen-val}" $(YARDSTICK_SET)
	$(BIN)/solewear evaluate --checkpoint $(YARDSTICK)/run/best.safetensors --manifest $(YARDSTICK)/seen-test \
	  --held-out-style $(YARDSTICK)/held-out-test --out $(YARDSTICK)/eval
	$(BIN)/python -m training.model_card --record-yardstick $(YARDSTICK)

# Run one benchmark: make bench NAME=generate
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(NAME)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
