"""Cross-checks of a scenario: every name points somewhere, and every ticket can be worked.

The schema modules check each record on its own; these checks tie records together (a routing
rule naming a team that does not exist, a category that can reach a team with no handle time for
it, an escalation rule naming an unknown segment) and report the exact field path of each problem,
so a planner can fix the file from the message alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping

from sim.core.units import MINUTES_PER_DAY
from sim.scenario.bounds import bound_problems
from sim.scenario.demand_extras import MAX_BACKLOG_AGE
from sim.scenario.fields import Path
from sim.scenario.matching import route
from sim.scenario.sla_spec import ClockName
from sim.scenario.spec import CategorySpec, Scenario, TeamSpec
from sim.scenario.triggers import Phase, escalation_reasons, in_phase


def reference_problems(s: Scenario) -> Iterator[tuple[Path, str]]:
    """Yield (field path, message) for every name that points nowhere or contradicts another."""
    yield from _unique_names(s)
    categories = {c.name for c in s.categories}
    teams = {t.name: t for t in s.teams}
    calendars = {"24x7"} | {c.name for c in s.calendars}
    if s.warmup >= s.horizon:
        yield ("warmup",), f"warmup ({s.warmup:g} min) must be shorter than the horizon ({s.horizon:g} min)"
    yield from bound_problems(s)
    for i, ch in enumerate(s.channels):
        yield from _known(("channels", i, "category_mix"), ch.category_mix, categories, "category")
        if sum(ch.category_mix.values()) <= 0:
            yield ("channels", i, "category_mix"), "at least one category needs a positive weight"
        for j, surge in enumerate(ch.surges):
            if surge.category_mix is not None:
                yield from _known(
                    ("channels", i, "surges", j, "category_mix"), surge.category_mix, categories, "category"
                )
                if sum(surge.category_mix.values()) <= 0:
                    yield ("channels", i, "surges", j, "category_mix"), "at least one category needs a positive weight"
    for i, cat in enumerate(s.categories):
        yield from _known(("categories", i, "priority"), cat.priority or {}, set(s.priorities), "priority")
        yield from _known(("categories", i, "segment"), cat.segment or {}, set(s.segments), "segment")
        for mix in ("priority", "segment"):
            weights = getattr(cat, mix)
            if weights is not None and sum(weights.values()) <= 0:
                yield ("categories", i, mix), f"at least one {mix} needs a positive weight (or leave the mix out)"
        if isinstance(cat.handle_time, dict):
            yield from _known(("categories", i, "handle_time"), cat.handle_time, set(teams), "team")
    yield from _agent_groups(s)
    served = {q.team for g in s.agent_groups for q in g.serves}
    for i, team in enumerate(s.teams):
        yield from _staffed(("teams", i), team, team.name in served)
        channel_names = [c.name for c in s.channels]
        for j, channel in enumerate(team.channel_order):
            if channel not in channel_names:
                yield ("teams", i, "channel_order", j), _unknown("channel", channel, channel_names)
            elif channel in team.channel_order[:j]:
                yield ("teams", i, "channel_order", j), f"channel {channel!r} is listed twice"
    yield from _supervisor_cycles(s)
    for i, calendar in enumerate(s.calendars):
        if not calendar.days or not calendar.hours:
            yield ("calendars", i), "a calendar needs at least one open day and one window of hours"
    for i, rule in enumerate(s.routing):
        if rule.channel is not None and rule.channel not in {c.name for c in s.channels}:
            yield ("routing", i, "channel"), _unknown("channel", rule.channel, [c.name for c in s.channels])
        if rule.category is not None and rule.category not in categories:
            yield ("routing", i, "category"), _unknown("category", rule.category, sorted(categories))
        if rule.team not in teams:
            yield ("routing", i, "team"), _unknown("team", rule.team, list(teams))
    for i, policy in enumerate(s.sla_policies):
        for clock in ClockName.all():
            spec = getattr(policy, clock)
            if spec is not None and spec.calendar not in calendars:
                yield ("sla_policies", i, clock, "calendar"), _unknown("calendar", spec.calendar, sorted(calendars))
        for field, allowed in (
            ("priority", s.priorities),
            ("segment", s.segments),
            ("channel", [c.name for c in s.channels]),
            ("category", sorted(categories)),
        ):
            for j, value in enumerate(getattr(policy.match, field)):
                if value not in allowed:
                    yield ("sla_policies", i, "match", field, j), _unknown(field, value, allowed)
    yield from _routes_are_workable(s)
    yield from arrival_extra_problems(s)
    yield from _timeless_failures(s)
    yield from _timeless_reopens(s)
    yield from escalation_problems(s)
    yield from _callback_fallback(s)


def _callback_fallback(s: Scenario) -> Iterator[tuple[Path, str]]:
    """A warm hold that falls back to a callback needs the callback settings of every live channel."""
    handoff = s.escalation.handoff
    if handoff.hold_fallback != "callback":
        return
    if handoff.mode != "warm":
        yield ("escalation", "handoff", "hold_fallback"), "'callback' applies to warm handoffs: set 'mode: warm'"
    for i, ch in enumerate(s.channels):
        if ch.patience is not None and ch.callback is None:
            yield (
                ("channels", i, "callback"),
                f"escalation.handoff.hold_fallback is 'callback': live channel {ch.name!r} needs 'callback' "
                "settings (write 'offer_when_wait_over: null' for callbacks only as the fallback)",
            )


def _timeless_failures(s: Scenario) -> Iterator[tuple[Path, str]]:
    """An attempt that can fail must take time: else failures repeat forever at one instant (a hang)."""
    for i, cat in enumerate(s.categories):
        for team, p in cat.resolve_probability.items():
            if p >= 1.0:
                continue
            field = "failed_attempt_time" if cat.failed_attempt_time is not None else "handle_time"
            spent = cat.failed_attempt_time or cat.handle_time_for(team)
            if spent is not None and spent.mean() <= 0:
                yield (
                    ("categories", i, field),
                    (
                        f"an attempt at team {team!r} fails with probability {1 - p:g} and takes no time, so it could "
                        "fail again and again at one instant; give it a time above zero"
                    ),
                )


def _timeless_reopens(s: Scenario) -> Iterator[tuple[Path, str]]:
    """A reopen after no delay, of a ticket resolved in no time, would repeat at one instant: refused.

    Refused whatever ``reopen.max`` is (it bounds the loop, but a reopen that takes no time after
    work that takes no time models nothing); a positive delay or handle time makes time pass.
    """
    for i, cat in enumerate(s.categories):
        if cat.reopen is None or cat.reopen.delay.mean() > 0:
            continue
        for team in s.teams:
            p = cat.reopen.probability_for(team.name)
            handle = cat.handle_time_for(team.name)
            if p > 0 and handle is not None and handle.mean() <= 0:
                yield (
                    ("categories", i, "reopen", "delay"),
                    (
                        f"a ticket team {team.name!r} resolves in no time and it reopens with probability {p:g} "
                        "after no time, so it could be resolved and reopened again and again at one instant; "
                        "give the reopen delay (or the handle time) a time above zero"
                    ),
                )
                break


def _routes_are_workable(s: Scenario) -> Iterator[tuple[Path, str]]:
    """Every ticket a channel can produce must reach a team, and every team it may reach can work it."""
    teams = {t.name: t for t in s.teams}
    for ch in s.channels:
        mixes = [ch.category_mix] + [sg.category_mix for sg in ch.surges if sg.category_mix]
        for category in sorted({c for mix in mixes for c, w in mix.items() if w > 0}):
            if category not in {c.name for c in s.categories}:
                continue
            team = route(s.routing, ch.name, category)
            if team is None:
                yield (
                    ("routing",),
                    (
                        f"no rule routes {ch.name} tickets of category {category!r}; "
                        f"add a rule (a rule without channel/category matches all)"
                    ),
                )
                continue
            if team not in teams:
                continue
            cat = s.category(category)
            index = s.categories.index(cat)
            for reached in sorted(reachable_teams(s, cat, team)):
                if reached in teams and cat.handle_time_for(reached) is None:
                    yield (
                        ("categories", index, "handle_time"),
                        f"tickets of {category!r} can reach team {reached!r} but it has no handle time for that team",
                    )
            if (
                cat.skill is not None
                and cat.skill not in teams[team].skills
                and (not _moved_on_pickup(s, cat, teams[team]) or not any(cat.skill in t.skills for t in s.teams))
            ):
                yield (
                    ("routing",),
                    f"{category!r} needs skill {cat.skill!r}, which team {team!r} lacks "
                    f"(its skills: {teams[team].skills or 'none'}); route it to a team with the skill, "
                    "or give some team the skill and keep the 'skill' trigger on",
                )


def _staffed(path: Path, team: TeamSpec, served: bool) -> Iterator[tuple[Path, str]]:
    """A team must have agents on duty at some time: one rule for ``agents: 0`` and for empty shifts.

    A team that an agent group serves (``served``) needs no agents of its own.
    """
    if team.agents is None and team.shifts is None and not served:
        yield (
            path,
            "give a team either 'agents' (always on duty) or 'shifts', or name it in an agent group's 'serves'",
        )
    if team.agents == 0 and not served:
        yield (*path, "agents"), "a team needs at least one agent; remove it from routing instead"
    for j, shift in enumerate(team.shifts or []):
        if shift.start >= MINUTES_PER_DAY:
            yield (*path, "shifts", j, "start"), "a shift starts before 24:00; write 00:00 (the next day)"
    if team.shifts and not any(shift.days for shift in team.shifts):
        yield (*path, "shifts"), "every shift has 'days: []': a team needs agents on duty on some day"


def _agent_groups(s: Scenario) -> Iterator[tuple[Path, str]]:
    """Agent groups serve teams that exist, each at most once, and are not named like a team."""
    teams = [t.name for t in s.teams]
    for i, group in enumerate(s.agent_groups):
        if group.name in teams:
            yield (
                ("agent_groups", i, "name"),
                f"{group.name!r} is already a team's name; an agent group needs a name of its own",
            )
        seen: set[str] = set()
        for j, queue in enumerate(group.serves):
            if queue.team not in teams:
                yield ("agent_groups", i, "serves", j, "team"), _unknown("team", queue.team, teams)
            elif queue.team in seen:
                yield ("agent_groups", i, "serves", j, "team"), f"team {queue.team!r} is listed twice"
            seen.add(queue.team)
        for j, shift in enumerate(group.shifts or []):
            if shift.start >= MINUTES_PER_DAY:
                yield (
                    ("agent_groups", i, "shifts", j, "start"),
                    "a shift starts before 24:00; write 00:00 (the next day)",
                )


def _supervisor_cycles(s: Scenario) -> Iterator[tuple[Path, str]]:
    """A supervisor chain must end: a team that is (indirectly) its own supervisor is refused."""
    supervisor = {t.name: t.supervisor for t in s.teams}
    for i, team in enumerate(s.teams):
        chain, step = [team.name], team.supervisor
        while step is not None and step in supervisor and step not in chain:
            chain.append(step)
            step = supervisor[step]
        if step == team.name:
            yield (
                ("teams", i, "supervisor"),
                (
                    f"the supervisor chain comes back to {team.name!r} ({' > '.join([*chain, team.name])}); "
                    "the top of a chain has no supervisor"
                ),
            )


def _moved_on_pickup(s: Scenario, category: CategorySpec, team: TeamSpec) -> bool:
    """Whether a trigger that acts when an agent picks a ticket up (skill) can move it from ``team``."""
    return any(t.acts_on(category, team, s.escalation) for t in in_phase(s.escalation.triggers, Phase.PICKUP))


def _unique_names(s: Scenario) -> Iterator[tuple[Path, str]]:
    for field in ("calendars", "channels", "categories", "teams", "agent_groups", "sla_policies"):
        seen: set[str] = set()
        for i, item in enumerate(getattr(s, field)):
            if item.name in seen:
                yield (field, i, "name"), f"duplicate name {item.name!r}; names must be unique within {field}"
            seen.add(item.name)
    if "24x7" in {c.name for c in s.calendars}:
        yield ("calendars",), "'24x7' is built in (always open); choose another name"
    for field in ("priorities", "segments"):
        values = getattr(s, field)
        if len(set(values)) != len(values):
            yield (field,), f"{field} must not repeat a name"


def _known(path: Path, mapping: Mapping[str, object], allowed: set[str], what: str) -> Iterator[tuple[Path, str]]:
    for key in mapping:
        if key not in allowed:
            yield (*path, key), _unknown(what, key, sorted(allowed))


def _unknown(what: str, value: str, allowed: list[str]) -> str:
    return f"unknown {what} {value!r}; allowed: {', '.join(allowed) or 'none defined'}"


def reachable_teams(s: Scenario, category: CategorySpec, first: str) -> set[str]:
    """Every team that may *work* a ticket of ``category`` first routed to ``first``.

    Teams that lack the category's skill only triage it (no handle time needed), and a team's
    supervisor is reachable only if the category can exceed that team's authority and the team
    transfers such tickets (an approving supervisor only signs off).
    """
    esc = s.escalation
    by_name = {t.name: t for t in s.teams}
    teams = {first, *category.path}
    teams.update(r.route_to for r in esc.segment_rules if r.route_to)
    teams.update(r.to for r in esc.time_rules if r.action == "move" and r.to is not None)
    if category.regulated and esc.compliance_team:
        teams.add(esc.compliance_team)
    if category.skill is not None:
        teams.update(t.name for t in s.teams if category.skill in t.skills)
    frontier = list(teams)
    while frontier:
        team = by_name.get(frontier.pop())
        if (
            team is not None
            and team.supervisor
            and team.supervisor not in teams
            and team.authority_mode == "transfer"  # a sign-off leaves the ticket with the team
            and _can_exceed(category, team)
        ):
            teams.add(team.supervisor)
            frontier.append(team.supervisor)
    if category.skill is not None:
        teams = {t for t in teams if t not in by_name or category.skill in by_name[t].skills}
    return teams


def _can_exceed(category: CategorySpec, team: TeamSpec) -> bool:
    """Whether a ticket of ``category`` can be beyond ``team``'s authority.

    It can when the team limits one of the category's attributes, or lacks a permission it requires.
    """
    limited = any(not isinstance(limit, bool) and key in category.attributes for key, limit in team.authority.items())
    return limited or any(team.authority.get(permission) is not True for permission in category.requires)


def escalation_problems(s: Scenario) -> Iterator[tuple[Path, str]]:
    """Yield (field path, message) for escalation rules that name unknown teams or cannot work."""
    teams = [t.name for t in s.teams]
    esc = s.escalation

    def team_ref(path: Path, name: str | None) -> Iterator[tuple[Path, str]]:
        if name is not None and name not in teams:
            yield path, f"unknown team {name!r}; allowed: {', '.join(teams)}"

    for i, team in enumerate(s.teams):
        yield from team_ref(("teams", i, "supervisor"), team.supervisor)
        attributes = {a for c in s.categories for a in c.attributes}
        for key, limit in team.authority.items():
            if not isinstance(limit, bool) and key not in attributes:
                known = ", ".join(sorted(attributes)) or "none"
                yield (
                    ("teams", i, "authority", key),
                    f"no category has an attribute {key!r} for this limit; attributes: {known}",
                )
    granted = {k for t in s.teams for k, v in t.authority.items() if v is True}
    for i, cat in enumerate(s.categories):
        for j, name in enumerate(cat.path):
            yield from team_ref(("categories", i, "path", j), name)
            if name in cat.path[:j]:
                yield (
                    ("categories", i, "path", j),
                    f"team {name!r} is already on the path at [{cat.path.index(name)}]; a failed attempt there "
                    "always moves to the team after its first place, so list each team once",
                )
        for name in cat.resolve_probability:
            yield from team_ref(("categories", i, "resolve_probability", name), name)
        if cat.reopen and isinstance(cat.reopen.probability, dict):
            for name in cat.reopen.probability:
                yield from team_ref(("categories", i, "reopen", "probability", name), name)
        for j, permission in enumerate(cat.requires):
            if permission not in granted:
                yield (
                    ("categories", i, "requires", j),
                    f"no team's authority grants {permission!r}; add '{permission}: true' to a team's authority",
                )
        if cat.regulated and esc.compliance_team is None:
            yield ("escalation", "compliance_team"), f"category {cat.name!r} is regulated: name the compliance team"
    yield from team_ref(("escalation", "compliance_team"), esc.compliance_team)
    for i, rule in enumerate(esc.segment_rules):
        if rule.segment not in s.segments:
            yield (
                ("escalation", "segment_rules", i, "segment"),
                (f"unknown segment {rule.segment!r}; allowed: {', '.join(s.segments)}"),
            )
        yield from team_ref(("escalation", "segment_rules", i, "route_to"), rule.route_to)
    warnings = {w for p in s.sla_policies for w in p.warnings}
    recorded = Counter(escalation_reasons(esc))
    for i, time_rule in enumerate(esc.time_rules):
        if recorded[time_rule.name] > 1:
            yield (
                ("escalation", "time_rules", i, "name"),
                (
                    f"{time_rule.name!r} is already the reason another rule or trigger records; give each time rule "
                    "its own name, e.g. breach_level1"
                ),
            )
        yield from team_ref(("escalation", "time_rules", i, "to"), time_rule.to)
        yield from team_ref(("escalation", "time_rules", i, "reviewer"), time_rule.reviewer)
        if isinstance(time_rule.at, float) and time_rule.clock and time_rule.at not in warnings:
            yield (
                ("escalation", "time_rules", i, "at"),
                (
                    f"{time_rule.at} is not a warning fraction of any SLA policy; allowed: 'breach' or one of "
                    f"{sorted(warnings) or 'none (add warnings to an SLA policy)'}"
                ),
            )
    if esc.dissatisfaction:
        yield from team_ref(("escalation", "dissatisfaction", "manager"), esc.dissatisfaction.manager)
    if esc.learning:
        if isinstance(esc.learning.team, str):
            yield from team_ref(("escalation", "learning", "team"), esc.learning.team)
        else:
            for i, name in enumerate(esc.learning.team):
                yield from team_ref(("escalation", "learning", "team", i), name)


def arrival_extra_problems(s: Scenario) -> Iterator[tuple[Path, str]]:
    """Self-service channels and backlog entries name what exists, and a backlog ticket can be worked."""
    channels = [c.name for c in s.channels]
    teams = {t.name: t for t in s.teams}
    for i, cat in enumerate(s.categories):
        for j, channel in enumerate(cat.self_service.channels if cat.self_service else []):
            if channel not in channels:
                yield ("categories", i, "self_service", "channels", j), _unknown("channel", channel, channels)
    categories = {c.name: c for c in s.categories}
    for i, entry in enumerate(s.initial_backlog):
        path: Path = ("initial_backlog", i)
        if entry.age.mean() > MAX_BACKLOG_AGE:
            yield (*path, "age"), "a backlog's mean age is at most a year (365d); older tickets are for closing"
        if entry.team not in teams:
            yield (*path, "team"), _unknown("team", entry.team, list(teams))
        if entry.category not in categories:
            yield (*path, "category"), _unknown("category", entry.category, list(categories))
            continue
        if entry.channel is not None and entry.channel not in channels:
            yield (*path, "channel"), _unknown("channel", entry.channel, channels)
        elif s.backlog_channel(entry) is None:
            yield (*path, "channel"), f"no channel's category_mix has {entry.category!r}: name the channel"
        if entry.priority is not None and entry.priority not in s.priorities:
            yield (*path, "priority"), _unknown("priority", entry.priority, s.priorities)
        if entry.team in teams:
            cat = categories[entry.category]
            for reached in sorted(reachable_teams(s, cat, entry.team)):
                if reached in teams and cat.handle_time_for(reached) is None:
                    yield (
                        (*path, "team"),
                        f"backlog tickets of {entry.category!r} can reach team {reached!r}, but the category has no "
                        "handle time for that team",
                    )
