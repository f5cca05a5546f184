"""Adaptive early stop at its edges: the posterior decoding.early_stop_posterior names is the one used
(with two answers seen Beta and Dirichlet differ; with one they agree, which is all the older tests
looked at), early_stop_prior reaches the Beta posterior, a confidence exactly at the threshold stops,
no votes is no confidence, and groups with no votes are not groups."""
from types import SimpleNamespace

import pytest

from numina_exp.decode.early_stop import beta_confidence, confident, dirichlet_confidence, leader_confidence


def _dcfg(posterior: str, prior: float, threshold: float = 0.95):
    return SimpleNamespace(vote_equivalence="integer", tie_break="first_seen", integer_mode="round",
                           early_stop_posterior=posterior, early_stop_prior=prior, early_stop_threshold=threshold)


def test_the_configured_posterior_is_the_one_computed():
    votes = ["7", "7", "3", None]
    d = leader_confidence(votes, _dcfg("dirichlet", 1.0))
    b = leader_confidence(votes, _dcfg("beta", 1.0))
    assert d == dirichlet_confidence([2, 1], 1.0) and b == beta_confidence([2, 1], 1.0)
    assert abs(d - b) > 0.03  # the pseudo-group for unseen answers: Dirichlet(3, 2, 1) is not Beta(3, 2)


def test_the_prior_reaches_the_beta_posterior():
    votes = ["7", "7", "3"]
    assert leader_confidence(votes, _dcfg("beta", 0.5)) == beta_confidence([2, 1], 0.5) != beta_confidence([2, 1], 1.0)


def test_a_confidence_exactly_at_the_threshold_stops():
    # one vote each for two answers: Beta(2, 2) is symmetric, P(leader ahead) = 0.5 exactly
    assert beta_confidence([1, 1], 1.0) == 0.5
    assert confident(["4", "9"], _dcfg("beta", 1.0, threshold=0.5))
    assert not confident(["4", "9"], _dcfg("beta", 1.0, threshold=0.51))


def test_no_votes_is_no_confidence_and_empty_groups_are_not_groups():
    assert dirichlet_confidence([]) == 0.0 and dirichlet_confidence([0, 0]) == 0.0
    assert leader_confidence([None, "x"], _dcfg("dirichlet", 1.0)) == 0.0
    assert dirichlet_confidence([3, 0, 0], 1.0) == dirichlet_confidence([3], 1.0)
    assert beta_confidence([]) == 0.5  # Beta(prior, prior): even odds
    assert beta_confidence([3, 0]) == beta_confidence([3])


def test_the_default_prior_is_one():
    # one vote under prior 1: Dirichlet(2, 1) -> P(share > 1/2) = 0.75 (prior 2 would give 0.6875)
    assert dirichlet_confidence([1]) == pytest.approx(0.75, abs=0.02)
    assert beta_confidence([1]) == pytest.approx(0.75, abs=1e-12)
