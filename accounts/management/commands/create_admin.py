"""python manage.py create_admin USERNAME --email E — the city's first administrator, on a fresh installation.

Only the first: once an active administrator exists, further administrators (and every other role) are granted
in ``/admin/`` and wait for a second administrator's approval (``docs/security.md``). The password is asked twice
on the terminal (or read from the environment variable named by ``--password-env``, for automated installs) and
checked by the same validators as every password. The second factor is enrolled at the first sign-in: the
platform asks for it before any page, so the authenticator's secret never passes through a shell or a log.
"""

from __future__ import annotations

import getpass
import json as jsonlib
import os
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from casework.access.audit import Actor, record
from casework.models import AuditAction, Bureau, BureauKind, Membership, Role, User


class Command(BaseCommand):
    help = (
        "Create the first administrator of a fresh installation (refused once an active administrator exists). "
        "The password is asked twice; the second factor is enrolled at the first sign-in."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password-env",
            default="",
            metavar="VAR",
            help="read the password from this environment variable instead of asking (automated installs)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON summary")

    def handle(self, *args, username, email, first_name, last_name, password_env, json=False, **options):
        username = username.strip()
        if not username:
            raise CommandError("A username is required.")
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        if self._administrator_exists():
            raise CommandError(
                "An active administrator already exists. Further administrators are granted in /admin/ and "
                "approved by a second administrator (docs/security.md)."
            )
        committee = Bureau.objects.filter(kind=BureauKind.COMMITTEE).order_by("pk").first()
        if committee is None:
            raise CommandError("The bureaus are missing: run `python manage.py migrate` first.")
        password = self._password(password_env)
        user = User(username=username, email=email, first_name=first_name, last_name=last_name, is_staff=True)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        with transaction.atomic():
            if self._administrator_exists():  # a second command at the same moment
                raise CommandError("An active administrator was created meanwhile.")
            user.set_password(password)
            user.save()
            membership = Membership.objects.create(user=user, bureau=committee, role=Role.ADMINISTRATOR)
            record(
                Actor.system("create_admin"),
                AuditAction.CREATE,
                membership,
                detail={"first_administrator": True, "user": username, "role": Role.ADMINISTRATOR},
            )
        summary = {
            "username": username,
            "role": Role.ADMINISTRATOR,
            "bureau": committee.code,
            "second_factor": "enrol at first sign-in",
        }
        if json:
            self.stdout.write(jsonlib.dumps(summary, ensure_ascii=False))
        elif options.get("verbosity", 1):
            self.stdout.write(
                self.style.SUCCESS(f"Administrator {username!r} created in {committee.code}.")
                + "\nSign in at /accounts/login/; the platform then asks you to set up an authenticator app "
                "(a QR code and a six-digit code) before anything else, and shows your backup codes once."
            )

    @staticmethod
    def _administrator_exists() -> bool:
        return Membership.objects.filter(role=Role.ADMINISTRATOR, active=True, user__is_active=True).exists()

    def _password(self, variable: str) -> str:
        if variable:
            value = os.environ.get(variable, "")
            if not value:
                raise CommandError(f"The environment variable {variable} is empty or not set.")
            return value
        if not self.stdin_is_terminal():
            raise CommandError("No terminal to ask for the password on: use --password-env VAR.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first

    @staticmethod
    def stdin_is_terminal() -> bool:
        return sys.stdin.isatty()
