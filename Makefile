# relationship-selling-sim: two commands set everything up on a fresh machine.
#
#   make run    create .venv (Python >= 3.12), install the project, run the baseline scenario
#   make test   create .venv, install the project, run the whole test suite
#
# The virtual environment is rebuilt (pip re-install) whenever pyproject.toml changes, via a stamp
# file. Override the interpreter with `make PYTHON=/path/to/python3.12 ...`, the extras with
# `make EXTRAS=test ...`, and pass pytest options with `make test PYTEST_ARGS="-m 'not slow'"`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV        ?= .venv
VENV_PY     := $(VENV)/bin/python
STAMP       := $(VENV)/.install-stamp
EXTRAS      ?= dev
# Only `make PYTHON=...` on the command line picks the interpreter; a stray PYTHON in the
# environment (some CI images set one) is ignored.
BASE_PYTHON := $(if $(filter command line,$(origin PYTHON)),$(PYTHON))
PYTEST_ARGS ?=
SCENARIO    ?= baseline
OUT         ?= results/$(SCENARIO)
PIP_FLAGS   ?= --disable-pip-version-check --progress-bar off

# Interpreters tried, in order, when PYTHON is not given. Each is actually run and must report
# Python >= 3.12 (pyenv shims for versions that are not selected fail and are skipped).
PYENV_ROOTS   := $(sort $(PYENV_ROOT) $(HOME)/.pyenv /root/.pyenv)
PY_CANDIDATES := python3.12 python3.13 python3.14 python3 \
	$(foreach v,3.12 3.13,$(foreach r,$(PYENV_ROOTS),$(r)/versions/$(v)*/bin/python)) \
	/usr/local/bin/python3.12 /usr/local/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3.13

.PHONY: help venv install run test test-fast lint format scenarios environment.yml clean clean-venv validate

help:
	@echo "make run        set up .venv and run the baseline scenario into $(OUT)"
	@echo "make test       set up .venv and run the whole pytest suite"
	@echo "make test-fast  the suite without tests marked slow"
	@echo "make lint       ruff check sim tests benchmarks"
	@echo "make lab        open the notebooks in JupyterLab at http://127.0.0.1:8888/ (PORT=... to change)"
	@echo "make dashboard  serve the consultant dashboard with Voila at http://127.0.0.1:8866/ (PORT=...)"
	@echo "                both listen on 127.0.0.1 only; HOST=... needs ALLOW_REMOTE=1 (anyone reaching it runs code)"
	@echo "make validate   rerun the validity checks and regenerate docs/VALIDATION.md (~3 min)"
	@echo "make calibrate  history matching: regenerate the accepted ensemble sim/configs/calibration/ensemble.yaml"
	@echo "make headlines  measure every shipped scenario on the ensemble (headline + attribution) into headlines.yaml"
	@echo "make scenarios  list the shipped scenarios"
	@echo "make environment.yml  regenerate environment.yml from the pins in pyproject.toml"
	@echo "make clean      remove results/ and caches;  make clean-venv  remove .venv"

# -- environment ---------------------------------------------------------------------------------
venv install: $(STAMP)

$(VENV_PY):
	@py="$(BASE_PYTHON)"; \
	if [ -n "$$py" ]; then \
	  if ! "$$py" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    echo "error: PYTHON=$$py is not a working Python >= 3.12" >&2; exit 1; \
	  fi; \
	else \
	  for cand in $(PY_CANDIDATES); do \
	    if "$$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then py="$$cand"; break; fi; \
	  done; \
	fi; \
	if [ -z "$$py" ]; then \
	  echo "error: no Python >= 3.12 found (tried python3.12, python3.13, python3, ~/.pyenv/versions/3.12*|3.13*)." >&2; \
	  echo "       Install one, or run: make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)" >&2; \
	  exit 1; \
	fi; \
	echo "creating $(VENV) with $$py ($$("$$py" -c 'import sys; print(sys.version.split()[0])'))"; \
	"$$py" -m venv "$(VENV)"

$(STAMP): pyproject.toml | $(VENV_PY)
	@$(VENV_PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { \
	  echo "error: $(VENV) uses Python $$($(VENV_PY) -c 'import sys; print(sys.version.split()[0])'), need >= 3.12; run 'make clean-venv' first" >&2; exit 1; }
	$(VENV_PY) -m pip install $(PIP_FLAGS) --quiet --upgrade pip
	$(VENV_PY) -m pip install $(PIP_FLAGS) -e '.[$(EXTRAS)]'
	@# an editable install gets no .pyc files from pip; with PYTHONDONTWRITEBYTECODE set, every
	@# command would compile the package's sources again (0.1 s of 'python -m sim run')
	$(VENV_PY) -m compileall -q sim
	@echo "compiling the model's numba kernels into their on-disk cache (once, about half a minute)"
	$(VENV_PY) -c 'import sim.model.warmup; sim.model.warmup.warm_up()'
	@touch $(STAMP)

# -- the two commands ----------------------------------------------------------------------------
run: $(STAMP)
	$(VENV_PY) -m sim run $(SCENARIO) --out $(OUT)

test: $(STAMP)
	$(VENV_PY) -m pytest $(PYTEST_ARGS)

# -- conveniences --------------------------------------------------------------------------------
test-fast: $(STAMP)
	$(VENV_PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check sim tests benchmarks

format: $(STAMP)
	$(VENV)/bin/ruff format sim tests benchmarks

scenarios: $(STAMP)
	$(VENV_PY) -m sim scenarios

# environment.yml mirrors the exact pins of pyproject.toml (dependencies + every extra).
define GEN_ENVIRONMENT_YML
import re, tomllib
proj = tomllib.load(open("pyproject.toml", "rb"))["project"]
reqs = list(proj["dependencies"])
for extra in proj.get("optional-dependencies", {}).values():
    reqs += [r for r in extra if not r.startswith(proj["name"] + "[") and r not in reqs]
python = re.search(r"3[.][0-9]+", proj["requires-python"]).group(0)
lines = [
    "# Conda environment mirroring the exact pins in pyproject.toml (the single source of truth).",
    "# Regenerate with `make environment.yml`; tests/test_packaging.py checks that they agree.",
    "#   conda env create -f environment.yml && conda activate relationship-selling-sim",
    "name: relationship-selling-sim",
    "channels:",
    "  - conda-forge",
    "dependencies:",
    f"  - python={python}",
    "  - pip",
    "  - pip:",
    *[f"      - {r}" for r in reqs],
    "      - -e .",
]
open("environment.yml", "w").write("\n".join(lines) + "\n")
print(f"wrote environment.yml ({len(reqs)} pinned packages)")
endef
export GEN_ENVIRONMENT_YML

environment.yml: pyproject.toml
	@py="$(VENV_PY)"; [ -x "$$py" ] || py="$(or $(BASE_PYTHON),python3)"; "$$py" -c "$$GEN_ENVIRONMENT_YML"

clean:
	rm -rf results test-artifacts .pytest_cache .ruff_cache .hypothesis build dist *.egg-info
	find sim tests -name __pycache__ -type d -prune -exec rm -rf {} +

clean-venv:
	rm -rf $(VENV)

# -- servers: the client dashboard (Voila) and JupyterLab ------------------------------------------
# Both serve live Jupyter kernels: whoever can reach the port can run any code on this machine as
# the user who started it. So they listen on the loopback interface only:
#   make dashboard            -> http://127.0.0.1:8866/  (notebooks/dashboard.ipynb, no code shown)
#   make lab                  -> http://127.0.0.1:8888/lab?token=...  (the URL is printed; root: notebooks/)
#   make lab PORT=9000        (the same PORT= for make dashboard)
# Any other HOST= (0.0.0.0, a LAN address, an empty one: all interfaces) is refused unless ALLOW_REMOTE=1
# is given as well; then a warning is printed and the dashboard, too, asks for a token (in the link it prints):
#   make dashboard HOST=0.0.0.0 ALLOW_REMOTE=1
# Only PORT=/HOST=/ALLOW_REMOTE= on the command line count: shells and CI images often export HOST or PORT.
# `make lab` passes --allow-root when run as root (JupyterLab refuses to start as root without it) and
# --config=notebooks/jupyter_server_config.py, whose pre-save hook saves notebooks without outputs.
from_command_line = $(if $(filter command line,$(origin $(1))),$($(1)),$(2))
SERVE_HOST        := $(call from_command_line,HOST,127.0.0.1)
SERVE_REMOTE      := $(filter 1 yes true,$(call from_command_line,ALLOW_REMOTE,))
DASH_PORT         := $(call from_command_line,PORT,8866)
LAB_PORT          := $(call from_command_line,PORT,8888)
comma             := ,
no_digits = $(subst 0,,$(subst 1,,$(subst 2,,$(subst 3,,$(subst 4,,$(subst 5,,$(subst 6,,$(subst 7,,$(subst 8,,$(subst 9,,$(1)))))))))))
# yes if $(1) is one loopback address: 127.x.y.z (four numeric parts), localhost or ::1
is_loopback = $(if $(filter 1,$(words $(1))),$(or $(filter localhost ::1,$(1)),$(and $(filter 127,$(firstword $(subst ., ,$(1)))),$(filter 4,$(words $(subst ., ,$(1)))),$(if $(call no_digits,$(subst .,,$(1))),,yes))))
SERVE_LOOPBACK    := $(call is_loopback,$(SERVE_HOST))
# $(call serve_checks,PORT): expands to nothing, or stops make with a one-line error; checked when make
# reads this file (before any set-up, also under `make -n`) whenever dashboard or lab is a goal
serve_checks = $(strip \
	$(if $(and $(filter 1,$(words $(1))),$(if $(call no_digits,$(1)),,yes),$(shell test $(1) -ge 1 -a $(1) -le 65535 2>/dev/null && echo yes)),,$(error PORT=$(1) is not a port number (allowed: a whole number from 1 to 65535$(comma) e.g. PORT=9000))) \
	$(if $(or $(SERVE_LOOPBACK),$(SERVE_REMOTE)),,$(error HOST=$(SERVE_HOST) is not a loopback address (allowed: 127.0.0.1$(comma) localhost$(comma) ::1): anyone who can reach it could run code in the kernel; add ALLOW_REMOTE=1 to serve on it anyway)))
REMOTE_WARNING = WARNING: serving on $(SERVE_HOST)$(comma) not only on this machine. A Voila page and JupyterLab are live Jupyter kernels: anyone who can reach this address and has the link it prints (its token travels unencrypted) can run any code in the kernel as $(shell id -un 2>/dev/null || echo this user)$(comma) with your files. Stop it with Ctrl-C when done.
# $(call serve_warning): a recipe line printing REMOTE_WARNING when the host is not loopback
serve_warning = $(if $(SERVE_LOOPBACK),,@echo '$(REMOTE_WARNING)' >&2)
AS_ROOT_FLAG = $$(test "$$(id -u)" = 0 && echo --allow-root || true)
ifneq ($(filter dashboard,$(MAKECMDGOALS)),)
$(call serve_checks,$(DASH_PORT))
endif
ifneq ($(filter lab,$(MAKECMDGOALS)),)
$(call serve_checks,$(LAB_PORT))
endif
.PHONY: dashboard lab
dashboard: $(STAMP)
	$(call serve_warning)
	$(VENV)/bin/voila notebooks/dashboard.ipynb --no-browser --port=$(DASH_PORT) --Voila.ip=$(SERVE_HOST) --Voila.port_retries=0$(if $(SERVE_LOOPBACK),, --token)

lab: $(STAMP)
	$(call serve_warning)
	$(VENV)/bin/jupyter lab --no-browser --ServerApp.ip=$(SERVE_HOST) --ServerApp.port=$(LAB_PORT) --ServerApp.port_retries=0 --ServerApp.root_dir=notebooks --config=notebooks/jupyter_server_config.py $(AS_ROOT_FLAG)

# -- validation ----------------------------------------------------------------------------------
# Regenerates docs/VALIDATION.md and docs/figures/validation_*.png from the validation runs (about
# 10 minutes on 2 cores); byte-identical output when nothing changed. WORKERS sets the processes.
WORKERS ?= 2
validate: $(STAMP)
	$(VENV_PY) -m sim.validation.report --workers $(WORKERS)

# -- calibration ---------------------------------------------------------------------------------
# Regenerates the shipped accepted ensemble (sim/configs/calibration/ensemble.yaml) from the targets
# and priors in sim/configs/calibration/ by history matching (docs/CALIBRATION.md), with diagnostics
# in results/calibration/ and the two figures in docs/figures/. Resumable: after an interruption the
# same command finishes only the missing runs (delete results/calibration/ to start over, e.g. after a
# model change). About 16,000 year-1 runs: a few minutes on 2 idle cores. WORKERS sets the processes.
.PHONY: calibrate
calibrate: $(STAMP)
	$(VENV_PY) -m sim calibrate --workers $(WORKERS) --out results/calibration --ship --figures docs/figures

# -- shipped measurements --------------------------------------------------------------------------
# Regenerates sim/configs/calibration/headlines.yaml: every shipped scenario's headline over the accepted
# ensemble and its mechanism attribution (python -m sim.calibration.headlines), which `sim run`'s summary,
# the consultant notebook, the dashboard and docs/VALIDATION.md show. Run after `make calibrate` or a model
# change (surfaces then say "stale: regenerate with make headlines"). Resumable (results/headlines/).
.PHONY: headlines
headlines: $(STAMP)
	$(VENV_PY) -m sim.calibration.headlines --workers $(WORKERS)
