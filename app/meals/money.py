"""Money and quantities as typed: one parser each, integers out (pence, thousandths)."""

import re

MAX_PENCE = 1_000_000_00  # £1,000,000: far above any weekly food budget, far below 2^31
_MONEY = re.compile(r"£?\s*([0-9]{1,9})(?:\.([0-9]{1,2}))?")
_QUANTITY = re.compile(r"([0-9]{1,6})(?:\.([0-9]{1,3}))?")


def parse_pence(text: str) -> int:
    """'12.50', '£12.50', '12', '£0.5' as pence; ValueError with words for anything else."""
    raw = (text or "").strip().replace(",", "")
    if raw.startswith("-") or raw.startswith("£-"):
        raise ValueError("Enter an amount of money that is not negative, like 12.50")
    match = _MONEY.fullmatch(raw) if raw.isascii() or raw.startswith("£") else None
    if not match or not raw[1:].isascii():
        if re.fullmatch(r"£?\s*[0-9]+\.[0-9]{3,}", raw):
            raise ValueError("Enter pounds and pence with no more than 2 numbers after the point")
        raise ValueError("Enter an amount of money in numbers, like 12.50 or £12.50")
    pounds, pence = match[1], (match[2] or "").ljust(2, "0")
    value = int(pounds) * 100 + int(pence or "0")
    if value > MAX_PENCE:
        raise ValueError("Enter an amount under £1,000,000")
    return value


def format_pence(pence: int | None) -> str:
    """1250 as '£12.50'; a negative amount as '-£3.20'."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    pence = abs(pence)
    return f"{sign}£{pence // 100:,}.{pence % 100:02d}"


def parse_quantity(text: str) -> int:
    """'2', '1.5', '0.25' as thousandths; ValueError for anything that is not such a number."""
    raw = (text or "").strip()
    match = _QUANTITY.fullmatch(raw) if raw.isascii() else None
    if not match:
        raise ValueError("Enter the quantity as a number, like 2 or 1.5")
    value = int(match[1]) * 1000 + int((match[2] or "").ljust(3, "0") or "0")
    if value <= 0:
        raise ValueError("Enter a quantity greater than 0")
    return value


def format_quantity(milli: int | None) -> str:
    """1500 as '1.5', 2000 as '2'."""
    if milli is None:
        return ""
    whole, frac = divmod(milli, 1000)
    return str(whole) if not frac else f"{whole}.{frac:03d}".rstrip("0")
