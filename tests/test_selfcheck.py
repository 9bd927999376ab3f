"""The course's ungraded self-check questions: verdicts, tolerance, feedback and the widget."""

from __future__ import annotations

import contextlib
import io

import pytest

from cbc_teach.errors import InvalidParameterError
from cbc_teach.selfcheck import (
    Feedback,
    QuestionWidget,
    check_answer,
    choice_question,
    number_question,
)


@pytest.fixture
def anc_question():
    return number_question(
        "WBC 3.2, segmented neutrophils 38 %, bands 4 %: the ANC?",
        answer=1.344, tolerance=0.01, unit="x10^9/L",
        explanation="ANC = 3.2 x 42 / 100.",
        mistakes=[(1.216, "Bands count towards the ANC.")],
        too_low="Too low hint.", too_high="Too high hint.",
        title="Self-check 1",
    )


@pytest.fixture
def single_choice():
    return choice_question(
        "Steroids make the WBC...", ["fall", "rise", "stay the same"], answer="rise",
        explanation="Neutrophils are released.",
        why_not={"fall": "They lower lymphocytes, not the total."},
        title="Self-check 2",
    )


@pytest.fixture
def multiple_choice():
    return choice_question(
        "Tick the warning signs.", ["Fever", "Confusion", "Itchy eyes"],
        answer=["Fever", "Confusion"], explanation="Both are warning signs.",
        why_not={"Itchy eyes": "Not a warning sign."},
    )


# --- numbers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("response", [1.344, 1.35, 1.34, "1.344", " 1.35 ", "1,344/uL",
                                      "1.344 K/uL", "1.344 x10^9/L"])
def test_number_right_within_tolerance(anc_question, response):
    """A number within the tolerance (typed or as text with a count unit) is correct."""
    feedback = check_answer(anc_question, response)
    assert feedback.correct is True
    assert feedback.message == "Correct. ANC = 3.2 x 42 / 100."


@pytest.mark.parametrize("response", [1.33, 1.36, 1.0, 2])
def test_number_outside_tolerance_is_wrong(anc_question, response):
    """Just outside the tolerance is wrong."""
    assert check_answer(anc_question, response).correct is False


def test_number_tolerance_boundary_is_inclusive():
    """An answer exactly ``tolerance`` away counts as right (floating-point slack included)."""
    q = number_question("?", answer=1.2, tolerance=0.1)
    assert check_answer(q, 1.3).correct is True
    assert check_answer(q, 1.1).correct is True
    assert check_answer(q, 1.3001).correct is False


def test_number_known_mistake_gets_its_hint(anc_question):
    """A value listed among the mistakes gets that mistake's hint."""
    assert str(check_answer(anc_question, 1.216)) == "Not quite. Bands count towards the ANC. Try again."


def test_number_too_low_and_too_high_hints(anc_question):
    """Other wrong answers say which way they are off, with the matching hint."""
    assert str(check_answer(anc_question, 0.5)) == "Not quite. 0.5 is too low. Too low hint. Try again."
    assert str(check_answer(anc_question, 3)) == "Not quite. 3 is too high. Too high hint. Try again."


def test_number_cells_per_microlitre_is_recognised(anc_question):
    """An answer 1,000 times too big for a count is explained as a cells/uL slip."""
    message = check_answer(anc_question, 1344).message
    assert message.startswith("Not quite. 1344 looks like cells/uL")
    assert "divide by 1,000" in message


@pytest.mark.parametrize("response", [None, "", "   "])
def test_number_no_answer_yet(anc_question, response):
    """Nothing entered is neither right nor wrong."""
    feedback = check_answer(anc_question, response)
    assert feedback.correct is None
    assert feedback.message == "No answer yet: type a number, then check."


@pytest.mark.parametrize("response", ["abc", True, float("nan"), [1.3]])
def test_number_unreadable_answer(anc_question, response):
    """An unreadable answer gets a message saying so, not a verdict."""
    feedback = check_answer(anc_question, response)
    assert feedback.correct is None
    assert feedback.message


def test_plain_number_accepts_decimal_comma_and_percent_sign():
    """Outside counts, '40', '40 %' and '1,5' are read as plain numbers."""
    percent = number_question("Share?", answer=40, tolerance=0.5, unit="%")
    assert check_answer(percent, "40 %").correct is True
    decimal = number_question("Half of 3?", answer=1.5, tolerance=0)
    assert check_answer(decimal, "1,5").correct is True


# --- choices -----------------------------------------------------------------------------------
@pytest.mark.parametrize("response", ["rise", "B", "b", 1, ["rise"]])
def test_choice_right_by_text_letter_or_index(single_choice, response):
    """An option can be named by its text, its letter or its index."""
    assert check_answer(single_choice, response).correct is True


def test_choice_wrong_option_gets_its_hint(single_choice):
    """A wrong option with a hint shows the hint; one without says only 'try again'."""
    assert str(check_answer(single_choice, "fall")) == (
        "Not quite. They lower lymphocytes, not the total. Try again.")
    assert str(check_answer(single_choice, "stay the same")) == "Not quite. Try again."


def test_choice_two_answers_to_a_single_choice(single_choice):
    """Choosing two options in a one-answer question is not judged."""
    assert check_answer(single_choice, ["fall", "rise"]).correct is None


@pytest.mark.parametrize("response", ["D", 7, "grow", 2.5])
def test_choice_unknown_option(single_choice, response):
    """An option that does not exist gets a message listing the options."""
    feedback = check_answer(single_choice, response)
    assert feedback.correct is None
    assert "fall; rise; stay the same" in feedback.message


def test_multiple_choice_needs_exactly_the_right_set(multiple_choice):
    """'Tick all that apply' is right only with every right option and no wrong one."""
    assert check_answer(multiple_choice, ["Confusion", "Fever"]).correct is True
    partial = check_answer(multiple_choice, ["Fever"])
    assert partial.correct is False
    assert "1 right option is not ticked" in partial.message
    extra = check_answer(multiple_choice, ["Fever", "Confusion", "Itchy eyes"])
    assert extra.correct is False
    assert "1 of your choices is wrong" in extra.message
    assert "Not a warning sign." in extra.message


def test_reveal_gives_answer_and_explanation(single_choice, anc_question):
    """The revealed answer names the answer and the explanation."""
    assert single_choice.reveal().message == "The answer: rise. Neutrophils are released."
    assert anc_question.reveal().message.startswith("The answer: 1.344 x10^9/L.")


# --- construction errors -----------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {"options": ["a"], "answer": "a"},
    {"options": "ab", "answer": "a"},
    {"options": ["a", "a"], "answer": "a"},
    {"options": ["a", "b"], "answer": "c"},
    {"options": ["a", "b"], "answer": []},
    {"options": ["a", "b"], "answer": "a", "why_not": {"c": "no"}},
])
def test_bad_choice_question_raises(kwargs):
    """A malformed choice question fails at once with a clear error."""
    with pytest.raises(InvalidParameterError):
        choice_question("?", **kwargs)


@pytest.mark.parametrize("kwargs", [
    {"answer": float("nan"), "tolerance": 0},
    {"answer": 1, "tolerance": -1},
    {"answer": "1", "tolerance": 0},
])
def test_bad_number_question_raises(kwargs):
    """A malformed numeric question fails at once with a clear error."""
    with pytest.raises(InvalidParameterError):
        number_question("?", **kwargs)


def test_check_answer_needs_a_question():
    """check_answer() names what it needs."""
    with pytest.raises(InvalidParameterError, match="choice_question"):
        check_answer("not a question", 1)


def test_feedback_reprs_are_plain_words():
    """The text and HTML forms of a feedback are deterministic words (nbval compares them)."""
    feedback = Feedback(False, "Not quite. Try again.")
    assert repr(feedback) == str(feedback) == "Not quite. Try again."
    assert "&#10007; Not quite.</b> Try again." in feedback._repr_html_()


# --- the widget --------------------------------------------------------------------------------
def test_widget_check_button_shows_feedback(single_choice):
    """Pressing Check judges the entered answer and shows the verdict in the HTML widget."""
    w = single_choice.widget()
    assert isinstance(w, QuestionWidget)
    assert w.state is None and w.feedback.value == ""
    w.controls["answer"].value = "fall"
    w.controls["check"].click()
    assert w.state.correct is False
    assert "They lower lymphocytes" in w.feedback.value
    w.set_answer("rise")
    w.controls["check"].click()
    assert w.state.correct is True
    assert "Correct" in w.feedback.value


def test_widget_number_and_multiple(anc_question, multiple_choice):
    """The text box and the tick boxes feed the same checks as check_answer()."""
    w = anc_question.widget()
    w.controls["answer"].value = "1,344/uL"
    assert w.check().correct is True
    m = multiple_choice.widget()
    m.set_answer(["Fever", "Confusion"])
    assert m.response() == ("Fever", "Confusion")
    assert m.check().correct is True


def test_widget_show_answer_button(anc_question):
    """Show answer reveals the answer and the explanation."""
    w = anc_question.widget()
    w.controls["show"].click()
    assert w.state.revealed
    assert "1.344 x10^9/L" in w.feedback.value


def test_widget_callbacks_print_nothing(single_choice, anc_question):
    """No button callback writes to stdout or stderr (nbval would see it)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        for question, answer in [(single_choice, "fall"), (anc_question, "abc")]:
            w = question.widget()
            w.set_answer(answer)
            w.controls["check"].click()
            w.controls["show"].click()
    assert out.getvalue() == "" and err.getvalue() == ""


def test_widget_mimebundle_has_deterministic_text(single_choice):
    """Displaying a question shows the widget; its text/plain is plain words, no widget tree."""
    bundle = single_choice._repr_mimebundle_()
    assert bundle["text/plain"].startswith("Self-check 2: Steroids make the WBC")  # #15: no
    assert "SelfCheck(" not in bundle["text/plain"]  # Python name before the cells run
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert repr(single_choice) == "ChoiceQuestion(Self-check 2: Steroids make the WBC...)"


def test_enter_in_the_number_box_checks_the_answer(anc_question):
    """Issue #15: pressing Enter in a number self-check submits it (the box sends its value on
    Enter), without pressing Check; entering an answer from Python does not check it."""
    w = anc_question.widget()
    assert w.controls["answer"].continuous_update is False
    w.set_answer("60")
    assert w.state is None
    w.controls["answer"].value = "1.344"  # what the browser sends when Enter is pressed
    assert w.state is not None and w.state.correct is True


def test_selfcheck_core_needs_no_ipywidgets():
    """The questions are plain data: importing cbc_teach.selfcheck imports no ipywidgets."""
    import subprocess
    import sys

    code = ("import sys, cbc_teach.selfcheck; "
            "print('ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_widget_set_answer_rejects_unknown_option(single_choice):
    """Entering an option that does not exist is an error, not a silent blank."""
    with pytest.raises(InvalidParameterError):
        single_choice.widget().set_answer("grow")
