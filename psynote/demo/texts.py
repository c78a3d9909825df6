"""What the demo's notes say: the sentences a clinician would write, per note template.

The texts are composed from a client's story (`psynote.demo.story.ClientStory`); the
choice among the stock phrases comes from the runner's seeded random generator, so every
load writes the same notes.
"""

import random

from psynote.demo.story import ClientStory

_PROGRESS = (
    "reports a hard week: {concern} on most days",
    "reports some improvement and used last session's skills on two occasions",
    "reports a setback mid-week after a stressful event, and recovered faster than before",
    "reports steady progress; {concern} is less intense",
    "reports mixed days: better at work, harder in the evenings",
    "reports completing most of the homework and noticing what helped",
)
_RESPONSE = (
    "engaged well and practised the skill in session",
    "was hesitant at first, then engaged and summarised the main point",
    "engaged fully and set a concrete goal for the week",
    "found the exercise difficult but agreed to try it at home",
)
INTERVENTION_TEXT = {
    "cognitive_restructuring": "cognitive restructuring of a recent worry episode",
    "behavioral_activation": "behavioral activation: reviewed and scheduled activities",
    "exposure": "graded exposure planning and an in-session exposure step",
    "dbt_skills": "DBT distress-tolerance and emotion-regulation skills",
    "motivational_interviewing": "motivational interviewing on the pros and cons of change",
    "psychoeducation": "psychoeducation on the cycle of symptoms",
    "mindfulness": "brief mindfulness practice",
    "relaxation": "paced breathing and grounding",
    "problem_solving": "structured problem solving on one current difficulty",
    "supportive": "supportive therapy, validating recent losses and strengths",
    "trauma_focused": "trauma-focused work on the memory and its meaning",
}
MSE = {
    "appearance": "Casually dressed, well groomed", "behavior": "Cooperative, good eye contact",
    "motor": "No abnormal movements", "speech": "Normal rate and volume", "mood": "\"Okay\"",
    "affect": "Mildly anxious, congruent", "thought_process": "Linear and goal-directed",
    "thought_content": "No suicidal or homicidal ideation", "perception": "None reported",
    "cognition": "Alert and oriented x3", "insight": "Good", "judgment": "Good",
}


def note_sections(template: str, story: ClientStory, n: int,
                  rng: random.Random) -> dict[str, str]:
    """The sections of one note in `template`, written from the client's story."""
    name = story.first
    progress = rng.choice(_PROGRESS).format(concern=story.concern)
    response = rng.choice(_RESPONSE)
    done = "; ".join(INTERVENTION_TEXT[key] for key in story.interventions)
    plan = f"Continue sessions every {story.every_days} days. Homework: {story.homework}."
    if template == "intake":
        return {
            "presenting_problem": f"{name} was self-referred for {story.concern}.",
            "history": f"Started about a year ago and worsened over the last three months; "
                       f"worse under stress. {name} rates it 7/10 at its worst.",
            "psychiatric_history": "No previous treatment or hospitalisation. No prior "
                                   "suicide attempts or self-harm.",
            "medical_history": "No significant conditions reported; no current medications.",
            "substance_use": "Alcohol socially, one or two drinks a week; no drugs or tobacco."
            if "F10.20" not in story.codes else
            "Four to six drinks most evenings for two years; no withdrawal symptoms reported.",
            "social_history": "Lives with a partner or friends; works or studies full time; "
                              "supportive family at a distance.",
            "diagnostic_impression": f"Presentation is consistent with the diagnoses recorded "
                                     f"today ({', '.join(story.codes)}).",
            "plan": f"Goal: {story.goal}. Start {done}. {plan}",
        }
    if template == "soap":
        return {"subjective": f"{name} {progress}.",
                "objective": "Alert, on time, good eye contact; affect congruent with mood.",
                "assessment": f"Working toward: {story.goal}. Gradual progress.",
                "plan": plan}
    if template == "dap":
        return {"data": f"{name} {progress}. Appeared engaged; affect congruent.",
                "assessment": f"Progress toward the goal ({story.goal}) is gradual.",
                "plan": plan}
    if template == "birp":
        return {"behavior": f"{name} arrived on time and {progress}.",
                "intervention": done.capitalize() + ".",
                "response": f"{name} {response}.",
                "plan": plan}
    return {"goal": story.goal.capitalize() + ".",
            "intervention": done.capitalize() + ".",
            "response": f"{name} {response}; {progress}.",
            "plan": plan}


RISK_BLOCK = {
    "flagged": True, "si": "passive", "hi": "none", "level": "moderate",
    "si_plan": "Denies any plan, timing or preparatory acts.",
    "si_intent": "Denies intent; says he would not act on the thoughts.",
    "means": "No firearms at home; partner agreed to keep medications locked.",
    "history": "No prior attempts, aborted attempts or self-harm.",
    "hi_detail": "",
    "risk_factors": "Recent job loss, worsening mood, poor sleep, social withdrawal.",
    "protective_factors": "Close to his partner and daughter; future-oriented; engaged in "
                          "treatment; no access to firearms.",
    "rationale": "Passive ideation with clear protective factors and no plan or intent: "
                 "moderate risk, managed as an outpatient with a safety plan.",
    "safety_plan": "Written safety plan completed together: warning signs, coping steps, "
                   "people and crisis lines to call, means safety agreed.",
    "follow_up": "Check-in call in two days by the treating clinician; next session in a week.",
}


RATING_COMMENTS = {
    "progressing": ("Practised between sessions on most days.",
                    "Reports it is getting easier; the scores agree.",
                    "Used the skill in a hard moment this week."),
    "no_change": ("A busy week; little practice.", "Holding steady, not yet moving."),
    "regressing": ("More days lost to the problem than last time.",),
}
