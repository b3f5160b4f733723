"""Other municipalities' figures: uploads, fetches, the admin, the task and command.

Fetches go to an HTTP server on the loopback interface, started per test.
"""

import re
import threading
import time
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

import pytest
from django_tasks_db.models import DBTaskResult

from medborg.accounts.tests.factories import UserFactory
from medborg.opendata import peers, tasks
from medborg.opendata.kolada import KoladaFormatError, export_lines
from medborg.opendata.models import Peer, PeerValue, Progress, Snapshot
from medborg.opendata.tables import Figure

BACKEND = "medborg.accounts.backends.StaffBackend"
MOMENT = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
EARLIER = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
HEADER = "kpi,municipality_id,period,gender,value,count,status\n"


def figure(indicator, value, count, period="2026-11"):
    return Figure(
        indicator,
        "month",
        period,
        date(2026, 11, 1),
        "municipality",
        "",
        "Ljungby kommun",
        value,
        count,
        value is None,
    )


FIGURES = [
    figure("received", 12.0, 12),
    figure("within_deadline_share", 87.5, 40),
    figure("satisfaction_mean", None, None),
]
# The three figures as ``stored``'s tuples.
STORED = [
    ("received", "2026-11", 12.0, 12),
    ("satisfaction_mean", "2026-11", None, None),
    ("within_deadline_share", "2026-11", 87.5, 40),
]


def export(code="0781") -> str:
    """Our own kolada.csv, published as municipality ``code``."""
    return "".join(export_lines(FIGURES, municipality_code=code))


def stored(peer) -> list[tuple]:
    return list(
        PeerValue.objects.filter(peer=peer)
        .order_by("indicator", "period")
        .values_list("indicator", "period", "value", "count")
    )


@pytest.fixture
def now(monkeypatch):
    monkeypatch.setattr(peers.timezone, "now", lambda: MOMENT)
    return MOMENT


@pytest.fixture
def peer(db):
    return Peer.objects.create(name="Ljungby kommun", municipality_code="0781")


@pytest.fixture
def earlier(peer):
    """A figure stored by an earlier upload, with its time."""
    PeerValue.objects.create(
        peer=peer, indicator="received", period="2026-10", value=9.0, count=9
    )
    Peer.objects.filter(pk=peer.pk).update(fetched_at=EARLIER)
    peer.refresh_from_db()
    return [("received", "2026-10", 9.0, 9)]


# Uploads ---------------------------------------------------------------------


def test_our_own_export_is_stored_as_another_municipality(peer, earlier, now):
    count = peers.import_file(peer=peer, content=export().encode())

    assert count == 3
    assert stored(peer) == STORED
    peer.refresh_from_db()
    assert (peer.fetched_at, peer.fetch_error) == (MOMENT, "")


def test_rows_of_other_municipalities_and_unknown_indicators_are_skipped(peer):
    text = (
        export("0780")
        + export("0781").removeprefix(HEADER.replace("\n", "\r\n"))
        + "N00945,0781,2026,T,31.5,,\n"
    )

    assert peers.import_file(peer=peer, content=text.encode()) == 3
    assert stored(peer) == STORED


def test_a_spreadsheet_file_with_a_byte_order_mark_is_read(peer):
    content = "\ufeffkpi;municipality_id;period;value\nreceived;0781;2026-Q4;4,5\n"

    assert peers.import_file(peer=peer, content=content.encode()) == 1
    assert stored(peer) == [("received", "2026-Q4", 4.5, None)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            (export("0780") + "medborg.received,0180,2026-11,T,3,3,\n").encode(),
            "no figures for municipality 0781; the file has municipality_id 0180, 0780",
        ),
        (HEADER.encode(), "the file holds no figures"),
        (
            (HEADER + "N00945,0781,2026,T,31.5,,\nU00001,0781,2026,T,2,,\n").encode(),
            "none of the 2 figures for municipality 0781 is an indicator of this "
            "cockpit; the file has kpi N00945, U00001",
        ),
        (
            (HEADER + "medborg.received,0781,2026-11,T,12,12,\n").encode("utf-8")
            + b"medborg.closed,0781,2026-11,T,4,4,V\xe4xj\xf6\n",
            "Line 3: byte 0xe4 is not UTF-8; save the file as CSV UTF-8",
        ),
        (
            (
                HEADER + "medborg.received,0781,2026-11,T,12,12,\n"
                "medborg.closed,0781,2026-13,T,4,4,\n"
            ).encode(),
            "Line 3: period '2026-13' is not YYYY, YYYY-MM or YYYY-Qn",
        ),
        (b"x" * (20 * 1024 * 1024 + 1), "the file is larger than 20 MB"),
    ],
    ids=["other-codes", "no-rows", "other-kpis", "not-utf-8", "bad-line", "large"],
)
def test_a_refused_file_names_the_problem_and_changes_nothing(
    peer, earlier, content, message
):
    with pytest.raises(KoladaFormatError) as raised:
        peers.import_file(peer=peer, content=content)

    assert str(raised.value) == message
    assert stored(peer) == earlier
    peer.refresh_from_db()
    assert (peer.fetched_at, peer.fetch_error) == (EARLIER, "")


# Fetching --------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    """Answers from the server's ``routes``: path -> (status, headers, body)."""

    def do_GET(self):
        self.server.user_agents.append(self.headers["User-Agent"])
        if self.path == "/slow":
            # Answers only when the test is over, long after the client gave up.
            self.server.released.wait(5)
        status, headers, body = self.server.routes.get(self.path, (404, {}, b""))
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass

    def log_message(self, format, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.routes = {}
    httpd.user_agents = []
    httpd.released = threading.Event()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.released.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def serve(server, path, body=b"", status=200, **headers):
    server.routes[path] = (status, headers, body)
    return server.base + path


def test_fetch_stores_the_figures_the_address_publishes(peer, server, now):
    peer.url = serve(server, "/open-data/kolada.csv", export().encode())

    assert peers.fetch(peer=peer) == 3
    assert stored(peer) == STORED
    assert server.user_agents == ["Medborg"]
    peer.refresh_from_db()
    assert (peer.fetched_at, peer.fetch_error) == (MOMENT, "")


def test_fetch_follows_a_redirect_to_http(peer, server):
    serve(server, "/kolada.csv", export().encode())
    peer.url = serve(server, "/old", status=301, Location="/kolada.csv")

    assert peers.fetch(peer=peer) == 3
    assert server.user_agents == ["Medborg", "Medborg"]


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("/missing", "HTTP 404 Not Found"),
        ("/slow", "no answer within 0.5 seconds"),
        (
            "/page",
            "Line 1: missing column: kpi, municipality_id, period, value "
            "(needed: kpi, municipality_id, period, value; optional: gender, count, "
            "status)",
        ),
        ("/ftp", "HTTP 302 redirected to a 'ftp' address"),
        (
            "/file",
            "HTTP 302 Found - Redirection to url 'file:///etc/passwd' is not allowed",
        ),
    ],
)
def test_a_failed_fetch_records_why_and_keeps_the_figures(
    peer, earlier, server, caplog, route, message
):
    serve(server, "/page", b"<html><body>Not here</body></html>\n")
    serve(server, "/ftp", status=302, Location="ftp://127.0.0.1/kolada.csv")
    serve(server, "/file", status=302, Location="file:///etc/passwd")
    url = peer.url = server.base + route

    assert peers.fetch(peer=peer, timeout=0.5) == 0
    assert peer.fetch_error == message
    assert stored(peer) == earlier
    peer.refresh_from_db()
    assert (peer.fetched_at, peer.fetch_error) == (EARLIER, message)
    assert [record.getMessage() for record in caplog.records] == [
        f"peer fetch failed code=0781 url={url}: {message}"
    ]


@pytest.mark.parametrize("url", ["", "ftp://127.0.0.1/kolada.csv", "file:///etc"])
def test_only_http_and_https_addresses_are_fetched(peer, earlier, url):
    peer.url = url

    assert peers.fetch(peer=peer) == 0
    assert peer.fetch_error == (
        f"only http and https addresses are fetched, not {url!r}"
    )
    assert stored(peer) == earlier


def test_a_long_error_is_cut_to_the_field(peer, server):
    body = HEADER + "medborg.received,0781,2026-11,T," + "x" * 400 + ",,\n"
    peer.url = serve(server, "/kolada.csv", body.encode())

    assert peers.fetch(peer=peer) == 0
    peer.refresh_from_db()
    assert peer.fetch_error == "Line 2: value '" + "x" * 285


def test_a_slow_server_is_given_up_on_within_the_timeout(peer, server):
    peer.url = serve(server, "/slow")
    began = time.monotonic()

    peers.fetch(peer=peer, timeout=0.5)

    assert time.monotonic() - began < 3


@pytest.fixture
def several(db, server):
    """Four peers: two to fetch (one fails), one hidden, one without address."""
    url = serve(server, "/kolada.csv", export("0781").encode())
    serve(server, "/other.csv", export("0780").encode())
    return [
        Peer.objects.create(name="Ljungby kommun", municipality_code="0781", url=url),
        Peer.objects.create(name="Alvesta kommun", municipality_code="0764", url=url),
        Peer.objects.create(
            name="Växjö kommun",
            municipality_code="0780",
            url=server.base + "/other.csv",
            active=False,
        ),
        Peer.objects.create(name="Tingsryd kommun", municipality_code="0763"),
    ]


def test_fetch_all_fetches_the_active_peers_with_an_address(several):
    assert peers.fetch_all() == {"0764": 0, "0781": 3}
    assert PeerValue.objects.filter(peer__municipality_code="0780").count() == 0


def test_the_task_fetches_every_peer(several):
    assert tasks.fetch_peers.call() == {"0764": 0, "0781": 3}


def test_the_snapshot_task_recomputes_and_records_progress(db):
    rows = tasks.update_snapshots.call()

    assert rows == Snapshot.objects.count()
    assert Progress.objects.get().last_event_id == 0


def test_the_recompute_task_returns_the_rows_written(db):
    assert tasks.recompute_all.call() == Snapshot.objects.count()


# Command ---------------------------------------------------------------------


def test_the_command_prints_each_fetch_and_fails_when_one_failed(several):
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("fetch_peers", stdout=out, stderr=err)

    assert out.getvalue() == f"Ljungby kommun (0781): 3 figures from {several[0].url}\n"
    assert err.getvalue() == (
        "Alvesta kommun (0764): no figures for municipality 0764; the file has "
        "municipality_id 0781\n"
    )
    assert (str(raised.value), raised.value.returncode) == (
        "1 of 2 fetches failed; the figures stored before are kept.",
        1,
    )


def test_the_command_fetches_one_peer_even_if_hidden(several):
    out = StringIO()

    call_command("fetch_peers", "--peer", "0780", stdout=out)

    assert out.getvalue() == (f"Växjö kommun (0780): 3 figures from {several[2].url}\n")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("0999", "No municipality to compare with has code '0999'."),
        (
            "0763",
            "Tingsryd kommun (0763) has no address to fetch; upload its file in "
            "the admin.",
        ),
    ],
)
def test_the_command_refuses_a_peer_it_cannot_fetch(several, code, message):
    with pytest.raises(CommandError, match=f"^{re.escape(message)}$"):
        call_command("fetch_peers", "--peer", code, stdout=StringIO())


# Admin -----------------------------------------------------------------------


def upload_url(peer):
    return reverse("admin:opendata_peer_upload", args=[peer.pk])


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def superuser(client, db):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user, backend=BACKEND)
    return user


def test_an_uploaded_file_replaces_the_figures(client, superuser, peer, earlier):
    response = client.post(
        upload_url(peer),
        {"file": SimpleUploadedFile("ljungby.csv", export().encode())},
    )

    assert response.status_code == 302
    assert response.url == reverse("admin:opendata_peer_change", args=[peer.pk])
    assert stored(peer) == STORED
    message = "ljungby.csv: 3 figures of Ljungby kommun (0781) stored."
    assert messages_of(response) == [message]
    entry = LogEntry.objects.get()
    assert (entry.object_id, entry.change_message) == (str(peer.pk), message)


def test_a_refused_upload_shows_the_problem_and_changes_nothing(
    client, superuser, peer, earlier
):
    response = client.post(
        upload_url(peer),
        {"file": SimpleUploadedFile("ljungby.csv", export("0780").encode())},
    )

    assert response.status_code == 400
    assert response.context["adminform"].form.errors["file"] == [
        "no figures for municipality 0781; the file has municipality_id 0780"
    ]
    assert (
        "no figures for municipality 0781; the file has municipality_id 0780"
        in response.content.decode()
    )
    assert stored(peer) == earlier
    assert LogEntry.objects.count() == 0


def test_the_upload_page_shows_a_file_field(client, superuser, peer):
    response = client.get(upload_url(peer))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Upload a Kolada-shaped CSV for Ljungby kommun (0781)" in content
    assert 'enctype="multipart/form-data"' in content
    assert 'type="file" name="file"' in content


def test_the_peer_page_links_to_the_upload(client, superuser, peer, earlier):
    response = client.get(reverse("admin:opendata_peer_change", args=[peer.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "1 figure stored." in content
    assert f'href="{upload_url(peer)}"' in content


def test_the_upload_is_for_signed_in_staff_only(client, peer):
    url = upload_url(peer)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


def test_the_upload_needs_the_permission_to_change_peers(client, peer, earlier):
    user = UserFactory(username="staff", is_staff=True)
    client.force_login(user, backend=BACKEND)

    response = client.post(
        upload_url(peer),
        {"file": SimpleUploadedFile("ljungby.csv", export().encode())},
    )

    assert response.status_code == 403
    assert stored(peer) == earlier


def test_fetch_now_fetches_the_chosen_peers_and_reports_each(
    client, superuser, several
):
    response = client.post(
        reverse("admin:opendata_peer_changelist"),
        {
            "action": "fetch_now",
            "_selected_action": [several[0].pk, several[1].pk, several[3].pk],
        },
    )

    assert response.status_code == 302
    assert messages_of(response) == [
        "Alvesta kommun (0764): no figures for municipality 0764; the file has "
        "municipality_id 0781; the figures stored before are kept.",
        "Ljungby kommun (0781): 3 figures stored.",
        "1 municipality has no address: upload its file.",
    ]


def test_the_peer_list_shows_the_figures_and_the_last_error(client, superuser, several):
    peers.fetch_all()

    response = client.get(reverse("admin:opendata_peer_changelist"))

    assert response.status_code == 200
    assert [
        (peer.municipality_code, peer.figure_count)
        for peer in response.context["cl"].result_list
    ] == [("0764", 0), ("0781", 3), ("0763", 0), ("0780", 0)]
    assert "the file has municipality_id 0781" in response.content.decode()


def test_recompute_now_enqueues_the_snapshot_task(
    client, superuser, django_capture_on_commit_callbacks
):
    progress = Progress.objects.create(pk=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:opendata_progress_changelist"),
            {"action": "update_snapshots", "_selected_action": [progress.pk]},
        )

    assert response.status_code == 302
    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "medborg.opendata.tasks.update_snapshots"
    ]


@pytest.mark.parametrize(
    ("name", "args"),
    [("admin:opendata_progress_add", []), ("admin:opendata_progress_delete", [1])],
)
def test_progress_is_neither_added_nor_deleted(client, superuser, name, args):
    Progress.objects.create(pk=1)

    response = client.post(reverse(name, args=args))

    assert response.status_code == 403
    assert Progress.objects.count() == 1
