#!/usr/bin/env bash
# Every test of the project, on a fresh machine with the Rust toolchain and python3:
#  1. the Rust crate's (`cargo test --release`: unit, property, accuracy, error, CLI, doctests);
#  2. the Python package's (pytest under python/tests: against numpy's formulas, scipy's cdist and
#     RBFInterpolator, on a two-process Dask cluster), in a virtual environment of its own
#     (target/test-venv) into which `pip install ./python[test]` builds and installs the package
#     with numpy, scipy, pytest and dask[distributed] from PyPI.
set -euo pipefail
cd "$(dirname "$0")"

echo "== cargo test --release"
cargo test --release

echo "== the Python package: pip install ./python[test] into target/test-venv, then pytest"
venv=target/test-venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "./python[test]"
# From the repository's root, which holds no `pairkernel` package: the tests import the
# installed one (python/pairkernel has no compiled extension in a fresh clone).
"$venv/bin/python" -c 'import pairkernel; print("testing", pairkernel.__file__, "on the", pairkernel.simd_path(), "path")'
"$venv/bin/python" -m pytest python/tests -q -p no:cacheprovider
