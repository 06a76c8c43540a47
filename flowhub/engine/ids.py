"""Kestra-style identifiers: a random UUID written in base62, 22 url-safe characters."""

import uuid

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LENGTH = 22  # ceil(128 / log2(62))


def new_id() -> str:
    number = uuid.uuid4().int
    chars = []
    for _ in range(_LENGTH):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))
