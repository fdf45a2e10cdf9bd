"""Where the shared YAML configuration lives and how it is read.

Training, inference and the app all read `configs/` through this module so
that there is exactly one place that decides which file is meant.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Schema = TypeVar("Schema", bound=BaseModel)

#: The repository's `configs/` folder. `SOLEWEAR_CONFIG_DIR` overrides it, so an
#: installed copy of the package can be pointed at a researcher's own configs.
CONFIG_DIR = Path(os.environ.get("SOLEWEAR_CONFIG_DIR", Path(__file__).resolve().parents[1] / "configs"))


class ConfigError(ValueError):
    """A configuration file is missing or does not follow its schema."""


def config_path(name: str) -> Path:
    """Resolve a config name (`taxonomy`, `taxonomy.yaml`) or a path to a file."""
    path = Path(name)
    if path.suffix not in {".yaml", ".yml"}:
        path = path.with_suffix(".yaml")
    if not path.is_absolute() and not path.exists():
        path = CONFIG_DIR / path.name
    return path


def load_yaml(name: str) -> dict[str, Any]:
    """Read one YAML mapping, with an error that names the file when it is not one."""
    path = config_path(name)
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping at the top level")
    return data


def validated(data: dict, schema: type[Schema], what: str) -> Schema:
    """Check a mapping against a pydantic schema; the error lists every problem at once."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{what} does not follow its schema:\n{exc}") from exc
