"""Namespace roles and what a set of role bindings grants: pure logic, no database.

A grant gives a role on a namespace prefix and every namespace below it in the dot hierarchy
(`acme` covers `acme` and `acme.sales`, not `acmeother`); the empty prefix covers every namespace.
Roles are ordered, each including the ones before it: viewer < executor < editor < admin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum


class Role(IntEnum):
    VIEWER = 1  # read flows, executions, logs, KV and files
    EXECUTOR = 2  # + trigger, kill, pause, resume, restart, replay, label executions
    EDITOR = 3  # + write flows, namespace files, KV, secrets; delete executions and logs
    ADMIN = 4  # + role bindings and other people's tokens in the namespace

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        """The role named `text` (`viewer`…`admin`, any case); ValueError otherwise."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(role.label for role in cls)
            raise ValueError(f"unknown role '{text}': one of {names}") from None


EVERY_NAMESPACE = ""


def covers(prefix: str, namespace: str) -> bool:
    """Whether a grant on `prefix` reaches `namespace`."""
    return prefix == EVERY_NAMESPACE or namespace == prefix or namespace.startswith(prefix + ".")


@dataclass(frozen=True)
class Grant:
    namespace: str
    role: Role


@dataclass(frozen=True)
class Access:
    """What a caller may do, as the grants of their role bindings (a superuser: admin on every namespace)."""

    grants: tuple[Grant, ...] = ()

    @classmethod
    def superuser(cls) -> Access:
        return cls((Grant(EVERY_NAMESPACE, Role.ADMIN),))

    def role_in(self, namespace: str) -> Role | None:
        """The highest role the grants give on `namespace`, or None."""
        return max((grant.role for grant in self.grants if covers(grant.namespace, namespace)), default=None)

    def allows(self, namespace: str, role: Role) -> bool:
        found = self.role_in(namespace)
        return found is not None and found >= role

    def everywhere(self, role: Role) -> bool:
        """Whether `role` holds on every namespace, present and future (superusers, root bindings)."""
        return self.allows(EVERY_NAMESPACE, role)  # only a grant on the empty prefix covers it

    def prefixes(self, role: Role) -> tuple[str, ...]:
        """The prefixes on which `role` holds, none below another; (`""`,) for everywhere, () for nowhere."""
        granted = sorted({grant.namespace for grant in self.grants if grant.role >= role}, key=len)
        kept: list[str] = []
        for prefix in granted:
            if not any(covers(outer, prefix) for outer in kept):
                kept.append(prefix)
        return tuple(kept)

    def narrowed(self, bindings: Iterable[Grant]) -> Access:
        """These grants as far as `bindings` reach: what a token bound to `bindings` may do for its owner.

        Each binding meets each grant: where one prefix covers the other, the narrower prefix gets the lower
        role. A token never does more than its owner can do now, whatever it was created with."""
        met = {
            Grant(inner, min(grant.role, binding.role))
            for binding in bindings
            for grant in self.grants
            for inner in _narrower(grant.namespace, binding.namespace)
        }
        return Access(tuple(sorted(met, key=lambda grant: (grant.namespace, grant.role))))


def _narrower(one: str, other: str) -> tuple[str, ...]:
    if covers(one, other):
        return (other,)
    if covers(other, one):
        return (one,)
    return ()
