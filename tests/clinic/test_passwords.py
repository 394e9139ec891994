"""The password rule (``clinic.passwords``): long, not the username, not guessable."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ovaregen.clinic.passwords import PasswordError, check_password, password_problem
from ovaregen.clinic.users import UserError, add_user
from ovaregen.store.database import Database
from ovaregen.store.models import User

PASSPHRASES_OF_THE_SUITE = ("a long test password", "end to end password", "not it at all")


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaa", "Password1234", "qwertyuiop12", "123456789012", "abcdefghijkl"]
)
def test_common_and_repetitive_passwords_are_refused_with_why(password: str) -> None:
    problem = password_problem(password, "ana")
    assert problem is not None
    assert problem.startswith("the password is too easy to guess (strength ")
    assert "at least 3 needed" in problem


def test_aaaaaaaaaaaa_says_what_is_wrong_and_what_to_do() -> None:
    with pytest.raises(PasswordError) as refused:
        check_password("aaaaaaaaaaaa", "ana")
    message = str(refused.value)
    assert message.endswith(
        ': Repeats like "aaa" are easy to guess. Add another word or two. Uncommon words are '
        "better. Avoid repeated words and characters"
    )
    assert message.startswith("the password is too easy to guess (strength 0 of 4, at least 3")


def test_a_password_containing_the_username_is_refused_whatever_the_case() -> None:
    assert password_problem("my name is Investigator", "investigator") == (
        "the password contains the username: choose one that does not"
    )


def test_short_and_blank_passwords_are_refused_with_the_minimum() -> None:
    expected = "at least 12 characters are needed"
    assert expected in (password_problem("eleven char", "") or "")
    assert expected in (password_problem(" " * 20, "") or "")
    assert "at most 1024 characters" in (password_problem("word " * 300, "") or "")


@pytest.mark.parametrize("password", [*PASSPHRASES_OF_THE_SUITE, "correct horse battery staple"])
def test_passphrases_of_ordinary_words_pass(password: str) -> None:
    assert password_problem(password, "monitor") is None


def test_a_very_long_passphrase_is_scored_by_its_start_without_error() -> None:
    assert password_problem("tidal orchard lantern " * 20, "ana") is None


def test_add_user_refuses_a_weak_password_and_saves_nothing(sqlite_database: Database) -> None:
    with pytest.raises(UserError, match="too easy to guess"), sqlite_database.transaction() as s:
        add_user(s, username="ana", password="aaaaaaaaaaaa", by="test")
    with sqlite_database.transaction() as session:
        assert session.execute(select(User).where(User.username == "ana")).first() is None
