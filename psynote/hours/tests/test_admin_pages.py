"""The admin configures licence types and categories, and sets anyone's targets; the
supervisee sets their own. Bad input: a clear error, nothing changed."""

from decimal import Decimal

from psynote.hours import actions
from psynote.hours.models import Category, LicenceType, Target
from psynote.hours.totals import licence_type_of


def test_the_admin_adds_a_licence_type_and_edits_its_categories(cast, login):
    admin = login(cast.ada)
    response = admin.post("/hours/licence-types/", {"name": "LMFT, Fictional State"})
    assert response.status_code == 302
    lmft = LicenceType.objects.get(name="LMFT, Fictional State")
    assert lmft.categories.count() == 4
    url = f"/hours/licence-types/{lmft.pk}/"
    assert admin.post(url, {"name": "Couples and family", "active": "on"}).status_code == 302
    other = lmft.categories.get(name="Other")
    assert admin.post(url, {"category_id": other.pk, "name": "Other clinical"}).status_code == 302
    renamed = Category.objects.get(pk=other.pk)
    assert (renamed.name, renamed.active) == ("Other clinical", False)

    duplicate = admin.post("/hours/licence-types/", {"name": "LMFT, Fictional State"})
    assert duplicate.status_code == 400
    assert "already has a licence type" in duplicate.content.decode()
    clash = admin.post(url, {"name": "Group supervision", "active": "on"})
    assert clash.status_code == 400
    assert "already has a category" in clash.content.decode()
    assert admin.post(url, {"name": ""}).status_code == 400
    foreign = actions.create_licence_type(by=cast.ada, name="Another").categories.first()
    stranger = admin.post(url, {"category_id": foreign.pk, "name": "Hijack"})
    assert stranger.status_code == 400
    assert not Category.objects.filter(name="Hijack").exists()
    assert lmft.categories.count() == 5


def test_targets_by_the_supervisee_and_the_admin(cast, login):
    licence_type = licence_type_of(cast.sue)
    individual = licence_type.categories.get(name="Individual supervision")
    url = f"/hours/people/{cast.sue.pk}/targets/"
    form = {"licence_type": licence_type.pk, f"target_{individual.pk}": "100"}
    assert login(cast.sue).post(url, form).status_code == 302
    assert Target.objects.get().hours == Decimal("100")
    form[f"target_{individual.pk}"] = "-3"
    bad = login(cast.ada).post(url, form)
    assert bad.status_code == 400
    assert Target.objects.get().hours == Decimal("100")
    form[f"target_{individual.pk}"] = "150.5"
    assert login(cast.ada).post(url, form).status_code == 302
    assert Target.objects.get().hours == Decimal("150.5")
    for who in (cast.sam, cast.alice, cast.fred, cast.pria):
        assert login(who).post(url, form).status_code == 404
    assert Target.objects.get().hours == Decimal("150.5")
