"""What a running flow may reach beyond its own namespace: what the one who saved its revision may, now.

A flow may do anything in its own namespace and read its parents' (Kestra's inheritance: a flow reads
its parents' KV entries and secrets). Anything else it does at run time needs the saver of the revision
that runs to hold the role for it there, at that moment: viewer to read (KV entries, namespace files, and
for a Flow trigger, the executions it reacts to), editor to write (KV entries, namespace files, a parent's
too: what a parent holds, all its children inherit), executor to start a Subflow. Without this, an editor
of one namespace could save a flow that works in any other.

The saver is `FlowRevision.saved_by`, narrowed by the bindings of the API token they saved it with
(`saved_with`), as the token was: a token scoped to one namespace saves flows that reach no further. A
revision the server saved (an import, a command, a test calling the services, one saved before savers were
recorded) has none and is unrestricted, as is a superuser's. A revision whose saver was deleted since (or
deactivated) has no role anywhere: it keeps only what any flow may do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from access.models import TokenBinding
from access.roles import Access, Grant, Role
from access.selectors import access_of, accesses_of
from flowhub.engine.errors import EngineError
from flowhub.engine.namespaces import namespace_lineage

if TYPE_CHECKING:
    from namespaces.models import FlowRevision

    from .models import Execution

_CACHED = "_flowhub_saver_access"
"""Where `saver_access` keeps what it found on the revision object: once per task attempt, executor step or
round of Flow triggers, each of which loads the revision afresh."""


class ReachRefused(EngineError):
    """A flow reached a namespace its saver may not: the task, or the template, fails with this."""


def reach_allowed(*, flow_namespace: str, revision: FlowRevision, target: str, role: Role) -> bool:
    """Whether a flow of `flow_namespace`, running `revision`, may act with `role` on `target`."""
    if _inherent(flow_namespace, target, role):
        return True
    saver = saver_access(revision)
    return saver is None or saver.allows(target, role)


def _inherent(flow_namespace: str, target: str, role: Role) -> bool:
    """What any flow may do, whoever saved it: anything in its own namespace, read its parents'."""
    return target == flow_namespace or (role == Role.VIEWER and target in namespace_lineage(flow_namespace))


def saver_access(revision: FlowRevision) -> Access | None:
    """The Access of whoever saved `revision`, as it is now: None when the server saved it (unrestricted),
    no grant at all when its saver was deleted."""
    if _CACHED not in revision.__dict__:
        if revision.saved_by_id is not None:
            found: Access | None = _narrowed(access_of(revision.saved_by), _token_grants([revision]), revision)
        else:
            found = Access() if revision.saved_by_name else None
        setattr(revision, _CACHED, found)
    cached: Access | None = revision.__dict__[_CACHED]
    return cached


def savers_load(runs: Iterable[tuple[str, FlowRevision]], target: str, role: Role) -> None:
    """Before `reach_allowed` is asked about `role` on `target` for many flows (namespace, revision): look up
    together, with one query for all their bindings, the savers it will need. Load the revisions with their
    `saved_by` (select_related), so that the users come with them."""
    pending = [
        revision
        for namespace, revision in runs
        if not _inherent(namespace, target, role)
        and revision.saved_by_id is not None
        and _CACHED not in revision.__dict__
    ]
    if not pending:
        return
    accesses = accesses_of({revision.saved_by_id: revision.saved_by for revision in pending}.values())
    token_grants = _token_grants(pending)
    for revision in pending:
        setattr(revision, _CACHED, _narrowed(accesses[revision.saved_by_id], token_grants, revision))


def _token_grants(revisions: Iterable[FlowRevision]) -> dict[str, list[Grant]]:
    """The bindings of the tokens `revisions` were saved with, by token, in one query."""
    tokens = {revision.saved_with_id for revision in revisions if revision.saved_with_id is not None}
    grants: dict[str, list[Grant]] = {}
    if tokens:
        rows = TokenBinding.objects.filter(token_id__in=tokens).values_list("token_id", "namespace", "role")
        for token_id, namespace, role in rows:
            grants.setdefault(token_id, []).append(Grant(namespace, Role.parse(role)))
    return grants


def _narrowed(access: Access, token_grants: dict[str, list[Grant]], revision: FlowRevision) -> Access:
    """A saver's Access as far as the token they saved `revision` with reaches (all of it without bindings)."""
    bindings = token_grants.get(revision.saved_with_id or "")
    return access.narrowed(bindings) if bindings else access


@dataclass(frozen=True)
class Reach:
    """A run of a flow's revision (a task attempt, a template's rendering, a trigger's), which checks each
    namespace it reaches.

    With a `caller`, the template is theirs, not the flow's (an expression debugged in an execution): it
    reaches no further than a flow they saved would, nor than the flow's own saver lets it."""

    flow_namespace: str
    flow_id: str
    revision: FlowRevision
    caller: Access | None = None

    @classmethod
    def of(cls, execution: Execution, caller: Access | None = None) -> Reach:
        return cls(execution.namespace, execution.flow_id, execution.flow_revision, caller)

    def require(self, target: str, role: Role) -> None:
        """Nothing if the flow may act with `role` on namespace `target`; ReachRefused saying why otherwise."""
        if self.caller is not None and not (
            _inherent(self.flow_namespace, target, role) or self.caller.allows(target, role)
        ):
            raise ReachRefused(
                f"this expression may not reach namespace '{target}': that needs the {role.label} role on it, "
                "which you do not hold"
            )
        if reach_allowed(flow_namespace=self.flow_namespace, revision=self.revision, target=target, role=role):
            return
        saver = f"'{self.revision.saved_by_name}'" + (" (deleted since)" if self.revision.saved_by_id is None else "")
        raise ReachRefused(
            f"flow '{self.flow_namespace}.{self.flow_id}' may not reach namespace '{target}': that needs the "
            f"{role.label} role on it, which {saver}, who saved revision {self.revision.revision}, does not hold"
        )
