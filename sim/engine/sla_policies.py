"""The scenario's SLA policies applied to a replication's tickets: which policy covers a ticket, and its clocks.

A ticket falls under the first SLA policy whose conditions it meets when it arrives, and starts
that policy's clocks (first response, resolution; see ``sla``). The desk tells this module what
happens to the ticket (the first response, a wait on the customer, resolution, a reopening, a
priority change, abandonment) and it moves the clocks accordingly; an SLA met is logged here,
warnings and breaches by the desk's milestone callback, which knows the live ticket.

Most tickets run their clocks straight from arrival to their goals, inside the targets. Such
*unbroken* clocks need no state but the policy's plans (``Ticket.sla_plans``) and the times their
goals were met, so a ticket gets ``SlaClock`` objects only when something else happens to it: a
pause, a reopening, a priority change, abandonment, a goal reached so late that a warning may have
fallen first, or the horizon with a clock still running. The objects are then built as the clocks
would be by then, and carry on. An unbroken clock's due date depends on the arrival alone, so the
ticket table works those out for all rows at once. Clocks that a rule watches (live) are built at
arrival, since their milestones must be scheduled.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from sim.core.calendar import BusinessCalendar
from sim.engine.records import Event, LogRow
from sim.engine.sla import SLACK, ClockPlan, Milestone, SlaClock, milestones
from sim.engine.tickets import Ticket
from sim.scenario.matching import sla_policy_for
from sim.scenario.sla_spec import ClockName, SlaPolicy, SlaReopen
from sim.scenario.spec import Scenario

Key = tuple[str, str, str, str]
"""What an SLA policy's conditions look at: (priority, channel, segment, category)."""

Start = tuple[str, str, tuple[ClockPlan, ...], bool]
"""What starting a ticket's clocks needs: the policy's name, what ends its first-response clock ("" if
none), its clocks' plans, and whether any of them is live (then they are built at once)."""


class SlaPolicies:
    """The SLA policies of one replication, and the clocks of its tickets."""

    def __init__(
        self,
        scenario: Scenario,
        env: simpy.Environment,
        calendars: dict[str, BusinessCalendar],
        watches: Callable[[str], bool],
        on_milestone: Milestone,
        record: Callable[[LogRow], None],
    ) -> None:
        self.policies = scenario.sla_policies
        self.by_name = {p.name: p for p in scenario.sla_policies}
        self.env = env
        self.record = record
        self.plans = {p.name: _plans(p, env, calendars, watches, on_milestone) for p in scenario.sla_policies}
        """The clocks each policy starts, worked out once: every ticket it covers starts them."""
        self._matching: dict[Key, SlaPolicy | None] = {}
        self._starts: dict[Key, Start | None] = {}
        """``Start`` per key, filled as tickets bring them; None when no policy matches."""

    def policy_for(self, ticket: Ticket) -> SlaPolicy | None:
        """The policy whose conditions the ticket meets now (the first in the scenario's order), if any."""
        key = (ticket.priority, ticket.channel, ticket.segment, ticket.category)
        if key not in self._matching:
            self._matching[key] = sla_policy_for(self.policies, *key)
        return self._matching[key]

    def start(self, ticket: Ticket) -> None:
        """A ticket arrives: start the clocks of the policy that covers it (none if no policy does)."""
        key = (ticket.priority, ticket.channel, ticket.segment, ticket.category)
        try:
            start = self._starts[key]
        except KeyError:
            chosen = self.policy_for(ticket)
            start = self._starts[key] = None if chosen is None else self._start_of(chosen)
        if start is None:
            return
        ticket.sla_policy, response_on, plans, live = start
        if response_on:
            ticket.response_on = response_on
        if live:
            arrival, number = ticket.arrival, ticket.id
            ticket.clocks = tuple([SlaClock(plan, arrival, number) for plan in plans])
        else:
            ticket.sla_plans = plans

    def _start_of(self, chosen: SlaPolicy) -> Start:
        response_on = chosen.first_response_ends if chosen.first_response is not None else ""
        plans = self.plans[chosen.name]
        return chosen.name, response_on, plans, any(plan.live for plan in plans)

    @staticmethod
    def clocks(ticket: Ticket) -> tuple[SlaClock, ...]:
        """The ticket's clocks as objects, built from its unbroken clocks the first time they are needed.

        An unbroken clock met at some time is built as it was then: started at the arrival and
        stopped, met, at that time (which reports nothing: ``stop`` only met it this way when no
        milestone could have been reached).
        """
        plans = ticket.sla_plans
        if plans:
            arrival, number = ticket.arrival, ticket.id
            clocks = []
            for plan in plans:
                clock = SlaClock(plan, arrival, number)
                met_at = ticket.met_at(plan.name)
                if met_at == met_at:
                    clock.stop(met_at, fulfilled=True)
                clocks.append(clock)
            ticket.clocks = tuple(clocks)
            ticket.sla_plans = ()
        return ticket.clocks

    @staticmethod
    def has_clocks(ticket: Ticket) -> bool:
        """Whether the ticket's SLA policy started any clock (as objects or unbroken)."""
        return bool(ticket.clocks or ticket.sla_plans)

    def reevaluate(self, ticket: Ticket) -> None:
        """The ticket's priority changed: the SLA policy that now matches sets its clocks' targets.

        Targets stay measured from the clocks' start (Zendesk, Freshdesk). A clock the new policy
        does not define keeps its target; a ticket that no policy matches any more keeps its policy.
        """
        chosen = self.policy_for(ticket) if self.has_clocks(ticket) else None
        if chosen is None or chosen.name == ticket.sla_policy:
            return
        ticket.sla_policy = chosen.name
        now = self.env.now
        plans = {plan.name: plan for plan in self.plans[chosen.name]}
        for clock in self.clocks(ticket):
            plan = plans.get(clock.name)
            if plan is not None:
                clock.retarget(now, plan.target, plan.fractions)
        if ticket.response_on and chosen.first_response is not None:
            ticket.response_on = chosen.first_response_ends

    def responded(self, ticket: Ticket) -> None:
        """The first response the ticket's policy counts: its first-response clock stops, met."""
        ticket.response_on = ""
        self.stop(ticket, ClockName.FIRST_RESPONSE)

    def resolved(self, ticket: Ticket) -> None:
        """The ticket is resolved: a first-response clock still running stops met, then the resolution clock."""
        if ticket.response_on:
            self.responded(ticket)
        self.stop(ticket, ClockName.RESOLUTION)

    def stop(self, ticket: Ticket, name: str) -> None:
        """The ticket's clock ``name`` (if it has one) reaches its goal now; an SLA met is logged.

        An unbroken clock stays one when its first milestone is more wall minutes away than have
        passed since the arrival (business time never runs faster): it is met now, with nothing to report.
        """
        now = self.env.now
        for plan in ticket.sla_plans:
            if plan.name == name:  # a ticket has one clock of each name
                met_at = ticket.met_at(name)
                if met_at == met_at:  # met before
                    return
                if now - ticket.arrival < plan.fractions[0] * plan.target - SLACK:
                    ticket.goal_met(name, now)
                    self.record((now, ticket.id, Event.SLA_MET, ticket.team, name))
                    return
                break
        for clock in self.clocks(ticket):
            if clock.name == name:
                if clock.stop(now, fulfilled=True):
                    self.record((now, ticket.id, Event.SLA_MET, ticket.team, name))
                return

    def wait_on_customer(self, ticket: Ticket) -> bool:
        """The ticket waits on its customer: its clocks pause if its policy says so; returns whether they did."""
        chosen = self.by_name.get(ticket.sla_policy)
        if chosen is None or not chosen.pause_while_waiting_on_customer:
            return False
        now = self.env.now
        for clock in self.clocks(ticket):
            clock.pause(now)
        return True

    def customer_replied(self, ticket: Ticket) -> None:
        """The customer replied: the clocks paused for the wait run again."""
        now = self.env.now
        for clock in ticket.clocks:
            clock.resume(now)

    def reopened(self, ticket: Ticket) -> None:
        """A resolved ticket came back: its resolution clock counts again, on or anew as its policy says."""
        if not self.has_clocks(ticket):
            return
        restart = self.by_name[ticket.sla_policy].on_reopen == SlaReopen.RESTART
        now = self.env.now
        for clock in self.clocks(ticket):
            if clock.name == ClockName.RESOLUTION:
                clock.reopen(now, restart=restart)

    def abandoned(self, ticket: Ticket) -> None:
        """The customer gave up: every running clock stops, unmet."""
        now = self.env.now
        for clock in self.clocks(ticket):
            clock.stop(now, fulfilled=False)

    def settle(self, ticket: Ticket, now: float) -> None:
        """The run ends at ``now`` with the ticket open: report the milestones its running clocks reached."""
        if any(ticket.met_at(plan.name) != ticket.met_at(plan.name) for plan in ticket.sla_plans):
            self.clocks(ticket)
        for clock in ticket.clocks:
            clock.settle(now)


def _plans(
    policy: SlaPolicy,
    env: simpy.Environment,
    calendars: dict[str, BusinessCalendar],
    watches: Callable[[str], bool],
    on_milestone: Milestone,
) -> tuple[ClockPlan, ...]:
    """The clocks ``policy`` starts, in order: first response, then resolution (those it defines)."""
    fractions = milestones(policy.warnings)
    plans = []
    for name, spec in ((ClockName.FIRST_RESPONSE, policy.first_response), (ClockName.RESOLUTION, policy.resolution)):
        if spec is not None:
            calendar = calendars[spec.calendar]
            plans.append(
                ClockPlan(env, on_milestone, name, spec.target, calendar, fractions, watches(name), calendar.adder())
            )
    return tuple(plans)
