"""One reading of a dataset row for every method that grades rows (sample, generate_tir)."""
from numina_exp.grading.gold import gold_answer, problem_text, reference_solution


def test_gold_answer_from_column_gsm8k_or_boxed():
    assert gold_answer({"answer": 12.0}) == "12" and gold_answer({"answer": " 7/2 "}) == "7/2"
    assert gold_answer({"solution": "48 / 2 = 24\n#### 24"}) == "24"  # method=sample missed GSM8K's marker
    assert gold_answer({"messages": [{"role": "user", "content": "q"},
                                     {"role": "assistant", "content": "so \\boxed{ 5 }"}]}) == "5"
    assert gold_answer({"solution": "no final answer"}) is None and gold_answer({}) is None


def test_problem_text_and_reference_solution():
    assert problem_text({"question": "How many?"}) == "How many?"  # GSM8K's column
    assert problem_text({"messages": [{"role": "user", "content": "P"}]}) == "P"
    assert reference_solution({"messages": [{"role": "assistant", "content": "S"}]}) == "S"
