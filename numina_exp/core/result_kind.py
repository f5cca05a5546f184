"""What a run's result is, recorded in the result itself (`kind`), so that readers (the pipeline's
summary, report.compare) read it instead of guessing from which keys a result happens to hold."""
from enum import StrEnum


class ResultKind(StrEnum):
    evaluation = "evaluation"  # results.json of a suite evaluation (per-seed accuracy)
    kaggle_sim = "kaggle_sim"  # results.json of the budgeted Kaggle simulation
    training = "training"  # train_metrics.json of a trainer
    preference_training = "preference_training"  # a trainer whose metrics carry implicit-reward curves
