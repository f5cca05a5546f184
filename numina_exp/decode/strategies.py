"""The decoding strategies, by `decoding.strategy`, each with the capabilities the rest of the code asks
about instead of testing its name (validation, the decoder, the N x M grid, the methods that need code
execution or several copies).

A strategy is a class with flags and one `decode(decoder, problems, seed, log)` that yields
ProblemResults in input order. Its name is a member of config.decoding.DecodingStrategy (the schema's
closed choice); `STRATEGIES` maps every member to its class (tests/test_names_in_their_modules.py
checks that both hold the same names)."""
from __future__ import annotations

from typing import Iterator, Optional

from ..config.decoding import DecodingStrategy
from . import greedy, majority, sc_tir
from .result import ProblemResult


class Strategy:
    name: DecodingStrategy
    copies: bool = False  # draws decoding.n samples/copies per problem and votes (False: one sample at temperature 0)
    runs_code: bool = False  # SC-TIR: generate -> execute -> feed back; one stop string, kept in the text
    problems_in_flight: bool = False  # keeps several problems live in one engine (False: it batches problems itself)
    early_stop: bool = False  # decoding.early_stop and decoding.pipelining apply
    # the sandbox rules whose rendering of tool output this strategy reproduces (another one is a
    # deliberate departure, announced in the run's banner); None: any
    reproduces_sandbox_rules: Optional[str] = None
    doc: str = ""

    @staticmethod
    def decode(dec, problems: list[dict], seed: int, log) -> Iterator[ProblemResult]:
        raise NotImplementedError


class Greedy(Strategy):
    name = DecodingStrategy.greedy
    doc = "one sample at temperature 0, answer extracted with decoding.answer_rule (maj@k's engine with k = 1)"
    decode = staticmethod(greedy.decode)


class MajorityVote(Strategy):
    name = DecodingStrategy.maj_k
    copies = True
    doc = "k = decoding.n independent samples per problem (no code execution), extracted and voted"
    decode = staticmethod(majority.decode)


class SCTIRNumina(Strategy):
    name = DecodingStrategy.sc_tir_numina
    copies = runs_code = problems_in_flight = True
    reproduces_sandbox_rules = "numina"
    doc = "the winning notebook, decision by decision: N copies, M generate -> execute steps, a barrier per step"
    decode = staticmethod(sc_tir.decode)


class SCTIR(Strategy):
    name = DecodingStrategy.sc_tir
    copies = runs_code = problems_in_flight = early_stop = True
    doc = "SC-TIR with the notebook's decisions plus early stop and pipelining"
    decode = staticmethod(sc_tir.decode)


STRATEGIES: dict[DecodingStrategy, type[Strategy]] = {s.name: s for s in (Greedy, MajorityVote, SCTIRNumina, SCTIR)}


def strategy_class(name) -> type[Strategy]:
    """The class of decoding.strategy=name (a DecodingStrategy member or its string)."""
    try:
        return STRATEGIES[DecodingStrategy(name)]
    except ValueError:
        raise ValueError(f"decoding.strategy={name!r} is not one of {[s.value for s in STRATEGIES]}") from None


def with_flag(flag: str) -> list[str]:
    """The strategy names that have `flag` (for error messages: what to use instead)."""
    return [s.name.value for s in STRATEGIES.values() if getattr(s, flag)]
