"""pipeline.check_before_compute: every setting that can be wrong fails here with a one-line error — an unknown
arm, an unknown backend, an unknown profile, an output or cache folder that cannot be written — before anything
is loaded, computed or written; a valid config gives the run's device, dtype, seeds and arms."""

import pytest

from rag_vs_ft import pipeline
from rag_vs_ft.config import ConfigError, load_config
from rag_vs_ft.models.generator import pick_device, pick_dtype
from rag_vs_ft.paths import PathError
from rag_vs_ft.report.profiles import ProfileError
from rag_vs_ft.ui import UI


@pytest.fixture(autouse=True)
def nothing_heavy(monkeypatch):
    """Loading the domain, the model or an index, or training, fails the test: the checks come first."""
    def forbidden(name):
        def call(*a, **k):
            pytest.fail(f"check_before_compute called {name}")
        return call

    for name in ("load_domain", "generator_path", "open_generator", "build_retrieval", "train_all",
                 "embedder_path", "write_report"):
        monkeypatch.setattr(pipeline, name, forbidden(name))


def _cfg(tmp_path, *overrides):
    return load_config([f"output_dir={tmp_path / 'reports'}", f"cache_dir={tmp_path / 'cache'}", *overrides])


def _one_line(exc_info) -> str:
    message = str(exc_info.value)
    assert message and "\n" not in message
    return message


def test_a_valid_config_fixes_device_dtype_seeds_and_arms(tmp_path):
    from rag_vs_ft.arms.registry import arm_names, registered

    cfg = _cfg(tmp_path, "model.dtype=fp32", "finetune.seeds=[3, 1, 3]")
    setup = pipeline.check_before_compute(cfg, UI(quiet=True))
    assert setup.cfg is cfg and setup.device == pick_device()
    assert setup.dtype == pick_dtype("fp32", setup.device)
    assert setup.seeds == [3, 1]  # de-duplicated, in order
    assert list(setup.specs) == arm_names(cfg.eval)
    assert all(setup.specs[n] is registered()[n] for n in setup.specs)
    assert not (tmp_path / "reports").exists() and not (tmp_path / "cache").exists()  # nothing written yet
    assert list(tmp_path.iterdir()) == []  # and the write probe left nothing behind


def test_the_chosen_arms_only(tmp_path):
    setup = pipeline.check_before_compute(_cfg(tmp_path, "eval.arms=[rag]", "eval.references=[]"), UI(quiet=True))
    assert list(setup.specs) == ["rag"] and setup.tuned_recipes == []


def test_an_unknown_arm_is_a_one_line_error(tmp_path):
    with pytest.raises(ConfigError) as exc:
        pipeline.check_before_compute(_cfg(tmp_path, "eval.arms=[magic]"), UI(quiet=True))
    message = _one_line(exc)
    assert message.startswith("eval.arms: unknown arm(s) ['magic']; choose from [") and "'rag'" in message


def test_an_unknown_reference_row_is_a_one_line_error(tmp_path):
    with pytest.raises(ConfigError) as exc:
        pipeline.check_before_compute(_cfg(tmp_path, "eval.references=[rag]"), UI(quiet=True))
    assert _one_line(exc).startswith("eval.references: unknown reference(s) ['rag']")


def test_an_unknown_backend_is_a_one_line_error(tmp_path):
    with pytest.raises(ConfigError) as exc:
        pipeline.check_before_compute(_cfg(tmp_path, "model.backend=vllm"), UI(quiet=True))
    assert _one_line(exc).startswith("model.backend: unknown generator backend 'vllm'; choose from ")


def test_an_unknown_profile_is_a_one_line_error(tmp_path):
    with pytest.raises(ProfileError) as exc:
        pipeline.check_before_compute(_cfg(tmp_path, "eval.profile=no-such-profile"), UI(quiet=True))
    assert "unknown profile 'no-such-profile'" in _one_line(exc)


@pytest.mark.parametrize("key", ["output_dir", "cache_dir"])
def test_a_folder_that_is_a_file_is_a_one_line_error(tmp_path, key):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(PathError) as exc:
        pipeline.check_before_compute(_cfg(tmp_path, f"{key}={blocker}"), UI(quiet=True))
    assert _one_line(exc) == f"{key} {blocker} is a file, not a directory"


@pytest.mark.parametrize("key", ["output_dir", "cache_dir"])
def test_a_folder_that_cannot_be_created_is_a_one_line_error(tmp_path, key):
    """Below a file, nothing can be created (a read-only mode would not stop root, who runs these tests)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(PathError) as exc:
        pipeline.check_before_compute(_cfg(tmp_path, f"{key}={blocker / 'reports'}"), UI(quiet=True))
    assert _one_line(exc) == f"{key} {blocker / 'reports'} is not writable ({blocker} does not allow creating files)"


def test_the_filesystem_root_is_refused(tmp_path):
    with pytest.raises(PathError) as exc:
        pipeline.check_before_compute(_cfg(tmp_path, "output_dir=/"), UI(quiet=True))
    assert _one_line(exc) == "output_dir may not be the filesystem root"
