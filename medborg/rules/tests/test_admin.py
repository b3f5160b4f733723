"""The decision table admin, used through the test client on the demo data."""

import json
from pathlib import Path

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from medborg.accounts.tests.factories import UserFactory
from medborg.catalog.models import Service, Zone
from medborg.rules import services
from medborg.rules.models import Decision, DecisionTable

BACKEND = "medborg.accounts.backends.StaffBackend"
FIXTURES = Path(__file__).with_name("fixtures")
ADD = reverse("admin:rules_decisiontable_add")
# The limit for the centre and the suburbs lowered from 5 m³ to 1 m³.
LOWER_LIMIT = [
    (b"&lt;= 5</text>", b"&lt;= 1</text>"),
    (b"(5..10]", b"(1..10]"),
]
ANNOTATION = (
    b"<annotationEntry><text>We could not tell which collection zone the address "
    b"is in. A case worker will book the collection.</text></annotationEntry>"
)


def edited(xml: bytes, *replacements) -> bytes:
    for old, new in replacements:
        assert old in xml
        xml = xml.replace(old, new)
    return xml


def url(name, table, query=""):
    return reverse(f"admin:rules_decisiontable_{name}", args=[table.pk]) + query


def messages_of(response):
    return [
        (message.level_tag, str(message))
        for message in get_messages(response.wsgi_request)
    ]


def log_in(client, role, **kwargs):
    # The demo's own users are not all staff; these are.
    user = UserFactory(username=f"staff-{role}", role=role, is_staff=True, **kwargs)
    client.force_login(user, backend=BACKEND)
    return user


@pytest.fixture
def admin_client(client, demo):
    log_in(client, "serviceadmin")
    return client


def upload(client, service, xml, *, key="bulky-waste", name="bulky-waste.dmn"):
    return client.post(
        ADD,
        {
            "file": SimpleUploadedFile(name, xml, content_type="application/xml"),
            "service": service.pk,
            "key": key,
            "decision_id": "",
            "note": "Lower limit in town",
        },
    )


def stored():
    return list(
        DecisionTable.objects.values_list("key", "version").order_by("key", "version")
    )


DEMO_TABLES = [("bulky-waste", 1), ("outdoor-seating", 1), ("parking-permit", 1)]


# Who may do what ------------------------------------------------------------


@pytest.mark.parametrize("name", ["change", "download", "compare", "what_if"])
@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("no-role", 403), ("caseworker", 403), ("serviceadmin", 200)],
)
def test_each_version_url_by_role(client, bulky, name, who, status):
    if who != "anonymous":
        log_in(client, {"no-role": None}.get(who, who))

    response = client.get(url(name, bulky.decision_table))

    assert response.status_code == status
    if who == "anonymous":
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("no-role", 403), ("caseworker", 403), ("serviceadmin", 200)],
)
def test_upload_form_by_role(client, demo, who, status):
    if who != "anonymous":
        log_in(client, {"no-role": None}.get(who, who))
    assert client.get(ADD).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("no-role", 403), ("caseworker", 200), ("serviceadmin", 200)],
)
def test_the_decision_list_by_role(client, demo, who, status):
    if who != "anonymous":
        log_in(client, {"no-role": None}.get(who, who))
    assert client.get(reverse("admin:rules_decision_changelist")).status_code == status


def test_a_caseworker_cannot_upload(client, bulky, bulky_xml):
    log_in(client, "caseworker")

    response = upload(client, bulky, edited(bulky_xml, *LOWER_LIMIT))

    assert response.status_code == 403
    assert stored() == DEMO_TABLES


def test_a_non_staff_user_is_sent_to_log_in(client, bulky):
    user = UserFactory(username="citizen", role="serviceadmin", is_staff=False)
    client.force_login(user, backend=BACKEND)

    response = client.get(url("download", bulky.decision_table))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# Uploading ---------------------------------------------------------------------


def test_upload_stores_the_next_version_and_shows_it(admin_client, bulky, bulky_xml):
    response = upload(admin_client, bulky, edited(bulky_xml, *LOWER_LIMIT))

    table = DecisionTable.objects.get(key="bulky-waste", version=2)
    assert response.status_code == 302
    assert response["Location"] == url("change", table)
    assert stored() == [DEMO_TABLES[0], ("bulky-waste", 2), *DEMO_TABLES[1:]]
    assert (table.service, table.note, table.uploaded_by.username) == (
        bulky,
        "Lower limit in town",
        "staff-serviceadmin",
    )
    assert messages_of(response) == [
        (
            "success",
            "Version 2 of “bulky-waste” was stored. Try it on recent cases with "
            "“What if”, then use it for new decisions.",
        )
    ]
    assert LogEntry.objects.filter(object_id=str(table.pk)).count() == 1


def test_the_same_file_again_stores_nothing(admin_client, bulky, bulky_xml):
    response = upload(admin_client, bulky, bulky_xml)

    assert response.status_code == 302
    assert response["Location"] == url("change", bulky.decision_table)
    assert stored() == DEMO_TABLES
    assert messages_of(response) == [
        ("info", "This file is version 1 of “bulky-waste”; nothing new was stored.")
    ]
    assert LogEntry.objects.count() == 0


def test_upload_shows_gaps_and_overlaps_as_warnings(admin_client, bulky, bulky_xml):
    xml = edited(bulky_xml, (b"&lt;= 3</text>", b"&lt;= 2</text>"), LOWER_LIMIT[1])

    response = upload(admin_client, bulky, xml)

    assert stored() == [DEMO_TABLES[0], ("bulky-waste", 2), *DEMO_TABLES[1:]]
    assert messages_of(response)[1:] == [
        (
            "warning",
            "Gap: no rule covers some combinations of input values. For example: "
            'zone = "rural", volume_m3 = 2.5.',
        ),
        (
            "warning",
            "Overlap: rules within_limit_town, large_load_town all match the same "
            'input values. For example: zone = "centre", volume_m3 = 1.5.',
        ),
    ]


def test_the_key_is_taken_from_the_file_name(admin_client, bulky, bulky_xml):
    response = upload(
        admin_client, bulky, edited(bulky_xml, *LOWER_LIMIT), key="", name="Town.dmn"
    )

    assert response.status_code == 302
    assert stored() == [*DEMO_TABLES, ("town", 1)]


@pytest.mark.parametrize(
    ("xml", "error"),
    [
        (
            (FIXTURES / "rule-order.dmn").read_bytes(),
            "The file cannot be used: decision &quot;rule_order&quot;: the hit "
            "policy &quot;RULE ORDER&quot; is not supported",
        ),
        (
            b"<definitions>",
            "The file cannot be used: file: not well-formed XML",
        ),
        (
            "<?xml version='1.0' encoding='latin-1'?><a>å</a>".encode("latin-1"),
            "Save the file as UTF-8; it is in another encoding.",
        ),
        (b" " * (1024 * 1024 + 1), "The file is larger than 1 MB."),
    ],
    ids=["rule-order", "not-xml", "latin-1", "too-large"],
)
def test_a_file_the_engine_cannot_read_is_refused(admin_client, bulky, xml, error):
    response = upload(admin_client, bulky, xml)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert response.context["errors"]
    assert stored() == DEMO_TABLES
    assert LogEntry.objects.count() == 0


def test_a_protected_input_is_refused(admin_client, bulky, bulky_xml):
    xml = edited(bulky_xml, (b"<text>zone</text>", b"<text>gender</text>"))

    response = upload(admin_client, bulky, xml)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["file"] == [
        'Refused: input "Zone of the address" (gender) concerns a protected '
        'characteristic ("gender"); such inputs are never allowed'
    ]
    assert stored() == DEMO_TABLES


def test_a_key_of_another_service_is_refused(admin_client, bulky, bulky_xml):
    parking = Service.objects.get(slug="disabled-parking-permit")

    response = upload(admin_client, parking, bulky_xml, key="bulky-waste")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["key"] == [
        "The key “bulky-waste” names a table of “Bulky waste collection”; choose "
        "another key."
    ]
    assert stored() == DEMO_TABLES


# Reading -----------------------------------------------------------------------


def test_the_version_page_shows_every_rule_and_escapes_them(
    admin_client, bulky, bulky_xml
):
    xml = edited(
        bulky_xml,
        (
            ANNOTATION,
            ANNOTATION.replace(
                b"We could", b"&lt;script&gt;alert(1)&lt;/script&gt;We could"
            ),
        ),
    )
    table = services.upload_table(service=bulky, key="bulky-waste", xml=xml, by=None)

    response = admin_client.get(url("change", table))

    html = response.content.decode()
    assert response.status_code == 200
    rows = response.context["grid"]["rows"]
    assert [row["id"] for row in rows] == [
        "within_limit_town",
        "within_limit_rural",
        "large_load_town",
        "large_load_rural",
        "too_large",
        "place_unknown",
    ]
    assert rows[4]["tests"] == ["-", "> 10"]
    assert rows[4]["outputs"] == ["reject", "too-large"]
    assert [language for _code, language in response.context["grid"]["languages"]] == [
        "Swedish",
        "Danish",
        "English",
    ]
    for row in rows:
        assert f'<tr id="rule-{row["id"]}">' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;We could not tell" in html
    assert "<script>alert(1)" not in html
    assert "Vi hämtar högst 10 m³ per bokning" in html
    assert "<code>volume_m3</code>" in html
    assert "Hit policy: UNIQUE" in html


def test_only_the_note_of_a_version_can_be_changed(admin_client, bulky):
    table = bulky.decision_table
    response = admin_client.post(
        url("change", table), {"note": "Checked by the board", "key": "other"}
    )

    assert response.status_code == 302
    table.refresh_from_db()
    assert (table.key, table.note, table.version) == (
        "bulky-waste",
        "Checked by the board",
        1,
    )


def test_download_returns_the_stored_bytes(admin_client, bulky, bulky_xml):
    response = admin_client.get(url("download", bulky.decision_table))

    assert response.status_code == 200
    assert response.content == bulky_xml
    assert response["Content-Type"] == "application/xml"
    assert response["Content-Disposition"] == (
        'attachment; filename="bulky-waste-v1.dmn"'
    )


def test_compare_lists_added_removed_and_changed_rules(admin_client, bulky, bulky_xml):
    added = (
        b'<rule id="no_volume"><inputEntry><text>-</text></inputEntry>'
        b"<inputEntry><text>null</text></inputEntry>"
        b'<outputEntry><text>"refer"</text></outputEntry>'
        b'<outputEntry><text>"no-volume"</text></outputEntry></rule>'
        b"</decisionTable>"
    )
    xml = edited(bulky_xml, *LOWER_LIMIT, (b"</decisionTable>", added))
    new = services.upload_table(service=bulky, key="bulky-waste", xml=xml, by=None)

    response = admin_client.get(
        url("compare", new, f"?other={bulky.decision_table.pk}")
    )

    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert (response.context["old"].version, response.context["new"].version) == (1, 2)
    assert [rule.id for rule in comparison.added] == ["no_volume"]
    assert comparison.removed == []
    assert [
        (change.name, change.old.tests["volume_m3"], change.new.tests["volume_m3"])
        for change in comparison.changed
    ] == [
        ("within_limit_town", "<= 5", "<= 1"),
        ("large_load_town", "(5..10]", "(1..10]"),
    ]
    assert (comparison.hit_policy, comparison.inputs, comparison.outputs) == (
        None,
        [],
        [],
    )
    html = response.content.decode()
    assert '<tr class="rules-added">' in html
    assert "<code>&lt;= 1</code>" in html


def test_compare_with_a_version_of_another_key_is_a_bad_request(admin_client, bulky):
    parking = Service.objects.get(slug="disabled-parking-permit").decision_table

    response = admin_client.get(
        url("compare", bulky.decision_table, f"?other={parking.pk}")
    )

    assert response.status_code == 400
    assert response.context["form"].errors["other"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]


def test_the_changelist_shows_versions_and_which_is_used(
    admin_client, bulky, bulky_xml
):
    services.upload_table(
        service=bulky, key="bulky-waste", xml=edited(bulky_xml, *LOWER_LIMIT), by=None
    )

    response = admin_client.get(reverse("admin:rules_decisiontable_changelist"))

    admin = response.context["cl"].model_admin
    rows = [
        (table.key, table.version, admin.finding_count(table), admin.is_active(table))
        for table in response.context["cl"].result_list
    ]
    assert rows == [
        ("bulky-waste", 2, 0, False),
        ("bulky-waste", 1, 0, True),
        ("outdoor-seating", 1, 0, True),
        ("parking-permit", 1, 0, True),
    ]


@pytest.mark.parametrize(
    "changelist",
    ["admin:rules_decisiontable_changelist", "admin:rules_decision_changelist"],
)
def test_the_lists_take_the_same_queries_for_more_rows(
    admin_client, bulky, bulky_xml, changelist
):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse(changelist)).status_code == 200
        return len(captured)

    few = queries()
    for limit in (b"4", b"6"):
        xml = edited(bulky_xml, (b"&lt;= 5</text>", b"&lt;= " + limit + b"</text>"))
        table = services.upload_table(
            service=bulky, key="bulky-waste", xml=xml, by=None
        )
        for decision in Decision.objects.filter(case__service=bulky):
            decision.pk = None
            decision.table = table
            decision.save()
    assert queries() == few


# Trying and using a version -------------------------------------------------


def test_what_if_counts_the_cases_a_version_would_change(
    admin_client, bulky, bulky_xml
):
    xml = edited(bulky_xml, *LOWER_LIMIT)
    table = services.upload_table(service=bulky, key="bulky-waste", xml=xml, by=None)

    response = admin_client.get(url("what_if", table))

    assert response.status_code == 200
    result = response.context["result"]
    assert (result.total, result.changed, result.rules_changed) == (3, 1, 0)
    assert response.context["transitions"] == [
        {"old": "Approved", "new": "Approved", "count": 1},
        {"old": "Approved", "new": "To a case worker", "count": 1},
        {"old": "To a case worker", "new": "To a case worker", "count": 1},
    ]
    html = response.content.decode()
    assert "Use this version for new decisions" in html
    assert "within_limit_town" in html


def test_using_a_version_switches_the_service(admin_client, bulky, bulky_xml):
    xml = edited(bulky_xml, *LOWER_LIMIT)
    table = services.upload_table(service=bulky, key="bulky-waste", xml=xml, by=None)

    response = admin_client.post(url("what_if", table))

    assert response.status_code == 302
    assert response["Location"] == url("change", table)
    bulky.refresh_from_db()
    assert bulky.decision_table == table
    assert messages_of(response) == [
        (
            "success",
            "“Bulky waste collection” now uses version 2 of “bulky-waste” for new "
            "decisions.",
        )
    ]


def test_a_version_the_service_cannot_use_is_not_switched(
    admin_client, bulky, bulky_xml
):
    table = services.upload_table(
        service=bulky, key="bulky-waste", xml=edited(bulky_xml, *LOWER_LIMIT), by=None
    )
    Service.objects.filter(pk=bulky.pk).update(approve_step="nowhere")

    response = admin_client.post(url("what_if", table))

    assert response.status_code == 302
    assert response["Location"] == url("what_if", table)
    bulky.refresh_from_db()
    assert bulky.decision_table.version == 1
    assert messages_of(response) == [
        (
            "error",
            "Version 2 of “bulky-waste” cannot be used for new decisions; nothing "
            "was changed: <ul><li>The process does not allow a move from "
            "“received” to “nowhere”.</li></ul>",
        )
    ]


def test_using_a_version_needs_the_right_to_change_services(client, bulky, bulky_xml):
    user = log_in(client, None)
    user.user_permissions.add(Permission.objects.get(codename="view_decisiontable"))
    table = services.upload_table(
        service=bulky, key="bulky-waste", xml=edited(bulky_xml, *LOWER_LIMIT), by=None
    )

    assert client.get(url("what_if", table)).status_code == 200
    assert client.post(url("what_if", table)).status_code == 403
    bulky.refresh_from_db()
    assert bulky.decision_table.version == 1


def test_the_action_uses_the_chosen_version(admin_client, bulky, bulky_xml):
    table = services.upload_table(
        service=bulky, key="bulky-waste", xml=edited(bulky_xml, *LOWER_LIMIT), by=None
    )

    response = admin_client.post(
        reverse("admin:rules_decisiontable_changelist"),
        {"action": "use_for_new_decisions", "_selected_action": [table.pk]},
    )

    assert response.status_code == 302
    bulky.refresh_from_db()
    assert bulky.decision_table == table


# Decisions ---------------------------------------------------------------------


def test_decisions_are_listed_and_never_edited(admin_client, bulky):
    response = admin_client.get(reverse("admin:rules_decision_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == Decision.objects.count() == 5
    decision = Decision.objects.filter(case__service=bulky).first()
    page = admin_client.get(reverse("admin:rules_decision_change", args=[decision.pk]))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert admin_client.get(reverse("admin:rules_decision_add")).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:rules_decision_delete", args=[decision.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Decision.objects.count() == 5


# The service's automation settings and zones -------------------------------


def form_data(response) -> dict:
    """The change form's current values as the browser would post them."""
    forms = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(
            {
                formset.add_prefix(name): value
                for name, value in formset.management_form.initial.items()
            }
        )
        forms += formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None and value is not False:
                data[form.add_prefix(name)] = "on" if value is True else value
    return data


def test_a_service_offers_only_its_own_tables(admin_client, bulky):
    response = admin_client.get(
        reverse("admin:catalog_service_change", args=[bulky.pk])
    )

    field = response.context["adminform"].form.fields["decision_table"]
    assert [table.key for table in field.queryset] == ["bulky-waste"]
    assert "Automated decisions" in response.content.decode()


def test_a_zone_with_a_broken_area_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:catalog_zone_add"),
        {
            "name_sv": "Ny",
            "key": "new",
            "position": 9,
            "geometry": '{"type": "Point", "coordinates": [14.8, 56.9]}',
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["geometry"] == [
        "Give a GeoJSON Polygon or MultiPolygon."
    ]
    assert not Zone.objects.filter(key="new").exists()


def test_the_service_form_switches_its_table(admin_client, bulky, bulky_xml):
    table = services.upload_table(
        service=bulky, key="bulky-waste", xml=edited(bulky_xml, *LOWER_LIMIT), by=None
    )
    change = reverse("admin:catalog_service_change", args=[bulky.pk])
    data = {**form_data(admin_client.get(change)), "decision_table": table.pk}

    response = admin_client.post(change, data)

    assert response.status_code == 302
    bulky.refresh_from_db()
    assert bulky.decision_table == table


@pytest.mark.parametrize(
    ("edits", "field", "errors"),
    [
        (
            {
                "automation_basis_sv": "",
                "automation_basis_da": "",
                "automation_basis_en": "",
            },
            "automation_basis_sv",
            ["Automated decisions need the provision that allows them."],
        ),
        (
            {"approve_step": "nowhere"},
            "approve_step",
            ["The process does not allow a move from “received” to “nowhere”."],
        ),
        (
            {"decision_table": "parking"},
            "decision_table",
            ["Select a valid choice. That choice is not one of the available choices."],
        ),
    ],
    ids=["no-basis", "unknown-step", "table-of-another-service"],
)
def test_automation_settings_that_cannot_work_are_refused(
    admin_client, bulky, edits, field, errors
):
    parking = Service.objects.get(slug="disabled-parking-permit").decision_table
    change = reverse("admin:catalog_service_change", args=[bulky.pk])
    data = form_data(admin_client.get(change))
    data.update({k: parking.pk if v == "parking" else v for k, v in edits.items()})

    response = admin_client.post(change, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == errors
    assert Service.objects.get(pk=bulky.pk).approve_step == "booked"


def test_a_zone_is_saved_with_its_area(admin_client):
    area = {
        "type": "Polygon",
        "coordinates": [[[14.8, 56.9], [14.9, 56.9], [14.9, 57.0], [14.8, 56.9]]],
    }
    response = admin_client.post(
        reverse("admin:catalog_zone_add"),
        {"name_sv": "Ny", "key": "new", "position": 9, "geometry": json.dumps(area)},
    )

    assert response.status_code == 302
    assert Zone.objects.get(key="new").geometry == area
