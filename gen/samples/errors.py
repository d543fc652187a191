"""Application exception classes, in their own module so that tracebacks
print them module-qualified (``errors.UpstreamError``)."""


class AppError(Exception):
    """Base class of the sample application's errors."""


class UpstreamError(AppError):
    """An upstream HTTP service answered with an error."""


class AuthError(AppError):
    """Authentication against an upstream failed."""


class QuotaExceeded(AppError):
    """Raised bare (no arguments): the final line is just the type name."""


class ConfigError(AppError):
    """Configuration could not be loaded."""
