"""The practice admin's pages: licence types and the categories each counts. Which
categories and targets a board requires differs by state and licence, so Psynote ships
four default categories and no requirement as law."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from psynote.accounts.models import Role, User
from psynote.hours import access, actions
from psynote.hours.forms import CategoryForm, LicenceTypeForm
from psynote.hours.models import LicenceType
from psynote.lib.forms import add_errors


@login_required
@require_http_methods(["GET", "POST"])
def hours_licence_types(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require_admin(user)
    form = LicenceTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = actions.create_licence_type(by=user, name=form.cleaned_data["name"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Licence type “{created.name}” added.")
            return redirect("hours_licence_type", licence_type_id=created.pk)
    people = User.objects.filter(practice_id=user.practice_id, is_active=True,
                                 role__in=[Role.CLINICIAN, Role.SUPERVISOR]).order_by(
                                     "last_name", "first_name", "username")
    context = {
        "form": form, "people": people,
        "licence_types": LicenceType.objects.filter(practice_id=user.practice_id)
        .prefetch_related("categories"),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "hours/licence_types.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def hours_licence_type(request: HttpRequest, licence_type_id: object) -> HttpResponse:
    user = request.user
    licence_type = access.get_licence_type_for(user, licence_type_id)
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        category_id = form.cleaned_data["category_id"]
        category = None
        if category_id is not None:
            category = licence_type.categories.filter(pk=category_id).first()
            if category is None:
                form.add_error(None, "That category is not one of this licence type's.")
        if not form.errors:
            try:
                actions.save_category(by=user, licence_type=licence_type, category=category,
                                      name=form.cleaned_data["name"],
                                      active=form.cleaned_data["active"])
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, "Categories saved.")
                return redirect("hours_licence_type", licence_type_id=licence_type.pk)
    context = {"licence_type": licence_type, "form": form,
               "categories": licence_type.categories.all()}
    status = 400 if request.method == "POST" else 200
    return render(request, "hours/licence_type.html", context, status=status)
