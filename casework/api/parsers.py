"""JSON bodies parsed as DRF does, except that a body nested past Python's recursion limit is a parse error
(400 "not valid JSON"), not a crash (insider review 16, N9)."""

from __future__ import annotations

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply") from exc
