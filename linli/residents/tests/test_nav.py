"""The menu offers only the pages a user can open."""

import pytest


def menu(client):
    html = client.get("/registry/residents/", follow=True).content.decode()
    return html.split('<nav class="main"')[1].split("</nav>")[0]


@pytest.mark.parametrize(
    ("persona", "shown", "hidden"),
    [
        ("staff", ["/registry/residents/", "/registry/import/", "/accounts/audit/"], []),
        ("grid_a", ["/registry/residents/"], ["/registry/import/", "/accounts/audit/"]),
        ("resident", ["/registry/households/"], ["/registry/residents/", "/registry/import/"]),
        ("supervisor", ["/registry/residents/", "/accounts/audit/"], ["/registry/import/"]),
    ],
)
def test_menu_matches_the_role(world, as_user, persona, shown, hidden):
    html = menu(as_user(persona))
    for url in shown:
        assert url in html
    for url in hidden:
        assert url not in html
