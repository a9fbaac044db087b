"""mockpace: a local emulator of the 7pace Timetracker APIs."""

__version__ = "0.1.0"
