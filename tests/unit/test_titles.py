"""The job-title classifier: a table of real-world titles, a held-out set, explicit values."""

from __future__ import annotations

import pytest

from leadq.title_tables import DEPARTMENTS, SENIORITIES
from leadq.titles import classify_title, department_value, normalise, seniority_value
from tests.unit.title_cases import HELD_OUT, TITLES


def test_the_table_is_large_and_has_no_repeated_title() -> None:
    titles = [title for title, _, _ in TITLES]
    assert len(titles) >= 300
    assert len(set(titles)) == len(titles)
    assert not set(titles) & {title for title, _, _ in HELD_OUT}


@pytest.mark.parametrize(("title", "seniority", "department"), TITLES)
def test_title(title: str, seniority: str | None, department: str | None) -> None:
    found = classify_title(title)
    assert (found.seniority, found.department) == (seniority, department)


def test_held_out_titles_are_mostly_right() -> None:
    """Titles written before the classifier ran: 55/60 both right then (seniority
    60/60), 58/60 since (see ``title_cases``); the bound leaves room for table changes."""
    found = [classify_title(title) for title, _, _ in HELD_OUT]
    seniority = sum(f.seniority == s for f, (_, s, _) in zip(found, HELD_OUT, strict=True))
    both = sum(
        (f.seniority, f.department) == (s, d) for f, (_, s, d) in zip(found, HELD_OUT, strict=True)
    )
    assert seniority / len(HELD_OUT) >= 0.95
    assert both / len(HELD_OUT) >= 0.85


def test_every_answer_is_in_the_vocabulary() -> None:
    for title, _, _ in [*TITLES, *HELD_OUT]:
        found = classify_title(title)
        assert found.seniority is None or found.seniority in SENIORITIES
        assert found.department is None or found.department in DEPARTMENTS


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Sr. VP, Eng & Ops", "senior vp engineer and operations"),
        ("Geschäftsführer", "geschaftsfuhrer"),
        ("  DIR.   IT ", "director it"),
        ("C.E.O.", "ceo"),
        ("Vice-President R&D", "vp research development"),
        ("Assistant to the CEO", "assistant"),
    ],
)
def test_normalise(raw: str, normalised: str) -> None:
    assert normalise(raw) == normalised


@pytest.mark.parametrize(
    ("value", "seniority"),
    [
        ("CXO", "c_level"),  # LinkedIn
        ("VP", "vp"),
        ("Entry", "individual_contributor"),
        ("Training", "intern"),
        ("c_suite", "c_level"),  # Apollo
        ("founder", "owner"),
        ("C-Level", "c_level"),  # ZoomInfo
        ("Non-Manager", "individual_contributor"),
        ("executive", "c_level"),  # Clearbit
        ("director", "director"),
        ("Head of Sales", "head"),  # a title in the seniority field still says something
        ("individual_contributor", "individual_contributor"),
        ("asdf", None),
    ],
)
def test_explicit_seniority_values(value: str, seniority: str | None) -> None:
    assert seniority_value(value) == seniority


@pytest.mark.parametrize(
    ("value", "department"),
    [
        ("Engineering", "engineering"),
        ("human_resources", "hr"),  # Clearbit
        ("Information Technology", "it"),
        ("customer success", "customer_success"),
        ("Customer Service", "customer_success"),
        ("Sales", "sales"),
        ("leadership", "executive"),
        ("VP Marketing", "marketing"),
        ("n/a", None),
    ],
)
def test_explicit_department_values(value: str, department: str | None) -> None:
    assert department_value(value) == department


def test_results_are_memoised_per_title() -> None:
    classify_title.cache_clear()
    classify_title("VP Engineering")
    classify_title("VP Engineering")
    assert classify_title.cache_info().hits == 1
