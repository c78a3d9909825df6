"""Every shipped instruction, item and answer text, word for word, against a reference copy
of the published forms kept here (docs/clinical-sources.md#instrument-wording).

The copy is typed from the published forms, not generated from the instrument files: a
change to a file's wording fails here until someone checks it against the form again.
Sources: PHQ-9 and GAD-7, the Pfizer forms (phqscreeners.com; Kroenke, Spitzer & Williams
2001; Spitzer et al. 2006) with PHQ-9 item 9 as LOINC 44260-8; PCL-5, the National Center
for PTSD standard form (Weathers et al. 2013); AUDIT-C, Bush et al. 1998 as carried by
camcops; WHO-5, the 1998 version (Psychiatric Research Unit).
"""

import pytest

from psynote.measures import library

FREQUENCY = {
    0: "Not at all",
    1: "Several days",
    2: "More than half the days",
    3: "Nearly every day",
}
DIFFICULTY = {
    0: "Not difficult at all",
    1: "Somewhat difficult",
    2: "Very difficult",
    3: "Extremely difficult",
}
PHQ_STEM = (
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)
GAD_STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"

PHQ9_ITEMS = [
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your "
    "family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
    "being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead, or of hurting yourself in some way",
]
PHQ9_DIFFICULTY = (
    "If you checked off any problems, how difficult have these problems made it for you to "
    "do your work, take care of things at home, or get along with other people?"
)
GAD7_ITEMS = [
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
]
GAD7_DIFFICULTY = (
    "If you checked any problems, how difficult have they made it for you to do your work, "
    "take care of things at home, or get along with other people?"
)
PCL5_INSTRUCTIONS = (
    "Below is a list of problems that people sometimes have in response to a very stressful "
    "experience. Please read each problem carefully and then circle one of the numbers to the "
    "right to indicate how much you have been bothered by that problem in the past month."
)
PCL5_SCALE = {0: "Not at all", 1: "A little bit", 2: "Moderately", 3: "Quite a bit", 4: "Extremely"}
PCL5_ITEMS = [
    "Repeated, disturbing, and unwanted memories of the stressful experience?",
    "Repeated, disturbing dreams of the stressful experience?",
    "Suddenly feeling or acting as if the stressful experience were actually happening again "
    "(as if you were actually back there reliving it)?",
    "Feeling very upset when something reminded you of the stressful experience?",
    "Having strong physical reactions when something reminded you of the stressful experience "
    "(for example, heart pounding, trouble breathing, sweating)?",
    "Avoiding memories, thoughts, or feelings related to the stressful experience?",
    "Avoiding external reminders of the stressful experience (for example, people, places, "
    "conversations, activities, objects, or situations)?",
    "Trouble remembering important parts of the stressful experience?",
    "Having strong negative beliefs about yourself, other people, or the world (for example, "
    "having thoughts such as: I am bad, there is something seriously wrong with me, no one can "
    "be trusted, the world is completely dangerous)?",
    "Blaming yourself or someone else for the stressful experience or what happened after it?",
    "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
    "Loss of interest in activities that you used to enjoy?",
    "Feeling distant or cut off from other people?",
    "Trouble experiencing positive feelings (for example, being unable to feel happiness or "
    "have loving feelings for people close to you)?",
    "Irritable behavior, angry outbursts, or acting aggressively?",
    "Taking too many risks or doing things that could cause you harm?",
    "Being “superalert” or watchful or on guard?",
    "Feeling jumpy or easily startled?",
    "Having difficulty concentrating?",
    "Trouble falling or staying asleep?",
]
WHO5_SCALE = {
    5: "All of the time",
    4: "Most of the time",
    3: "More than half of the time",
    2: "Less than half of the time",
    1: "Some of the time",
    0: "At no time",
}
WHO5_ITEMS = [
    "I have felt cheerful and in good spirits",
    "I have felt calm and relaxed",
    "I have felt active and vigorous",
    "I woke up feeling fresh and rested",
    "My daily life has been filled with things that interest me",
]

# key -> (instructions, [(item text, {value: answer label}), ...])
REFERENCE: dict[str, tuple[str, list[tuple[str, dict[int, str]]]]] = {
    "phq9": (
        PHQ_STEM,
        [(text, FREQUENCY) for text in PHQ9_ITEMS] + [(PHQ9_DIFFICULTY, DIFFICULTY)],
    ),
    "phq2": (PHQ_STEM, [(text, FREQUENCY) for text in PHQ9_ITEMS[:2]]),
    "gad7": (
        GAD_STEM,
        [(text, FREQUENCY) for text in GAD7_ITEMS] + [(GAD7_DIFFICULTY, DIFFICULTY)],
    ),
    "gad2": (GAD_STEM, [(text, FREQUENCY) for text in GAD7_ITEMS[:2]]),
    "pcl5": (PCL5_INSTRUCTIONS, [(text, PCL5_SCALE) for text in PCL5_ITEMS]),
    "auditc": (
        "Consider a “drink” to be a can or bottle of beer, a glass of wine, a wine cooler, or "
        "one cocktail or a shot of hard liquor (like scotch, gin, or vodka).",
        [
            (
                "How often did you have a drink containing alcohol in the past year?",
                {
                    0: "Never",
                    1: "Monthly or less",
                    2: "2 to 4 times a month",
                    3: "2 to 3 times a week",
                    4: "4 or more times a week",
                },
            ),
            (
                "How many drinks did you have on a typical day when you were drinking in the "
                "past year?",
                {0: "0, 1, or 2", 1: "3 or 4", 2: "5 or 6", 3: "7, 8, or 9", 4: "10 or more"},
            ),
            (
                "How often did you have 6 or more drinks on one occasion in the past year?",
                {
                    0: "Never",
                    1: "Less than monthly",
                    2: "Monthly",
                    3: "Weekly",
                    4: "Daily or almost daily",
                },
            ),
        ],
    ),
    "who5": (
        "Please indicate for each of the five statements which is closest to how you have been "
        "feeling over the last two weeks. Notice that higher numbers mean better well-being.",
        [(text, WHO5_SCALE) for text in WHO5_ITEMS],
    ),
}


def test_the_reference_covers_every_shipped_instrument():
    assert set(REFERENCE) == set(library.load_all())


@pytest.mark.parametrize("key", sorted(REFERENCE))
def test_instructions_items_and_answers_match_the_published_form(key):
    instrument = library.get(key)
    instructions, items = REFERENCE[key]
    assert instrument.instructions == instructions
    assert len(instrument.items) == len(items)
    for item, (text, options) in zip(instrument.items, items, strict=True):
        assert item.text == text, f"{key} item {item.number}"
        assert {o.value: o.label for o in item.options} == options, f"{key} item {item.number}"


def test_the_wording_slips_the_review_found_are_gone():
    gad7 = library.get("gad7")
    assert "any of" not in gad7.instructions
    assert "these problems" not in gad7.items[-1].text
    assert "in response to a very stressful experience" in library.get("pcl5").instructions
    item9 = library.get("phq9").items[8].text
    assert item9.startswith("Thoughts that you would be better off dead, or")
