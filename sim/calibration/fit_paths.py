"""Escalation paths and resolve probabilities from the group changes of each ticket.

A ticket's history is its sequence of group stays (``stays.group_stays``). A stay in which the
ticket was solved *resolved* there (with status changes in the events; without them, the last stay
of a solved ticket), even when a group change follows: that is a reopened ticket going back, not an
escalation. Another stay followed by one at a new group *escalated* to it; a last stay of an unsolved
ticket is still open and counts as neither (censored). For each
first group × category × team the fit gives the resolve probability resolved / (resolved + escalated)
with its binomial standard error, and the escalation destinations with their shares.

**In the scenario's terms.** A ``CategorySpec`` has one ``path`` (a failed attempt moves to the next
team on it; a team off the path sends it to the path's start) and one ``resolve_probability`` per
team, whatever the first team was; routing rules give the first team. The closest expressible form
is therefore, per category: the first team is the most common first group (per channel, for the
routing rules); the path follows, from it, the most common escalation destination of each team
(pooled over first groups) until a team escalates rarely or a team would repeat; each team's resolve
probability is its pooled stay-level share. Notes say what that form leaves out: other destinations,
bounces back to an earlier team, first groups with other resolve probabilities (beyond 3 standard
errors), and a last team on the path that does not always resolve (the engine retries there). A stay
is taken as one attempt (``max_attempts: 1``), since retries inside a team leave no group change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from sim.calibration.stays import GROUP_CHANGE, group_stays, status_in_stay

SOLVED, REPLIED = "solved", "open"
"""Statuses that mark a stay resolved, and a customer's reply (``pending`` → ``open``) in it."""

NOTE_SHARE = 0.05
"""An escalation destination or first group with at least this share that the form cannot express gets a note."""
MIN_STAYS = 10
"""A team with fewer outcome-known stays of a category is not given a fitted resolve probability."""
DIFFERENT_SE = 3.0
"""A first group's resolve probability this many standard errors from the pooled one gets a note."""


@dataclass(frozen=True)
class TeamOutcome:
    """Outcomes of the stays of one category at one team (optionally: for one first group)."""

    stays: int
    """Stays whose outcome is known (resolved or escalated)."""
    resolved: int
    open: int
    """Last stays of unsolved tickets: censored, not counted in ``stays``."""
    destinations: dict[str, int] = field(default_factory=dict)
    """Escalated stays by the group they went to."""
    replies: int = 0
    """Stays of known outcome in which the customer replied: a second session, after a first that succeeded."""

    @property
    def sessions(self) -> int:
        """Attempts: one per stay, two for a stay with a customer reply."""
        return self.stays + self.replies

    @property
    def resolve_probability(self) -> float:
        """Share of attempts that succeeded (the engine's per-session probability).

        A stay without a reply is one attempt; a stay with one is two, the first of which succeeded
        (the ticket went on to wait for the customer instead of moving on). This is the maximum-
        likelihood estimate of a per-session probability p, under which a stay with a reply resolves
        with p squared.
        """
        return (self.resolved + self.replies) / self.sessions if self.stays else math.nan

    @property
    def se(self) -> float:
        """Binomial standard error of the resolve probability."""
        p = self.resolve_probability
        return math.sqrt(p * (1.0 - p) / self.sessions) if self.stays else math.nan


@dataclass(frozen=True)
class CategoryPath:
    """One category's fitted escalation in the scenario's terms, with the detail it comes from."""

    category: str
    n: int
    """Tickets of the category."""
    source: str
    first_team: str = ""
    path: list[str] = field(default_factory=list)
    resolve_probability: dict[str, float] = field(default_factory=dict)
    resolve_se: dict[str, float] = field(default_factory=dict)
    stays: dict[str, int] = field(default_factory=dict)
    """Outcome-known stays behind each team's probability."""
    by_first_group: dict[str, dict[str, TeamOutcome]] = field(default_factory=dict)
    """First group → team → outcomes: the full fitted pattern."""
    pooled: dict[str, TeamOutcome] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reason: str | None = None


@dataclass(frozen=True)
class PathFits:
    """Every category's path, plus the first team per channel × category (routing rules)."""

    categories: dict[str, CategoryPath]
    routing: dict[tuple[str, str], tuple[str, float, int]]
    """(channel, category) → (most common first group, its share, tickets)."""
    reason: str | None = None


def _outcomes(stays: pd.DataFrame, keys: list[str]) -> dict[tuple[str, ...], TeamOutcome]:
    """Team outcomes grouped by ``keys`` (which end with ``group``)."""
    resolved = stays["resolved"]
    escalated = ~stays["last"] & ~resolved
    replies = stays["replied"] & (resolved | escalated)
    frame = stays[keys].assign(resolved=resolved, escalated=escalated, open=stays["last"] & ~resolved, replies=replies)
    sums = frame.groupby(keys, sort=True)[["resolved", "escalated", "open", "replies"]].sum()
    dest = stays[escalated].groupby([*keys, "next_group"], sort=True).size()
    destinations: dict[tuple[str, ...], dict[str, int]] = {}
    for index, count in dest.items():
        *key, to = index
        destinations.setdefault(tuple(map(str, key)), {})[str(to)] = int(count)
    out = {}
    for key, row in sums.iterrows():
        name = tuple(map(str, key)) if isinstance(key, tuple) else (str(key),)
        out[name] = TeamOutcome(
            stays=int(row.resolved + row.escalated),
            resolved=int(row.resolved),
            open=int(row.open),
            destinations=destinations.get(name, {}),
            replies=int(row.replies),
        )
    return out


def _chain(start: str, pooled: dict[str, TeamOutcome], notes: list[str]) -> list[str]:
    """The path from ``start``: each team's most common destination, while it escalates at all and does not repeat."""
    path = [start]
    while True:
        here = pooled.get(path[-1])
        if here is None or not here.destinations:
            return path
        escalated = sum(here.destinations.values())
        ranked = sorted(here.destinations.items(), key=lambda kv: (-kv[1], kv[0]))
        best = ranked[0][0]
        for other, count in ranked[1:]:
            if count / escalated >= NOTE_SHARE:
                notes.append(
                    f"{path[-1]} escalates {count} of {escalated} to {other}: the path sends every failure to {best}"
                )
        if best in path:
            notes.append(f"{path[-1]} escalates back to {best} ({ranked[0][1]} stays): a path cannot revisit a team")
            return path
        path.append(best)


def fit_category_path(category: str, stays: pd.DataFrame) -> CategoryPath:
    """The closest scenario form of one category's escalation (see the module docstring)."""
    tickets = int(stays["ticket"].nunique())
    first = stays.loc[stays["step"] == 0, "group"].value_counts()
    first_team = str(first.index[0])
    notes = [
        f"{count} of {tickets} tickets start at {group}, not {first_team}: "
        "a routing rule sends each channel × category to one first team"
        for group, count in first.iloc[1:].items()
        if count / tickets >= NOTE_SHARE
    ]
    pooled = {key[0]: value for key, value in _outcomes(stays, ["group"]).items()}
    by_first: dict[str, dict[str, TeamOutcome]] = {}
    for (first_group, team), outcome in _outcomes(stays, ["first_group", "group"]).items():
        by_first.setdefault(first_group, {})[team] = outcome
    path = _chain(first_team, pooled, notes)
    probability, se, counts = {}, {}, {}
    for team, outcome in pooled.items():
        if outcome.stays < MIN_STAYS:
            notes.append(
                f"{team}: only {outcome.stays} stays with a known outcome; its resolve probability is not fitted"
            )
            continue
        probability[team], se[team], counts[team] = outcome.resolve_probability, outcome.se, outcome.stays
        for first_group, teams in by_first.items():
            own = teams.get(team)
            if own is None or own.stays < MIN_STAYS or first_group == first_team:
                continue
            spread = math.hypot(own.se, outcome.se) or math.inf
            if abs(own.resolve_probability - outcome.resolve_probability) > DIFFERENT_SE * spread:
                notes.append(
                    f"{team} resolves {own.resolve_probability:.3f} of tickets that started at {first_group} "
                    f"against {outcome.resolve_probability:.3f} overall: one probability per team is kept"
                )
    last = path[-1]
    if last in probability and probability[last] < 1.0:
        notes.append(
            f"{last} ends the path but resolves only {probability[last]:.3f} of its stays: "
            "the engine retries there until it resolves"
        )
    return CategoryPath(
        category,
        tickets,
        "events.group_change",
        first_team=first_team,
        path=path,
        resolve_probability=probability,
        resolve_se=se,
        stays=counts,
        by_first_group=by_first,
        pooled=pooled,
        notes=notes,
    )


def has_group_changes(events: pd.DataFrame | None) -> bool:
    """Whether the event table can show where tickets went."""
    return events is not None and not events.empty and bool((events["kind"] == GROUP_CHANGE).any())


def fit_paths(tickets: pd.DataFrame, events: pd.DataFrame | None, stays: pd.DataFrame | None = None) -> PathFits:
    """Paths, resolve probabilities and first teams of every category, from the group changes.

    ``stays`` are the ``group_stays`` of the two tables when the caller has them already.
    """
    if not has_group_changes(events):
        return PathFits({}, {}, reason="no group_change events: escalation paths and resolve probabilities not fitted")
    assert events is not None  # has_group_changes is False without a table
    stays = (group_stays(tickets, events) if stays is None else stays).copy()
    solved = status_in_stay(stays, tickets, events, SOLVED)
    stays["resolved"] = (stays["last"] & stays["solved"]).to_numpy() if solved is None else solved
    replied = status_in_stay(stays, tickets, events, REPLIED)
    stays["replied"] = False if replied is None else replied
    starts = stays[stays["step"] == 0]
    routing: dict[tuple[str, str], tuple[str, float, int]] = {}
    for (channel, category), groups in starts.groupby(["channel", "category"], sort=True)["group"]:
        counts = groups.value_counts()
        routing[(str(channel), str(category))] = (
            str(counts.index[0]),
            float(counts.iloc[0] / len(groups)),
            len(groups),
        )
    categories = {str(c): fit_category_path(str(c), s) for c, s in stays.groupby("category", sort=True)}
    return PathFits(categories, routing)
