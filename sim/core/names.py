"""Named string constants: one place for each family of names the simulator writes.

``Event.ARRIVAL`` is the plain string ``"arrival"``, not an ``Enum`` member. The engine writes
these names into its records millions of times: plain strings compare and hash at C speed, and
tuples holding only strings are left alone by Python's garbage collector, where enum members
(objects with a ``__dict__``) would keep every buffered record row tracked. ``all()`` lists a
family in declaration order.
"""

from __future__ import annotations


class Names:
    """A family of string constants, declared as upper-case class attributes."""

    @classmethod
    def all(cls) -> tuple[str, ...]:
        """Every name of the family, in the order declared."""
        return tuple(value for key, value in vars(cls).items() if key.isupper() and isinstance(value, str))
