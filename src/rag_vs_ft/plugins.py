"""One registry class behind every seam (arms, fine-tuning recipes, metrics, generator backends): a name → item
map that, on first use, imports every module of its package and the modules named in an environment variable
(comma-separated, for plug-ins kept outside the package). Each module registers its item when imported, so adding
one is one module and its test."""

from __future__ import annotations

import importlib
import os
import pkgutil
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str, package: str | None, env_var: str):
        self.kind, self.package, self.env_var = kind, package, env_var  # package: its modules are imported
        self._items: dict[str, T] = {}
        self._loaded = False

    def register(self, name: str, item: T) -> T:
        """Register `item`; the same item twice (a module imported twice) is fine, another one is an error."""
        if name in self._items and self._items[name] != item:
            raise ValueError(f"two {self.kind}s are registered as {name!r}")
        self._items[name] = item
        return item

    def items(self) -> dict[str, T]:
        """Every registered item in registration order, the package's modules and the plug-ins imported first."""
        if not self._loaded:  # set only after every import succeeded: a broken plug-in fails every call
            if self.package:
                package = importlib.import_module(self.package)
                for info in pkgutil.iter_modules(package.__path__):
                    importlib.import_module(f"{self.package}.{info.name}")
            for name in filter(None, (m.strip() for m in os.environ.get(self.env_var, "").split(","))):
                importlib.import_module(name)
            self._loaded = True
        return dict(self._items)
