"""The one table of the 19 ValueFlows 1.0 actions and what each does to a resource.

Every rule about events (which quantity applies, what happens to a resource's accounting and
onhand quantities, its location, container, accountable agent, stage and state) is driven by this
table, so the behaviour lives in one place and a test (``tests/test_vf_actions.py``) holds it equal
to the VF ontology (``../shared/vf/all_vf.ttl``, VF 1.0.0). The facts are written out here rather
than read from that file because the code must run without ``../shared``.

Each behaviour field holds the local name of the ontology's individual (``"decrementIncrement"``,
``"updateTo"``, ...) so a reader can compare a row with the TTL word for word; ``None`` stands for
``vf:notApplicable``, which lets the rules write ``if action.onhand_effect:``.
"""

from __future__ import annotations

from dataclasses import dataclass

from reflow.errors import RuleViolation

__all__ = ["ACTIONS", "LEGACY_IDS", "Action", "get_action"]


@dataclass(frozen=True, slots=True)
class Action:
    """One ``vf:Action`` individual; frozen because the table is shared by every rule."""

    id: str
    label: str
    status: str
    comment: str
    input_output: str | None
    pairs_with: str | None
    create_resource: str | None
    event_quantity: str | None
    accounting_effect: str | None
    onhand_effect: str | None
    location_effect: str | None
    contained_effect: str | None
    accountable_effect: str | None
    stage_effect: str | None
    state_effect: str | None

    @property
    def is_input(self) -> bool:
        """True if the event may be an input of a process (``inputOf``)."""
        return self.input_output == "input"

    @property
    def is_output(self) -> bool:
        """True if the event may be an output of a process (``outputOf``).

        ``outputInput`` (only ``deliverService``) counts as output: the process that delivers the
        service records it as an output; that the same event may also be an input of the
        receiving process is a second role, which ``is_output_input`` exposes.
        """
        return self.input_output in ("output", "outputInput")

    @property
    def is_output_input(self) -> bool:
        """True for services, which leave one process and may enter another."""
        return self.input_output == "outputInput"

    @property
    def has_no_process(self) -> bool:
        """True if the event must not be attached to a process at all.

        These are the transfers, ``move``, ``copy`` and the ``raise``/``lower`` corrections:
        they change who holds a resource or how much is recorded, not what a process makes.
        """
        return self.input_output is None

    @property
    def is_transfer_like(self) -> bool:
        """Alias of ``has_no_process``, kept for the rules that think in terms of transfers."""
        return self.has_no_process

    @property
    def uses_resource_quantity(self) -> bool:
        """True if ``resourceQuantity`` applies (``resource`` or ``both``)."""
        return self.event_quantity in ("resource", "both")

    @property
    def uses_effort_quantity(self) -> bool:
        """True if ``effortQuantity`` applies (``effort`` or ``both``); it never moves stock."""
        return self.event_quantity in ("effort", "both")


_TABLE: tuple[Action, ...] = (
    Action(
        id="produce",
        label="produce",
        status="stable",
        comment=(
            "New resource was created in that process or an existing stock resource was added to."
        ),
        input_output="output",
        pairs_with=None,
        create_resource="optional",
        event_quantity="resource",
        accounting_effect="increment",
        onhand_effect="increment",
        location_effect="new",
        contained_effect=None,
        accountable_effect="new",
        stage_effect="update",
        state_effect="update",
    ),
    Action(
        id="consume",
        label="consume",
        status="stable",
        comment=(
            "The consumed ingredient goes into the process, after the process the ingredient "
            "is gone."
        ),
        input_output="input",
        pairs_with=None,
        create_resource=None,
        event_quantity="resource",
        accounting_effect="decrement",
        onhand_effect="decrement",
        location_effect=None,
        contained_effect=None,
        accountable_effect=None,
        stage_effect=None,
        state_effect="update",
    ),
    Action(
        id="use",
        label="use",
        status="stable",
        comment="For example a tool used in process; after the process, the tool still exists.",
        input_output="input",
        pairs_with=None,
        create_resource=None,
        event_quantity="both",
        accounting_effect=None,
        onhand_effect=None,
        location_effect=None,
        contained_effect=None,
        accountable_effect=None,
        stage_effect=None,
        state_effect="update",
    ),
    Action(
        id="work",
        label="work",
        status="stable",
        comment="Labor applied to a process.",
        input_output="input",
        pairs_with=None,
        create_resource=None,
        event_quantity="effort",
        accounting_effect=None,
        onhand_effect=None,
        location_effect=None,
        contained_effect=None,
        accountable_effect=None,
        stage_effect=None,
        state_effect=None,
    ),
    Action(
        id="cite",
        label="cite",
        status="stable",
        comment=(
            "For example a design file, neither used nor consumed, the file remains available "
            "at all times."
        ),
        input_output="input",
        pairs_with=None,
        create_resource=None,
        event_quantity="resource",
        accounting_effect=None,
        onhand_effect=None,
        location_effect=None,
        contained_effect=None,
        accountable_effect=None,
        stage_effect=None,
        state_effect="update",
    ),
    Action(
        id="deliverService",
        label="deliver service",
        status="stable",
        comment=(
            "New service produced and delivered (a service implies that an agent actively "
            "receives the service)."
        ),
        input_output="outputInput",
        pairs_with=None,
        create_resource=None,
        event_quantity="resource",
        accounting_effect=None,
        onhand_effect=None,
        location_effect=None,
        contained_effect=None,
        accountable_effect=None,
        stage_effect=None,
        state_effect=None,
    ),
    Action(
        id="pickup",
        label="pickup",
        status="stable",
        comment=(
            "Transported resource or person enters the process; the same resource will appear "
            "in the output."
        ),
        input_output="input",
        pairs_with="dropoff",
        create_resource=None,
        event_quantity="resource",
        accounting_effect=None,
        onhand_effect="decrement",
        location_effect="update",
        contained_effect=None,
        accountable_effect=None,
        stage_effect=None,
        state_effect="update",
    ),
    Action(
        id="dropoff",
        label="dropoff",
        status="stable",
        comment=(
            "Transported resource or person leaves the process; the same resource or person "
            "appeared in the input."
        ),
        input_output="output",
        pairs_with="pickup",
        create_resource=None,
        event_quantity="resource",
        accounting_effect=None,
        onhand_effect="increment",
        location_effect="update",
        contained_effect=None,
        accountable_effect=None,
        stage_effect="update",
        state_effect="update",
    ),
    Action(
        id="accept",
        label="accept",
        status="stable",
        comment=(
            "In processes like repair or a new stage or testing, the same identified resource "
            "will appear in the output."
        ),
        input_output="input",
        pairs_with="modify",
        create_resource=None,
        event_quantity="resource",
        accounting_effect=None,
        onhand_effect="decrement",
        location_effect="update",
        contained_effect=None,
        accountable_effect=None,
        stage_effect=None,
        state_effect="update",
    ),
    Action(
        id="modify",
        label="modify",
        status="stable",
        comment=(
            "In processes like repair or a new stage or testing, the same identified resource "
            "will appear in the input."
        ),
        input_output="output",
        pairs_with="accept",
        create_resource=None,
        event_quantity="resource",
        accounting_effect=None,
        onhand_effect="increment",
        location_effect="update",
        contained_effect=None,
        accountable_effect=None,
        stage_effect="update",
        state_effect="update",
    ),
    Action(
        id="combine",
        label="combine",
        status="unstable",
        comment="A resource is combined with other resources into a container resource.",
        input_output="input",
        pairs_with=None,
        create_resource=None,
        event_quantity="resource",
        accounting_effect=None,
        onhand_effect="decrement",
        location_effect=None,
        contained_effect="update",
        accountable_effect=None,
        stage_effect=None,
        state_effect="update",
    ),
    Action(
        id="separate",
        label="unpack",
        status="testing",
        comment="A resource is removed from a container resource.",
        input_output="output",
        pairs_with=None,
        create_resource=None,
        event_quantity="resource",
        accounting_effect=None,
        onhand_effect="increment",
        location_effect=None,
        contained_effect="remove",
        accountable_effect=None,
        stage_effect="update",
        state_effect="update",
    ),
    Action(
        id="transfer",
        label="transfer",
        status="stable",
        comment="Give full rights and responsibilities plus physical custody.",
        input_output=None,
        pairs_with=None,
        create_resource="optionalTo",
        event_quantity="resource",
        accounting_effect="decrementIncrement",
        onhand_effect="decrementIncrement",
        location_effect="updateTo",
        contained_effect=None,
        accountable_effect="updateTo",
        stage_effect=None,
        state_effect="updateTo",
    ),
    Action(
        id="transferAllRights",
        label="transfer all rights",
        status="testing",
        comment=(
            "Give full (in the human realm) rights and responsibilities to another agent, "
            "without transferring physical custody."
        ),
        input_output=None,
        pairs_with=None,
        create_resource="optionalTo",
        event_quantity="resource",
        accounting_effect="decrementIncrement",
        onhand_effect=None,
        location_effect=None,
        contained_effect=None,
        accountable_effect="updateTo",
        stage_effect=None,
        state_effect="updateTo",
    ),
    Action(
        id="transferCustody",
        label="transfer custody",
        status="testing",
        comment=(
            "Give physical custody and control of a resource, without full accounting or "
            "ownership rights."
        ),
        input_output=None,
        pairs_with=None,
        create_resource="optionalTo",
        event_quantity="resource",
        accounting_effect=None,
        onhand_effect="decrementIncrement",
        location_effect="updateTo",
        contained_effect=None,
        accountable_effect=None,
        stage_effect=None,
        state_effect="updateTo",
    ),
    Action(
        id="move",
        label="move",
        status="testing",
        comment=(
            "Change location and possibly identifier, if location is part of the "
            "identification, of a resource with no change of agent rights or possession."
        ),
        input_output=None,
        pairs_with=None,
        create_resource="optionalTo",
        event_quantity="resource",
        accounting_effect="decrementIncrement",
        onhand_effect="decrementIncrement",
        location_effect="updateTo",
        contained_effect=None,
        accountable_effect=None,
        stage_effect=None,
        state_effect="updateTo",
    ),
    Action(
        id="copy",
        label="copy",
        status="unstable",
        comment="Create a new version of the resource, without any change to the original.",
        input_output=None,
        pairs_with=None,
        create_resource="optionalTo",
        event_quantity="resource",
        accounting_effect="incrementTo",
        onhand_effect="incrementTo",
        location_effect="new",
        contained_effect=None,
        accountable_effect="new",
        stage_effect=None,
        state_effect="updateTo",
    ),
    Action(
        id="raise",
        label="raise",
        status="stable",
        comment="Adjusts a quantity up based on a beginning balance or inventory count.",
        input_output=None,
        pairs_with=None,
        create_resource="optional",
        event_quantity="resource",
        accounting_effect="increment",
        onhand_effect="increment",
        location_effect=None,
        contained_effect=None,
        accountable_effect="new",
        stage_effect=None,
        state_effect="update",
    ),
    Action(
        id="lower",
        label="lower",
        status="stable",
        comment="Adjusts a quantity down based on a beginning balance or inventory count.",
        input_output=None,
        pairs_with=None,
        create_resource="optional",
        event_quantity="resource",
        accounting_effect="decrement",
        onhand_effect="decrement",
        location_effect=None,
        contained_effect=None,
        accountable_effect="new",
        stage_effect=None,
        state_effect="update",
    ),
)

#: All 19 VF 1.0 actions keyed by their camelCase id, in the order of a resource's life.
ACTIONS: dict[str, Action] = {action.id: action for action in _TABLE}

#: Kebab-case ids that Bonfire and hREA (pre-1.0 VF) still send; mapped, never stored.
LEGACY_IDS: dict[str, str] = {
    "transfer-all-rights": "transferAllRights",
    "transfer-custody": "transferCustody",
    "deliver-service": "deliverService",
}


def get_action(action_id: str) -> Action:
    """Look an action up, so that a misspelt id fails loudly at the edge instead of deep in a rule.

    The older kebab-case ids are accepted so records coming from Bonfire or hREA need no rewrite.
    """
    found = ACTIONS.get(LEGACY_IDS.get(action_id, action_id))
    if found is None:
        valid = ", ".join(ACTIONS)
        raise RuleViolation(
            f"unknown action {action_id!r}; valid VF 1.0 actions are: {valid}",
            field="action",
            rule="vf-action",
        )
    return found
