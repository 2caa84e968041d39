"""The GRC definitions follow GNU Radio's conventions (checked without GNU Radio): id = file stem, typed
numeric defaults, enums as options, callbacks that name real setters of the block they make."""

import re
from pathlib import Path

import pytest
import yaml

from semcom.gnuradio.cli import BLOCK_MODULES, GRC_DIR

BLOCK_FILES = sorted(GRC_DIR.glob("*.block.yml"))


def load(path):
    return yaml.safe_load(path.read_text())


def test_one_definition_per_block_module():
    assert sorted(f.name for f in BLOCK_FILES) == sorted(f"semcom_{m}.block.yml" for m in BLOCK_MODULES)


@pytest.mark.parametrize("path", BLOCK_FILES, ids=[f.stem for f in BLOCK_FILES])
def test_definition(path):
    block = load(path)
    assert block["id"] == path.name[: -len(".block.yml")]
    module = re.fullmatch(r"from semcom\.gnuradio\.(\w+) import (\w+)", block["templates"]["imports"])
    assert module, block["templates"]["imports"]
    source = (GRC_DIR.parent / f"{module[1]}.py").read_text()
    assert f"class {module[2]}(" in source
    for param in block["parameters"]:
        if param["dtype"] in ("float", "int"):
            assert isinstance(param["default"], (int, float)), (param["id"], param["default"])
        if param["dtype"] == "enum":
            assert param["default"] in param["options"] and len(param["options"]) == len(param["option_labels"])
    for callback in block["templates"].get("callbacks", []):
        setter = re.match(r"(\w+)\(", callback)[1]
        assert f"def {setter}(" in source, setter
    assert block["file_format"] == 1 and block["documentation"].strip()
