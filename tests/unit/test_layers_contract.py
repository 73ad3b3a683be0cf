"""The layers contract (pyproject.toml's [tool.importlinter], checked by `make lint`) places
every package and module of call_logger, so a new one cannot sit outside the layers."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "function" / "call_logger"


def layered_names() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    return sorted(name.strip() for layer in layers for name in layer.split("|"))


def test_every_package_and_module_is_in_a_layer() -> None:
    children = [
        f"call_logger.{path.stem}"
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" and path.stem not in ("__init__", "__main__"))
        or (path / "__init__.py").is_file()
    ]
    assert layered_names() == sorted(children)


def test_every_layer_package_init_is_empty_but_the_commands() -> None:
    # Importing a layer must load nothing else: the webhook's cold start pays for every module.
    filled = [
        str(init.relative_to(PACKAGE))
        for init in PACKAGE.glob("*/__init__.py")
        if init.read_text().strip() and init.parent.name != "cli"
    ]
    assert filled == []
