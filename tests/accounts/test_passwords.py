"""Password rules: at least 12 characters, not common, not the username, not one of the last 5."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import PasswordHistory
from casework.models import AuditAction, AuditEntry
from tests.fixtures import PASSWORD


def set_passwords(user, passwords):
    for password in passwords:
        user.set_password(password)
        user.save()


def test_a_recent_password_is_refused(world):
    user = world.u.guidance
    set_passwords(user, ["Harbour-lantern-41", "Orchid-railway-52"])
    with pytest.raises(ValidationError) as refused:
        validate_password("Harbour-lantern-41", user)
    assert refused.value.error_list[0].code == "password_reused"
    validate_password("Fresh-mountain-63", user)


def test_only_the_last_five_passwords_are_remembered(world):
    user = world.u.guidance
    older = ["Alpha-river-stone-1", "Bravo-river-stone-2", "Charlie-river-stone-3", "Delta-river-stone-4"]
    newer = ["Echo-river-stone-5", "Foxtrot-river-stone-6"]
    set_passwords(user, older + newer)
    assert PasswordHistory.objects.filter(user=user).count() == 5
    # Five most recent: Bravo .. Foxtrot; Alpha (and the fixture's password) fell out.
    validate_password("Alpha-river-stone-1", user)
    for password in older[1:] + newer:
        with pytest.raises(ValidationError):
            validate_password(password, user)


def test_history_keeps_hashes_only(world):
    user = world.u.guidance
    set_passwords(user, ["Harbour-lantern-41"])
    stored = PasswordHistory.objects.filter(user=user).first().password
    assert "Harbour-lantern-41" not in stored
    assert stored == user.password


@pytest.mark.parametrize("password", ["guidance-secure-2026", "MyGUIDANCEpass-77"])
def test_a_password_containing_the_username_is_refused(world, password):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, world.u.guidance)
    assert "password_has_username" in [e.code for e in refused.value.error_list]


def test_existing_rules_still_apply(world):
    with pytest.raises(ValidationError):
        validate_password("Short-1", world.u.guidance)
    with pytest.raises(ValidationError):
        validate_password("123456789012345", world.u.guidance)


def test_password_change_page_changes_the_password_and_is_audited(client, world):
    client.force_login(world.u.guidance)
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Quiet-harbour-lamp-9",
            "new_password2": "Quiet-harbour-lamp-9",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change_done")
    world.u.guidance.refresh_from_db()
    assert world.u.guidance.check_password("Quiet-harbour-lamp-9")
    assert AuditEntry.objects.filter(action=AuditAction.PASSWORD_CHANGE, username="guidance").exists()
    # Still signed in after the change.
    assert client.get("/").status_code == 200


def test_password_change_page_refuses_reuse(client, world):
    client.force_login(world.u.guidance)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "You used this password recently" in response.content.decode()


def test_password_change_page_needs_sign_in(client, world):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
