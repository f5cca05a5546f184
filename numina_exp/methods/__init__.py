"""One module per runnable method, each declaring `METHOD = Method(...)` (numina_exp.core.registry).
Modules starting with `_` are the dispatcher's own, not methods."""
