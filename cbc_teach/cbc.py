"""The complete blood count: an immutable record of absolute counts.

>>> cbc = CBC("3.2 x10^9/L", neutrophils=1.1, bands=0.1, lymphocytes=1.6)
>>> cbc.anc
1.2
>>> CBC.from_percentages(4.0, neutrophils=30, lymphocytes=55, monocytes=10,
...                      eosinophils=4, basophils=1).neutrophils
1.2
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .errors import InvalidCountError, InvalidDifferentialError
from .units import check_value

__all__ = ["CBC", "DIFFERENTIAL"]

#: The white cells of the differential, in the order a laboratory report lists them.
DIFFERENTIAL = ("neutrophils", "bands", "lymphocytes", "monocytes", "eosinophils", "basophils")
_MAIN_FIVE = ("neutrophils", "lymphocytes", "monocytes", "eosinophils", "basophils")

#: How far the parts of a differential may exceed the WBC (rounding on lab reports).
DIFFERENTIAL_TOLERANCE = 0.02
#: How far the percentages of a full differential may stray from 100 (rounding on lab reports).
PERCENT_TOLERANCE = 2.0


def _round(x: float) -> float:
    """Round away binary noise (0.1 + 0.2) while keeping every meaningful digit."""
    return float(round(x, 10))


@dataclass(frozen=True)
class CBC:
    """A complete blood count in absolute numbers.

    White cells and platelets in x10^9/L (a string with units such as ``"2,800/uL"`` is
    accepted), hemoglobin in g/dL, MCV in fL. Leave out (None) what was not measured.

    >>> CBC(7500)
    Traceback (most recent call last):
    ...
    cbc_teach.errors.InvalidCountError: The 'wbc' count must be in x10^9/L between 0 and 500; got 7500. Did you enter cells/uL? 7500 cells/uL is 7.5 x10^9/L.
    >>> CBC(2.0, neutrophils=1.5, lymphocytes=1.0)
    Traceback (most recent call last):
    ...
    cbc_teach.errors.InvalidDifferentialError: The differential adds up to 2.5 x10^9/L (neutrophils 1.5 + lymphocytes 1), more than the 'wbc' of 2 x10^9/L (at most 2% over is allowed for rounding).
    """

    wbc: float
    neutrophils: float | None = dataclasses.field(default=None, kw_only=True)
    bands: float | None = dataclasses.field(default=None, kw_only=True)
    lymphocytes: float | None = dataclasses.field(default=None, kw_only=True)
    monocytes: float | None = dataclasses.field(default=None, kw_only=True)
    eosinophils: float | None = dataclasses.field(default=None, kw_only=True)
    basophils: float | None = dataclasses.field(default=None, kw_only=True)
    hemoglobin: float | None = dataclasses.field(default=None, kw_only=True)
    mcv: float | None = dataclasses.field(default=None, kw_only=True)
    platelets: float | None = dataclasses.field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if self.wbc is None:
            raise InvalidCountError(
                "The 'wbc' count is required (x10^9/L, e.g. 6.5 or '6,500/uL'); got None."
            )
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not None:
                object.__setattr__(self, field.name, check_value(field.name, value))
        parts = {name: getattr(self, name) for name in DIFFERENTIAL}
        parts = {name: value for name, value in parts.items() if value is not None}
        total = sum(parts.values())
        if total > self.wbc * (1 + DIFFERENTIAL_TOLERANCE) + 1e-9:
            listed = " + ".join(f"{name} {value:g}" for name, value in parts.items())
            raise InvalidDifferentialError(
                f"The differential adds up to {_round(total):g} x10^9/L ({listed}), more than "
                f"the 'wbc' of {self.wbc:g} x10^9/L (at most {DIFFERENTIAL_TOLERANCE:.0%} over "
                "is allowed for rounding)."
            )

    @property
    def anc(self) -> float | None:
        """Absolute neutrophil count: segmented neutrophils plus bands (None when unknown).

        >>> CBC(5.0, neutrophils=2.0, bands=0.5).anc
        2.5
        >>> CBC(5.0).anc is None
        True
        """
        if self.neutrophils is None:
            return None
        return _round(self.neutrophils + (self.bands or 0.0))

    @classmethod
    def from_percentages(
        cls,
        wbc: float | str,
        *,
        neutrophils: float | None = None,
        lymphocytes: float | None = None,
        monocytes: float | None = None,
        eosinophils: float | None = None,
        basophils: float | None = None,
        bands: float | None = None,
        hemoglobin: float | None = None,
        mcv: float | None = None,
        platelets: float | str | None = None,
    ) -> CBC:
        """Build a CBC from the WBC and the differential in percent of the WBC.

        When all five main cell types are given, the percentages (bands included) must add up
        to 100, give or take 2 for rounding.

        >>> CBC.from_percentages("2,000/uL", neutrophils=40, lymphocytes=50, monocytes=8,
        ...                      eosinophils=1, basophils=1).anc
        0.8
        >>> CBC.from_percentages(4.0, neutrophils=60, lymphocytes=20, monocytes=5,
        ...                      eosinophils=1, basophils=1)
        Traceback (most recent call last):
        ...
        cbc_teach.errors.InvalidDifferentialError: The differential percentages add up to 87 (neutrophils 60 + lymphocytes 20 + monocytes 5 + eosinophils 1 + basophils 1); they must add up to 100 +/- 2 when all five main white cells are given.
        """
        total_wbc = check_value("wbc", wbc)
        percents = {
            "neutrophils": neutrophils,
            "bands": bands,
            "lymphocytes": lymphocytes,
            "monocytes": monocytes,
            "eosinophils": eosinophils,
            "basophils": basophils,
        }
        checked: dict[str, float] = {}
        for name, value in percents.items():
            if value is None:
                continue
            number = _percent(name, value)
            checked[name] = number
        total = sum(checked.values())
        listed = " + ".join(f"{name} {value:g}" for name, value in checked.items())
        if all(name in checked for name in _MAIN_FIVE) and abs(total - 100) > PERCENT_TOLERANCE + 1e-9:
            raise InvalidDifferentialError(
                f"The differential percentages add up to {_round(total):g} ({listed}); they "
                f"must add up to 100 +/- {PERCENT_TOLERANCE:g} when all five main white cells are given."
            )
        if total > 100 + PERCENT_TOLERANCE + 1e-9:
            raise InvalidDifferentialError(
                f"The differential percentages add up to {_round(total):g} ({listed}); they "
                f"cannot add up to more than 100 (+{PERCENT_TOLERANCE:g} for rounding)."
            )
        absolute = {name: _round(total_wbc * pct / 100) for name, pct in checked.items()}
        return cls(
            total_wbc, hemoglobin=hemoglobin, mcv=mcv, platelets=platelets, **absolute
        )

    def percentages(self) -> dict[str, float]:
        """The known parts of the differential as percentages of the WBC.

        >>> CBC(4.0, neutrophils=1.0, lymphocytes=2.0).percentages()
        {'neutrophils': 25.0, 'lymphocytes': 50.0}
        """
        if self.wbc == 0:
            return {}
        return {
            name: _round(100 * getattr(self, name) / self.wbc)
            for name in DIFFERENTIAL
            if getattr(self, name) is not None
        }

    def replace(self, **changes: object) -> CBC:
        """A copy with some values changed (the CBC itself never changes).

        >>> CBC(6.0, neutrophils=3.0).replace(neutrophils=1.0).anc
        1.0
        """
        return dataclasses.replace(self, **changes)

    def __str__(self) -> str:
        parts = [f"WBC {self.wbc:g}"]
        for name in DIFFERENTIAL:
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name} {value:g}")
        text = "CBC: " + ", ".join(parts) + " x10^9/L"
        extra = []
        if self.hemoglobin is not None:
            extra.append(f"Hb {self.hemoglobin:g} g/dL")
        if self.mcv is not None:
            extra.append(f"MCV {self.mcv:g} fL")
        if self.platelets is not None:
            extra.append(f"platelets {self.platelets:g} x10^9/L")
        return text + ("; " + ", ".join(extra) if extra else "")


def _percent(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            number = float(str(value).strip().rstrip("%"))
        except ValueError:
            raise InvalidCountError(
                f"The {name!r} percentage must be a number from 0 to 100; got {value!r}."
            ) from None
    else:
        number = float(value)
    if not 0 <= number <= 100:  # also rejects NaN
        raise InvalidCountError(
            f"The {name!r} percentage must be a number from 0 to 100; got {value!r}."
        )
    return number
