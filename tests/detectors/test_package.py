"""The package's public surface."""

from __future__ import annotations

import detectors


def test_all_names_exist() -> None:
    for name in detectors.__all__:
        assert hasattr(detectors, name), name


def test_all_is_sorted_and_unique() -> None:
    assert list(detectors.__all__) == sorted(set(detectors.__all__))


def test_importing_the_package_loads_no_presidio() -> None:
    import subprocess
    import sys

    code = "import sys, detectors; print('presidio_analyzer' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_builtin_detectors_build_with_default_options() -> None:
    prefixes = {"pii": "pii.", "secrets": "secret.", "obfuscation": "obfuscation."}
    assert set(prefixes) <= set(detectors.available())
    for name, prefix in prefixes.items():
        kinds = detectors.create(name).kinds
        assert kinds
        assert all(k.startswith(prefix) for k in kinds)
