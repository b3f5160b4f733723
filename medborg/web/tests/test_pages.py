import pytest


def test_accessibility_statement_is_linked_from_every_footer(client, db):
    response = client.get("/accessibility/")
    assert response.status_code == 200
    assert "WCAG 2.1" in response.content.decode()
    assert 'href="/accessibility/"' in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("sv", "Tillgänglighetsredogörelse"),
        ("da", "Tilgængelighedserklæring"),
        ("en", "Accessibility statement"),
    ],
)
def test_language_switcher_sets_the_language(client, db, language, text):
    response = client.get(
        "/language/", {"language": language, "next": "/accessibility/"}
    )
    assert response.status_code == 302
    page = client.get("/accessibility/").content.decode()
    assert f'lang="{language}"' in page
    assert text in page


def test_security_headers(client, db):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_unknown_page_is_a_friendly_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/"])
def test_language_switch_never_leaves_the_site(client, db, target):
    response = client.get("/language/", {"language": "da", "next": target})
    assert response["Location"] == "/"


def test_unknown_language_is_ignored(client, db):
    response = client.get("/language/", {"language": "xx", "next": "/"})
    assert response.status_code == 302
    assert "django_language" not in response.cookies
