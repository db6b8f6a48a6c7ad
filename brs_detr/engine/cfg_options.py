"""``--cfg-options`` keys checked against the config before they are merged.

mmengine's ``merge_from_dict`` creates whatever key it is given, so a typo such as
``trian_cfg.max_epochs=1`` is accepted silently and the full schedule runs. Here a key is refused,
naming the closest existing key, when its first component missing from the config is
  * a top-level name that neither the config nor mmengine's Runner knows (nor ``classes``), or
  * a name spelt almost like a key of the same dict (a typo of an existing key),
and list indices must exist. A genuinely new key inside an existing dict (``model.test_cfg.0.x``)
is still allowed: heads take options their config does not spell out.
"""
from __future__ import annotations

import difflib
import inspect

from mmengine.runner import Runner

from brs_detr.data.class_names import CLASSES_KEY

TYPO_CUTOFF = 0.75  # difflib ratio above which a missing key counts as a typo of an existing one


class UnknownConfigKeyError(KeyError):
    """A ``--cfg-options`` key that matches nothing in the config."""

    def __str__(self) -> str:
        return str(self.args[0])


def _known_top_level() -> set[str]:
    """Top-level names a config may lack: the Runner's arguments and ``classes``."""
    return (set(inspect.signature(Runner.__init__).parameters) - {"self"}) | {CLASSES_KEY}


def check_cfg_options(cfg, options: dict) -> None:
    """Raise :class:`UnknownConfigKeyError` for a key of ``options`` that matches nothing."""
    for key in options:
        node, walked = dict(cfg.items()), []
        for part in key.split("."):
            if isinstance(node, (list, tuple)):
                if not part.isdigit() or int(part) >= len(node):
                    raise UnknownConfigKeyError(
                        f"--cfg-options {key}: {'.'.join(walked)} is a list of {len(node)} items, "
                        f"{part!r} is not an index of it")
                node = node[int(part)]
            elif isinstance(node, dict):
                if part not in node:
                    _check_new_key(key, part, list(node.keys()), walked)
                    break
                node = node[part]
            else:
                break  # below a value (e.g. None): the option replaces it
            walked.append(part)


def _check_new_key(key: str, part: str, siblings: list, walked: list) -> None:
    closest = difflib.get_close_matches(part, siblings, n=1, cutoff=0.0)
    typo = difflib.get_close_matches(part, siblings, n=1, cutoff=TYPO_CUTOFF)
    if not walked and part in _known_top_level():
        return
    if typo or not walked:
        where = ".".join(walked) or "the config"
        hint = f"; closest key: {'.'.join([*walked, closest[0]])}" if closest else ""
        raise UnknownConfigKeyError(f"--cfg-options {key}: {where} has no key {part!r}{hint}")
