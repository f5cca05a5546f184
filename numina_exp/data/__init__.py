"""Datasets: training sets (load.py: hub id or local JSONL, test split), formatting for the recipe
(format.py: messages, the empty system turn, the training chat template), eval suites (suites/)."""
