"""plugins.Registry: the one name -> item map behind every seam, on a throw-away package and plug-in modules
written here (tests/test_plugins.py runs real plug-ins through a whole run; this is the class on its own)."""

import sys
import textwrap

import pytest

from rag_vs_ft.plugins import Registry

# Every module of the toy package, and the plug-in, registers itself into the registry the test hands it (through
# the `hub` module) and counts how often it was imported.
PACKAGE_MODULE = textwrap.dedent('''
    import hub
    hub.imports.append(__name__)
    hub.registry.register("{name}", "{name} item")
''')


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A registry over package `toypkg` (modules alpha, beta) and env var TOY_PLUGINS; `hub.imports` lists every
    module import in order."""
    import types

    hub = types.ModuleType("hub")
    hub.imports, hub.registry = [], Registry("toy", "toypkg", "TOY_PLUGINS")
    monkeypatch.setitem(sys.modules, "hub", hub)
    pkg = tmp_path / "toypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name in ("beta", "alpha"):
        (pkg / f"{name}.py").write_text(PACKAGE_MODULE.format(name=name))
    (tmp_path / "outside_plugin.py").write_text(PACKAGE_MODULE.format(name="outside"))
    (tmp_path / "other_plugin.py").write_text(PACKAGE_MODULE.format(name="other"))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield hub
    for mod in [m for m in sys.modules if m.split(".")[0] in ("toypkg", "outside_plugin", "other_plugin")]:
        del sys.modules[mod]


def test_register_returns_the_item_and_accepts_the_same_item_twice():
    reg = Registry("widget", None, "RAG_VS_FT_TEST_UNSET_VARIABLE")
    item = ("a", 1)
    assert reg.register("a", item) is item
    assert reg.register("a", ("a", 1)) == item  # an equal item again (a module imported twice) is fine
    assert reg.items() == {"a": ("a", 1)}


def test_another_item_under_a_taken_name_is_an_error_naming_the_kind_and_name():
    reg = Registry("widget", None, "RAG_VS_FT_TEST_UNSET_VARIABLE")
    reg.register("a", 1)
    with pytest.raises(ValueError, match="two widgets are registered as 'a'"):
        reg.register("a", 2)
    assert reg.items() == {"a": 1}  # the first registration stands


def test_items_are_in_registration_order_and_a_copy():
    reg = Registry("widget", None, "RAG_VS_FT_TEST_UNSET_VARIABLE")
    for name in ("z", "a", "m"):
        reg.register(name, name.upper())
    got = reg.items()
    assert list(got) == ["z", "a", "m"]
    got["x"] = "X"  # changing the returned dict does not register anything
    assert "x" not in reg.items()


def test_first_use_imports_every_package_module_then_the_env_plugins(toy, monkeypatch):
    monkeypatch.setenv("TOY_PLUGINS", " outside_plugin , ,other_plugin")  # spaces and empty entries tolerated
    assert toy.imports == []  # nothing imported before first use
    items = toy.registry.items()
    assert items == {"alpha": "alpha item", "beta": "beta item", "outside": "outside item", "other": "other item"}
    assert sorted(toy.imports[:2]) == ["toypkg.alpha", "toypkg.beta"]  # the package first, then the plug-ins
    assert toy.imports[2:] == ["outside_plugin", "other_plugin"]


def test_modules_are_imported_once_however_often_items_is_called(toy, monkeypatch):
    monkeypatch.setenv("TOY_PLUGINS", "outside_plugin")
    first = toy.registry.items()
    monkeypatch.setenv("TOY_PLUGINS", "other_plugin")  # read on first use only
    for _ in range(3):
        assert toy.registry.items() == first
    assert len(toy.imports) == 3 and "other" not in first


def test_no_package_imports_only_the_env_plugins(toy, monkeypatch):
    hub = sys.modules["hub"]  # the fixture's stand-in module

    hub.registry = Registry("toy", None, "TOY_PLUGINS")
    monkeypatch.setenv("TOY_PLUGINS", "other_plugin")
    assert hub.registry.items() == {"other": "other item"}
    assert hub.imports == ["other_plugin"]


def test_a_plugin_that_cannot_be_imported_is_an_import_error(toy, monkeypatch):
    monkeypatch.setenv("TOY_PLUGINS", "no_such_plugin_module_here")
    with pytest.raises(ModuleNotFoundError, match="no_such_plugin_module_here"):
        toy.registry.items()
