"""The shipped instrument files: codes exactly as in
docs/clinical-sources.md#loinc-codes-for-measures, and the load-time checks that stop a
malformed file before it can mis-score anyone."""

import copy
import json
import shutil

import pytest

from psynote.measures import library
from psynote.measures.instrument_file import InstrumentDataError

SHIPPED = ("phq9", "phq2", "gad7", "gad2", "pcl5", "auditc", "who5")


def raw(key: str) -> dict:
    return json.loads((library.DIRECTORY / f"{key}.json").read_text())


def test_library_ships_exactly_the_free_instruments():
    assert set(library.load_all()) == set(SHIPPED)


def test_no_copyrighted_instrument_is_shipped():
    names = " ".join(i.title.lower() + i.short_name.lower() for i in library.load_all().values())
    for restricted in ("bdi", "beck", "c-ssrs", "columbia", "epds", "madrs", "mmse", "eq-5d"):
        assert restricted not in names


def test_every_instrument_states_licence_wording_source_and_missing_rule():
    for instrument in library.load_all().values():
        assert instrument.licence_text and instrument.licence_source
        assert instrument.wording_source
        assert instrument.scoring.max_missing == 0 or instrument.scoring.prorates


def test_phq9_loinc_codes_match_domain_exactly():
    phq9 = library.get("phq9")
    assert (phq9.loinc_panel, phq9.loinc_total) == ("44249-1", "44261-6")
    assert [item.loinc for item in phq9.scored_items] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7",
        "44258-2", "44252-5", "44253-3", "44260-8",
    ]  # fmt: skip
    assert phq9.item(10).loinc == "69722-7" and not phq9.item(10).scored


def test_phq9_item_9_is_44260_8_not_the_commonly_misused_44258_2():
    phq9 = library.get("phq9")
    assert phq9.item(9).loinc == "44260-8"
    assert phq9.item(6).loinc == "44258-2"
    assert "dead" in phq9.item(9).text and "hurting yourself" in phq9.item(9).text


def test_phq_answer_codes_are_the_ll358_3_list():
    for key in ("phq9", "phq2", "gad7", "gad2"):
        for item in library.get(key).scored_items:
            assert [(o.value, o.loinc) for o in item.options] == [
                (0, "LA6568-5"), (1, "LA6569-3"), (2, "LA6570-1"), (3, "LA6571-9"),
            ]  # fmt: skip


def test_gad7_loinc_codes_match_domain_exactly():
    gad7 = library.get("gad7")
    assert (gad7.loinc_panel, gad7.loinc_total) == ("69737-5", "70274-6")
    assert [item.loinc for item in gad7.scored_items] == [
        "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7",
    ]  # fmt: skip
    # 69736-7 is item 7 and 69737-5 the panel: public code mixes them up.
    assert gad7.loinc_panel not in {item.loinc for item in gad7.items}


def test_phq2_codes_are_shipped_with_their_warning():
    phq2 = library.get("phq2")
    assert (phq2.loinc_panel, phq2.loinc_total) == ("55757-9", "55758-7")
    assert "⚠" in phq2.loinc_source
    assert [item.loinc for item in phq2.items] == ["44250-9", "44255-8"]


def test_codes_domain_does_not_give_are_null_not_invented():
    pcl5 = library.get("pcl5")
    assert pcl5.loinc_panel is None and pcl5.loinc_total is None
    assert all(item.loinc is None for item in pcl5.items)
    assert "no LOINC" in pcl5.loinc_source
    for key in ("gad2", "who5"):
        instrument = library.get(key)
        assert instrument.loinc_panel is None and instrument.loinc_total is None


def test_auditc_loinc_codes_match_the_us_core_screening_examples():
    auditc = library.get("auditc")
    assert (auditc.loinc_panel, auditc.loinc_total) == ("72109-2", "75626-2")
    assert [item.loinc for item in auditc.items] == ["68518-0", "68519-8", "68520-6"]


def test_short_forms_reuse_the_long_forms_wording():
    assert [i.text for i in library.get("phq2").items] == [
        i.text for i in library.get("phq9").items[:2]
    ]
    assert [i.text for i in library.get("gad2").items] == [
        i.text for i in library.get("gad7").items[:2]
    ]


def test_rci_is_not_offered_without_a_cited_reliability():
    for instrument in library.load_all().values():
        assert instrument.reliability is None or instrument.reliability.source


def test_get_unknown_instrument_names_the_known_ones():
    with pytest.raises(KeyError, match="phq9"):
        library.get("bdi2")


# ---- load-time validation ----------------------------------------------------------------


def check(data: dict, filename: str = "phq9.json") -> library.Instrument:
    return library.parse(data, filename)


def test_shipped_file_parses_as_is():
    assert check(raw("phq9")).short_name == "PHQ-9"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["scoring"].update(range=[0, 30]), r"scoring.range: is \[0, 30\]"),
        (lambda d: d["bands"][2].update(min=11), r"bands\[2\].min: .*expected 10, got 11"),
        (lambda d: d["bands"][4].update(max=26), r"bands: last band ends at 26"),
        (lambda d: d["answer_options"][1].update(value=True), r"answer_options\[1\].value"),
        (lambda d: d["answer_options"][1].update(value=0), r"option values repeat"),
        (lambda d: d["items"][3].update(number=7), r"items\[3\].number: .*expected 4, got 7"),
        (lambda d: d["items"][8].update(loinc="44260"), r"items\[8\].loinc: not a LOINC code"),
        (lambda d: d["answer_options"][0].update(loinc="44260-8"), r"not a LOINC answer code"),
        (lambda d: d.update(colour="blue"), r"unknown field\(s\): colour"),
        (lambda d: d.pop("licence"), r"missing field\(s\): licence"),
        (lambda d: d["critical_items"][0].update(item=12), r"critical_items\[0\].item: no scored"),
        (lambda d: d["scoring"].update(missing="ignore"), r"scoring.missing: must be"),
        (
            lambda d: d["scoring"].update(missing={"prorate": {"max_missing": 9}}),
            r"would allow scoring with no item answered",
        ),
        (lambda d: d["cutoffs"][0].update(op="=>"), r"cutoffs\[0\].op: must be one of"),
        (lambda d: d["cutoffs"][0].update(on="percentage"), r"without a multiplier"),
        (lambda d: d.update(reliability={"sd": 5, "r": 1.2, "source": "x"}), r"reliability.r"),
        (lambda d: d.update(key="phq10"), r"does not match the file name"),
    ],
)
def test_malformed_instrument_is_refused_with_the_field_named(change, message):
    data = copy.deepcopy(raw("phq9"))
    change(data)
    with pytest.raises(InstrumentDataError, match=rf"^phq9\.json: .*{message}"):
        check(data)


def test_prorating_is_refused_when_items_use_different_scales():
    data = copy.deepcopy(raw("auditc"))
    data["items"][2]["options"] = data["items"][2]["options"][:4]
    data["scoring"]["range"] = [0, 11]
    data["scoring"]["missing"] = {"prorate": {"max_missing": 1}}
    with pytest.raises(InstrumentDataError, match="share the same answer values"):
        check(data, "auditc.json")


def test_provisional_rule_must_name_an_existing_cutoff():
    data = copy.deepcopy(raw("pcl5"))
    data["provisional_diagnosis"]["cutoff"] = "nope"
    with pytest.raises(InstrumentDataError, match="provisional_diagnosis.cutoff"):
        check(data, "pcl5.json")


def test_broken_json_names_the_file(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(InstrumentDataError, match=r"^broken\.json: not valid JSON"):
        library.load_all(tmp_path)


def test_adding_an_instrument_is_adding_a_file(tmp_path):
    for path in library.DIRECTORY.glob("*.json"):
        shutil.copy(path, tmp_path)
    extra = copy.deepcopy(raw("gad2"))
    extra.update(key="gad2b", short_name="GAD-2 (copy)")
    (tmp_path / "gad2b.json").write_text(json.dumps(extra))
    loaded = library.load_all(tmp_path)
    assert set(loaded) == set(SHIPPED) | {"gad2b"}
    assert loaded["gad2b"].short_name == "GAD-2 (copy)"
