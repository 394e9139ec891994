"""The password rule: long enough, not the username, and not guessable.

A password is accepted when it has at least ``MIN_PASSWORD_LENGTH`` characters (NIST SP
800-63B §5.1.1.2 asks for ≥ 8 and allows more; a clinic database warrants more), at most
``MAX_PASSWORD_LENGTH`` (the login form's limit), is not only spaces, does not contain the
username (usernames of 3 or more characters, case-insensitively), and scores at least
``MIN_STRENGTH`` of 4 with zxcvbn — whose frequency lists of common passwords, names and words
are the kept blocklist (SP 800-63B §5.1.1.2: compare against "passwords obtained from previous
breach corpuses, dictionary words, repetitive or sequential characters, context-specific
words"). Score 3 means an estimated ≥ 10⁸ guesses. There are no composition rules (also
§5.1.1.2): a long passphrase of ordinary words passes.
"""

from __future__ import annotations

from zxcvbn import zxcvbn  # type: ignore[import-untyped]  # ships no type information

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MIN_STRENGTH = 3
"""The lowest zxcvbn score accepted (0–4; 3: about 10⁸ guesses or more)."""
SCORED_PREFIX = 72
"""zxcvbn scores at most this many characters; a longer password is scored by its start,
which only underestimates it."""
CONTEXT_WORDS = ("ovaregen", "clinic", "ovary", "ovarian")
"""Words of this application a password must not lean on (zxcvbn ``user_inputs``)."""


class PasswordError(ValueError):
    """A password is refused: the message says why and what is expected."""


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` is refused (one sentence with what is expected), or None."""
    if len(password) < MIN_PASSWORD_LENGTH or not password.strip():
        return (
            f"the password is too short: at least {MIN_PASSWORD_LENGTH} characters are needed "
            "(a few ordinary words make a good one)"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password is too long: at most {MAX_PASSWORD_LENGTH} characters"
    if len(username) >= 3 and username.casefold() in password.casefold():
        return "the password contains the username: choose one that does not"
    context = [word for word in (username, *CONTEXT_WORDS) if word]
    verdict = zxcvbn(password[:SCORED_PREFIX], user_inputs=context)
    score = int(verdict["score"])
    if score >= MIN_STRENGTH:
        return None
    feedback = verdict["feedback"]
    hints = [str(feedback.get("warning") or ""), *(str(s) for s in feedback.get("suggestions", []))]
    advice = ". ".join(hint.rstrip(".") for hint in hints if hint)
    return (
        f"the password is too easy to guess (strength {score} of 4, at least {MIN_STRENGTH} "
        f"needed: common passwords, repeats, sequences and keyboard patterns are refused)"
        + (f": {advice}" if advice else "")
    )


def check_password(password: str, username: str = "") -> None:
    """Refuse ``password`` for ``username`` unless it follows the rule above."""
    problem = password_problem(password, username)
    if problem is not None:
        raise PasswordError(problem)
