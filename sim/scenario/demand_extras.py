"""What arrives besides the channels' Poisson streams: self-service, a starting backlog, uncertain volume.

- ``SelfService`` (a category's ``self_service``): a share of the category's contacts tries
  self-service (an IVR, a help-centre bot) first; most are resolved there (contained), the rest reach
  an agent after some time in self-service, needing extra handle time.
- ``BacklogEntry`` (the scenario's ``initial_backlog``): tickets already waiting at time 0, as on a
  Monday morning, each with the age it has already waited.
- ``VolumeUncertainty`` (a channel's ``volume_uncertainty``): the forecast is uncertain; each
  replication and each day, the channel's rate is multiplied by a gamma factor of mean 1.
"""

from __future__ import annotations

from pydantic import Field

from sim.core.distributions import Distribution
from sim.scenario.fields import Name, Spec

MAX_BACKLOG = 1_000_000
"""Tickets one backlog entry may hold: far above any desk's Monday morning, low enough to stay in memory."""
MAX_BACKLOG_AGE = 365 * 24 * 60.0
"""Mean age of a backlog entry at most a year: older tickets are for closing, not for queueing."""
MAX_VOLUME_CV = 2.0
"""A forecast whose daily volume varies by more than 200 % is no forecast (typical: 5 to 30 %)."""


class VolumeUncertainty(Spec):
    """An uncertain forecast: each day's volume is the forecast times a random factor of mean 1."""

    cv: float = Field(
        gt=0,
        le=MAX_VOLUME_CV,
        description=(
            "coefficient of variation of the daily factor (gamma, mean 1), drawn per replication and day: "
            "daily counts then vary as a gamma-mixed Poisson, variance = mean + cv^2 x mean^2"
        ),
    )


class SelfService(Spec):
    """A share of a category's contacts tries self-service first; some fail and reach an agent later."""

    share: float = Field(ge=0, le=1, description="share of the category's contacts that tries self-service")
    fail: float = Field(
        ge=0, le=1, description="share of those that self-service does not resolve: they reach an agent later"
    )
    delay: Distribution = Field(description="time in self-service before a failed contact reaches an agent")
    extra_handle_time: Distribution | None = Field(
        default=None,
        description="agent time added to a failed contact's first session (re-asking what the bot asked); none: 0",
    )
    channels: list[Name] = Field(
        default=[], description="channels that offer self-service for this category (e.g. [phone] for an IVR); []: all"
    )


class BacklogEntry(Spec):
    """Tickets already waiting in a team's queue when the simulation starts."""

    team: Name = Field(description="the team whose queue they wait in")
    category: Name = Field(description="what they are about")
    count: int = Field(ge=1, le=MAX_BACKLOG, description="how many tickets")
    age: Distribution = Field(
        description="how long each has already waited at time 0 (its arrival is -age; SLA clocks ran meanwhile)"
    )
    channel: Name | None = Field(
        default=None, description="the channel they came from; default: the first channel whose mix has the category"
    )
    priority: Name | None = Field(default=None, description="their priority; default: drawn from the category's mix")
