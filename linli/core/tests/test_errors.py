"""The one domain error and its one API shape."""

from django.core.exceptions import ValidationError

from linli.core.errors import ApplicationError, Conflict, PermissionDenied


def test_application_error_carries_status_code_and_fields():
    exc = ApplicationError("Fix it", fields={"name": ["is required"]})
    assert (exc.status, exc.code, exc.message) == (400, "invalid", "Fix it")
    assert exc.fields == {"name": ["is required"]}
    assert ApplicationError("x", status=401).status == 401


def test_subclasses_have_their_status():
    assert PermissionDenied("no").status == 403
    assert PermissionDenied("no").code == "forbidden"
    conflict = Conflict("taken", fields={"id_number": ["is taken"]})
    assert (conflict.status, conflict.code, conflict.fields) == (
        409,
        "conflict",
        {"id_number": ["is taken"]},
    )


def test_from_validation_error_keeps_field_names():
    exc = ApplicationError.from_validation_error(
        ValidationError({"phone": ["bad"], "name": ["missing", "too short"]})
    )
    assert exc.fields == {"phone": ["bad"], "name": ["missing", "too short"]}
    plain = ApplicationError.from_validation_error(ValidationError("whole thing"))
    assert plain.fields == {"__all__": ["whole thing"]}
