"""Reading and fetching checkpoints: safe loading of mmengine checkpoints (``safe_load``), the
registry of released checkpoints (``released_checkpoints``) and verified downloads (``download``).

Submodules are imported directly; ``safe_load`` needs mmengine, the other two only the standard
library (and torch).
"""
