import pytest


@pytest.mark.parametrize(
    "url",
    ["/registry/", "/registry/residents/", "/registry/verification/", "/accounts/audit/"],
)
def test_staff_pages_render(as_user, url):
    response = as_user("staff").get(url)
    assert response.status_code == 200
