"""Progress-note templates (docs/clinical-sources.md#note-formats) and the structured
blocks a note carries.

A template is data held per practice in the database (`NoteTemplate`, one immutable
`NoteTemplateVersion` per edit; ADR 0015). `Template` is one version's definition, the
shape the form, the signing check, the display and the exports read. The five built-in
templates below are the data every practice starts with (seeded when it is created).
"""

from dataclasses import dataclass, field

# Structured blocks a template may include besides its sections. The risk block is on
# every note whatever the template says: risk must always be documentable, and an open
# risk alert requires it at signing (ADR 0015).
OPTIONAL_BLOCKS: tuple[tuple[str, str], ...] = (
    ("mse", "Mental status exam"),
    ("interventions", "Interventions used"),
    ("objectives", "Treatment plan objectives"),
)
ALL_OPTIONAL_BLOCKS = tuple(key for key, _ in OPTIONAL_BLOCKS)


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    prompt: str
    required: bool = True


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    sections: tuple[Section, ...]
    blocks: tuple[str, ...] = ALL_OPTIONAL_BLOCKS
    # Session services (visits.cpt.SERVICES) the template is offered for; empty = all.
    session_kinds: tuple[str, ...] = field(default=())
    version: int = 1

    def has_block(self, block: str) -> bool:
        return block == "risk" or block in self.blocks

    @property
    def section_summary(self) -> str:
        return " · ".join(s.label for s in self.sections)


BUILTIN_TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        Template("soap", "SOAP", (
            Section("subjective", "Subjective", "The client's report: concerns, symptoms, "
                    "events since the last session, in their words where useful."),
            Section("objective", "Objective", "Your observations: presentation, "
                    "measurable data, test results."),
            Section("assessment", "Assessment", "Your interpretation: progress on goals, "
                    "clinical impressions."),
            Section("plan", "Plan", "Next steps: homework, referrals, next session."),
        )),
        Template("dap", "DAP", (
            Section("data", "Data", "What the client reported and what you observed."),
            Section("assessment", "Assessment", "Your interpretation and progress on goals."),
            Section("plan", "Plan", "Next steps, homework, referrals."),
        )),
        Template("birp", "BIRP", (
            Section("behavior", "Behavior", "The client's presentation this session."),
            Section("intervention", "Intervention", "What you did: techniques and methods."),
            Section("response", "Response", "How the client responded to the interventions."),
            Section("plan", "Plan", "Next steps, homework, next session."),
        )),
        Template("girp", "GIRP", (
            Section("goal", "Goal", "The treatment goal(s) this session worked on."),
            Section("intervention", "Intervention", "What you did to move toward the goal."),
            Section("response", "Response", "How the client responded."),
            Section("plan", "Plan", "Next steps toward the goal."),
        )),
        Template("intake", "Intake / assessment", (
            Section("presenting_problem", "Reason for referral and presenting problem",
                    "Why the client came, in their words, and the onset and course."),
            Section("history", "History of the presenting problem", "Onset, duration, "
                    "severity, triggers, prior episodes."),
            Section("psychiatric_history", "Psychiatric and treatment history",
                    "Prior diagnoses, treatment, hospitalisations, medications."),
            Section("medical_history", "Medical history and medications",
                    "Relevant conditions, current medications, prescriber.", required=False),
            Section("substance_use", "Substance use", "Alcohol, drugs, tobacco: pattern "
                    "and consequences."),
            Section("social_history", "Family and social history", "Family, relationships, "
                    "work or school, housing, culture, strengths.", required=False),
            Section("diagnostic_impression", "Diagnostic impression",
                    "Formulation and the diagnoses it supports."),
            Section("plan", "Recommendations and initial plan",
                    "Recommended treatment, frequency, referrals."),
        )),
    )
}

# Mental status exam domains (docs/clinical-sources.md#mental-status-exam).
MSE_FIELDS: tuple[tuple[str, str], ...] = (
    ("appearance", "Appearance"),
    ("behavior", "Behavior"),
    ("motor", "Motor activity"),
    ("speech", "Speech"),
    ("mood", "Mood"),
    ("affect", "Affect"),
    ("thought_process", "Thought process"),
    ("thought_content", "Thought content"),
    ("perception", "Perceptual disturbances"),
    ("cognition", "Cognition (orientation, attention, memory)"),
    ("insight", "Insight"),
    ("judgment", "Judgment"),
)

# Risk assessment fields, after SAFE-T (docs/clinical-sources.md#risk-assessment-safe-t).
SI_CHOICES = (("none", "None"), ("passive", "Passive"), ("active", "Active"))
HI_CHOICES = (("none", "None"), ("present", "Present"))
RISK_LEVELS = (("low", "Low"), ("moderate", "Moderate"), ("high", "High"))
RISK_TEXT_FIELDS: tuple[tuple[str, str], ...] = (
    ("si_plan", "Plan (timing, location, lethality, preparatory acts)"),
    ("si_intent", "Intent"),
    ("means", "Access to lethal means, incl. firearms"),
    ("history", "Prior attempts, aborted attempts, self-harm"),
    ("hi_detail", "Homicidal ideation: target and plan"),
    ("risk_factors", "Risk factors"),
    ("protective_factors", "Protective factors"),
    ("rationale", "Rationale for the risk level"),
    ("safety_plan", "Safety plan and interventions"),
    ("follow_up", "Follow-up (date, who)"),
)

INTERVENTIONS: tuple[tuple[str, str], ...] = (
    ("cognitive_restructuring", "Cognitive restructuring (CBT)"),
    ("behavioral_activation", "Behavioral activation"),
    ("exposure", "Exposure"),
    ("dbt_skills", "DBT skills training"),
    ("motivational_interviewing", "Motivational interviewing"),
    ("psychoeducation", "Psychoeducation"),
    ("mindfulness", "Mindfulness"),
    ("relaxation", "Relaxation / grounding"),
    ("problem_solving", "Problem solving"),
    ("supportive", "Supportive therapy"),
    ("trauma_focused", "Trauma-focused intervention"),
    ("family_systems", "Family systems intervention"),
    ("solution_focused", "Solution-focused techniques"),
    ("safety_planning", "Safety planning"),
    ("homework_review", "Homework review"),
)
INTERVENTION_KEYS = {key for key, _ in INTERVENTIONS}


def empty_content(template: Template) -> dict:
    return {
        "sections": {s.key: "" for s in template.sections},
        "mse": {key: "" for key, _ in MSE_FIELDS},
        "risk": {"flagged": False, "si": "none", "hi": "none", "level": "",
                 **{key: "" for key, _ in RISK_TEXT_FIELDS}},
        "interventions": [],
        "interventions_other": "",
    }
