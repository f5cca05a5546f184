"""numina-exp: the NuminaMath AIMO recipe (SFT -> SC-TIR) and its ablations, from one entrypoint."""

__version__ = "0.1.0"
