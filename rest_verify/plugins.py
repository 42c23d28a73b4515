"""Plugin discovery: one pluggy manager, built-ins registered through the same hooks as third parties.

`REST_EM_PLUGINS=a,b` pins which plugin distributions load (set but empty: none but rest-em's own), so
runs are reproducible and tests are isolated from whatever else is installed.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable

import pluggy

from rest_verify import hookspecs
from rest_verify.errors import DuplicateNameError, PluginError, UnknownNameError

ENTRY_POINT_GROUP = "rest_em"
PINNING_VARIABLE = "REST_EM_PLUGINS"
KINDS = ("verifiers", "sandboxes", "tasks", "generators", "commands")
SINGULAR = {"verifiers": "verifier", "sandboxes": "sandbox", "tasks": "task", "generators": "generator",
            "commands": "command"}

# The core's own plugin modules, loaded always and through the ordinary hooks. The rest of the rest-em
# distribution (its execution and training packages) plugs in through its own `rest_em` entry points,
# which load whatever REST_EM_PLUGINS says, as these do: the core names no other package.
BUILTIN_PLUGINS = (
    "rest_verify.builtin.exact",
    "rest_verify.builtin.commands",
)
OWN_DISTRIBUTION = "rest-em"


@dataclass(frozen=True)
class Registration:
    """One named thing a plugin provided, and which distribution it came from."""

    kind: str
    name: str
    obj: Any
    plugin: str
    distribution: str
    version: str


class Registry:
    """Everything the loaded plugins registered, by kind and name."""

    def __init__(self, manager: pluggy.PluginManager, plugin_origins: dict[str, tuple[str, str]]):
        self.manager = manager
        self._origins = plugin_origins
        self._entries: dict[str, dict[str, Registration]] = {}
        for kind in KINDS:
            self._entries[kind] = self._collect(kind)

    def _collect(self, kind: str) -> dict[str, Registration]:
        entries: dict[str, Registration] = {}
        hook = getattr(self.manager.hook, f"register_{kind}")
        for impl in hook.get_hookimpls():
            distribution, version = self._origins.get(impl.plugin_name, (OWN_DISTRIBUTION, _own_version()))

            def register(obj: Any, _impl=impl, _dist=distribution, _ver=version) -> None:
                name = getattr(obj, "name", None)
                if not isinstance(name, str) or not name:
                    raise PluginError(f"{_dist} registered a {SINGULAR[kind]} without a string 'name': {obj!r}")
                if name in entries:
                    other = entries[name]
                    raise DuplicateNameError(
                        f"{SINGULAR[kind]} {name!r} is registered twice: by {other.distribution} "
                        f"({other.plugin}) and by {_dist} ({_impl.plugin_name}); uninstall one, or pin "
                        f"the plugins to load with {PINNING_VARIABLE}=dist1,dist2")
                entries[name] = Registration(kind, name, obj, _impl.plugin_name, _dist, _ver)

            impl.function(register=register)
        return entries

    def get(self, kind: str, name: str) -> Any:
        """The object registered as `name`; an `UnknownNameError` listing what exists otherwise."""
        return self.registration(kind, name).obj

    def registration(self, kind: str, name: str) -> Registration:
        entries = self._entries[kind]
        if name not in entries:
            known = ", ".join(sorted(entries)) or "none"
            raise UnknownNameError(
                f"no {SINGULAR[kind]} named {name!r}; installed: {known} (see `rest-em plugins`)")
        return entries[name]

    def all(self, kind: str | None = None) -> list[Registration]:
        kinds = KINDS if kind is None else (kind,)
        return [reg for k in kinds for reg in self._entries[k].values()]

    def names(self, kind: str) -> list[str]:
        return sorted(self._entries[kind])

    def provenance(self) -> list[dict[str, str]]:
        """Distributions that registered something, for the record every output carries."""
        seen = {(r.distribution, r.version) for r in self.all()}
        return [{"distribution": d, "version": v} for d, v in sorted(seen)]


_lock = threading.Lock()
_registry: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _registry
    with _lock:
        if _registry is None:
            _registry = load_registry()
        return _registry


def reset_registry() -> None:
    """Forget the loaded plugins, so the next `get_registry()` loads them again (tests, notebooks)."""
    global _registry
    with _lock:
        _registry = None


def load_registry(pinned: list[str] | None = None) -> Registry:
    """Build a registry from the built-ins and the entry points allowed by `pinned` or the environment."""
    manager = pluggy.PluginManager("rest_em")
    manager.add_hookspecs(hookspecs)
    origins: dict[str, tuple[str, str]] = {}
    for module_name in BUILTIN_PLUGINS:
        module = importlib.import_module(module_name)
        manager.register(module, name=module_name)
    if pinned is None:
        pinned = pinned_distributions()
    allowed = None if pinned is None else {_canonical(p) for p in pinned} | {OWN_DISTRIBUTION}
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = entry_point.dist
        dist_name = dist.metadata["Name"] if dist is not None else entry_point.module
        if allowed is not None and _canonical(dist_name) not in allowed:
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:  # a broken plugin must say who it is, not crash with a bare traceback
            raise PluginError(f"plugin {entry_point.name!r} from {dist_name} failed to load: {exc}") from exc
        plugin_name = f"{dist_name}:{entry_point.name}"
        manager.register(plugin, name=plugin_name)
        origins[plugin_name] = (dist_name, dist.version if dist is not None else "unknown")
    return Registry(manager, origins)


def pinned_distributions() -> list[str] | None:
    """The distributions named by REST_EM_PLUGINS; None when the variable is unset (load all).

    rest-em's own distribution always loads: pinning chooses among plugins, not among parts of rest-em.
    """
    value = os.environ.get(PINNING_VARIABLE)
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _own_version() -> str:
    try:
        return importlib.metadata.version(OWN_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def get_verifier(name: str) -> Any:
    return get_registry().get("verifiers", name)


def get_sandbox_factory(name: str) -> Callable[..., Any]:
    return get_registry().get("sandboxes", name)


def get_task(name: str) -> Any:
    return get_registry().get("tasks", name)


def get_generator_factory(name: str) -> Callable[..., Any]:
    return get_registry().get("generators", name)
