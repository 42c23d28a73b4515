"""Plugin discovery: one pluggy manager, built-ins registered through the same hooks as third parties.

`REST_EM_PLUGINS=a,b` pins which plugins load (set but empty: none but rest-em's own), so runs are
reproducible and tests are isolated from whatever else is installed. Each name is a distribution
(`rest-em-sql-exec`) or an entry point of the `rest_em` group (`sql_exec`); a name that is neither is
an error listing what is installed, since a typo would otherwise silently grade without the plugin.

A plugin that fails to load, or whose hook raises, is set aside as broken instead of taking every verb
down: `rest-em plugins` lists it with its error and the way out, and everything else keeps working.
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
KINDS = ("verifiers", "sandboxes", "tasks", "generators", "commands", "languages")
SINGULAR = {"verifiers": "verifier", "sandboxes": "sandbox", "tasks": "task", "generators": "generator",
            "commands": "command", "languages": "language"}

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


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin set aside because its module failed to import or one of its hooks raised."""

    plugin: str
    distribution: str
    version: str
    error: str
    others: tuple[str, ...]  # the other plugin distributions installed, for the pinning way out

    def way_out(self) -> str:
        """What the user can do: uninstall the distribution, or pin the plugins that work."""
        if self.distribution == OWN_DISTRIBUTION:
            return "reinstall rest-em"
        return (f"uninstall it (pip uninstall {self.distribution}) or load only the others "
                f"({PINNING_VARIABLE}={','.join(self.others)})")

    def describe(self) -> str:
        return (f"plugin {self.plugin!r} from {self.distribution} {self.version} is broken and was not "
                f"loaded: {self.error}; {self.way_out()}")


@dataclass(frozen=True)
class _Origin:
    """Where a registered pluggy plugin came from: its entry point (or built-in module) and distribution."""

    plugin: str
    distribution: str
    version: str


class Registry:
    """Everything the loaded plugins registered, by kind and name, and the plugins that broke."""

    def __init__(self, manager: pluggy.PluginManager, origins: dict[str, _Origin],
                 broken: list[BrokenPlugin] | None = None, others: tuple[str, ...] = ()):
        self.manager = manager
        self._origins = origins
        self._others = others
        self.broken: list[BrokenPlugin] = list(broken or [])
        staged = self._call_hooks()
        self._entries = {kind: self._merge(kind, staged) for kind in KINDS}

    def _origin(self, plugin_name: str) -> _Origin:
        return self._origins.get(plugin_name) or _Origin(plugin_name, OWN_DISTRIBUTION, _own_version())

    def _call_hooks(self) -> dict[str, dict[str, list[Any]]]:
        """Every plugin's registrations by pluggy name and kind; a plugin whose hook raises is broken."""
        staged: dict[str, dict[str, list[Any]]] = {}
        failed: set[str] = set()
        for kind in KINDS:
            for impl in getattr(self.manager.hook, f"register_{kind}").get_hookimpls():
                if impl.plugin_name in failed:
                    continue
                objects = staged.setdefault(impl.plugin_name, {}).setdefault(kind, [])
                try:
                    impl.function(register=objects.append)
                    for obj in objects:
                        _check_name(kind, obj, self._origin(impl.plugin_name).distribution)
                except Exception as exc:  # one plugin's bug must not take down every verb
                    failed.add(impl.plugin_name)
                    origin = self._origin(impl.plugin_name)
                    self.broken.append(BrokenPlugin(
                        origin.plugin, origin.distribution, origin.version,
                        f"its register_{kind} hook raised {type(exc).__name__}: {exc}",
                        tuple(o for o in self._others if o != origin.distribution)))
        return {name: kinds for name, kinds in staged.items() if name not in failed}

    def _merge(self, kind: str, staged: dict[str, dict[str, list[Any]]]) -> dict[str, Registration]:
        entries: dict[str, Registration] = {}
        for plugin_name, kinds in staged.items():
            origin = self._origin(plugin_name)
            for obj in kinds.get(kind, ()):
                if obj.name in entries:
                    other = entries[obj.name]
                    raise DuplicateNameError(
                        f"{SINGULAR[kind]} {obj.name!r} is registered twice: by {other.distribution} "
                        f"({other.plugin}) and by {origin.distribution} ({plugin_name}); uninstall one, or "
                        f"pin the plugins to load with {PINNING_VARIABLE}=dist1,dist2")
                entries[obj.name] = Registration(kind, obj.name, obj, plugin_name, origin.distribution,
                                                 origin.version)
        return entries

    def get(self, kind: str, name: str) -> Any:
        """The object registered as `name`; an `UnknownNameError` listing what exists otherwise."""
        return self.registration(kind, name).obj

    def registration(self, kind: str, name: str) -> Registration:
        entries = self._entries[kind]
        if name not in entries:
            known = ", ".join(sorted(entries)) or "none"
            broken = "".join(f"; {b.describe()}" for b in self.broken)
            raise UnknownNameError(
                f"no {SINGULAR[kind]} named {name!r}; installed: {known} (see `rest-em plugins`){broken}")
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


def _check_name(kind: str, obj: Any, distribution: str) -> None:
    name = getattr(obj, "name", None)
    if not isinstance(name, str) or not name:
        raise PluginError(f"{distribution} registered a {SINGULAR[kind]} without a string 'name': {obj!r}")


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
    for module_name in BUILTIN_PLUGINS:
        manager.register(importlib.import_module(module_name), name=module_name)
    if pinned is None:
        pinned = pinned_distributions()
    entry_points = list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))
    chosen = entry_points if pinned is None else select(entry_points, pinned)
    others = tuple(sorted({_distribution_name(ep) for ep in chosen} - {OWN_DISTRIBUTION}))
    origins: dict[str, _Origin] = {}
    broken: list[BrokenPlugin] = []
    for entry_point in chosen:
        dist_name = _distribution_name(entry_point)
        version = entry_point.dist.version if entry_point.dist is not None else "unknown"
        plugin_name = f"{dist_name}:{entry_point.name}"
        try:
            plugin = entry_point.load()
        except Exception as exc:  # a broken plugin is set aside by name; the others still load
            broken.append(BrokenPlugin(entry_point.name, dist_name, version,
                                       f"importing {entry_point.value} raised {type(exc).__name__}: {exc}",
                                       tuple(o for o in others if o != dist_name)))
            continue
        manager.register(plugin, name=plugin_name)
        origins[plugin_name] = _Origin(entry_point.name, dist_name, version)
    return Registry(manager, origins, broken, others)


def select(entry_points: list[Any], pinned: list[str]) -> list[Any]:
    """The entry points `pinned` names, by distribution or entry-point name, and always rest-em's own.

    A pinned name that matches nothing is a `PluginError` listing what is installed.
    """
    wanted = {_canonical(name): name for name in pinned}
    known = {_canonical(OWN_DISTRIBUTION)}
    for entry_point in entry_points:
        known |= {_canonical(_distribution_name(entry_point)), _canonical(entry_point.name)}
    unknown = [name for key, name in wanted.items() if key not in known]
    if unknown:
        raise PluginError(f"{PINNING_VARIABLE} names {', '.join(map(repr, unknown))}, which no installed "
                          f"plugin provides; installed: {installed_plugins(entry_points)}. Name distributions "
                          f"or entry points from this list, or unset {PINNING_VARIABLE} to load every plugin")
    own = _canonical(OWN_DISTRIBUTION)
    return [ep for ep in entry_points
            if {_canonical(_distribution_name(ep)), _canonical(ep.name)} & set(wanted)
            or _canonical(_distribution_name(ep)) == own]


def installed_plugins(entry_points: list[Any]) -> str:
    """"dist (entry points: a, b)" for each plugin distribution, for error messages."""
    by_dist: dict[str, list[str]] = {}
    for entry_point in entry_points:
        by_dist.setdefault(_distribution_name(entry_point), []).append(entry_point.name)
    listed = [f"{dist} (entry points: {', '.join(sorted(names))})" for dist, names in sorted(by_dist.items())
              if dist != OWN_DISTRIBUTION]
    return "; ".join(listed) or "no plugin distributions"


def pinned_distributions() -> list[str] | None:
    """The names in REST_EM_PLUGINS; None when the variable is unset (load all).

    rest-em's own distribution always loads: pinning chooses among plugins, not among parts of rest-em.
    """
    value = os.environ.get(PINNING_VARIABLE)
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _distribution_name(entry_point: Any) -> str:
    dist = entry_point.dist
    return dist.metadata["Name"] if dist is not None else entry_point.module


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
