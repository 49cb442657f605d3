import pytest

from app.clients import nhs_number


@pytest.mark.parametrize("value", ["9434765919", "943 476 5919", "943-476-5919"])
def test_a_number_with_the_right_check_digit_is_valid(value):
    assert nhs_number.is_valid(value)


@pytest.mark.parametrize("value", ["9434765918", "9434765910", "1234567890"])
def test_a_number_with_the_wrong_check_digit_is_invalid(value):
    assert not nhs_number.is_valid(value)


def test_ten_digits_whose_check_digit_would_be_ten_are_never_valid():
    # 9 digits whose weighted sum leaves remainder 1: 11 - 1 = 10, which no digit can hold.
    first_nine = next(
        f"{n:09d}"
        for n in range(100000000, 100100000)
        if nhs_number.check_digit(f"{n:09d}") is None
    )
    assert nhs_number.check_digit(first_nine) is None
    for last in "0123456789":
        assert not nhs_number.is_valid(first_nine + last)


def test_remainder_zero_gives_check_digit_zero():
    first_nine = next(
        f"{n:09d}" for n in range(100000000, 100100000) if nhs_number.check_digit(f"{n:09d}") == 0
    )
    assert nhs_number.is_valid(first_nine + "0")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter the NHS number"),
        ("94347659", "NHS number must be 10 digits"),
        ("94347659190", "NHS number must be 10 digits"),
        ("943476591X", "NHS number must contain only numbers"),
        ("9434765918", "Enter a valid NHS number: check it has been typed correctly"),
    ],
)
def test_each_problem_has_its_own_message(value, message):
    assert nhs_number.problem(value) == message


def test_numbers_are_stored_without_spaces_and_shown_3_3_4():
    assert nhs_number.normalise(" 943 476 5919 ") == "9434765919"
    assert nhs_number.format_334("9434765919") == "943 476 5919"
