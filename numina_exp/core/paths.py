"""Where the config tree is. It lives at the top of the checkout (`conf/`, where Hydra projects keep it);
a wheel ships the same files as package data under `numina_exp/conf` (setup.py maps one onto the other)."""
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]


def conf_dir() -> Path:
    """The installed copy first (a wheel), else the checkout's top-level `conf/` (editable install, tests)."""
    for candidate in (_PACKAGE / "conf", _PACKAGE.parent / "conf"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"no config tree: neither {_PACKAGE / 'conf'} (wheel) nor {_PACKAGE.parent / 'conf'} (checkout) "
                            "holds config.yaml; reinstall numina-exp")
