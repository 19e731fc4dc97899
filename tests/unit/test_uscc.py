import pytest

from govservice.domain.uscc import check_character, is_valid_uscc, uscc_problem


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000802100433B", "914403001922038216"])
def test_published_codes_are_valid(code: str) -> None:
    assert is_valid_uscc(code)


def test_wrong_check_character_names_the_expected_one() -> None:
    assert uscc_problem("91350100M000100Y44") == "check character is 4, expected 3"


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100YI3", "alphabet: I"),
        ("91350100m000100Y43", "alphabet: m"),
    ],
)
def test_malformed_codes_are_explained(code: str, fragment: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None and fragment in problem


def test_every_body_has_exactly_one_valid_check_character() -> None:
    body = "91440300MA5F0X0X0"
    valid = [ch for ch in "0123456789ABCDEFGHJKLMNPQRTUWXY" if is_valid_uscc(body + ch)]
    assert valid == [check_character(body)]
