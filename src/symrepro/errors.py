"""The exception types the command-line interface turns into clean messages."""


class InputError(Exception):
    """Bad user input: a config value, a data file, a command-line argument.

    The message must name the offending key, file or argument.
    """


class ClaimNotReproduced(Exception):
    """A paper's claim does not hold for the results a step checks (e.g. augmented
    training ending farther from E than nominal training)."""
