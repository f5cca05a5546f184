"""Holds the sitecustomize.py that numina_exp.core.quiet puts on every child interpreter's PYTHONPATH."""
