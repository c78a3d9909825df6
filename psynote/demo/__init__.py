"""The fictional demo practices: Harbor Light Counseling (fictional demo) and a smaller
second practice, Juniper Bend Therapy (fictional demo), behind the wall between practices.

`psynote demo` loads both into an empty installation. The package splits the story from
the code that writes it:

- `story`: the people, the clients and the special moments of the story (data only);
- `texts`: what the notes say, per note template;
- `course`: each client's sessions, measure scores and treatment plan;
- `clock`: the demo clock, which back-dates each step to its moment in the story;
- `runner`: `load()`, which replays the story through the application's own actions;
- `second`: `load_second()`, the second practice, its people and clients in one file.
"""

from psynote.demo.runner import Summary, load, logins_table
from psynote.demo.second import (
    SECOND_CLIENTS,
    SECOND_PRACTICE_NAME,
    SECOND_STAFF,
    load_second,
    second_logins_table,
)
from psynote.demo.story import (
    ADDENDA,
    CLIENTS,
    DRAFTS,
    MEASURE_OVERDUE,
    NO_NOTE_YET,
    NO_PLAN,
    PASSWORD,
    PLAN_REVIEW_OVERDUE,
    PLAN_REVISED,
    PRACTICE_NAME,
    PSYCHOTHERAPY_NOTES,
    RISK_ALERT,
    STAFF,
    UPCOMING,
    WORSENING,
)

__all__ = [
    "ADDENDA",
    "CLIENTS",
    "DRAFTS",
    "MEASURE_OVERDUE",
    "NO_NOTE_YET",
    "NO_PLAN",
    "PASSWORD",
    "PLAN_REVIEW_OVERDUE",
    "PLAN_REVISED",
    "PRACTICE_NAME",
    "PSYCHOTHERAPY_NOTES",
    "RISK_ALERT",
    "SECOND_CLIENTS",
    "SECOND_PRACTICE_NAME",
    "SECOND_STAFF",
    "STAFF",
    "UPCOMING",
    "WORSENING",
    "Summary",
    "load",
    "load_second",
    "logins_table",
    "second_logins_table",
]
