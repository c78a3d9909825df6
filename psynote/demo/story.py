"""The story of the fictional demo practice: its people, its clients and what happens to them.

Only data: who works at Harbor Light Counseling, each client's story, and the special
moments (a risk note, a late entry, addenda, a no-show...) by client surname. The runner
(`psynote.demo.runner`) writes it through the application's own actions.

Every person, address, phone number and licence number here is invented (phone numbers
are in the 555-01xx range reserved for fiction, e-mail addresses are at example.com).
"""

from dataclasses import dataclass
from datetime import date

from psynote.accounts.models import Role

PRACTICE_NAME = "Harbor Light Counseling (fictional demo)"
PASSWORD = "harbor-light-demo"  # noqa: S105 - the published password of fictional users
HISTORY_DAYS = 98

# username, role, first name, last name, credentials, licence number, supervisor
STAFF: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("admin", Role.ADMIN, "Alex", "Adminson", "", "", ""),
    ("supervisor", Role.SUPERVISOR, "Morgan", "Mentorly", "PsyD, LP", "DEMO-PSY-4004", ""),
    ("clinician", Role.CLINICIAN, "Dana", "Demoworth", "LCSW", "DEMO-LCSW-1001", ""),
    ("clinician2", Role.CLINICIAN, "Eli", "Samplefield", "PhD, LP", "DEMO-LP-2002", ""),
    ("supervisee", Role.CLINICIAN, "Remy", "Placeholder", "MA, LPC-Associate",
     "DEMO-LPCA-3003", "supervisor"),
    ("frontdesk", Role.FRONT_DESK, "Frankie", "Frontdesk", "", "", ""),
    ("privacy", Role.PRIVACY, "Pat", "Privacyworth", "", "", ""),
)
LICENCE_STATE = "Demo State"

# Each clinician writes mostly in one template; intakes use the intake template.
TEMPLATE_OF = {"clinician": "soap", "clinician2": "dap", "supervisee": "birp",
               "supervisor": "girp"}


@dataclass(frozen=True)
class ClientStory:
    first: str
    last: str
    pronouns: str
    born: date
    sex: str
    clinician: str
    codes: tuple[str, ...]
    concern: str
    goal: str
    interventions: tuple[str, ...]
    homework: str
    intake_days_ago: int
    every_days: int = 7
    hour: int = 9
    video: bool = False


CLIENTS: tuple[ClientStory, ...] = (
    ClientStory("Avery", "Examplar", "she/her", date(1988, 3, 14), "female", "clinician",
                ("F41.1",), "persistent worry about work and health",
                "worry takes under an hour a day; sleeps seven hours most nights",
                ("cognitive_restructuring", "relaxation"), "worry log and scheduled worry time",
                95, hour=9),
    ClientStory("Blake", "Testwood", "he/him", date(1979, 11, 2), "male", "clinician",
                ("F33.1", "Z56.0"), "low mood and loss of interest since losing his job",
                "a daily routine with two valued activities; job search three days a week",
                ("behavioral_activation", "problem_solving"), "activity schedule",
                88, hour=10),
    ClientStory("Casey", "Sampleton", "they/them", date(1995, 7, 21), "unknown",
                "clinician", ("F43.23",), "loneliness and tension after moving to a new city",
                "two regular social contacts; tension rated under 4/10",
                ("problem_solving", "supportive"), "one social invitation a week",
                60, hour=11, video=True),
    ClientStory("Drew", "Notreal", "he/him", date(1969, 1, 30), "male", "clinician",
                ("F10.20",), "drinking more than intended most evenings",
                "alcohol-free weekdays and a relapse-prevention plan",
                ("motivational_interviewing", "psychoeducation"), "drinking diary",
                81, hour=13),
    ClientStory("Emery", "Madeup", "she/her", date(2001, 9, 9), "female", "clinician",
                ("F40.10",), "fear of speaking in class and in groups",
                "speaks up once in each seminar", ("exposure", "cognitive_restructuring"),
                "graded exposure steps from the hierarchy", 53, hour=14),
    ClientStory("Finley", "Imaginary", "she/her", date(1983, 5, 5), "female", "clinician",
                ("F43.10",), "nightmares and startle after a car accident",
                "drives to work without panic; nightmares under one a week",
                ("trauma_focused", "relaxation"), "grounding practice twice a day",
                74, hour=15),
    ClientStory("Gray", "Pretendson", "he/him", date(1990, 12, 12), "male", "clinician2",
                ("F42.2",), "checking rituals that take two hours a day",
                "rituals under thirty minutes a day", ("exposure", "psychoeducation"),
                "exposure and response prevention practice", 90, hour=9),
    ClientStory("Harper", "Inventado", "she/her", date(1975, 4, 18), "female", "clinician2",
                ("F43.81",), "intense grief a year after her sister's death",
                "returns to two activities she used to enjoy", ("supportive", "mindfulness"),
                "memory journal", 84, every_days=14, hour=10),
    ClientStory("Indigo", "Fauxley", "they/them", date(1998, 2, 27), "unknown",
                "clinician2", ("F90.0", "F41.1"),
                "missed deadlines and worry about falling behind at work",
                "uses a planner daily; no missed deadlines for a month",
                ("problem_solving", "psychoeducation"), "daily planning routine",
                67, hour=11, video=True),
    ClientStory("Jules", "Mockridge", "he/him", date(1986, 8, 8), "male", "clinician2",
                ("F32.1",), "low mood, poor sleep and withdrawal from friends",
                "PHQ-9 under 10; sees friends weekly", ("behavioral_activation",
                                                         "cognitive_restructuring"),
                "pleasant-activity scheduling", 77, hour=13),
    ClientStory("Kai", "Dummyford", "she/her", date(1993, 10, 31), "female", "clinician2",
                ("F41.0",), "sudden panic attacks on public transport",
                "rides the bus to work without leaving early", ("exposure",
                                                               "psychoeducation"),
                "interoceptive exposure exercises", 70, hour=14),
    ClientStory("Lane", "Specimen", "he/him", date(1960, 6, 15), "male", "clinician2",
                ("F51.01",), "trouble falling asleep for the past year",
                "falls asleep within thirty minutes on most nights",
                ("psychoeducation", "relaxation"), "sleep diary and fixed rising time",
                46, hour=15),
    ClientStory("Marlowe", "Nonesuch", "she/her", date(2003, 3, 3), "female", "supervisee",
                ("F43.22",), "anxiety since starting university away from home",
                "attends all classes; anxiety under 4/10", ("relaxation", "problem_solving"),
                "breathing practice before class", 72, hour=9),
    ClientStory("Nico", "Hypothetical", "he/him", date(1999, 11, 11), "male", "supervisee",
                ("F34.1",), "years of low-grade low mood and self-criticism",
                "notices and answers self-critical thoughts", ("cognitive_restructuring",
                                                              "supportive"),
                "thought record", 65, hour=10, video=True),
    ClientStory("Oakley", "Fictive", "they/them", date(1991, 1, 1), "unknown", "supervisee",
                ("F40.01",), "avoiding shops and crowded places after panic attacks",
                "does the weekly shopping alone", ("exposure", "relaxation"),
                "graded outings from the hierarchy", 58, hour=11),
    ClientStory("Parker", "Storybook", "she/her", date(1985, 7, 7), "female", "supervisee",
                ("F43.21", "Z63.0"), "sadness and arguments since a separation",
                "co-parents calmly; mood steadier", ("supportive", "problem_solving"),
                "scripted handover conversations", 49, hour=13),
    ClientStory("Quinn", "Makebelieve", "he/him", date(1972, 2, 2), "male", "supervisor",
                ("F33.1",), "a recurrence of depression over the winter",
                "back to full working days; PHQ-9 under 10", ("behavioral_activation",
                                                             "cognitive_restructuring"),
                "morning routine and daylight walk", 92, hour=9),
    ClientStory("Rowan", "Unreal", "she/her", date(1980, 9, 19), "female", "supervisor",
                ("F60.3",), "intense emotions and conflict in close relationships",
                "uses a skill before acting on urges", ("dbt_skills", "mindfulness"),
                "diary card", 86, hour=10),
    ClientStory("Sage", "Examplesworth", "she/her", date(1997, 5, 25), "female",
                "supervisor", ("F41.1",), "worry about money and the future",
                "a weekly budget and worry under an hour a day",
                ("problem_solving", "cognitive_restructuring"), "budget worksheet",
                39, hour=11, video=True),
    ClientStory("Tatum", "Nobody", "he/him", date(1966, 12, 1), "male", "supervisor",
                ("F43.12",), "long-standing intrusive memories from military service",
                "sleeps through most nights; goes to crowded places with a plan",
                ("trauma_focused", "relaxation"), "grounding plan for crowds",
                79, every_days=14, hour=13),
)

# Special moments of the story, by client surname.
RISK_NOTE = ("Testwood", 21)  # (client, about this many days ago)
LATE_ENTRY = ("Pretendson", 12, 4)  # signed 4 days after the session
ADDENDA = (("Examplar", 35, "correction",
            "Correction: the homework agreed was the worry log, not the thought record "
            "named in the plan."),
           ("Dummyford", 28, "late_information",
            "Later information: the client called the next day to say her primary care "
            "physician has ruled out a thyroid cause for the palpitations."))
NO_SHOW = ("Mockridge", 27)
LATE_CANCEL = ("Nonesuch", 14)
DRAFTS = ("Sampleton", "Inventado", "Hypothetical")
NO_NOTE_YET = ("Madeup", "Specimen", "Makebelieve")
PSYCHOTHERAPY_NOTES = (
    ("Imaginary", 30, "My own impressions: I noticed I rushed to reassure her when she "
     "described the accident; worth slowing down next time and staying with the fear."),
    ("Imaginary", 16, "Process note: she tested whether I would be shocked by her anger at "
     "the other driver. Hypothesis: anger protects against helplessness. Discuss in "
     "supervision, without identifying details."),
)
UPCOMING = ("Examplar", "Notreal", "Fauxley", "Fictive", "Unreal", "Nobody")

# Treatment plans: signed at the first session after the intake, except for these two
# clients, whose plans are still to be written.
NO_PLAN = ("Specimen", "Examplesworth")
PLAN_REVISED = ("Examplar", 45)  # a second version, signed about this many days ago
PLAN_REVIEW_OVERDUE = ("Imaginary", 60)  # its review fell due this many days after signing
# Measures given in session every two or three sessions, by client. The NHS Talking
# Therapies classes pair PHQ-9 and GAD-7 where both are given.
MEASURED: dict[str, tuple[str, ...]] = {
    "Examplar": ("gad7",), "Testwood": ("phq9",), "Sampleton": ("phq9", "gad7"),
    "Madeup": ("gad7",), "Imaginary": ("gad7",), "Pretendson": ("gad7",),
    "Inventado": ("phq9",), "Fauxley": ("gad7",), "Mockridge": ("phq9", "gad7"),
    "Dummyford": ("gad7",), "Nonesuch": ("gad7",), "Hypothetical": ("phq9",),
    "Fictive": ("gad7",), "Storybook": ("phq9",), "Makebelieve": ("phq9",),
    "Unreal": ("phq9",), "Examplesworth": ("gad7",), "Nobody": ("phq9",),
}
WORSENING = "Sampleton"  # the one client whose scores rise
# Where the scores start and end, when not drawn from the usual ranges.
TRAJECTORY = {("Sampleton", "phq9"): (11, 18), ("Sampleton", "gad7"): (9, 15),
              ("Mockridge", "phq9"): (19, 11)}  # improved, not yet recovered
# Schedules: (client, instrument, every N days). The overdue one is overdue because no
# GAD-7 has been given in the last three weeks.
SCHEDULES = (("Testwood", "phq9", 14), ("Imaginary", "gad7", 14))
MEASURE_OVERDUE = ("Imaginary", 21)
# A PHQ-9 sent as a self-report link after the last session, answered the evening
# before today with item 9 above 0: the open risk alert, and the latest event of the chart.
RISK_ALERT = "Testwood"
