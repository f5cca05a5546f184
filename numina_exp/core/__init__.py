"""The bottom layer: the method registry, run directories and lineage, jsonl / atomic io, errors.
Imports nothing else of numina_exp."""
