"""The desk of one replication: its teams, channels, clocks and policies, and the lifecycle of its tickets.

``Desk`` owns the state of a replication (teams, live tickets, records) and the lifecycle steps
the processes call: a ticket arrives, is routed, waits, is worked, waits on its customer, is
escalated (see ``escalator``), resolved, reopened or abandoned; the customer's side (patience,
hanging up, waiting on a reply) is the ``CustomerWaits`` mixin in ``customers``. Decisions come
from ``sim.scenario.policy``; time comes from ``processes``. ``replication`` starts what drives a
desk (arrivals, rosters, a starting backlog), runs it to the horizon and closes its books.

Optional mechanisms are built only when the scenario uses them: callbacks and retrials
(``journeys``), per-agent time records (``tracked``), agent groups sharing teams' queues (``groups``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from itertools import count

from sim.core.calendar import BusinessCalendar
from sim.engine.agent_time import (
    Tracked,
    TrackedGroup,
    TrackedSharedTeam,
    TrackedTeam,
)
from sim.engine.callbacks import Journeys, uses_journeys
from sim.engine.customers import CustomerWaits
from sim.engine.demand import CategoryDraws, ChannelDemand
from sim.engine.escalator import Escalator
from sim.engine.groups import Group, SharedTeam, Sharing
from sim.engine.kernel import Kernel
from sim.engine.processes import Process
from sim.engine.records import (
    ESCALATION_COLUMNS,
    TASK_COLUMNS,
    VISIT_COLUMNS,
    Columns,
    Event,
    EventLog,
    Exit,
    Levels,
    LogRow,
)
from sim.engine.sla import SlaClock
from sim.engine.sla_policies import SlaPolicies
from sim.engine.streams import Sampler, Stream, Streams
from sim.engine.teams import Agent, Pool, Team
from sim.engine.tickets import Session, Status, Task, Ticket, TicketTable, Wait
from sim.scenario.matching import route
from sim.scenario.sla_spec import FirstResponseEnd
from sim.scenario.spec import WEEKDAYS, Scenario
from sim.scenario.triggers import Action

# Names read once or more per ticket, as module constants: Python 3.11 does not specialise reading a
# class attribute (``Status.RESOLVED`` costs a type look-up each time), a module global it caches.
_ON_PICKUP = FirstResponseEnd.PICKUP
_CALLBACK = Session.CALLBACK
_WORK = Session.WORK
_IN_SERVICE = Status.IN_SERVICE
_RESOLVED = Status.RESOLVED
_ARRIVAL, _QUEUED, _PICKED_UP, _RESOLVED_EVENT = Event.ARRIVAL, Event.QUEUED, Event.PICKED_UP, Event.RESOLVED
_AWAIT, _RESOLVE = Action.AWAIT_CUSTOMER, Action.RESOLVE
_EXIT_RESOLVED = Exit.RESOLVED


FLUSH_EVERY = 1024
"""Ticket arrivals between two moves of the buffered records into columns (see ``Desk._tick``)."""


def build_calendars(scenario: Scenario) -> dict[str, BusinessCalendar]:
    """The scenario's business calendars, plus the built-in 24x7."""
    calendars = {"24x7": BusinessCalendar.always_open()}
    for spec in scenario.calendars:
        holidays = [(day - scenario.start_date).days for day in spec.holidays]
        calendars[spec.name] = BusinessCalendar(
            spec.name, [WEEKDAYS.index(d) for d in spec.days], spec.hours, holidays, scenario.start_weekday
        )
    return calendars


class Desk(CustomerWaits):
    """The state and lifecycle steps of one replication."""

    def __init__(
        self, scenario: Scenario, replication: int = 0, seed: int | None = None, record_events: bool = True
    ) -> None:
        self.scenario = scenario
        self.replication = replication
        self.seed = scenario.seed if seed is None else seed
        self.env = Kernel()
        self.streams = streams = Streams(self.seed, replication)
        self.log = EventLog()
        self.record: Callable[[LogRow], None] = self.log.add if record_events else _ignore
        self.levels = Levels([t.name for t in scenario.teams] + [g.name for g in scenario.agent_groups])
        self.journeys = Journeys(self) if uses_journeys(self) else None
        """Callbacks and retrials, when a channel has them (None: no per-ticket work for them)."""
        self.visits = Columns(VISIT_COLUMNS)
        self._until_flush = FLUSH_EVERY
        self.tasks = Columns(TASK_COLUMNS)
        self.escalations = Columns(ESCALATION_COLUMNS)
        self.calendars = build_calendars(scenario)
        numbers = count()
        self.tracked = any(p.shrinkage is not None for p in scenario.pools) or any(
            c.after_call_work is not None for c in scenario.channels
        )
        """Whether the run keeps per-agent time records (after-call work or shrinkage modelled)."""
        self.teams: dict[str, Team] = {}
        self.groups: list[Group] = []
        if scenario.agent_groups:
            self._share(scenario, numbers)
        else:
            own = TrackedTeam if self.tracked else Team
            self.teams = {spec.name: own(self.env, spec, self.levels, numbers) for spec in scenario.teams}
        if self.tracked:
            rules = {spec.name: spec.shrinkage for spec in scenario.pools}
            for pool in self.pools():
                assert isinstance(pool, Tracked)
                pool.track((scenario.warmup, scenario.horizon), rules[pool.name])
        self.wrap_up = {
            c.name: streams.sampler(Stream.WRAP_UP.of(c.name), c.after_call_work)
            for c in scenario.channels
            if c.after_call_work is not None
        }
        """After-call work per channel that has it."""
        self.channels = [
            ChannelDemand(spec, scenario.start_weekday, scenario.horizon, streams) for spec in scenario.channels
        ]
        self.draws = {
            c.name: CategoryDraws(c, scenario.priorities, scenario.segments, streams) for c in scenario.categories
        }
        self.rank = {name: i for i, name in enumerate(scenario.priorities)}
        self.categories = {c.name: c for c in scenario.categories}
        self.handle = {
            (c.name, t.name): streams.sampler(Stream.HANDLE.of(c.name, t.name), dist.scaled(t.handle_time_multiplier))
            for c in scenario.categories
            for t in scenario.teams
            if (dist := c.handle_time_for(t.name))
        }
        self._reply_handle = {
            (c.name, t.name): streams.sampler(
                Stream.REPLY_HANDLE.of(c.name, t.name), c.customer_reply.handle_time.scaled(t.handle_time_multiplier)
            )
            for c in scenario.categories
            for t in scenario.teams
            if c.customer_reply and c.customer_reply.handle_time
        }
        self._slowdown = {c.name: c.concurrency_slowdown for c in scenario.channels}
        self._reply_delay = {name: d.reply_delay for name, d in self.draws.items() if d.reply_delay is not None}
        """The customer's reply delay, for the categories whose tickets may wait on one."""
        self._fresh_patience = {
            (c.name, kind): streams.sampler(stream.of(c.name), c.patience)
            for c in scenario.channels
            if c.patience is not None
            for kind, stream in ((Wait.AFTER_TRANSFER, Stream.PATIENCE_TRANSFER), (Wait.RETURN, Stream.PATIENCE_RETURN))
            if kind == Wait.RETURN or c.patience_after_transfer == "fresh"
        }
        """Live channels: fresh patience for a customer who comes back, and after a transfer if the channel says so."""
        self._recipes: dict[tuple[str, str], tuple[Team, Sampler | None, CategoryDraws]] = {}
        self.live: dict[int, Ticket] = {}
        self.unspent_extra: dict[int, float] = {}
        """The self-service extra handle time of each ticket whose first session has not started (``spend_extra``)."""
        self.arrived = 0
        self.escalator = Escalator(self)
        self.sla = SlaPolicies(scenario, self.env, self.calendars, self.escalator.watches, self._milestone, self.record)
        self.table = TicketTable(
            sorted({a for c in scenario.categories for a in c.attributes}),
            journeys=self.journeys is not None,
            sla=self.sla.plans if scenario.sla_policies else None,
        )
        if self.journeys is not None and scenario.escalation.handoff.hold_fallback == "callback":
            self.escalator.hold_callback = self.journeys.promised_callback

    def _share(self, scenario: Scenario, numbers: count[int]) -> None:
        """Agent groups: the teams they serve share their queues; visits record who served each stay."""
        sharing = self.sharing = Sharing(self.env, scenario.agent_selection)
        served = {q.team for g in scenario.agent_groups for q in g.serves}
        shared: dict[str, SharedTeam] = {}
        for spec in scenario.teams:
            if spec.name in served:
                queue = (TrackedSharedTeam if self.tracked else SharedTeam)(
                    self.env, spec, self.levels, numbers, sharing
                )
                self.teams[spec.name] = shared[spec.name] = queue
            else:
                self.teams[spec.name] = (TrackedTeam if self.tracked else Team)(self.env, spec, self.levels, numbers)
        group = TrackedGroup if self.tracked else Group
        self.groups = [group(self.env, g, self.levels, shared, sharing) for g in scenario.agent_groups]
        self.visits = Columns({**VISIT_COLUMNS, "served_by": "c"})
        self.leave_team = self._leave_shared_team  # type: ignore[method-assign]

    def _leave_shared_team(self, ticket: Ticket, exit: str) -> None:
        """``leave_team`` with agent groups: the row also names the pool that first picked the stay up."""
        served_by = self.sharing.served.pop(ticket, "")
        self.visits.put(
            (ticket.id, ticket.team, ticket.entered_team_at, self.env.now, ticket.work_here, exit, served_by)
        )

    # -- arrival -------------------------------------------------------------------------------
    def admit(self, demand: ChannelDemand, now: float) -> None:
        """A ticket arrives: draw its category, then its other facts (``open_ticket``)."""
        self.open_ticket(demand, demand.category_at(now), now, 0.0)

    def open_ticket(self, demand: ChannelDemand, category: str, now: float, extra_work: float) -> Ticket:
        """A ticket of ``category`` arrives: draw its facts, start its clocks, send it to its first team.

        ``extra_work`` lengthens its first session (a contact self-service failed), whatever that session
        is: the work drawn for the first team, a failed attempt, or a triage that sends the ticket on.
        """
        team, handle, draws = self._recipes.get((demand.name, category)) or self._recipe(demand.name, category)
        priority = draws.priority.only or draws.draw_priority()
        reply_u = draws.reply_u
        ticket = Ticket(
            self.arrived,
            demand.name,
            category,
            priority,
            self.rank[priority],
            draws.segment.only or draws.draw_segment(),
            now,
            demand.concurrency,
            draws.draw_attributes() if draws.attributes else {},
            demand.patience() if demand.patience else None,
            handle() if handle is not None else None,
            reply_u is not None and reply_u() < draws.reply_probability,  # will the customer be asked for a reply?
        )
        if extra_work:
            self.unspent_extra[ticket.id] = extra_work
        self.admit_ticket(ticket, team)
        return ticket

    def admit_ticket(self, ticket: Ticket, team: Team) -> None:
        """A new ticket arrives now for ``team``: arrival rules, SLA clocks, then its first queue."""
        self.arrived += 1
        self.live[ticket.id] = ticket
        self._tick()
        self.record((ticket.arrival, ticket.id, _ARRIVAL, "", ticket.channel))
        routed = team
        if self.escalator.arrival_rules:
            team = self.escalator.on_arrival(ticket, team)
        ticket.arrival_priority = ticket.priority
        if self.scenario.sla_policies:
            self.sla.start(ticket)
        if team is not routed:
            self.escalator.start_updates(ticket)
        ticket.first_team = team.name
        self.enter_team(ticket, team)

    def admit_waiting(self, ticket: Ticket, team: Team) -> None:
        """A ticket of the starting backlog joins ``team``'s queue at time 0, its clocks started at its arrival."""
        self.arrived += 1
        self.live[ticket.id] = ticket
        self._tick()
        self.record((ticket.arrival, ticket.id, _ARRIVAL, "", ticket.channel))
        ticket.arrival_priority = ticket.priority
        if self.scenario.sla_policies:
            self.sla.start(ticket)
        ticket.first_team = team.name
        self.enter_team(ticket, team)

    def _recipe(self, channel: str, category: str) -> tuple[Team, Sampler | None, CategoryDraws]:
        """First team, its handle-time sampler and the category's draws, for a new ticket (kept in ``_recipes``).

        A first team that lacks the category's skill may have no handle time for it: it only triages
        the ticket, and the team it moves the ticket to draws the work (no sampler, nothing pre-drawn).
        """
        team = route(self.scenario.routing, channel, category)
        assert team is not None  # the scenario checks route every category a channel can produce
        recipe = (self.teams[team], self.handle.get((category, team)), self.draws[category])
        self._recipes[channel, category] = recipe
        return recipe

    def enter_team(self, ticket: Ticket, team: Team) -> None:
        """The ticket starts a stay at ``team`` and joins its queue."""
        now = ticket.entered_team_at = self.env.now
        ticket.work_here = 0.0
        if not ticket.path.endswith(team.name):
            ticket.path = f"{ticket.path}>{team.name}" if ticket.path else team.name
        self._join(ticket, team, now)

    def leave_team(self, ticket: Ticket, exit: str) -> None:
        """Close the ticket's stay at its current team (resolved, escalated, abandoned, open)."""
        self.visits.put((ticket.id, ticket.team, ticket.entered_team_at, self.env.now, ticket.work_here, exit))

    def enqueue(self, item: Ticket | Task, team: Team) -> None:
        """Send work to the team; log 'queued' when a ticket has to wait (tasks log task_queued)."""
        self._join(item, team, self.env.now)

    def _join(self, item: Ticket | Task, team: Team, now: float) -> None:
        """``enqueue`` at ``now`` (the current time, which the caller has at hand).

        A live ticket (one with a patience) that has to wait is abandoned if its patience runs out first.
        """
        if not team.enqueue(item, now) and isinstance(item, Ticket):
            self.record((now, item.id, _QUEUED, team.name, ""))
            if self.escalator.queue_waits:
                self.escalator.on_queued(item, team)
            if item.patience is not None:
                if self.journeys is not None and self.journeys.offer(item, team):
                    return  # waits as a callback: off the line, no patience runs
                self.env.timeout(max(item.patience, 0.0)).callbacks.append(partial(self._give_up, item, item.queue_seq))

    def _milestone(self, clock: SlaClock, fraction: float, when: float) -> None:
        """An SLA clock reached a warning or its breach (its ticket is live: a finished ticket has no clock running)."""
        ticket = self.live[clock.ticket]
        if fraction >= 1.0:
            self.record((when, ticket.id, Event.SLA_BREACH, ticket.team, clock.name))
        else:
            self.record((when, ticket.id, Event.SLA_WARNING, ticket.team, f"{clock.name}@{fraction:.0%}"))
        self.escalator.on_milestone(ticket, clock.name, fraction)

    # -- work ----------------------------------------------------------------------------------
    def begin_work(self, item: Ticket | Task, team: Team) -> float:
        """An agent picks the work up; returns the time this session takes."""
        if isinstance(item, Task):
            return self.escalator.begin_task(item, team)
        ticket = item
        if ticket.journey is not None and ticket.journey.pending:
            assert self.journeys is not None
            return self.journeys.attempt(ticket, team)
        now = self.env.now
        ticket.status = _IN_SERVICE
        ticket.sessions += 1
        waited = now - ticket.queued_at
        ticket.waited += waited
        if ticket.patience is not None:
            ticket.patience -= waited
        if ticket.answered_at != ticket.answered_at:
            ticket.answered_at = now
        work, kind = self.escalator.session_work(ticket, team)
        ticket.session_kind = kind
        if ticket.response_on == _ON_PICKUP and kind == _WORK:
            self.sla.responded(ticket)
        self.record((now, ticket.id, _PICKED_UP, team.name, "" if kind == _WORK else kind))
        return work

    def work_time(self, ticket: Ticket, team: Team) -> float:
        """The handle time of this session: pre-drawn at arrival for the first one, else fresh; plus ``spend_extra``."""
        work = ticket.next_work
        ticket.next_work = None
        if work is None:
            work = self.handle[ticket.category, team.name]()
        return work + self.unspent_extra.pop(ticket.id, 0.0) if self.unspent_extra else work

    def spend_extra(self, ticket: Ticket) -> float:
        """The self-service extra handle time the ticket's first session takes; 0 for every later session."""
        return self.unspent_extra.pop(ticket.id, 0.0) if self.unspent_extra else 0.0

    def chat_slowdown(self, item: Ticket | Task) -> float:
        """Handle-time increase per other chat the agent holds (the channel's ``concurrency_slowdown``)."""
        return self._slowdown[item.channel] if isinstance(item, Ticket) else 0.0

    def end_work(self, item: Ticket | Task, team: Team, work: float, agent: Agent) -> Process | None:
        """``agent``'s session is over: decide what follows. May return a process the agent stays on for."""
        if isinstance(item, Task):
            self.escalator.end_task(item, team, work)
            return None
        ticket = item
        ticket.work_time += work
        ticket.work_here += work
        if ticket.session_kind == _CALLBACK:  # an outbound callback attempt that did not reach the customer
            assert self.journeys is not None
            self.journeys.unreached(ticket, team)
            return None
        decision = self.escalator.after_session(ticket, team)
        if decision.action == _AWAIT:
            self._await_customer(ticket, team)
        elif decision.action == _RESOLVE:
            self.resolve(ticket, team)
        else:
            return self.escalator.apply(ticket, team, decision, agent)
        return None

    def wrap_time(self, item: Ticket | Task) -> float:
        """The after-call work following this session of ``item`` (0 for a task or a channel without)."""
        draw = self.wrap_up.get(item.channel) if isinstance(item, Ticket) else None
        if draw is None or not isinstance(item, Ticket):
            return 0.0
        wrap = draw()
        item.wrap_time += wrap
        return wrap

    def wrapped(self, item: Ticket | Task, team: Team) -> None:
        """The agent's after-call work on ``item`` is done."""
        self.record((self.env.now, item.id, Event.WRAP_UP_DONE, team.name, ""))

    def resolve(self, ticket: Ticket, team: Team) -> None:
        """The ticket is resolved by ``team``; it may still reopen later."""
        now = self.env.now
        ticket.status = _RESOLVED
        ticket.resolved_at = now
        if ticket.first_resolved_at != ticket.first_resolved_at:
            ticket.first_resolved_at = now
        ticket.resolving_team = team.name
        if ticket.sla_plans or ticket.clocks:
            self.sla.resolved(ticket)
        self.record((now, ticket.id, _RESOLVED_EVENT, team.name, ""))
        self.leave_team(ticket, _EXIT_RESOLVED)
        if self.escalator.after_resolution:
            self.escalator.on_resolved(ticket, team)
        if not ticket.reopen_pending:
            self._finish(ticket)

    def reopen(self, ticket: Ticket, team: Team) -> None:
        """A resolved ticket comes back and joins ``team``'s queue again."""
        ticket.reopen_pending = False
        ticket.reopens += 1
        ticket.status = Status.WAITING
        now = self.env.now
        ticket.closed_time += now - ticket.resolved_at
        self.sla.reopened(ticket)
        ticket.resolved_at = math.nan
        ticket.resolving_team = ""
        self.record((self.env.now, ticket.id, Event.REOPENED, team.name, ""))
        self.wait_again(ticket, Wait.RETURN)
        self.enter_team(ticket, team)

    def _finish(self, ticket: Ticket) -> None:
        del self.live[ticket.id]
        self.table.add(ticket)

    def _tick(self) -> None:
        """Count a ticket's arrival; every ``FLUSH_EVERY`` arrivals, move the buffered records into columns.

        The hot-path records (event log, levels, visits, tickets) append to plain lists without a
        check. Every record is about a ticket in the system, so the rows buffered between two
        counts are bounded by the arrivals in between and the tickets they find there.
        """
        self._until_flush -= 1
        if not self._until_flush:
            self._until_flush = FLUSH_EVERY
            for table in (self.log, self.levels, self.visits, self.table):
                table.flush()

    def pools(self) -> list[Pool]:
        """Every pool of agents: the teams' own agents, then the agent groups."""
        return [*self.teams.values(), *self.groups]


def _ignore(_: LogRow) -> None:
    """Event recording switched off (long benchmark runs that only need the ticket table)."""
