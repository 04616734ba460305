"""The console's permission groups section lists the features of admin_api/permissions.py.

No route lists the features, so console-permissions.js keeps its own copy for the rights matrix;
this keeps the copy equal to ``FEATURES`` (same names, same order) and every feature labelled.
"""

from __future__ import annotations

import re
from importlib.resources import files

from chatflow.admin_api.permissions import FEATURES


def console_source() -> str:
    return (files("chatflow.admin_api") / "static" / "console-permissions.js").read_text("utf-8")


def test_the_matrix_lists_the_features_of_the_api() -> None:
    found = re.search(r"const FEATURES = \[(.*?)\];", console_source(), re.DOTALL)
    assert found, "console-permissions.js declares const FEATURES = [...]"
    assert tuple(re.findall(r"'([a-z_]+)'", found.group(1))) == FEATURES


def test_every_feature_has_a_label_in_both_languages() -> None:
    source = console_source()
    for feature in FEATURES:
        key = f"permissions_feature_{feature}"
        assert re.search(rf"\['{key}', '[^']+', '[^']+'\]", source), f"no strings for {key}"
        assert f"t('{key}')" in source, f"{key} is never shown"
