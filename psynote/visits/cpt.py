"""CPT code suggestion from the service and its face-to-face minutes
(docs/clinical-sources.md#cpt-psychotherapy-codes).

Only face-to-face or live-video time counts; one code is picked, codes are never added
up. Codes only: CPT descriptors are AMA-copyrighted, so the labels here are our own.
"""

from dataclasses import dataclass, field

PSYCHOTHERAPY = "psychotherapy"
PSYCHOTHERAPY_WITH_EM = "psychotherapy_em"
CRISIS = "crisis"
FAMILY_WITH_CLIENT = "family_with_client"
FAMILY_WITHOUT_CLIENT = "family_without_client"
GROUP = "group"
MULTI_FAMILY_GROUP = "multi_family_group"
DIAGNOSTIC_EVALUATION = "diagnostic_evaluation"

SERVICES = [
    (PSYCHOTHERAPY, "Individual psychotherapy"),
    (PSYCHOTHERAPY_WITH_EM, "Psychotherapy with an E/M service (add-on)"),
    (CRISIS, "Crisis psychotherapy"),
    (FAMILY_WITH_CLIENT, "Family therapy with the client present"),
    (FAMILY_WITHOUT_CLIENT, "Family therapy without the client"),
    (GROUP, "Group psychotherapy"),
    (MULTI_FAMILY_GROUP, "Multiple-family group"),
    (DIAGNOSTIC_EVALUATION, "Diagnostic evaluation (intake)"),
]

# Interactive complexity (+90785) may accompany these codes only
# (docs/clinical-sources.md#interactive-complexity).
INTERACTIVE_COMPLEXITY_WITH = {"90791", "90792", "90832", "90834", "90837",
                               "+90833", "+90836", "+90838", "90853"}


ADD_ON_MARK = "+"


def billing_code(code: str) -> str:
    """The five-character CPT code a claim carries: "+90833" -> "90833". The "+" that marks
    an add-on code in the CPT book is for people, not for a billing system."""
    return code.removeprefix(ADD_ON_MARK)


def is_add_on(code: str) -> bool:
    return code.startswith(ADD_ON_MARK)


@dataclass(frozen=True)
class Line:
    """One code of a suggestion as a billing system takes it: bare code, add-on flag, units."""

    code: str
    add_on: bool
    units: int

    @property
    def display(self) -> str:
        return f"{ADD_ON_MARK}{self.code}" if self.add_on else self.code


@dataclass
class Suggestion:
    codes: list[str] = field(default_factory=list)  # as displayed: add-on codes keep their "+"
    reason: str = ""

    @property
    def text(self) -> str:
        return " ".join(self.codes) if self.codes else "none"

    @property
    def billing_codes(self) -> list[str]:
        """The codes without the add-on "+", one per unit, in order."""
        return [billing_code(code) for code in self.codes]

    @property
    def lines(self) -> list[Line]:
        """One line per code, repeated add-on units (crisis +90840) counted as units."""
        units: dict[str, int] = {}
        for code in self.codes:
            units[code] = units.get(code, 0) + 1
        return [Line(billing_code(code), is_add_on(code), n) for code, n in units.items()]


def _psychotherapy_band(minutes: int, codes: tuple[str, str, str]) -> str | None:
    if minutes >= 53:
        return codes[2]
    if minutes >= 38:
        return codes[1]
    if minutes >= 16:
        return codes[0]
    return None


def suggest(service: str, minutes: int | None, *, interactive_complexity: bool = False
            ) -> Suggestion:
    untimed = {GROUP: "90853", MULTI_FAMILY_GROUP: "90849", DIAGNOSTIC_EVALUATION: "90791"}
    if service in untimed:
        result = Suggestion([untimed[service]], "untimed service")
    elif minutes is None:
        return Suggestion([], "record start and stop times to suggest a code")
    elif minutes < 0:
        return Suggestion([], "stop time is before start time")
    elif service == PSYCHOTHERAPY:
        code = _psychotherapy_band(minutes, ("90832", "90834", "90837"))
        result = (Suggestion([code], f"{minutes} min face-to-face") if code
                  else Suggestion([], f"{minutes} min is under the 16-minute minimum"))
    elif service == PSYCHOTHERAPY_WITH_EM:
        code = _psychotherapy_band(minutes, ("+90833", "+90836", "+90838"))
        result = (Suggestion([code], f"{minutes} min; list the E/M code first") if code
                  else Suggestion([], f"{minutes} min is under the 16-minute minimum"))
    elif service == CRISIS:
        if minutes < 30:
            return Suggestion([], f"{minutes} min is under the 30-minute crisis minimum; "
                                  "consider the psychotherapy codes")
        # +90840 for each further 30 min beyond the first 74 (75-104 min: one unit).
        extra = (minutes - 75) // 30 + 1 if minutes > 74 else 0
        result = Suggestion(["90839"] + ["+90840"] * extra, f"{minutes} min crisis")
    elif service in (FAMILY_WITH_CLIENT, FAMILY_WITHOUT_CLIENT):
        code = "90847" if service == FAMILY_WITH_CLIENT else "90846"
        result = (Suggestion([code], f"{minutes} min") if minutes >= 26
                  else Suggestion([], f"{minutes} min is under the 26-minute minimum"))
    else:
        return Suggestion([], f"unknown service {service!r}")
    if interactive_complexity and result.codes:
        if result.codes[0] in INTERACTIVE_COMPLEXITY_WITH:
            result.codes.append("+90785")
        else:
            result.reason += "; interactive complexity (+90785) is not billable with this code"
    return result
