"""Reads of supervision and caseload data, by noun; the names are re-exported here."""

from .agreements import supervisee_ids_for, supervisee_ids_query
from .caseload import (
    CaseloadAssessment,
    CaseloadFlag,
    assess,
    caseload_assessments,
    guideline_current,
    pro_rated,
)
from .reviews_due import ReviewStatus, review_statuses
from .status import SupervisionStatus, due_moment, supervision_statuses

__all__ = [
    "CaseloadAssessment",
    "CaseloadFlag",
    "ReviewStatus",
    "SupervisionStatus",
    "assess",
    "caseload_assessments",
    "due_moment",
    "guideline_current",
    "pro_rated",
    "review_statuses",
    "supervisee_ids_for",
    "supervisee_ids_query",
    "supervision_statuses",
]
