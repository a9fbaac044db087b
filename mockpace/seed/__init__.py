"""Data for the emulator: the deterministic generator and fixture files.

- ``generate(store, SeedParams(...))`` builds the default organization (docs/emulation.md s9);
- ``load_fixture(store, path_or_dict)`` loads exact data from JSON/YAML, validated first;
- ``dump_fixture(store)`` writes a store back in the fixture format (round-trips exactly).
"""

from mockpace.seed.fixtures import FixtureError, FixtureProblem, dump_fixture, load_fixture
from mockpace.seed.generator import STANDARD_ACTIVITY_TYPES, SeedParams, generate

__all__ = [
    "STANDARD_ACTIVITY_TYPES",
    "FixtureError",
    "FixtureProblem",
    "SeedParams",
    "dump_fixture",
    "generate",
    "load_fixture",
]
