"""The one exception type the command-line interface turns into a clean message."""


class InputError(Exception):
    """Bad user input: a config value, a data file, a command-line argument.

    The message must name the offending key, file or argument.
    """
