# The two commands of the README. Both install first (quick when already installed).
PY ?= python3

.PHONY: install run test benchmark

install:
	PYTHON=$(PY) bash scripts/install.sh

run: install
	rag-vs-ft run domain=legal

test: install
	bash scripts/install-test-tools.sh
	HF_HUB_OFFLINE=1 RAGAS_DO_NOT_TRACK=true $(PY) -m pytest -q

benchmark: install
	HF_HUB_OFFLINE=1 $(PY) benchmarks/generation_speed.py
